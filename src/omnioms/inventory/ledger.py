"""The only code that changes stock balances, and always together with the ledger.

Every balance change is one conditional ``UPDATE ... WHERE <guard> RETURNING on_hand`` per
SKU and location, issued in primary-key order (so two transactions never wait on each other's
rows in opposite orders), followed by the ledger rows of that change with the balance after
each. The guard re-checks, at the moment the row is written, that the stock the caller planned
with is still there: ``on_hand - reserved - safety_stock >= need_available`` for new
reservations, ``on_hand - reserved >= need_free`` for units that leave without one, and
``on_hand <= STOCK_LIMIT - n`` for units that come in (written so that the guard itself cannot
overflow a PostgreSQL ``integer``). CHECK constraints back it up (on hand and reserved never
negative, reserved never above on hand, on hand never above the limit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection

from omnioms.core.actor import Actor
from omnioms.core.bulk import bulk_insert, new_rows
from omnioms.inventory.domain import STOCK_LIMIT, Pair
from omnioms.inventory.models import StockBalance, StockMovement

_new_movement = new_rows(StockMovement)
_TABLE = StockBalance._meta.db_table
_UPSERT = (
    f"INSERT INTO {_TABLE} (sku_id, location_id, on_hand, reserved, safety_stock,"  # noqa: S608
    " reorder_point, updated_at) VALUES (%s, %s, %s, 0, 0, 0, %s)"
    " ON CONFLICT (sku_id, location_id) DO UPDATE"
    f" SET on_hand = {_TABLE}.on_hand + excluded.on_hand, updated_at = excluded.updated_at"
    f" WHERE {_TABLE}.on_hand <= %s RETURNING on_hand"
)


@dataclass
class Movement:
    kind: str
    quantity: int
    order_id: int | None = None
    document_id: int | None = None
    reason: str = ""
    unit_cost: Decimal | None = None
    currency: str = ""


@dataclass
class PairChange:
    """What one transaction does to one balance row."""

    balance_id: int | None = None
    """None when no row existed when read: only increases of on hand are allowed then."""
    on_hand: int = 0
    reserved: int = 0
    need_available: int | None = None
    need_free: int | None = None
    movements: list[Movement] = field(default_factory=list)

    def require_available(self, amount: int) -> None:
        self.need_available = (
            amount if self.need_available is None else max(self.need_available, amount)
        )

    def require_free(self, amount: int) -> None:
        self.need_free = amount if self.need_free is None else max(self.need_free, amount)

    @property
    def moves_available(self) -> bool:
        return self.on_hand != self.reserved


class GuardFailed(Exception):
    """The stock a change was planned with is no longer there (another transaction took it),
    or units coming in would take on hand past :data:`STOCK_LIMIT`. Nothing of the failing
    pair was written; the caller rolls back to its savepoint (or its transaction)."""

    def __init__(self, pair: Pair) -> None:
        super().__init__(f"stock of SKU {pair[0]} at location {pair[1]} changed meanwhile")
        self.pair = pair


def write_changes(
    changes: dict[Pair, PairChange],
    *,
    actor: Actor,
    at: datetime,
    costs: dict[int, tuple],
    returning_ids: bool = False,
) -> list[StockMovement]:
    """Apply ``changes`` and append their movements; return the ledger rows written.

    ``costs`` maps SKU id to (unit cost, currency), the cost recorded on movements that carry
    none of their own. Raises :class:`GuardFailed` when a guard does not hold. Call inside a
    transaction.
    """
    after: dict[Pair, int] = {}
    stamp = connection.ops.adapt_datetimefield_value(at)
    known = sorted(
        (
            (change.balance_id, pair, change)
            for pair, change in changes.items()
            if change.balance_id
        ),
        key=lambda item: item[0] or 0,
    )
    with connection.cursor() as cursor:
        for balance_id, pair, change in known:
            if not change.on_hand and not change.reserved:
                continue
            sql, params = _guarded_update(balance_id or 0, change, stamp)
            cursor.execute(sql, params)
            row = cursor.fetchone()
            if row is None:
                raise GuardFailed(pair)
            after[pair] = row[0]
        for pair, change in changes.items():
            if change.balance_id or not change.on_hand:
                continue
            if change.reserved or change.on_hand < 0:
                raise ValueError(f"no stock row for SKU {pair[0]} at location {pair[1]}")
            if change.on_hand > STOCK_LIMIT:
                raise GuardFailed(pair)
            room = STOCK_LIMIT - change.on_hand
            cursor.execute(_UPSERT, [pair[0], pair[1], change.on_hand, stamp, room])
            row = cursor.fetchone()
            if row is None:
                raise GuardFailed(pair)
            after[pair] = row[0]
    rows: list[StockMovement] = []
    for pair, change in changes.items():
        if not change.movements:
            continue
        # Walk back from the balance after the last movement to the one after each.
        level = after[pair]
        levels: list[int] = []
        for movement in reversed(change.movements):
            levels.append(level)
            level -= movement.quantity
        for movement, level_after in zip(change.movements, reversed(levels), strict=True):
            cost, currency = (
                (movement.unit_cost, movement.currency)
                if movement.unit_cost is not None
                else costs.get(pair[0], (None, ""))
            )
            rows.append(
                _new_movement(
                    sku_id=pair[0],
                    location_id=pair[1],
                    kind=movement.kind,
                    quantity=movement.quantity,
                    on_hand_after=level_after,
                    unit_cost=cost,
                    currency=currency or "",
                    reason=movement.reason[:500],
                    order_id=movement.order_id,
                    document_id=movement.document_id,
                    actor_kind=actor.kind,
                    actor_label=actor.label[:200],
                    actor_user_id=actor.user_id,
                    at=at,
                )
            )
    bulk_insert(rows, returning_ids=returning_ids)
    return rows


def _guarded_update(balance_id: int, change: PairChange, at: object) -> tuple[str, list]:
    guards = ["id = %s"]
    params: list[object] = [change.on_hand, change.reserved, at, balance_id]
    if change.need_available is not None:
        guards.append("on_hand - reserved - safety_stock >= %s")
        params.append(change.need_available)
    if change.need_free is not None:
        guards.append("on_hand - reserved >= %s")
        params.append(change.need_free)
    if change.on_hand > 0:
        guards.append("on_hand <= %s")
        params.append(STOCK_LIMIT - change.on_hand)
    sql = (
        f"UPDATE {_TABLE} SET on_hand = on_hand + %s, reserved = reserved + %s,"  # noqa: S608
        f" updated_at = %s WHERE {' AND '.join(guards)} RETURNING on_hand"
    )
    return sql, params


def in_clause(values: Sequence[int]) -> tuple[str, list[Any]]:
    """``= ANY(%s)`` with one array parameter on PostgreSQL (one prepared shape for any
    batch size), ``IN (%s, ...)`` elsewhere."""
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [list(values)]
    return f"IN ({', '.join(['%s'] * len(values))})", list(values)


def lock_balances(ids: Iterable[int]) -> None:
    """Lock balance rows in primary-key order (PostgreSQL; SQLite's IMMEDIATE transaction
    already holds the database's write lock)."""
    ids = sorted(set(ids))
    if ids and connection.vendor == "postgresql":
        list(
            StockBalance.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk")
        )


def sku_costs(sku_ids: Iterable[int]) -> dict[int, tuple]:
    """(unit cost, currency) of each SKU from the catalogue, recorded on order movements."""
    from omnioms.catalog.models import Sku

    ids = set(sku_ids)
    if not ids:
        return {}
    return {
        pk: (cost, currency)
        for pk, cost, currency in Sku.objects.filter(pk__in=ids).values_list(
            "pk", "unit_cost", "currency"
        )
    }
