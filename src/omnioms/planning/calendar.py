"""Working time: a calendar is the list of windows in which a work centre works.

The engine counts time in integer minutes from the plan's origin (an aware datetime). A
:class:`Calendar` holds its sorted, disjoint working windows ``[start, end)`` in those minutes;
everything outside them (nights, breaks, weekends, holidays) is time off. An operation needs
``duration`` *working* minutes: it starts inside a window and pauses over time off, so its end
is :meth:`Calendar.finish` of its start. The CP-SAT model uses the same windows (window index
variables and element constraints, see ``scheduling.py``), so a plan and this module agree to
the minute.

:func:`weekly_calendar` builds the windows from weekly shifts, breaks, holidays and make-up
working days (调休), the shape of ``production.Calendar`` / ``Shift`` / ``ShiftBreak`` /
``CalendarDay``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta


class CalendarError(ValueError):
    """A calendar that cannot serve an operation (it ends too soon)."""


@dataclass(frozen=True)
class Calendar:
    """Working windows ``[start, end)`` in minutes from the plan's origin, sorted, disjoint."""

    code: str
    windows: tuple[tuple[int, int], ...]
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _cumulative: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        merged: list[tuple[int, int]] = []
        for start, end in sorted(self.windows):
            if end <= start:
                continue
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        object.__setattr__(self, "windows", tuple(merged))
        object.__setattr__(self, "_starts", tuple(start for start, _ in merged))
        cumulative = [0]
        for start, end in merged:
            cumulative.append(cumulative[-1] + end - start)
        object.__setattr__(self, "_cumulative", tuple(cumulative))

    @property
    def end(self) -> int:
        """The end of the last working window (nothing can be planned after it)."""
        return self.windows[-1][1] if self.windows else 0

    def window_of(self, minute: int) -> int | None:
        """Index of the window holding ``minute``, or None when it is time off."""
        k = bisect_right(self._starts, minute) - 1
        if k >= 0 and minute < self.windows[k][1]:
            return k
        return None

    def is_working(self, minute: int) -> bool:
        return self.window_of(minute) is not None

    def next_working(self, minute: int) -> int:
        """The first working minute at or after ``minute``."""
        k = bisect_right(self._starts, minute) - 1
        if k >= 0 and minute < self.windows[k][1]:
            return minute
        if k + 1 < len(self.windows):
            return self.windows[k + 1][0]
        raise CalendarError(f"calendar {self.code!r} has no working time after minute {minute}")

    def worked(self, minute: int) -> int:
        """Working minutes in ``[first window, minute)``: the working-time coordinate."""
        k = bisect_right(self._starts, minute) - 1
        if k < 0:
            return 0
        start, end = self.windows[k]
        return self._cumulative[k] + min(minute, end) - start

    def worked_between(self, start: int, end: int) -> int:
        return self.worked(end) - self.worked(start) if end > start else 0

    def at_worked(self, worked: int) -> int:
        """The earliest minute whose working-time coordinate is ``worked`` (inverse of worked)."""
        k = bisect_right(self._cumulative, worked) - 1
        if k >= len(self.windows):
            if worked == self._cumulative[-1] and self.windows:
                return self.windows[-1][1]
            raise CalendarError(f"calendar {self.code!r} ends before {worked} working minutes")
        return self.windows[k][0] + worked - self._cumulative[k]

    def finish(self, start: int, duration: int) -> int:
        """The end of ``duration`` working minutes begun at ``start`` (pausing over time off).

        The end is the end of the last worked minute, so it never falls at the start of a later
        window: 8 hours begun at 08:00 of a day with a 12:00-13:00 break end at 17:00.
        """
        if duration <= 0:
            return start
        target = self.worked(start) + duration
        if target > self._cumulative[-1]:
            raise CalendarError(
                f"calendar {self.code!r} ends before {duration} working minutes from minute "
                f"{start}: extend the calendar"
            )
        k = bisect_right(self._cumulative, target - 1) - 1
        return self.windows[k][0] + target - self._cumulative[k]

    def start_for(self, end: int, duration: int) -> int:
        """The latest start whose ``duration`` working minutes end by ``end``."""
        target = self.worked(end) - duration
        if target < 0:
            raise CalendarError(f"calendar {self.code!r} has no working time before {end}")
        return self.at_worked(target)

    def working_minutes(self, start: int, end: int) -> int:
        """Capacity of one machine in ``[start, end)``, in minutes."""
        return self.worked_between(start, end)

    def restricted(self, horizon: int) -> Calendar:
        """The windows up to ``horizon`` (the model's tables need no more)."""
        windows = tuple((s, min(e, horizon)) for s, e in self.windows if s < horizon)
        return Calendar(self.code, windows)


def always(code: str, horizon: int) -> Calendar:
    """A calendar that works every minute (a job-shop machine, an outside supplier)."""
    return Calendar(code, ((0, horizon),))


Clock = tuple[time, time]


@dataclass(frozen=True)
class Shift:
    """A weekly shift (weekday 0 = Monday) with its breaks; it may run past midnight."""

    weekday: int
    start: time
    end: time
    breaks: tuple[Clock, ...] = ()


def weekly_calendar(
    code: str,
    *,
    origin: datetime,
    days: int,
    shifts: Sequence[Shift],
    holidays: Collection[date] = (),
    workdays: Mapping[date, int] | None = None,
) -> Calendar:
    """Working windows for ``days`` days from ``origin``'s local date.

    ``origin`` is aware; shift times are read in its time zone. A holiday has no shifts; a
    make-up working day (``workdays``: date -> weekday it works like, 调休) has that weekday's
    shifts. Breaks are cut out of the shift they belong to.
    """
    if origin.tzinfo is None:
        raise ValueError("origin: must be an aware datetime")
    zone = origin.tzinfo
    workdays = workdays or {}
    by_weekday: dict[int, list[Shift]] = {}
    for shift in shifts:
        by_weekday.setdefault(shift.weekday, []).append(shift)
    first_day = origin.date()
    windows: list[tuple[int, int]] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if day in holidays:
            continue
        weekday = workdays.get(day, day.weekday())
        for shift in by_weekday.get(weekday, ()):
            begin = _minutes(origin, day, shift.start, zone)
            end_day = day if shift.end > shift.start else day + timedelta(days=1)
            finish = _minutes(origin, end_day, shift.end, zone)
            cuts = []
            for break_start, break_end in shift.breaks:
                b_day = day if break_start >= shift.start else day + timedelta(days=1)
                b_end_day = b_day if break_end > break_start else b_day + timedelta(days=1)
                cuts.append(
                    (
                        _minutes(origin, b_day, break_start, zone),
                        _minutes(origin, b_end_day, break_end, zone),
                    )
                )
            windows.extend(_cut(begin, finish, cuts))
    windows = [(max(0, s), e) for s, e in windows if e > 0]
    return Calendar(code, tuple(windows))


def _minutes(origin: datetime, day: date, clock: time, zone: object) -> int:
    moment = datetime.combine(day, clock, tzinfo=zone)  # type: ignore[arg-type]
    return int((moment - origin).total_seconds() // 60)


def _cut(start: int, end: int, cuts: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces = [(start, end)]
    for cut_start, cut_end in cuts:
        next_pieces = []
        for s, e in pieces:
            if cut_end <= s or cut_start >= e:
                next_pieces.append((s, e))
                continue
            if s < cut_start:
                next_pieces.append((s, cut_start))
            if cut_end < e:
                next_pieces.append((cut_end, e))
        pieces = next_pieces
    return pieces
