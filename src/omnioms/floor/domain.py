"""Pure rules of the shop floor: which report may follow which, how much may be reported,
the BOM standard for a quantity, the projected finish. No ORM here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

# Which report may follow an operation's status (planning's OperationStatus values).
ALLOWED = {
    "start": {"waiting"},
    "pause": {"running"},
    "resume": {"paused"},
    "output": {"running"},
    "finish": {"running", "paused"},
}
AFTER = {
    "start": "running",
    "pause": "paused",
    "resume": "running",
    "output": "running",
    "finish": "done",
}
FUTURE_SLACK = timedelta(minutes=5)
"""A report may carry a time this far past the server's clock (tablets' clocks drift)."""


class FloorError(ValueError):
    """Input the floor refuses, changing nothing; ``field`` names what is wrong.

    ``conflict``: the input is well formed but contradicts the record (409 on the API)."""

    def __init__(self, field: str, message: str, *, conflict: bool = False) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.conflict = conflict


@dataclass(frozen=True)
class Record:
    """What is known of an operation when a report arrives."""

    status: str
    good: int
    scrap: int
    last_at: datetime | None
    available: int
    """Units that reached this operation: the previous operation's good, or the order's
    quantity for the first."""
    source: str
    """What ``available`` came from, for the message."""


def check_report(
    record: Record, *, kind: str, at: datetime, good: int, scrap: int, now: datetime
) -> None:
    """Raise :class:`FloorError` when the report contradicts the record."""
    if kind not in ALLOWED:
        raise FloorError("kind", _("%(kind)r is not a report kind") % {"kind": kind})
    if record.status not in ALLOWED[kind]:
        raise FloorError(
            "kind",
            _("cannot %(kind)s an operation that is %(status)s")
            % {"kind": kind, "status": record.status},
            conflict=True,
        )
    if at > now + FUTURE_SLACK:
        raise FloorError("at", _("%(at)s is in the future") % {"at": at.isoformat()})
    if record.last_at is not None and at < record.last_at:
        raise FloorError(
            "at",
            _("%(at)s is before the operation's last report at %(last)s")
            % {"at": at.isoformat(), "last": record.last_at.isoformat()},
            conflict=True,
        )
    if kind not in ("output", "finish") and (good or scrap):
        raise FloorError("good", _("quantities are reported with output or finish"))
    total = record.good + record.scrap + good + scrap
    if total > record.available:
        raise FloorError(
            "good",
            _(
                "more finished than started: %(total)s good and scrap in all, but only "
                "%(available)s came from %(source)s"
            )
            % {"total": total, "available": record.available, "source": record.source},
            conflict=True,
        )


def standard_steps(quantity_per: Decimal, scrap_factor: Decimal, good: int, scale: Decimal) -> int:
    """Ledger steps of a material the BOM allows for ``good`` units (its scrap factor
    included), rounded half up."""
    if good <= 0:
        return 0
    exact = quantity_per * (1 + scrap_factor) * good * scale
    return int(exact.to_integral_value(ROUND_HALF_UP))


def variance_percent(issued: Decimal, standard: Decimal) -> Decimal | None:
    """Issued above (positive) or below the standard, in per cent of the standard."""
    if standard == 0:
        return None if issued == 0 else Decimal(100)
    return ((issued - standard) / standard * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def projected_finish(
    *,
    now: datetime,
    planned_finish: datetime | None,
    remaining_units: int,
    seconds_per_unit: Decimal,
    started: bool,
) -> datetime | None:
    """When the work left will be done at the planned rate: no earlier than the plan says,
    and no earlier than now plus the remaining run time."""
    if remaining_units <= 0:
        return None
    remaining = timedelta(seconds=float(seconds_per_unit * remaining_units))
    rest = now + remaining
    if planned_finish is None:
        return rest
    return (
        max(planned_finish, rest)
        if started or now > planned_finish - remaining
        else (planned_finish)
    )


@dataclass(frozen=True)
class ShiftSpan:
    """A shift of a calendar as the stamp needs it: weekday (0: Monday), start, end, name; a
    shift that ends at or before it starts runs past midnight."""

    weekday: int
    start: time
    end: time
    name: str


NO_SHIFT = "—"


def shift_at(shifts: list[ShiftSpan], at: datetime) -> str:
    """The name of the shift running at local ``at`` (its start time when unnamed), else
    :data:`NO_SHIFT`. A night shift that began the day before still runs after midnight."""
    weekday, moment = at.weekday(), at.time()
    for shift in shifts:
        overnight = shift.end <= shift.start
        if shift.weekday == weekday and (
            shift.start <= moment < shift.end or (overnight and moment >= shift.start)
        ):
            return shift.name or f"{shift.start:%H:%M}"
    for shift in shifts:
        if shift.weekday == (weekday - 1) % 7 and shift.end <= shift.start and moment < shift.end:
            return shift.name or f"{shift.start:%H:%M}"
    return NO_SHIFT


@dataclass(frozen=True)
class IntervalStamp:
    """What the KPI sums group by, derived once when an interval is written: its length, and
    the factory's local day, hour and shift at its start."""

    seconds: float
    local_day: date
    local_hour: int
    shift: str


def interval_stamp(
    start: datetime, end: datetime, zone: tzinfo, shifts: list[ShiftSpan]
) -> IntervalStamp:
    local = start.astimezone(zone)
    return IntervalStamp(
        seconds=max((end - start).total_seconds(), 0.0),
        local_day=local.date(),
        local_hour=local.hour,
        shift=shift_at(shifts, local)[:50],
    )
