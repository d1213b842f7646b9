"""Timestamps as exports write them, turned into instants, and a row's interval from them.

Instants are kept in UTC and shown in the mapping's time zone (records carry the offset:
``2025-01-01T00:15:00+08:00``). A local time that a daylight-saving change makes ambiguous or
impossible is an error, never resolved by choosing one. A fixed interval (15 min, 1 h) is added in
absolute time; a day is added on the local calendar, so a DST day is 23 or 25 hours long.
Excel keeps a time as a fraction of a day, a binary double: a date cell within a millisecond of a
whole second is taken as that second (Excel's own precision), anything else is refused.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .issues import N_
from .mapping import TimeSpec


class TimeError(ValueError):
    """Why a cell is not a timestamp this mapping accepts: ``code``, an English message id, params."""

    def __init__(self, code: str, text: str, **params: object) -> None:
        super().__init__(text % params if params else text)
        self.code, self.text, self.params = code, text, params


def localize(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of naive local ``wall`` in ``zone``; TimeError if a DST change makes it ambiguous."""
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        raise TimeError("ambiguous_time", N_("%(time)s is ambiguous or does not exist in %(zone)s (a daylight-"
                                             "saving change); give the UTC offset in the file"),
                        time=wall.isoformat(sep=" "), zone=zone.key)  # fmt: skip
    return first.astimezone(UTC)


def parse_instant(cell: object, spec: TimeSpec) -> datetime:
    """The UTC instant a cell names (a date cell, or text in ``spec.format``)."""
    zone = spec.zone
    if isinstance(cell, datetime):
        wall = _whole_second(cell)
    elif isinstance(cell, date):
        wall = datetime.combine(cell, time())
    elif isinstance(cell, str) and cell.strip():
        wall = _parse_text(cell.strip(), spec.format)
    elif cell is None or isinstance(cell, str):
        raise TimeError("empty", N_("the timestamp is empty"))
    else:
        raise TimeError("bad_timestamp", N_("%(value)s is not a date or time"), value=str(cell))
    if wall.tzinfo is not None:
        return wall.astimezone(UTC)
    return localize(wall, zone)


def parse_date_and_time(date_cell: object, time_cell: object, spec: TimeSpec) -> datetime:
    """The UTC instant of a date in one column and a time of day in another: date and time cells
    are combined; text is joined ("2025-01-01" + " " + "00:15") and read with ``spec.format``."""
    if isinstance(date_cell, (date, datetime)) and isinstance(time_cell, time):
        day = date_cell.date() if isinstance(date_cell, datetime) else date_cell
        return localize(_whole_second(datetime.combine(day, time_cell)), spec.zone)
    parts = []
    for cell in (date_cell, time_cell):
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            raise TimeError("empty", N_("the timestamp is empty"))
        if isinstance(cell, datetime):
            parts.append(cell.strftime("%Y-%m-%d"))
        elif isinstance(cell, (date, time)):
            parts.append(cell.isoformat())
        else:
            parts.append(str(cell).strip())
    return parse_instant(" ".join(parts), spec)


_END_OF_DAY = re.compile(r"^(.*?)(T| )24:00(:00)?$")


def _parse_text(text: str, pattern: str) -> datetime:
    end_of_day = _END_OF_DAY.match(text)
    if end_of_day:  # "2025-01-01 24:00", as interval exports label the last quarter hour of a day
        return _parse_text(f"{end_of_day.group(1)}{end_of_day.group(2)}00:00", pattern) + timedelta(days=1)
    try:
        if pattern == "iso":
            parsed = datetime.fromisoformat(text)
        else:
            parsed = datetime.strptime(text, pattern)
    except ValueError:
        hint = "2025-01-01 00:15 or 2025-01-01T00:15:00+08:00" if pattern == "iso" else pattern
        raise TimeError("bad_timestamp", N_("%(value)s does not match the time format %(format)s"),
                        value=repr(text), format=hint) from None  # fmt: skip
    if parsed.microsecond:
        raise TimeError("bad_timestamp", N_("%(value)s has fractional seconds; records take whole seconds"),
                        value=repr(text))  # fmt: skip
    return parsed


def _whole_second(cell: datetime) -> datetime:
    rounded = (cell + timedelta(microseconds=500_000)).replace(microsecond=0)
    if abs(rounded - cell) > timedelta(milliseconds=1):
        raise TimeError("bad_timestamp", N_("%(value)s has fractional seconds; records take whole seconds"),
                        value=cell.isoformat(sep=" "))  # fmt: skip
    return rounded


def advance(instant: datetime, spec: TimeSpec, steps: int = 1) -> datetime:
    """``instant`` moved by ``steps`` intervals: in absolute time, or on the local calendar for days."""
    step = spec.step
    assert step is not None
    if step.days:
        local = instant.astimezone(spec.zone).replace(tzinfo=None)
        return localize(local + step * steps, spec.zone)
    return instant + step * steps


def next_local_midnight(instant: datetime, zone: ZoneInfo) -> datetime:
    """The first local midnight after ``instant`` (for day totals)."""
    local = instant.astimezone(zone).replace(tzinfo=None)
    return localize(datetime.combine(local.date() + timedelta(days=1), time()), zone)


def wire(instant: datetime, zone: ZoneInfo) -> str:
    """``instant`` as a record states it: local time in ``zone`` with its offset, whole seconds."""
    return instant.astimezone(zone).isoformat(timespec="seconds")
