"""The team's time: "today" and "now" as wall-clock time in the Settings ``timezone``.

A Shanghai team on a UTC server starts its day eight hours before the server does. The shell
reads the clock once per run and hands the moment here; the core only ever sees the naive
local date-time this returns (the date is "today", the time only moves NO_FIRST_RESPONSE).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sheetfunnel.errors import DateOutOfRange
from sheetfunnel.values import FIRST_DATE, LAST_DATE

#: What a run is judged as of: None (the clock), a day (its start) or a date-time (naive: wall
#: clock where the team is; aware: any instant).
AsOf = dt.date | dt.datetime | None


def team_zone(name: str) -> dt.tzinfo:
    """The IANA zone ``name`` (``Asia/Shanghai``); UTC when blank or unknown (the config check
    warns about an unknown one)."""
    try:
        return ZoneInfo(name.strip()) if name and name.strip() else dt.UTC
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def is_known_zone(name: str) -> bool:
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_now(as_of: AsOf, zone: dt.tzinfo, clock_now: dt.datetime) -> dt.datetime:
    """The run's moment as naive wall-clock time in ``zone``: ``as_of`` when given (a day is its
    00:00), else ``clock_now`` (aware). DateOutOfRange when its day is outside the dates
    sheetfunnel reads."""
    if as_of is None:
        as_of = clock_now
    if isinstance(as_of, dt.datetime):
        moment = as_of.astimezone(zone).replace(tzinfo=None) if as_of.tzinfo else as_of
    else:
        moment = dt.datetime.combine(as_of, dt.time())
    if not FIRST_DATE <= moment.date() <= LAST_DATE:
        raise DateOutOfRange(moment.date(), FIRST_DATE, LAST_DATE)
    return moment
