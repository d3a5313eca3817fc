"""When a person may hear from the worker: quiet hours and weekends in the team's timezone
(Settings ``timezone``), and the one digest slot of each local day.

Pure: ``now`` is an aware date-time the caller read from the clock (or ``--as-of``).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sheetfunnel.notify.people import Person
from sheetfunnel.notify.settings import NotifySettings, Span


def zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def local_time(now: dt.datetime, settings: NotifySettings) -> dt.datetime:
    """``now`` on the team's wall clock (DST included, whatever the machine's zone)."""
    return now.astimezone(zone(settings.timezone))


def in_span(minute: int, span: Span) -> bool:
    start, end = span
    if start == end:
        return False
    return start <= minute < end if start < end else minute >= start or minute < end


def is_quiet(person: Person, settings: NotifySettings, now: dt.datetime) -> bool:
    """True in the person's quiet hours (their Notify cell, else Settings) or on a weekend
    when ``quiet_weekends`` is yes."""
    local = local_time(now, settings)
    if settings.quiet_weekends and local.weekday() >= 5:
        return True
    span = person.quiet_hours if person.quiet_given else settings.quiet_hours
    return span is not None and in_span(local.hour * 60 + local.minute, span)


def digest_slot(person: Person, settings: NotifySettings, now: dt.datetime) -> str | None:
    """The local day (ISO) whose digest is due now — at or after Digest At, outside quiet
    hours — else None. The ledger tells whether that slot went out already."""
    local = local_time(now, settings)
    if local.hour * 60 + local.minute < person.digest_at or is_quiet(person, settings, now):
        return None
    return local.date().isoformat()
