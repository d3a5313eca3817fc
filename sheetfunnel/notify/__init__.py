"""Notifications (#15): owner and manager digests and escalations, pushed to chat robots and
email, each flag once and never in quiet hours.

Pure core: ``settings`` and ``people`` (what the sheet says), ``channels_config`` (the
operator's TOML), ``quiet`` (when someone may hear), ``ledger`` (what was delivered, kept in
the state tab), ``digest`` (evaluation + people + ledger + now -> messages), ``compose`` (a
message as each channel's text, folded per robot and cut to size). Shell: ``channels/`` (one
module per kind: sign and send), ``deliver`` (pacing and failures) and ``hook`` (the run's
step after a successful write).
"""
