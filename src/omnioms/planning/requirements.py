"""Net requirements (MRP), pure: what to make and buy, when, and why.

Level by level through the bills of materials (low-level codes, so a part used at several
depths is planned once, after every parent), day by day over the horizon:

    projected(d) = projected(d-1) + scheduled receipts(d) + planned receipts(d) - gross(d)

and whenever ``projected`` would fall below the safety stock a planned order is added, sized
to cover the net requirements of the item's cover days (a period order quantity), then by
the lot rules (minimum, multiple), and started its lead time earlier; a made SKU's planned
order then asks its components for what it consumes on its start day. Gross requirements of
an end item are its confirmed orders plus the forecast not yet consumed by orders of the same
week (the forecast is consumed, never added to orders). Every planned order keeps its pegging:
which orders, which forecast weeks, which parent orders and which safety stock it covers, so
"why this quantity" has an answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

from omnioms.production.domain import BomItem, low_level_codes

ZERO = Decimal(0)


@dataclass(frozen=True)
class Item:
    """How one SKU is supplied."""

    code: str
    made: bool
    lead_time_days: int
    on_hand: Decimal = ZERO
    """Free stock now: on hand less what is reserved for orders already counted as supply used."""
    safety_stock: Decimal = ZERO
    min_lot: Decimal = ZERO
    multiple: Decimal = ZERO
    step: Decimal = Decimal(1)
    """The smallest quantity the ledger counts (1 piece; 0.01 m): orders are rounded up to it."""
    cover_days: int = 1
    """Days of net requirements one planned order covers (a period order quantity): 7 makes
    a week's garments in one batch instead of a small order every day; 1 is lot for lot."""


@dataclass(frozen=True)
class Demand:
    """A gross requirement: a confirmed order's line, or a forecast figure."""

    sku: str
    day: date
    quantity: Decimal
    source: str
    """``order:<id>`` or ``forecast``; forecast is consumed by orders of the same ISO week."""


@dataclass(frozen=True)
class Receipt:
    """Supply already on its way: an open purchase (IncomingStock) or production (PlannedOutput)."""

    sku: str
    day: date
    quantity: Decimal
    source: str


@dataclass
class Peg:
    source: str
    """``order:<id>``, ``forecast:<YYYY-Www>``, ``planned:<n>`` (a parent's planned order) or
    ``safety``."""
    day: date
    quantity: Decimal


@dataclass
class PlannedOrder:
    number: int
    sku: str
    made: bool
    quantity: Decimal
    start: date
    due: date
    pegs: list[Peg] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "make" if self.made else "buy"


@dataclass
class Projection:
    """One SKU's day-by-day figures, for the "why" page."""

    sku: str
    days: list[date]
    gross: list[Decimal]
    receipts: list[Decimal]
    planned: list[Decimal]
    projected: list[Decimal]


@dataclass
class Plan:
    orders: list[PlannedOrder]
    projections: dict[str, Projection]
    late: list[PlannedOrder]
    """Planned orders that would have to start before today: the due date is at risk."""


def consume_forecast(demands: Sequence[Demand]) -> list[Demand]:
    """Orders consume the forecast of their SKU and ISO week: what is left of the forecast is
    spread over its days in proportion, orders stay as they are."""
    ordered: dict[tuple[str, tuple[int, int]], Decimal] = defaultdict(Decimal)
    for d in demands:
        if not d.source.startswith("forecast"):
            ordered[(d.sku, d.day.isocalendar()[:2])] += d.quantity
    forecast: dict[tuple[str, tuple[int, int]], list[Demand]] = defaultdict(list)
    out = [d for d in demands if not d.source.startswith("forecast")]
    for d in demands:
        if d.source.startswith("forecast"):
            forecast[(d.sku, d.day.isocalendar()[:2])].append(d)
    for key, days in forecast.items():
        total = sum((d.quantity for d in days), ZERO)
        left = max(ZERO, total - ordered.get(key, ZERO))
        if total <= 0 or left <= 0:
            continue
        week = f"forecast:{key[1][0]}-W{key[1][1]:02d}"
        for d in days:
            out.append(Demand(d.sku, d.day, d.quantity * left / total, week))
    return out


def plan_requirements(
    items: Mapping[str, Item],
    boms: Mapping[str, Sequence[BomItem]],
    demands: Sequence[Demand],
    receipts: Sequence[Receipt],
    *,
    today: date,
    horizon_days: int,
) -> Plan:
    """Planned orders for every SKU from ``today`` over ``horizon_days``.

    ``demands`` are the end items' orders and forecast (consumed here); dependent demand of
    components comes from the planned orders of their parents. SKUs missing from ``items``
    are treated as bought with no lead time and no stock.
    """
    days = [today + timedelta(days=n) for n in range(horizon_days)]
    index = {day: n for n, day in enumerate(days)}
    last = days[-1]

    def at(day: date) -> int:
        return index[min(max(day, today), last)]

    levels = low_level_codes(boms)
    codes = set(items) | set(levels) | {d.sku for d in demands} | {r.sku for r in receipts}
    order_of = sorted(codes, key=lambda c: (levels.get(c, 0), c))

    gross: dict[str, list[list[Peg]]] = {code: [[] for _ in days] for code in codes}
    for d in consume_forecast(demands):
        gross[d.sku][at(d.day)].append(Peg(d.source, d.day, d.quantity))
    scheduled: dict[str, list[list[Receipt]]] = {code: [[] for _ in days] for code in codes}
    for r in receipts:
        scheduled[r.sku][at(r.day)].append(r)

    planned: list[PlannedOrder] = []
    projections: dict[str, Projection] = {}
    for code in order_of:
        item = items.get(code) or Item(code=code, made=code in boms, lead_time_days=0)
        on_hand = item.on_hand
        gross_row = [sum((p.quantity for p in pegs), ZERO) for pegs in gross[code]]
        receipt_row = [sum((r.quantity for r in rs), ZERO) for rs in scheduled[code]]
        planned_row = [ZERO] * len(days)
        projected_row: list[Decimal] = []
        mine: list[PlannedOrder] = []
        for n, day in enumerate(days):
            on_hand += receipt_row[n] - gross_row[n]
            if on_hand < item.safety_stock:
                quantity = _lot(_short_over_cover(item, on_hand, n, gross_row, receipt_row), item)
                start = day - timedelta(days=item.lead_time_days)
                order = PlannedOrder(len(planned) + 1, code, item.made, quantity, start, day)
                planned.append(order)
                mine.append(order)
                planned_row[n] += quantity
                on_hand += quantity
                for part in boms.get(code, ()) if item.made else ():
                    gross[part.component][at(start)].append(
                        Peg(f"planned:{order.number}", start, quantity * part.gross_per)
                    )
            projected_row.append(on_hand)
        _peg(item, gross[code], scheduled[code], mine, days)
        projections[code] = Projection(
            code, days, gross_row, receipt_row, planned_row, projected_row
        )
    late = [order for order in planned if order.start < today]
    return Plan(planned, projections, late)


def _short_over_cover(
    item: Item, on_hand: Decimal, n: int, gross: list[Decimal], receipts: list[Decimal]
) -> Decimal:
    """What keeps the projection at the safety stock from day ``n`` through the order's cover."""
    short = item.safety_stock - on_hand
    projected = on_hand
    for k in range(n + 1, min(n + max(item.cover_days, 1), len(gross))):
        projected += receipts[k] - gross[k]
        short = max(short, item.safety_stock - projected)
    return short


def _lot(short: Decimal, item: Item) -> Decimal:
    quantity = max(short, item.min_lot)
    if item.multiple > 0:
        quantity = (quantity / item.multiple).to_integral_value(ROUND_CEILING) * item.multiple
    return (quantity / item.step).to_integral_value(ROUND_CEILING) * item.step


@dataclass
class _Supply:
    day: date
    left: Decimal
    order: PlannedOrder | None
    """None: stock on hand or a scheduled receipt."""


def _peg(
    item: Item,
    requirements: list[list[Peg]],
    receipts: list[list[Receipt]],
    orders: list[PlannedOrder],
    days: list[date],
) -> None:
    """Match requirements to supply first in, first out (stock now, then receipts and planned
    orders by day; a supply serves requirements on or after its day) and write on each planned
    order what it covers; what is left of it refills the safety stock or is lot rounding."""
    by_day: dict[date, list[PlannedOrder]] = defaultdict(list)
    for order in orders:
        by_day[order.due].append(order)
    supply = [_Supply(days[0], item.on_hand, None)]
    for n, day in enumerate(days):
        supply.extend(_Supply(day, r.quantity, None) for r in receipts[n])
        supply.extend(_Supply(day, o.quantity, o) for o in by_day.get(day, []))
    supply = [s for s in supply if s.left > 0]
    cursor = 0
    for pegs in requirements:
        for need in pegs:
            wanted = need.quantity
            while (
                wanted > 0 and cursor < len(supply) and supply[cursor].day <= max(need.day, days[0])
            ):
                current = supply[cursor]
                take = min(wanted, current.left)
                if current.order is not None:
                    current.order.pegs.append(Peg(need.source, need.day, take))
                current.left -= take
                wanted -= take
                if current.left <= 0:
                    cursor += 1
    for order in orders:
        rest = order.quantity - sum((p.quantity for p in order.pegs), ZERO)
        refill = min(rest, item.safety_stock)
        if refill > 0:
            order.pegs.append(Peg("safety", order.due, refill))
        if rest - refill > 0:
            order.pegs.append(Peg("lot", order.due, rest - refill))
