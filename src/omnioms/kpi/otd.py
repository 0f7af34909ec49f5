"""On-time delivery as SCOR RL.2.2: order lines delivered in full, on time.

A line is **on time** when the quantities delivered to the customer no later than its commit
date add up to at least its quantity: several partial deliveries that are all in by the commit
date count, a line short on the commit date is missed even when the rest arrives a day later,
and a line never delivered is missed. Over-delivery is still in full (a quantity tolerance is a
business rule for the order, not for this measure). Dates are days: a delivery on the commit
date is on time.

* The commit date is the one **in force**: a date moved by agreement with the customer is
  measured from the new date, so callers pass the agreed date, not the first promise.
* Lines the **customer cancelled** are left out (neither on time nor missed); a line the
  seller failed to deliver is not "cancelled" and stays in.
* With ``as_of`` (the day of measuring), lines whose commit date is ``as_of`` or later are not
  judged yet and are left out, delivered or not, so a period's figure does not change its mind
  about early deliveries; without it every line is judged.

    OTD = lines on time / lines judged        (None when no line is judged)

By channel, customer, product or period: :func:`otd_by` with a key over the line, usually
over its ``tags`` (``key=lambda line: line.tags["channel"]``, or
``key=lambda line: line.commit_date.strftime("%Y-%m")`` for the month the line was due).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from omnioms.kpi.common import K, KpiInputError, fraction, grouped, ratio, reached

OTD_TARGET = Decimal("0.95")


@dataclass(frozen=True)
class Delivery:
    """``quantity`` units of a line delivered to the customer on the day ``on``."""

    on: date
    quantity: int

    def __post_init__(self) -> None:
        if not isinstance(self.on, date) or isinstance(self.on, datetime):
            raise KpiInputError("delivered_on", f"{self.on!r} is not a date")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise KpiInputError("delivered_quantity", f"{self.quantity!r} is not a quantity")
        if self.quantity < 0:
            raise KpiInputError("delivered_quantity", f"{self.quantity} is negative")


@dataclass(frozen=True)
class OrderLine:
    """An order line with its commit date in force and every delivery made against it."""

    order_id: str
    line_id: str
    quantity: int
    commit_date: date
    deliveries: tuple[Delivery, ...] = ()
    cancelled_by_customer: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("order_id", "line_id"):
            if not getattr(self, name):
                raise KpiInputError(name, "is empty")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise KpiInputError("quantity", f"{self.quantity!r} is not a quantity")
        if self.quantity <= 0:
            raise KpiInputError("quantity", f"{self.quantity} is not more than 0")
        if not isinstance(self.commit_date, date) or isinstance(self.commit_date, datetime):
            raise KpiInputError("commit_date", f"{self.commit_date!r} is not a date")
        object.__setattr__(self, "deliveries", tuple(self.deliveries))

    def delivered_by(self, day: date) -> int:
        """Units delivered on or before ``day``."""
        return sum(delivery.quantity for delivery in self.deliveries if delivery.on <= day)

    @property
    def on_time(self) -> bool:
        """Delivered in full no later than the commit date."""
        return self.delivered_by(self.commit_date) >= self.quantity


@dataclass(frozen=True)
class OtdFigures:
    """``lines`` judged, ``on_time`` of them, their ratio and the target's verdict.

    ``missed`` names the judged lines that were not on time as ``(order_id, line_id)``, in the
    order given; ``cancelled`` and ``not_due`` count the lines left out and why.
    """

    lines: int
    on_time: int
    otd: Decimal | None
    target: Decimal
    met: bool | None
    missed: tuple[tuple[str, str], ...]
    cancelled: int
    not_due: int


def _check_unique(lines: Sequence[OrderLine]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for index, line in enumerate(lines):
        key = (line.order_id, line.line_id)
        if key in seen:
            raise KpiInputError(
                "line_id",
                f"line {line.line_id} of order {line.order_id} is also {{related}}",
                index=index,
                related=seen[key],
            )
        seen[key] = index


def _figures(lines: Sequence[OrderLine], target: Decimal, as_of: date | None) -> OtdFigures:
    judged = on_time = cancelled = not_due = 0
    missed = []
    for line in lines:
        if line.cancelled_by_customer:
            cancelled += 1
        elif as_of is not None and line.commit_date >= as_of:
            not_due += 1
        else:
            judged += 1
            if line.on_time:
                on_time += 1
            else:
                missed.append((line.order_id, line.line_id))
    otd = ratio(on_time, judged)
    return OtdFigures(
        lines=judged,
        on_time=on_time,
        otd=otd,
        target=target,
        met=reached(otd, target),
        missed=tuple(missed),
        cancelled=cancelled,
        not_due=not_due,
    )


def otd(
    lines: Sequence[OrderLine], *, target: Decimal = OTD_TARGET, as_of: date | None = None
) -> OtdFigures:
    """OTD of all the lines together. A line may appear once (``order_id``, ``line_id``)."""
    target = fraction(target, "target")
    _check_unique(lines)
    return _figures(lines, target, as_of)


def otd_by(
    lines: Sequence[OrderLine],
    key: Callable[[OrderLine], K],
    *,
    target: Decimal = OTD_TARGET,
    as_of: date | None = None,
) -> dict[K, OtdFigures]:
    """OTD per ``key(line)``, in the order keys first appear."""
    target = fraction(target, "target")
    _check_unique(lines)
    return {
        group: _figures(members, target, as_of) for group, members in grouped(lines, key).items()
    }
