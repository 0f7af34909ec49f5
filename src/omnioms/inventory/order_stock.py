"""Writing what the reconcile decided about each order: its reservation rows, its stock
status (``OrderStock``) and its shortages with a promise date. Only what differs is written.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection

from omnioms.core.bulk import bulk_insert, bulk_set, new_rows
from omnioms.inventory.domain import promise_date
from omnioms.inventory.ledger import in_clause
from omnioms.inventory.models import (
    IncomingStock,
    OrderStock,
    OrderStockStatus,
    PlannedOutput,
    Reservation,
    Shortage,
    SupplyStatus,
)

if TYPE_CHECKING:
    from omnioms.inventory.reservations import Key, _Intent, _Plan

_new_reservation = new_rows(Reservation)
_new_order_stock = new_rows(OrderStock)
_new_shortage = new_rows(Shortage)


def write_orders(
    intents: list[_Intent],
    plan: _Plan,
    held: dict[int, dict[Key, tuple[int, int]]],
    current: dict[int, OrderStock],
    now: datetime,
) -> None:
    """Reservation rows, each order's stock status and its shortages: only what differs."""
    inserts: list[Reservation] = []
    updates: list[Reservation] = []
    deletes: list[int] = []
    for intent in intents:
        order_id = intent.order.pk
        existing = held.get(order_id, {})
        final = plan.outcomes[order_id].holdings
        for key, (pk, quantity) in existing.items():
            wanted = final.get(key, 0)
            if not wanted:
                deletes.append(pk)
            elif wanted != quantity:
                updates.append(_new_reservation(id=pk, quantity=wanted, updated_at=now))
        for (sku, location, state), quantity in final.items():
            if (sku, location, state) not in existing:
                inserts.append(
                    _new_reservation(
                        order_id=order_id,
                        sku_id=sku,
                        location_id=location,
                        state=state,
                        quantity=quantity,
                        created_at=now,
                        updated_at=now,
                    )
                )
    if deletes:
        _delete(Reservation, "id", deletes)
    bulk_set(updates, ["quantity", "updated_at"])
    bulk_insert(inserts, returning_ids=False)

    promises = _promise_dates(intents, plan, now.date())
    was_short = [oid for oid, row in current.items() if row.status == OrderStockStatus.BACKORDER]
    fresh: list[OrderStock] = []
    changed: list[OrderStock] = []
    for intent in intents:
        order_id = intent.order.pk
        outcome = plan.outcomes[order_id]
        promise = promises.get(order_id)
        row = current.get(order_id)
        wanted = _new_order_stock(
            order_id=order_id,
            status=outcome.status,
            unmapped_lines=intent.needs.unmapped,
            promise_date=promise,
            checked_at=now,
        )
        if row is None:
            if outcome.status == OrderStockStatus.NOT_TRACKED and not intent.needs.unmapped:
                continue  # nothing to say about an order without lines
            fresh.append(wanted)
        elif (row.status, row.unmapped_lines, row.promise_date) != (
            outcome.status,
            intent.needs.unmapped,
            promise,
        ) or outcome.status == OrderStockStatus.BACKORDER:
            changed.append(wanted)  # a backorder's check time moves on: retries take turns
    bulk_insert(fresh, returning_ids=False)
    bulk_set(changed, ["status", "unmapped_lines", "promise_date", "checked_at"])

    if was_short:
        _delete(Shortage, "order_id", was_short)
    bulk_insert(
        [
            _new_shortage(
                order_id=order_id,
                sku_id=short.sku_id,
                location_id=short.location_id,
                wanted=short.wanted,
                available=short.available,
                created_at=now,
            )
            for order_id, outcome in plan.outcomes.items()
            for short in outcome.shorts
        ],
        returning_ids=False,
    )


def _delete(model: Any, column: str, values: list[int]) -> None:
    """A plain DELETE (the ORM's reads the row count back, a round trip in a pipeline)."""
    where, params = in_clause(values)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {column} {where}", params)  # noqa: S608


def _promise_dates(intents: list[_Intent], plan: _Plan, today: date) -> dict[int, date | None]:
    """For each backordered order, the day incoming stock and planned production cover what it
    lacks after the backorders placed before it."""
    short = {i.order.pk: i for i in intents if plan.outcomes[i.order.pk].shorts}
    if not short:
        return {}
    skus = {s.sku_id for oid in short for s in plan.outcomes[oid].shorts}
    supply: dict[int, list[tuple[date, int, int]]] = defaultdict(list)
    for sku, loc, qty, received, when in IncomingStock.objects.filter(
        sku_id__in=skus, status=SupplyStatus.OPEN
    ).values_list("sku_id", "location_id", "quantity", "received_quantity", "expected_on"):
        if qty > received:
            supply[sku].append((when, qty - received, loc))
    for sku, loc, qty, when in PlannedOutput.objects.filter(
        sku_id__in=skus, status=SupplyStatus.OPEN
    ).values_list("sku_id", "location_id", "quantity", "due_on"):
        supply[sku].append((when, qty, loc))
    waiting: dict[int, list[tuple[datetime, int, int | None]]] = defaultdict(list)
    for sku, loc, wanted, placed in (
        Shortage.objects.filter(sku_id__in=skus)
        .exclude(order_id__in=list(short))
        .values_list("sku_id", "location_id", "wanted", "order__placed_at")
    ):
        waiting[sku].append((placed, wanted, loc))
    for oid, intent in short.items():
        for s in plan.outcomes[oid].shorts:
            waiting[s.sku_id].append((intent.order.placed_at, s.wanted, s.location_id))
    dates: dict[int, date | None] = {}
    for oid, intent in short.items():
        placed = intent.order.placed_at
        found: list[date | None] = []
        for s in plan.outcomes[oid].shorts:
            where = {s.location_id} if s.location_id is not None else set(intent.rule.locations)
            ahead = sum(
                wanted
                for when, wanted, loc in waiting[s.sku_id]
                if when < placed and (loc is None or loc in where)
            )
            found.append(
                promise_date(
                    today=today,
                    available=s.available,
                    ahead=ahead,
                    wanted=s.wanted,
                    supply=[(d, q) for d, q, loc in supply[s.sku_id] if loc in where],
                )
            )
        dates[oid] = None if None in found else max(d for d in found if d is not None)
    return dates
