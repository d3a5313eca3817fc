"""One module per channel kind, each behind the same two functions: ``size(doc, channel)``
(bytes the channel would carry, to cut a digest to its limit) and ``send(delivery, channel,
post, now)`` (format, sign, send; ChannelFailure with a sentence naming the channel and the
fix). ``SENDERS`` maps a kind to its module.
"""

from __future__ import annotations

from types import ModuleType

from sheetfunnel.notify.channels import dingtalk, feishu, slack, teams, wecom

SENDERS: dict[str, ModuleType] = {"dingtalk": dingtalk, "wecom": wecom, "feishu": feishu,
                                  "slack": slack, "teams": teams}
