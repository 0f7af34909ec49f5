"""Schedule adherence: the share of operations that ran when the published plan said.

An operation **started on time** when it started within ``tolerance`` of its planned start,
early or late (starting early also upsets the plan: it takes a machine or material another
operation was counting on), and **finished on time** likewise against its planned end. It
**adhered** when it did both.

    schedule adherence = operations that adhered / operations judged

An operation is judged once its outcome is known: when it has finished, or when ``as_of`` is
past its planned end plus the tolerance (an operation not finished by then has missed, whether
it started or not). Without ``as_of`` every operation is judged. The start and finish shares
are reported beside the combined one, over the same operations.

Forecast accuracy is measured by the forecasting engine, not here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from omnioms.kpi.common import K, KpiInputError, fraction, grouped, is_aware, ratio, reached

TOLERANCE = timedelta(minutes=30)
ADHERENCE_TARGET = Decimal("0.90")


@dataclass(frozen=True)
class OperationTimes:
    """An operation's planned start and end (from the published plan) and what happened."""

    operation_id: str
    planned_start: datetime
    planned_end: datetime
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.operation_id:
            raise KpiInputError("operation_id", "is empty")
        for name in ("planned_start", "planned_end", "actual_start", "actual_end"):
            moment = getattr(self, name)
            if moment is None and name.startswith("actual"):
                continue
            if not isinstance(moment, datetime) or not is_aware(moment):
                raise KpiInputError(name, "is not a time with a time zone")
        if self.planned_end < self.planned_start:
            raise KpiInputError("planned_end", "is before the planned start")
        if self.actual_end is not None:
            if self.actual_start is None:
                raise KpiInputError("actual_start", "is missing for a finished operation")
            if self.actual_end < self.actual_start:
                raise KpiInputError("actual_end", "is before the actual start")


@dataclass(frozen=True)
class AdherenceFigures:
    """Counts over the judged operations, the shares, and the target's verdict on adherence.

    ``missed`` names the judged operations that did not adhere, in the order given;
    ``not_due`` counts those not judged yet.
    """

    operations: int
    started_on_time: int
    finished_on_time: int
    adhered: int
    start_adherence: Decimal | None
    finish_adherence: Decimal | None
    adherence: Decimal | None
    tolerance: timedelta
    target: Decimal
    met: bool | None
    missed: tuple[str, ...]
    not_due: int


def _within(actual: datetime | None, planned: datetime, tolerance: timedelta) -> bool:
    return actual is not None and abs(actual - planned) <= tolerance


def _figures(
    operations: Sequence[OperationTimes],
    tolerance: timedelta,
    as_of: datetime | None,
    target: Decimal,
) -> AdherenceFigures:
    judged = started = finished = adhered = not_due = 0
    missed = []
    for operation in operations:
        due = as_of is None or as_of > operation.planned_end + tolerance
        if operation.actual_end is None and not due:
            not_due += 1
            continue
        judged += 1
        start_ok = _within(operation.actual_start, operation.planned_start, tolerance)
        end_ok = _within(operation.actual_end, operation.planned_end, tolerance)
        started += start_ok
        finished += end_ok
        if start_ok and end_ok:
            adhered += 1
        else:
            missed.append(operation.operation_id)
    adherence = ratio(adhered, judged)
    return AdherenceFigures(
        operations=judged,
        started_on_time=started,
        finished_on_time=finished,
        adhered=adhered,
        start_adherence=ratio(started, judged),
        finish_adherence=ratio(finished, judged),
        adherence=adherence,
        tolerance=tolerance,
        target=target,
        met=reached(adherence, target),
        missed=tuple(missed),
        not_due=not_due,
    )


def _checked(tolerance: timedelta, as_of: datetime | None) -> None:
    if tolerance < timedelta(0):
        raise KpiInputError("tolerance", "is negative")
    if as_of is not None and not is_aware(as_of):
        raise KpiInputError("as_of", "is not a time with a time zone")


def schedule_adherence(
    operations: Sequence[OperationTimes],
    *,
    tolerance: timedelta = TOLERANCE,
    as_of: datetime | None = None,
    target: Decimal = ADHERENCE_TARGET,
) -> AdherenceFigures:
    """Schedule adherence of all the operations together."""
    target = fraction(target, "target")
    _checked(tolerance, as_of)
    return _figures(operations, tolerance, as_of, target)


def schedule_adherence_by(
    operations: Sequence[OperationTimes],
    key: Callable[[OperationTimes], K],
    *,
    tolerance: timedelta = TOLERANCE,
    as_of: datetime | None = None,
    target: Decimal = ADHERENCE_TARGET,
) -> dict[K, AdherenceFigures]:
    """Schedule adherence per ``key(operation)`` (work centre, shift, day ...)."""
    target = fraction(target, "target")
    _checked(tolerance, as_of)
    return {
        group: _figures(members, tolerance, as_of, target)
        for group, members in grouped(operations, key).items()
    }
