"""Pure stock rules, no ORM: what an order needs, where it is fulfilled, what a channel may sell.

The reconcile in :mod:`omnioms.inventory.reservations` reads rows, calls these functions with
plain data and writes what they return, so the rules are tested without a database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from omnioms.core.choices import OrderStatus

Pair = tuple[int, int]
"""(SKU id, location id)."""

STOCK_LIMIT = 2_147_483_647
"""The most of one SKU at one location (on hand), of one movement, and of one SKU that one
order may want: what a PostgreSQL ``integer`` holds, and what platforms take as a quantity.
Every other stored figure is bounded by these (``docs/decisions.md``, "Stock figures")."""

NO_PUSH_PLATFORMS = frozenset({"pos_csv", "manual", "csv"})
"""Platforms with no API to tell what may be sold (store exports, staff entry, spreadsheets)."""


@dataclass(frozen=True)
class Rule:
    """One account's stock rule, with the defaults filled in (see ``ChannelStockRule``)."""

    account_id: int
    reserve_on: str = "paid"
    locations: tuple[int, ...] = ()
    """Allowed locations, first choice first."""
    nearest_by_province: bool = False
    split_allowed: bool = False
    buffer: int = 0
    share_percent: int = 100
    cap: int | None = None
    push_enabled: bool = True
    tracks_from: datetime | None = None
    store_location: int | None = None
    """A store's POS account: its sales take stock from this store the moment they arrive."""


class Phase(StrEnum):
    IGNORE = "ignore"
    """Placed before stock was tracked for the account: touch nothing."""
    HOLD_NOTHING = "hold_nothing"
    RESERVE = "reserve"
    CONSUME = "consume"
    STORE_SALE = "store_sale"
    STORE_RETURN = "store_return"


_RESERVING = {OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED}
_GONE = {OrderStatus.SHIPPED, OrderStatus.COMPLETED}
_SOLD_AT_STORE = {*_RESERVING, *_GONE, OrderStatus.REFUNDED}


def phase_for(status: str, rule: Rule, *, placed_at: datetime, paid_at: datetime | None) -> Phase:
    """What stock an order in ``status`` should hold or have taken under ``rule``.

    Partially shipped orders keep the reservation of what is left; the units staff recorded as
    shipped (per line) leave stock at once (``Needs.shipped``; channels report no per-line
    shipments, so an order the channel calls partially shipped keeps all of it reserved until it
    ships whole). A refund after shipment leaves the shipped stock out; goods that
    come back are a return (``record_return``).
    """
    if rule.tracks_from is not None and placed_at < rule.tracks_from:
        return Phase.IGNORE
    if rule.store_location is not None:
        if status == OrderStatus.REFUNDED and paid_at is None:
            return Phase.STORE_RETURN  # a return document: refund rows only (pos_csv adapter)
        return Phase.STORE_SALE if status in _SOLD_AT_STORE else Phase.HOLD_NOTHING
    if status in _RESERVING or (
        status == OrderStatus.PENDING_PAYMENT and rule.reserve_on == "created"
    ):
        return Phase.RESERVE
    if status in _GONE:
        return Phase.CONSUME
    return Phase.HOLD_NOTHING


@dataclass(frozen=True)
class LineRow:
    sku_id: int | None
    quantity: int
    refunded: int
    components: tuple[tuple[int | None, int], ...] = ()
    """(SKU id, quantity per bundle) the channel sent for a bundle line."""
    shipped: int = 0
    """Units staff recorded as shipped in a partial shipment (``OrderLine.shipped_quantity``)."""


@dataclass
class Needs:
    net: dict[int, int] = field(default_factory=dict)
    """Units per SKU the order still wants: quantity minus refunded, bundles as components."""
    refunded: dict[int, int] = field(default_factory=dict)
    shipped: dict[int, int] = field(default_factory=dict)
    """Units per SKU already shipped in part (never more than ``net``): taken out of stock while
    the rest of the order stays reserved."""
    unmapped: int = 0
    """Lines (or bundle parts) with no SKU in the catalogue: they reserve nothing."""


def order_needs(lines: Iterable[LineRow], bundles: dict[int, list[tuple[int, int]]]) -> Needs:
    """Units per SKU an order's lines call for.

    A bundle line reserves its parts: those the channel sent with the line, else the catalogue's
    bundle components. A line or part without a SKU is counted in ``unmapped`` (once per line).
    """
    net: dict[int, int] = defaultdict(int)
    refunded: dict[int, int] = defaultdict(int)
    shipped: dict[int, int] = defaultdict(int)
    unmapped = 0
    for line in lines:
        parts: Sequence[tuple[int | None, int]]
        if line.components:
            parts = line.components
        elif line.sku_id is None:
            unmapped += 1
            continue
        else:
            parts = bundles.get(line.sku_id) or [(line.sku_id, 1)]
        if any(sku is None for sku, _ in parts):
            unmapped += 1
        for sku, per in parts:
            if sku is None:
                continue
            if line.quantity > line.refunded:
                net[sku] += (line.quantity - line.refunded) * per
            if line.refunded:
                refunded[sku] += line.refunded * per
            out = min(line.shipped, max(0, line.quantity - line.refunded))
            if out:
                shipped[sku] += out * per
    return Needs(net=dict(net), refunded=dict(refunded), shipped=dict(shipped), unmapped=unmapped)


def candidate_locations(rule: Rule, province: str | None, provinces: dict[int, str]) -> list[int]:
    """The rule's locations in the order they are tried: the buyer's province first when the
    rule says so, then by priority."""
    locations = list(rule.locations)
    if rule.nearest_by_province and province:
        near = [loc for loc in locations if provinces.get(loc) == province]
        locations = near + [loc for loc in locations if loc not in near]
    return locations


@dataclass(frozen=True)
class Short:
    sku_id: int
    location_id: int | None
    """None when the order may be split: short across all its locations together."""
    wanted: int
    available: int


@dataclass
class StockView:
    """Available (``on_hand - reserved - safety``) and free (``on_hand - reserved``) per pair,
    as read; the planner updates it as it allocates, order by order."""

    available: dict[Pair, int] = field(default_factory=dict)
    free: dict[Pair, int] = field(default_factory=dict)

    def avail(self, pair: Pair) -> int:
        return self.available.get(pair, 0)

    def take(self, pair: Pair, quantity: int, *, holds: bool) -> None:
        self.available[pair] = self.avail(pair) - quantity
        self.free[pair] = self.free.get(pair, 0) - quantity
        if holds and self.available[pair] < 0:
            raise AssertionError("allocated more than available")  # the planner's own check

    def give(self, pair: Pair, quantity: int) -> None:
        self.available[pair] = self.avail(pair) + quantity
        self.free[pair] = self.free.get(pair, 0) + quantity


def allocate(
    wanted: dict[int, int], locations: Sequence[int], *, split: bool, stock: StockView
) -> tuple[dict[Pair, int], list[Short]]:
    """Reserve all of ``wanted`` or nothing; return the allocation or what is short.

    Without ``split`` the whole order comes from the first location that has all of it; when
    none has, the shortage is reported against the first-choice location. With ``split`` each
    SKU is filled from the locations in order. ``stock`` is updated on success only.
    """
    wanted = {sku: qty for sku, qty in wanted.items() if qty > 0}
    if not wanted:
        return {}, []
    if not locations:
        return {}, [Short(sku, None, qty, 0) for sku, qty in sorted(wanted.items())]
    if not split:
        for loc in locations:
            if all(stock.avail((sku, loc)) >= qty for sku, qty in wanted.items()):
                whole = {(sku, loc): qty for sku, qty in wanted.items()}
                for pair, qty in whole.items():
                    stock.take(pair, qty, holds=True)
                return whole, []
        first = locations[0]
        return {}, [
            Short(sku, first, qty, max(0, stock.avail((sku, first))))
            for sku, qty in sorted(wanted.items())
            if stock.avail((sku, first)) < qty
        ]
    plan: dict[Pair, int] = {}
    shorts: list[Short] = []
    for sku, qty in sorted(wanted.items()):
        total = sum(max(0, stock.avail((sku, loc))) for loc in locations)
        if total < qty:
            where = locations[0] if len(locations) == 1 else None
            shorts.append(Short(sku, where, qty, min(total, STOCK_LIMIT)))
            continue
        left = qty
        for loc in locations:
            take = min(left, max(0, stock.avail((sku, loc))))
            if take:
                plan[(sku, loc)] = take
                left -= take
            if not left:
                break
    if shorts:
        return {}, shorts
    for pair, qty in plan.items():
        stock.take(pair, qty, holds=True)
    return plan, []


def take_free(
    sku: int, quantity: int, locations: Sequence[int], stock: StockView
) -> tuple[dict[int, int], int]:
    """Take units that already left (a shipment never reserved, a store sale) from free stock,
    in location order; return what each location gave and how many the record lacked."""
    taken: dict[int, int] = {}
    left = quantity
    for loc in locations:
        take = min(left, max(0, stock.free.get((sku, loc), 0)))
        if take:
            stock.take((sku, loc), take, holds=False)
            taken[loc] = take
            left -= take
        if not left:
            break
    return taken, left


def channel_quantity(available: Iterable[int], rule: Rule) -> int:
    """What a channel may sell: available at its locations, less the buffer, times its share,
    at most the cap. Never negative, and never more than :data:`STOCK_LIMIT` (several full
    locations add up past what the figure's column and the platforms hold)."""
    total = sum(max(0, value) for value in available)
    quantity = min(max(0, total - rule.buffer) * rule.share_percent // 100, STOCK_LIMIT)
    return quantity if rule.cap is None else min(quantity, rule.cap)


def bundle_available(
    parts: Sequence[tuple[int, int]], available: dict[Pair, int], location: int
) -> int:
    """Bundles one location can make from its parts' available stock."""
    if not parts:
        return 0
    return min(max(0, available.get((sku, location), 0)) // per for sku, per in parts)


def promise_date(
    *,
    today: date,
    available: int,
    ahead: int,
    wanted: int,
    supply: Iterable[tuple[date, int]],
) -> date | None:
    """The first day supply covers ``wanted`` after the backorders ``ahead`` of this one.

    ``supply`` is incoming receipts and planned production with their dates; past dates count
    as today (late, still expected). None when nothing known covers it.
    """
    covered = available - ahead
    if covered >= wanted:
        return today
    for when, quantity in sorted(supply):
        covered += quantity
        if covered >= wanted:
            return max(when, today)
    return None


@dataclass
class Timeline:
    """Available to promise over time for one SKU: a running figure at each supply date."""

    points: list[tuple[date, int]]


def atp_timeline(
    *, today: date, available: int, backordered: int, supply: Iterable[tuple[date, int]]
) -> Timeline:
    running = available - backordered
    points = [(today, running)]
    for when, quantity in sorted(supply):
        running += quantity
        day = max(when, today)
        if points[-1][0] == day:
            points[-1] = (day, running)
        else:
            points.append((day, running))
    return Timeline(points)
