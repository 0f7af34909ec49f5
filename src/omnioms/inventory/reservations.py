"""Reservations follow orders: bring each order's stock to what its lines and status call for.

:func:`apply_orders` is a desired-state reconcile. From an order's current lines (bundles as
their parts, quantity minus refunded) and status (under its account's stock rule) it computes
what the order should hold (``reserved``) or have taken (``consumed``, ``unbacked``,
``returned``), compares that with its ``Reservation`` rows and writes only the difference:
running it again for an unchanged order changes nothing, and the order lines being rewritten
does not matter because nothing points at them.

One batch of orders costs a fixed number of queries, however many orders it holds. Stock is
planned in Python against the balances as read, then written with guarded UPDATEs
(:mod:`omnioms.inventory.ledger`). On PostgreSQL the first try reads without locks; if the plan
leaves an order short, or another transaction took the stock meanwhile (a guard fails), the
batch is planned again under row locks taken in primary-key order, so what a backordered order
is told it lacks is exact. On SQLite the IMMEDIATE transaction already serialises writers.

Figures stay within :data:`~omnioms.inventory.domain.STOCK_LIMIT`: an order that wants more
than the limit of one SKU, or whose goods coming back would take a location past it, moves no
stock and becomes a backorder naming the SKU (the order itself is stored as the channel sent
it; nothing of it is lost, and a person sees it among the backorders).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from omnioms.catalog.models import BundleComponent
from omnioms.core.actor import Actor
from omnioms.core.bulk import new_rows
from omnioms.core.choices import OrderStatus
from omnioms.inventory.availability import queue_availability
from omnioms.inventory.domain import (
    STOCK_LIMIT,
    LineRow,
    Needs,
    Pair,
    Phase,
    Rule,
    Short,
    StockView,
    allocate,
    candidate_locations,
    order_needs,
    phase_for,
    take_free,
)
from omnioms.inventory.ledger import (
    GuardFailed,
    Movement,
    PairChange,
    in_clause,
    sku_costs,
    write_changes,
)
from omnioms.inventory.models import (
    MovementKind,
    OrderStock,
    OrderStockStatus,
    Reservation,
    StockBalance,
)
from omnioms.inventory.models import ReservationState as State
from omnioms.inventory.order_stock import write_orders
from omnioms.inventory.rules import routing_config
from omnioms.orders.effects import OrderChange
from omnioms.orders.models import Order, OrderLine, OrderLineComponent

_new_order_stock = new_rows(OrderStock)

Key = tuple[int, int, str]
"""(SKU id, location id, reservation state)."""


@dataclass
class _Intent:
    order: Order
    rule: Rule
    needs: Needs
    phase: Phase
    held: dict[Key, int]

    @property
    def province(self) -> str | None:
        ship_to = self.order.ship_to or {}
        return ship_to.get("province") if isinstance(ship_to, dict) else None

    @property
    def touches_stock(self) -> bool:
        if self.held:
            return True
        return self.phase not in (Phase.IGNORE, Phase.HOLD_NOTHING) and bool(
            self.needs.net or self.needs.refunded or self.needs.shipped
        )


@dataclass
class _Outcome:
    status: str
    holdings: dict[Key, int]
    shorts: list[Short] = field(default_factory=list)


@dataclass
class _Plan:
    changes: dict[Pair, PairChange]
    outcomes: dict[int, _Outcome]
    exact_needed: bool
    """Something was short or left unbacked: on PostgreSQL, plan again under locks."""


def follow_order_changes(changes: Sequence[OrderChange], actor: Actor) -> None:
    """The stock effect of every change to orders (:mod:`omnioms.orders.effects`)."""
    apply_orders([change.order for change in changes], actor=actor)


def apply_orders(orders: Sequence[Order], *, actor: Actor) -> None:
    """Bring the stock of ``orders`` (as just written) to what their lines and status call for.

    Call inside the transaction that wrote them, holding their rows (the upsert and
    ``change_order_status`` lock them), so that no other transaction changes their
    reservations meanwhile.
    """
    orders = [order for order in orders if order.pk is not None]
    if not orders:
        return
    ids = [order.pk for order in orders]
    config = routing_config()
    places: set[int] = set()
    for account_id in {order.account_id for order in orders}:
        rule = config.rule(account_id)
        places.update(rule.locations)
        if rule.store_location is not None:
            places.add(rule.store_location)
    lines, bundles, held, current, seen = _read(ids, sorted(places))
    intents = []
    for order in sorted(orders, key=lambda o: (o.placed_at, o.pk)):
        rule = config.rule(order.account_id)
        intents.append(
            _Intent(
                order=order,
                rule=rule,
                needs=order_needs(lines.get(order.pk, ()), bundles),
                phase=phase_for(
                    order.status, rule, placed_at=order.placed_at, paid_at=order.paid_at
                ),
                held={key: qty for key, (_, qty) in held.get(order.pk, {}).items()},
            )
        )
    if not any(intent.touches_stock for intent in intents):
        plan = _Plan({}, {i.order.pk: _Outcome(_status(i, []), {}) for i in intents}, False)
        write_orders(intents, plan, held, current, timezone.now())
        return
    pairs = _pairs(intents)
    elsewhere = {pair for pair in pairs if pair[1] not in places}  # held where no longer routed
    if elsewhere:
        seen.update(_balances(elsewhere, lock=False))
    locking = connection.vendor == "postgresql"
    # SQLite: the IMMEDIATE transaction holds the write lock, so what was read is exact.
    plan = _plan(intents, {pair: seen[pair] for pair in pairs if pair in seen})
    if locking and not plan.exact_needed:
        # Optimistic: the guards re-check every pair as it is written; if another
        # transaction took the stock meanwhile, the savepoint undoes this try and the batch
        # is planned again under locks.
        try:
            with transaction.atomic():
                _write(intents, plan, held, current, actor)
            return
        except GuardFailed:
            pass
    if locking:
        plan = _plan(intents, _balances(pairs, lock=True))
    _write(intents, plan, held, current, actor)


def _write(
    intents: list[_Intent],
    plan: _Plan,
    held: dict[int, dict[Key, tuple[int, int]]],
    current: dict[int, OrderStock],
    actor: Actor,
) -> None:
    """Order rows first, the balances last: a stock row stays locked from its UPDATE until
    the commit, so that is kept as short as it can be. The time of the change is taken here,
    after any wait for locks, a moment before the stock rows are written."""
    now = timezone.now()
    costs = sku_costs({pair[0] for pair, change in plan.changes.items() if change.movements})
    write_orders(intents, plan, held, current, now)
    moved = [pair for pair, change in plan.changes.items() if change.moves_available]
    if moved:
        queue_availability(moved, changed_at=now)
    write_changes(plan.changes, actor=actor, at=now, costs=costs)


# -- reading ---------------------------------------------------------------------------------


_LINES_SQL = (
    "SELECT l.order_id, l.id, l.sku_id, l.quantity, l.refunded_quantity, l.shipped_quantity,"  # noqa: S608
    " c.id, c.sku_id, c.quantity, b.id, b.component_id, b.quantity"
    f" FROM {OrderLine._meta.db_table} l"
    f" LEFT JOIN {OrderLineComponent._meta.db_table} c ON c.line_id = l.id"
    f" LEFT JOIN {BundleComponent._meta.db_table} b ON b.bundle_id = l.sku_id"
    " WHERE l.order_id {ids}"
)


def _parse_lines(
    rows: Iterable[Sequence[Any]],
) -> tuple[dict[int, list[LineRow]], dict[int, list[tuple[int, int]]]]:
    """Each order's lines with the parts the channel sent, and the catalogue's parts of every
    bundle SKU among them."""
    by_line: dict[
        int, tuple[int, int | None, int, int, int, dict[int, tuple[int | None, int]]]
    ] = {}
    bundles: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for order_id, line, sku, qty, refunded, shipped, c_id, c_sku, c_qty, b_id, b_sku, b_qty in rows:
        entry = by_line.setdefault(line, (order_id, sku, qty, refunded, shipped, {}))
        if c_id is not None:
            entry[5][c_id] = (c_sku, c_qty)
        if b_id is not None:
            bundles[sku][b_id] = (b_sku, b_qty)
    lines: dict[int, list[LineRow]] = defaultdict(list)
    for owner, line_sku, line_qty, line_refunded, line_shipped, parts in by_line.values():
        lines[owner].append(
            LineRow(
                line_sku,
                line_qty,
                line_refunded,
                tuple(parts[k] for k in sorted(parts)),
                shipped=line_shipped,
            )
        )
    return lines, {sku: [parts[k] for k in sorted(parts)] for sku, parts in bundles.items()}


_HOLDINGS_SQL = (
    "SELECT 'r', order_id, id, sku_id, location_id, state, quantity, NULL"  # noqa: S608
    f" FROM {Reservation._meta.db_table} WHERE order_id {{ids}}"
    " UNION ALL"
    " SELECT 's', order_id, NULL, NULL, NULL, status, unmapped_lines, promise_date"
    f" FROM {OrderStock._meta.db_table} WHERE order_id {{ids}}"
)


def _parse_holdings(
    rows: Iterable[Sequence[Any]],
) -> tuple[dict[int, dict[Key, tuple[int, int]]], dict[int, OrderStock]]:
    """Per order: (SKU, location, state) -> (row id, quantity); and its stock status row."""
    held: dict[int, dict[Key, tuple[int, int]]] = defaultdict(dict)
    current: dict[int, OrderStock] = {}
    for kind, order_id, pk, sku, location, state, quantity, promise in rows:
        if kind == "r":
            held[order_id][(sku, location, state)] = (pk, quantity)
        else:
            if isinstance(promise, str):  # SQLite hands dates back as text
                promise = date.fromisoformat(promise)
            current[order_id] = _new_order_stock(
                order_id=order_id, status=state, unmapped_lines=quantity, promise_date=promise
            )
    return held, current


def _read(
    order_ids: list[int], locations: list[int]
) -> tuple[
    dict[int, list[LineRow]],
    dict[int, list[tuple[int, int]]],
    dict[int, dict[Key, tuple[int, int]]],
    dict[int, OrderStock],
    dict[Pair, _Balance],
]:
    """Everything the reconcile reads, in three queries that do not depend on each other's
    answers: lines with their parts, what the orders hold with their stock status, and the
    balances of their SKUs at ``locations`` (not locked)."""
    where, params = in_clause(order_ids)
    at, location_params = in_clause(locations or [0])
    with connection.cursor() as cursor:
        cursor.execute(_LINES_SQL.format(ids=where), params)
        lines, bundles = _parse_lines(cursor.fetchall())
        cursor.execute(_HOLDINGS_SQL.format(ids=where), params * 2)
        held, current = _parse_holdings(cursor.fetchall())
        cursor.execute(
            _BALANCES_OF_ORDERS_SQL.format(ids=where, at=at), location_params + params * 4
        )
        seen = _parse_balances(cursor.fetchall())
    return lines, bundles, held, current, seen


def _pairs(intents: list[_Intent]) -> set[Pair]:
    pairs: set[Pair] = set()
    for intent in intents:
        pairs.update((sku, loc) for sku, loc, _ in intent.held)
        if intent.phase in (Phase.IGNORE, Phase.HOLD_NOTHING):
            continue
        locations = set(intent.rule.locations)
        if intent.rule.store_location is not None:
            locations.add(intent.rule.store_location)
        for sku in {*intent.needs.net, *intent.needs.refunded}:
            pairs.update((sku, loc) for loc in locations)
    return pairs


@dataclass(frozen=True)
class _Balance:
    pk: int
    available: int
    free: int
    on_hand: int


_BALANCES_SQL = (
    "SELECT id, sku_id, location_id, on_hand, reserved, safety_stock"  # noqa: S608
    f" FROM {StockBalance._meta.db_table} WHERE sku_id {{skus}} AND location_id {{locations}}"
)
_BALANCES_OF_ORDERS_SQL = (
    "SELECT id, sku_id, location_id, on_hand, reserved, safety_stock"  # noqa: S608
    f" FROM {StockBalance._meta.db_table} WHERE location_id {{at}} AND sku_id IN ("
    f"SELECT sku_id FROM {OrderLine._meta.db_table} WHERE order_id {{ids}}"
    f" UNION SELECT c.sku_id FROM {OrderLineComponent._meta.db_table} c"
    f" JOIN {OrderLine._meta.db_table} l ON l.id = c.line_id WHERE l.order_id {{ids}}"
    f" UNION SELECT b.component_id FROM {BundleComponent._meta.db_table} b"
    f" JOIN {OrderLine._meta.db_table} l ON l.sku_id = b.bundle_id WHERE l.order_id {{ids}}"
    f" UNION SELECT sku_id FROM {Reservation._meta.db_table} WHERE order_id {{ids}})"
)


def _parse_balances(rows: Iterable[Sequence[Any]]) -> dict[Pair, _Balance]:
    return {
        (sku, loc): _Balance(pk, on_hand - reserved - safety, on_hand - reserved, on_hand)
        for pk, sku, loc, on_hand, reserved, safety in rows
    }


def _balances(pairs: set[Pair], *, lock: bool) -> dict[Pair, _Balance]:
    """The balances of ``pairs``; with ``lock``, their rows locked in primary-key order."""
    if not pairs:
        return {}
    skus, sku_params = in_clause(sorted({sku for sku, _ in pairs}))
    locations, location_params = in_clause(sorted({loc for _, loc in pairs}))
    sql = _BALANCES_SQL.format(skus=skus, locations=locations)
    if lock:
        sql += " ORDER BY id FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, sku_params + location_params)
        found = _parse_balances(cursor.fetchall())
    return {pair: balance for pair, balance in found.items() if pair in pairs}


# -- planning --------------------------------------------------------------------------------


class _Planner:
    """Accumulates one guarded change per pair while orders are planned one after another."""

    def __init__(self, balances: dict[Pair, _Balance]) -> None:
        self.stock = StockView(
            available={pair: b.available for pair, b in balances.items()},
            free={pair: b.free for pair, b in balances.items()},
        )
        self.ids = {pair: b.pk for pair, b in balances.items()}
        self.on_hand = {pair: b.on_hand for pair, b in balances.items()}
        self.changes: dict[Pair, PairChange] = {}
        self.taken: dict[Pair, int] = defaultdict(int)
        """Per pair, available taken so far minus given back: the guard's threshold."""

    def _change(self, pair: Pair) -> PairChange:
        change = self.changes.get(pair)
        if change is None:
            change = self.changes[pair] = PairChange(balance_id=self.ids.get(pair))
        return change

    def room(self, pair: Pair) -> int:
        """Units that may still come in at ``pair`` before on hand reaches the limit."""
        change = self.changes.get(pair)
        return STOCK_LIMIT - self.on_hand.get(pair, 0) - (change.on_hand if change else 0)

    def hold(self, pair: Pair, quantity: int) -> None:
        """``allocate`` already took it from the view."""
        change = self._change(pair)
        change.reserved += quantity
        self.taken[pair] += quantity
        change.require_available(self.taken[pair])

    def release(self, pair: Pair, quantity: int) -> None:
        self._change(pair).reserved -= quantity
        self.taken[pair] -= quantity
        self.stock.give(pair, quantity)

    def ship_held(self, pair: Pair, quantity: int, order_id: int, kind: str) -> None:
        change = self._change(pair)
        change.reserved -= quantity
        change.on_hand -= quantity
        change.movements.append(Movement(kind, -quantity, order_id=order_id))

    def take(self, pair: Pair, quantity: int, order_id: int, kind: str) -> None:
        """``take_free`` already took it from the view."""
        change = self._change(pair)
        change.on_hand -= quantity
        self.taken[pair] += quantity
        change.require_free(self.taken[pair])
        change.movements.append(Movement(kind, -quantity, order_id=order_id))

    def put_back(self, pair: Pair, quantity: int, order_id: int) -> None:
        change = self._change(pair)
        change.on_hand += quantity
        self.taken[pair] -= quantity
        self.stock.give(pair, quantity)
        change.movements.append(Movement(MovementKind.RETURN, quantity, order_id=order_id))


def _plan(intents: list[_Intent], balances: dict[Pair, _Balance]) -> _Plan:
    planner = _Planner(balances)
    provinces = routing_config().provinces
    outcomes: dict[int, _Outcome] = {}
    exact = False
    for intent in intents:
        holdings: dict[Key, int] = defaultdict(int, intent.held)
        shorts: list[Short] = []
        if intent.phase != Phase.IGNORE:
            candidates = candidate_locations(intent.rule, intent.province, provinces)
            shorts = _past_limit(intent, candidates, planner.stock)
            unbacked = False
            if not shorts:
                shorts, unbacked = _plan_order(intent, holdings, candidates, planner)
            exact = exact or bool(shorts) or unbacked
        outcomes[intent.order.pk] = _Outcome(
            _status(intent, shorts), {k: q for k, q in holdings.items() if q > 0}, shorts
        )
    return _Plan(planner.changes, outcomes, exact)


def _past_limit(intent: _Intent, candidates: list[int], stock: StockView) -> list[Short]:
    """What the order wants past :data:`STOCK_LIMIT` of one SKU: no location holds that
    much, and its reservations and shortages could not be stored. Such an order moves no
    stock; it keeps what it holds, and each such SKU is short (wanted shown as the limit)."""
    if intent.phase in (Phase.IGNORE, Phase.HOLD_NOTHING):
        return []
    wants = intent.needs.refunded if intent.phase == Phase.STORE_RETURN else intent.needs.net
    if all(quantity <= STOCK_LIMIT for quantity in wants.values()):
        return []
    store = intent.rule.store_location
    places = [store] if store is not None else candidates
    where = places[0] if places and (len(places) == 1 or not intent.rule.split_allowed) else None
    return [
        Short(
            sku,
            where,
            STOCK_LIMIT,
            min(sum(max(0, stock.avail((sku, loc))) for loc in places), STOCK_LIMIT),
        )
        for sku, quantity in sorted(wants.items())
        if quantity > STOCK_LIMIT
    ]


def _total(holdings: dict[Key, int], sku: int, *states: str) -> int:
    return sum(q for (s, _, state), q in holdings.items() if s == sku and state in states)


def _plan_order(
    intent: _Intent, holdings: dict[Key, int], candidates: list[int], planner: _Planner
) -> tuple[list[Short], bool]:
    """Plan one order; update ``holdings`` in place. Returns (what is short, any unbacked)."""
    order_id, phase, needs = intent.order.pk, intent.phase, intent.needs
    rank = {loc: i for i, loc in enumerate(candidates)}

    def reserved_at(sku: int) -> list[tuple[int, int]]:
        found = [
            (loc, q) for (s, loc, st), q in holdings.items() if s == sku and st == State.RESERVED
        ]
        return sorted((x for x in found if x[1] > 0), key=lambda x: rank.get(x[0], len(rank)))

    def release(sku: int, quantity: int) -> None:
        for loc, q in reversed(reserved_at(sku)):
            if quantity <= 0:
                break
            n = min(q, quantity)
            planner.release((sku, loc), n)
            holdings[(sku, loc, State.RESERVED)] -= n
            quantity -= n

    def take(sku: int, quantity: int, locations: list[int], kind: str) -> bool:
        """Units that left without a reservation; True when the record lacked some."""
        taken, lacking = take_free(sku, quantity, locations, planner.stock)
        for loc, n in taken.items():
            planner.take((sku, loc), n, order_id, kind)
            holdings[(sku, loc, State.CONSUMED)] += n
        if lacking and locations:
            holdings[(sku, locations[0], State.UNBACKED)] += lacking
        return bool(lacking)

    skus = {sku for sku, _, _ in holdings} | set(needs.net) | set(needs.refunded)
    gone = {sku: _total(holdings, sku, State.CONSUMED, State.UNBACKED) for sku in skus}
    unbacked = False
    if phase == Phase.HOLD_NOTHING:
        for sku in skus:
            release(sku, _total(holdings, sku, State.RESERVED))
        return [], False
    if phase == Phase.RESERVE:
        # Units shipped in part leave now: from what the order holds, then from free stock.
        for sku in sorted(needs.shipped):
            want = needs.shipped[sku] - gone[sku]
            for loc, q in reserved_at(sku):
                n = min(q, want)
                if n > 0:
                    planner.ship_held((sku, loc), n, order_id, MovementKind.SHIPMENT)
                    holdings[(sku, loc, State.RESERVED)] -= n
                    holdings[(sku, loc, State.CONSUMED)] += n
                    want -= n
            if want > 0:
                unbacked |= take(sku, want, candidates, MovementKind.SHIPMENT)
            gone[sku] = _total(holdings, sku, State.CONSUMED, State.UNBACKED)
        target = {sku: max(0, needs.net.get(sku, 0) - gone[sku]) for sku in skus}
        missing = {}
        for sku in skus:
            have = _total(holdings, sku, State.RESERVED)
            if have > target[sku]:
                release(sku, have - target[sku])
            elif have < target[sku]:
                missing[sku] = target[sku] - have
        allocation, shorts = allocate(
            missing, candidates, split=intent.rule.split_allowed, stock=planner.stock
        )
        for (sku, loc), q in allocation.items():
            planner.hold((sku, loc), q)
            holdings[(sku, loc, State.RESERVED)] += q
        return shorts, unbacked
    if phase == Phase.CONSUME:
        for sku in sorted(skus):
            want = max(0, needs.net.get(sku, 0) - gone[sku])
            for loc, q in reserved_at(sku):
                n = min(q, want)
                if n:
                    planner.ship_held((sku, loc), n, order_id, MovementKind.SHIPMENT)
                    holdings[(sku, loc, State.RESERVED)] -= n
                    holdings[(sku, loc, State.CONSUMED)] += n
                    want -= n
            if want:
                unbacked |= take(sku, want, candidates, MovementKind.SHIPMENT)
            release(sku, _total(holdings, sku, State.RESERVED))
        return [], unbacked
    store = intent.rule.store_location
    assert store is not None
    coming_back = {}
    for sku in skus:
        back = _total(holdings, sku, State.RETURNED)
        if phase == Phase.STORE_RETURN:
            coming_back[sku] = needs.refunded.get(sku, 0) - back
        else:
            coming_back[sku] = gone[sku] - back - needs.net.get(sku, 0)
    no_room = [
        Short(sku, store, more, max(0, planner.room((sku, store))))
        for sku, more in sorted(coming_back.items())
        if more > planner.room((sku, store))
    ]
    if no_room:  # goods back to a store already holding nearly the limit: wait for room
        return no_room, False
    for sku in sorted(skus):
        release(sku, _total(holdings, sku, State.RESERVED))
        back = _total(holdings, sku, State.RETURNED)
        if phase == Phase.STORE_RETURN:
            more = needs.refunded.get(sku, 0) - back
        else:
            out = gone[sku] - back
            want = needs.net.get(sku, 0)
            if want > out:
                unbacked |= take(sku, want - out, [store], MovementKind.SALE)
            more = out - want
        if more > 0:
            planner.put_back((sku, store), more, order_id)
            holdings[(sku, store, State.RETURNED)] += more
    return [], unbacked


def _status(intent: _Intent, shorts: list[Short]) -> str:
    status = intent.order.status
    if intent.phase == Phase.IGNORE or not (
        intent.needs.net or intent.needs.refunded or intent.held
    ):
        return OrderStockStatus.NOT_TRACKED
    if shorts:  # short of stock, or (any phase) past the stock limit
        return OrderStockStatus.BACKORDER
    if intent.phase == Phase.RESERVE:
        return OrderStockStatus.RESERVED
    if intent.phase == Phase.CONSUME or intent.phase == Phase.STORE_SALE:
        return OrderStockStatus.SHIPPED
    if intent.phase == Phase.STORE_RETURN:
        return OrderStockStatus.RETURNED
    if status == OrderStatus.PENDING_PAYMENT:
        return OrderStockStatus.WAITING
    if status == OrderStatus.DRAFT:
        return OrderStockStatus.NOT_TRACKED
    gone = any(state in (State.CONSUMED, State.UNBACKED) for _, _, state in intent.held)
    return OrderStockStatus.SHIPPED if gone else OrderStockStatus.RELEASED
