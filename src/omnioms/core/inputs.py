"""What every value from outside must be before it reaches a database, whatever its door (the
REST API's schemas, the normalised-order contract): checks for pydantic validators.

Both databases must be able to hold it, not just the one a test ran on:
- text without the NUL character: PostgreSQL's ``text`` and ``varchar`` cannot hold it (SQLite
  can, so a test on SQLite alone never sees the 500);
- times whose UTC offset PostgreSQL takes (``timestamptz`` refuses ±16:00 and beyond, Python
  goes up to ±23:59) and that every time zone can show: ``0001-01-01T00:00+08:00`` is in the
  year 0 in UTC, and an order placed at ``9999-12-31T23:59Z`` made the order list fail for
  everyone, since in Beijing it is in the year 10000.

Messages are in English like pydantic's own, which they stand beside in the API's errors and
in dead letters' reasons.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic_core import PydanticCustomError

NUL = "\x00"
MAX_UTC_OFFSET = timedelta(hours=16)
"""Exclusive: no time zone is more than 14 hours from UTC, and PostgreSQL stops at 15:59."""
EARLIEST_TIME = datetime(1, 1, 2)
LATEST_TIME = datetime(9999, 12, 30, 23, 59, 59, 999999)
"""The UTC times (a day from either end of what Python holds) that any time zone can show."""


def no_nul(value: Any) -> Any:
    """``value`` unchanged, or a validation error when it is text containing NUL (also inside a
    list or a mapping of texts)."""
    if isinstance(value, str):
        if NUL in value:
            raise PydanticCustomError("nul_character", "must not contain the NUL character")
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            no_nul(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            no_nul(key)
            no_nul(item)
    return value


def storable_time(value: datetime) -> datetime:
    """``value`` unchanged if its offset (if any) is one PostgreSQL takes and it lies between
    :data:`EARLIEST_TIME` and :data:`LATEST_TIME` in UTC (a naive time: as it is); else a
    validation error."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) >= MAX_UTC_OFFSET:
        raise PydanticCustomError(
            "time_offset_out_of_range", "the UTC offset must be between -15:59 and +15:59"
        )
    try:
        utc = value if offset is None else value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+08:00
        utc = None
    if utc is None or not EARLIEST_TIME <= utc.replace(tzinfo=None) <= LATEST_TIME:
        raise PydanticCustomError(
            "time_out_of_range", "must be a time between 0001-01-02 and 9999-12-30 (UTC)"
        )
    return value


def storable(value: Any) -> Any:
    """:func:`no_nul` for text, :func:`storable_time` for times; anything else unchanged. For a
    validator on every field (``field_validator("*")``) of a schema of inputs."""
    if isinstance(value, datetime):
        return storable_time(value)
    return no_nul(value)
