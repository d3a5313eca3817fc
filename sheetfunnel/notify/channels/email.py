"""Email over SMTP (STARTTLS or SSL, with login): HTML and plain text, one mail per
recipient, every mail of a run over one connection."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sheetfunnel.notify.channels.base import ChannelFailure
from sheetfunnel.notify.channels_config import Channel
from sheetfunnel.notify.compose import Delivery, Doc, render_html, render_plain

TIMEOUT = 20.0
#: Bytes of a mail's HTML part: a digest beyond it is cut like a robot's.
LIMIT = 1_000_000


def size(doc: Doc) -> int:
    return len(render_html(doc).encode("utf-8"))


def mail(doc: Doc, sender: str, to: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = doc.title
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="sheetfunnel")
    message.set_content(render_plain(doc))
    message.add_alternative(render_html(doc), subtype="html")
    return message


def _connect(channel: Channel) -> smtplib.SMTP:
    host = str(channel.options.get("host", ""))
    use_ssl = bool(channel.options.get("ssl", False))
    port = int(str(channel.options.get("port", 465 if use_ssl else 587)))
    context = ssl.create_default_context()
    cafile = channel.options.get("cafile")
    if cafile:
        context.load_verify_locations(str(cafile))
    if use_ssl:
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context)
    else:
        server = smtplib.SMTP(host, port, timeout=TIMEOUT)
        if channel.options.get("starttls", True):
            server.starttls(context=context)
    if channel.username or channel.password:
        server.login(channel.username, channel.password)
    return server


def send_all(deliveries: Iterable[Delivery], channel: Channel,
             accepted: Callable[[Delivery], None],
             failed: Callable[[Delivery, ChannelFailure], None]) -> None:
    """Each delivery as one mail per address over one connection; ``accepted``/``failed``
    hear about each. A connection or login failure fails them all with one sentence."""
    todo = list(deliveries)
    problem: ChannelFailure | None = None
    try:
        server = _connect(channel)
    except smtplib.SMTPAuthenticationError:
        problem = ChannelFailure(f"the SMTP server of channel '{channel.name}' refused the login; "
                                 "check username and password (or password_env)")
    except (OSError, smtplib.SMTPException) as exc:
        problem = ChannelFailure(f"channel '{channel.name}' could not reach its SMTP server "
                                 f"({type(exc).__name__}); check host, port and starttls/ssl")
    if problem is not None:
        for delivery in todo:
            failed(delivery, problem)
        return
    with server:
        for delivery in todo:
            if not delivery.to:
                failed(delivery, ChannelFailure(f"{', '.join(delivery.audiences)} has no Email in "
                                                f"the Notify tab, so channel '{channel.name}' "
                                                "cannot reach them"))
                continue
            try:
                for address in delivery.to:
                    server.send_message(mail(delivery.doc, str(channel.options["from"]), address))
            except smtplib.SMTPException as exc:
                failed(delivery, ChannelFailure(f"the SMTP server of channel '{channel.name}' "
                                                f"refused a mail ({type(exc).__name__})"))
            else:
                accepted(delivery)
