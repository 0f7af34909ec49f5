"""Periods and events: the horizon, ISO weeks, calendar months and the event calendar.

Pure functions over ``datetime.date`` and numpy arrays; nothing here knows a model.

- :class:`Horizon` is the span a forecast covers: from the day after the last day of history
  to the end of the N-th calendar month after that day's month. Its weeks and months are the
  ones that lie *wholly* inside it (the only periods whose figure is a complete total).
- :class:`Event` is one occurrence of a promotion or festival (618, Double 11, Double 12, the
  Spring Festival on its moving date, a shop's own promotion), optionally limited to some SKUs.
  Occurrences with the same ``kind`` share one learned uplift, so "double11" of 2023 teaches
  the forecast what to expect of "double11" of 2025.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

NO_EVENT = -1


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def iso_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def day_range(start: date, end: date) -> np.ndarray:
    """Days from ``start`` to ``end`` inclusive as ``datetime64[D]``."""
    return np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)


def weekdays(days: np.ndarray) -> np.ndarray:
    """ISO weekday index (Monday 0 … Sunday 6) of ``datetime64[D]`` days."""
    # 1970-01-01 was a Thursday (index 3).
    return ((days.astype("int64") + 3) % 7).astype(np.int8)


def month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of ``datetime64[D]`` days (so equal numbers mean one month)."""
    return days.astype("datetime64[M]").astype("int64")


@dataclass(frozen=True)
class Horizon:
    """The days a forecast covers, ``start`` to ``end`` inclusive."""

    start: date
    end: date

    @classmethod
    def after(cls, last_day: date, months: int) -> Horizon:
        """From the day after ``last_day`` to the end of the ``months``-th month after it."""
        if months < 1:
            raise ValueError("months must be a positive integer")
        return cls(start=last_day + timedelta(days=1), end=month_end(add_months(last_day, months)))

    @property
    def days(self) -> np.ndarray:
        return day_range(self.start, self.end)

    def whole_weeks(self) -> list[date]:
        """Mondays of the ISO weeks wholly inside the horizon."""
        monday = iso_monday(self.start)
        if monday < self.start:
            monday += timedelta(days=7)
        weeks = []
        while monday + timedelta(days=6) <= self.end:
            weeks.append(monday)
            monday += timedelta(days=7)
        return weeks

    def whole_months(self) -> list[date]:
        """First days of the calendar months wholly inside the horizon."""
        first = self.start if self.start.day == 1 else add_months(self.start, 1)
        months = []
        while month_end(first) <= self.end:
            months.append(first)
            first = add_months(first, 1)
        return months


@dataclass(frozen=True)
class Event:
    """One occurrence of a promotion or festival.

    ``kind`` groups occurrences that share an uplift (default: the name); ``skus`` limits the
    event to those SKUs (``None``: every SKU). ``start`` and ``end`` are inclusive.
    """

    name: str
    start: date
    end: date
    skus: frozenset[str] | None = None
    kind: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"event {self.name!r} ends before it starts")
        if self.skus is not None and not isinstance(self.skus, frozenset):
            object.__setattr__(self, "skus", frozenset(self.skus))

    @property
    def key(self) -> str:
        return self.kind or self.name


def event_kinds(events: Iterable[Event]) -> list[str]:
    """The distinct kinds, in the order they first appear."""
    return list(dict.fromkeys(event.key for event in events))


def event_matrix(
    events: Sequence[Event], kinds: Sequence[str], skus: Sequence[str], days: np.ndarray
) -> np.ndarray:
    """``[sku, day]`` index into ``kinds`` of the event on that day, or :data:`NO_EVENT`.

    Where events overlap the one listed later wins: a day belongs to one kind, so that each
    kind's uplift is learned from days it alone explains.
    """
    matrix = np.full((len(skus), len(days)), NO_EVENT, dtype=np.int16)
    if not len(days):
        return matrix
    first = days[0].astype("int64")
    position = {sku: i for i, sku in enumerate(skus)}
    kind_index = {kind: i for i, kind in enumerate(kinds)}
    for event in events:
        lo = max(int(np.datetime64(event.start, "D").astype("int64") - first), 0)
        hi = min(int(np.datetime64(event.end, "D").astype("int64") - first) + 1, len(days))
        if lo >= hi:
            continue
        if event.skus is None:
            matrix[:, lo:hi] = kind_index[event.key]
        else:
            rows = [position[sku] for sku in event.skus if sku in position]
            matrix[rows, lo:hi] = kind_index[event.key]
    return matrix
