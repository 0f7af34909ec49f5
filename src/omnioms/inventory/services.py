"""Use cases on stock: receipts, adjustments, counts, transfers, returns, stock levels.

Each owns its transaction and raises :class:`StockError` naming the field for bad input,
having changed nothing: a figure past the stock limit, or a person's movement above the
ceiling that they have not confirmed (:class:`AboveCeiling`; see :mod:`.limits`). Orders
move stock through :func:`apply_orders` (the reconcile in :mod:`.reservations`), which the
order use cases call in their transaction; backorders are retried by :mod:`.backorders`.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.catalog.models import Sku
from omnioms.core.actor import Actor
from omnioms.core.models import Location
from omnioms.inventory.availability import queue_availability
from omnioms.inventory.backorders import newest_holders, release_newest, retry_backorders
from omnioms.inventory.domain import STOCK_LIMIT
from omnioms.inventory.ledger import (
    GuardFailed,
    Movement,
    PairChange,
    lock_balances,
    sku_costs,
    write_changes,
)
from omnioms.inventory.limits import (
    AboveCeiling,
    StockError,
    effect_of,
    movement_ceiling,
    past_limit,
    within_limit,
)
from omnioms.inventory.models import (
    IncomingStock,
    MovementKind,
    Reservation,
    ReservationState,
    StockBalance,
    StockDocument,
    StockMovement,
    SupplyStatus,
)
from omnioms.inventory.reservations import apply_orders
from omnioms.orders.models import Order

__all__ = [
    "AboveCeiling",
    "StockError",
    "adjust_stock",
    "apply_orders",
    "count_stock",
    "receive_stock",
    "record_return",
    "retry_backorders",
    "set_stock_levels",
    "transfer_stock",
]


def resolve_sku(code: str | Sku, *, field: str = "sku") -> Sku:
    if isinstance(code, Sku):
        return code
    sku = Sku.objects.filter(code=code).first()
    if sku is None:
        raise StockError(field, _("unknown SKU %(code)r") % {"code": code})
    if sku.components.exists():
        raise StockError(
            field, _("%(code)s is a bundle: stock is kept of its components") % {"code": code}
        )
    return sku


def resolve_location(code: str | Location, *, field: str = "location") -> Location:
    if isinstance(code, Location):
        return code
    location = Location.objects.filter(code=code, is_active=True).first()
    if location is None:
        raise StockError(field, _("no active location with code %(code)r") % {"code": code})
    return location


def _positive(value: int, field: str) -> None:
    if value <= 0:
        raise StockError(field, _("must be a whole number above zero, not %(v)s") % {"v": value})
    within_limit(value, field)


def _document(
    kind: str,
    actor: Actor,
    *,
    reference: str = "",
    reason: str = "",
    ceiling: int | None = None,
    confirmed: bool = False,
) -> StockDocument:
    """The document of one action; ``confirmed``: its movement was above ``ceiling`` and the
    actor confirmed the figure."""
    return StockDocument.objects.create(
        kind=kind,
        reference=reference[:200],
        reason=reason[:500],
        actor_kind=actor.kind,
        actor_label=actor.label[:200],
        actor_user_id=actor.user_id,
        ceiling=ceiling,
        confirmed_by=actor.label[:200] if confirmed else "",
        confirmed_by_user_id=actor.user_id if confirmed else None,
    )


def _figures(sku: Sku, location: Location) -> dict[str, int]:
    """On hand, reserved and safety stock of ``sku`` at ``location``, for :func:`effect_of`."""
    row = StockBalance.objects.filter(sku=sku, location=location).first()
    if row is None:
        return {}
    return {"on_hand": row.on_hand, "reserved": row.reserved, "safety_stock": row.safety_stock}


def receive_stock(
    *,
    sku: str | Sku,
    location: str | Location,
    quantity: int,
    unit_cost: Decimal | None,
    currency: str = "",
    actor: Actor,
    reference: str = "",
    incoming_id: int | None = None,
    confirmed: bool = False,
) -> StockMovement:
    """Goods arrived: on hand rises by ``quantity`` at its unit cost (an incoming delivery, if
    named, counts them as received). ``confirmed``: the person confirmed a quantity above the
    movement ceiling."""
    item, place = resolve_sku(sku), resolve_location(location)
    _positive(quantity, "quantity")
    if unit_cost is not None and unit_cost < 0:
        raise StockError("unit_cost", _("must not be negative"))
    currency = (currency or item.currency).upper()
    ceiling = movement_ceiling(actor)
    above = ceiling is not None and quantity > ceiling
    if ceiling is not None and above and not confirmed:
        raise AboveCeiling(
            "quantity",
            figure=quantity,
            change=quantity,
            ceiling=ceiling,
            effects=[effect_of(place.code, quantity, **_figures(item, place))],
        )
    with transaction.atomic():
        if incoming_id is not None:
            incoming = (
                IncomingStock.objects.select_for_update()
                .filter(pk=incoming_id, sku=item, location=place, status=SupplyStatus.OPEN)
                .first()
            )
            if incoming is None:
                raise StockError(
                    "incoming",
                    _("no open incoming stock %(id)s of this SKU and location")
                    % {"id": incoming_id},
                )
            # Past the quantity the delivery is done; the exact excess need not be kept (the
            # ledger has it), and the column holds no more than the limit.
            incoming.received_quantity = min(incoming.received_quantity + quantity, STOCK_LIMIT)
            if incoming.received_quantity >= incoming.quantity:
                incoming.status = SupplyStatus.DONE
            incoming.save(update_fields=["received_quantity", "status"])
            unit_cost = incoming.unit_cost if unit_cost is None else unit_cost
        document = _document(
            MovementKind.RECEIPT, actor, reference=reference, ceiling=ceiling, confirmed=above
        )
        movement = Movement(
            MovementKind.RECEIPT,
            quantity,
            document_id=document.pk,
            unit_cost=unit_cost,
            currency=currency if unit_cost is not None else "",
            reason=reference,
        )
        return _increase(item, place, quantity, movement, actor)


def _increase(
    sku: Sku, location: Location, quantity: int, movement: Movement, actor: Actor
) -> StockMovement:
    """On hand up by ``quantity`` (inside the caller's transaction), refused past the limit."""
    now = timezone.now()
    pair = (sku.pk, location.pk)
    change = PairChange(on_hand=quantity, movements=[movement])
    try:
        (written,) = write_changes(
            {pair: change}, actor=actor, at=now, costs=sku_costs([sku.pk]), returning_ids=True
        )
    except GuardFailed:
        held = _figures(sku, location).get("on_hand", 0)
        raise past_limit(
            "quantity", location=location.code, on_hand=held, quantity=quantity
        ) from None
    queue_availability([pair], changed_at=now)
    return written


def adjust_stock(
    *,
    sku: str | Sku,
    location: str | Location,
    quantity_delta: int,
    reason: str,
    actor: Actor,
    kind: str = MovementKind.ADJUSTMENT,
    reference: str = "",
    confirmed: bool = False,
) -> StockMovement:
    """On hand changes by ``quantity_delta`` for ``reason`` (damage, found, production).

    Taking away more than is on hand, or adding past the stock limit, is refused. When what
    stays is less than is reserved, the newest orders' reservations there are released and
    those orders become backorders. ``confirmed``: the person confirmed a change above the
    movement ceiling.
    """
    item, place = resolve_sku(sku), resolve_location(location)
    if not reason.strip():
        raise StockError("reason", _("say why the stock changes"))
    if quantity_delta == 0:
        raise StockError("quantity_delta", _("must not be zero"))
    within_limit(abs(quantity_delta), "quantity_delta")
    ceiling = movement_ceiling(actor)
    with transaction.atomic():
        document = _document(kind, actor, reason=reason, reference=reference, ceiling=ceiling)
        written = _set_on_hand(
            item,
            place,
            delta=quantity_delta,
            kind=kind,
            document=document,
            field="quantity_delta",
            confirmed=confirmed,
        )
    assert written is not None
    return written


def count_stock(
    *,
    sku: str | Sku,
    location: str | Location,
    counted: int,
    reason: str,
    actor: Actor,
    confirmed: bool = False,
) -> StockMovement | None:
    """A count found ``counted`` units: on hand becomes that, with a count correction in the
    ledger for the difference (none when the count agrees). ``confirmed``: the person
    confirmed a correction above the movement ceiling."""
    item, place = resolve_sku(sku), resolve_location(location)
    if counted < 0:
        raise StockError("counted", _("must not be negative"))
    within_limit(counted, "counted")
    ceiling = movement_ceiling(actor)
    with transaction.atomic():
        document = _document(
            MovementKind.COUNT, actor, reason=reason or _("stock count"), ceiling=ceiling
        )
        return _set_on_hand(
            item,
            place,
            counted=counted,
            kind=MovementKind.COUNT,
            document=document,
            field="counted",
            confirmed=confirmed,
        )


def _set_on_hand(
    sku: Sku,
    location: Location,
    *,
    delta: int | None = None,
    counted: int | None = None,
    kind: str,
    document: StockDocument,
    field: str,
    confirmed: bool,
) -> StockMovement | None:
    """Change on hand by ``delta`` or to ``counted``, releasing the newest reservations that
    would no longer be backed. Order rows are locked before the stock row, as the order use
    cases do, so the two never wait on each other in opposite orders.

    The movement is checked against the document's ceiling here, where on hand is known under
    the lock (a count's movement is the difference it makes)."""
    actor = Actor(document.actor_kind, document.actor_label, document.actor_user_id)
    pair = (sku.pk, location.pk)
    for _attempt in range(5):
        sid = transaction.savepoint()
        seen = StockBalance.objects.filter(sku=sku, location=location).first()
        on_hand = seen.on_hand if seen else 0
        after = counted if counted is not None else on_hand + (delta or 0)
        victims: list[int] = []
        if seen is not None and seen.reserved > after:
            victims = newest_holders(pair, seen.reserved - max(after, 0))
            list(
                Order.objects.select_for_update().filter(pk__in=victims).order_by("pk").values("pk")
            )
        balance = None
        if seen is not None:
            lock_balances([seen.pk])
            balance = StockBalance.objects.get(pk=seen.pk)
        on_hand = balance.on_hand if balance else 0
        reserved = balance.reserved if balance else 0
        after = counted if counted is not None else on_hand + (delta or 0)
        if after < 0:
            transaction.savepoint_rollback(sid)
            raise StockError(
                "quantity_delta",
                _("only %(n)s on hand at %(loc)s") % {"n": on_hand, "loc": location.code},
                conflict=True,
            )
        if after > STOCK_LIMIT:
            transaction.savepoint_rollback(sid)
            raise past_limit(
                field, location=location.code, on_hand=on_hand, quantity=after - on_hand
            )
        ceiling = document.ceiling
        if ceiling is not None and abs(after - on_hand) > ceiling:
            if not confirmed:
                transaction.savepoint_rollback(sid)
                raise AboveCeiling(
                    field,
                    figure=counted if counted is not None else after - on_hand,
                    change=after - on_hand,
                    ceiling=ceiling,
                    effects=[effect_of(location.code, after - on_hand, **_figures(sku, location))],
                )
            StockDocument.objects.filter(pk=document.pk).update(
                confirmed_by=actor.label[:200], confirmed_by_user_id=actor.user_id
            )
        excess = reserved - after
        revoked = release_newest(pair, victims, excess) if excess > 0 else 0
        if revoked < excess:
            transaction.savepoint_rollback(sid)  # new reservations meanwhile: choose again
            continue
        change = after - on_hand
        now = timezone.now()
        if change == 0:
            return None
        pc = PairChange(
            balance_id=balance.pk if balance else None,
            on_hand=change,
            reserved=-revoked,
            movements=[Movement(kind, change, document_id=document.pk, reason=document.reason)],
        )
        (written,) = write_changes(
            {pair: pc}, actor=actor, at=now, costs=sku_costs([sku.pk]), returning_ids=True
        )
        queue_availability([pair], changed_at=now)
        return written
    raise RuntimeError("stock kept changing while it was counted; try again")


def transfer_stock(
    *,
    sku: str | Sku,
    from_location: str | Location,
    to_location: str | Location,
    quantity: int,
    actor: Actor,
    reason: str = "",
    confirmed: bool = False,
) -> tuple[StockMovement, StockMovement]:
    """Move ``quantity`` units from one location to another at once (both ledger rows share
    one document). Refused when more than is available at the source, or when the target
    would hold more than the stock limit. ``confirmed``: the person confirmed a quantity
    above the movement ceiling."""
    item = resolve_sku(sku)
    source = resolve_location(from_location, field="from_location")
    target = resolve_location(to_location, field="to_location")
    _positive(quantity, "quantity")
    if source.pk == target.pk:
        raise StockError("to_location", _("must differ from from_location"))
    ceiling = movement_ceiling(actor)
    above = ceiling is not None and quantity > ceiling
    with transaction.atomic():
        rows = {
            b.location_id: b
            for b in StockBalance.objects.filter(sku=item, location__in=[source, target])
        }
        lock_balances(b.pk for b in rows.values())
        held = StockBalance.objects.filter(sku=item, location=source).first()
        available = held.available if held else 0
        if available < quantity:
            raise StockError(
                "quantity",
                _("only %(n)s of %(sku)s available at %(loc)s")
                % {"n": max(available, 0), "sku": item.code, "loc": source.code},
                conflict=True,
            )
        assert held is not None
        if ceiling is not None and above and not confirmed:
            raise AboveCeiling(
                "quantity",
                figure=quantity,
                change=quantity,
                ceiling=ceiling,
                effects=[
                    effect_of(source.code, -quantity, **_figures(item, source)),
                    effect_of(target.code, quantity, **_figures(item, target)),
                ],
            )
        document = _document(
            MovementKind.TRANSFER_OUT, actor, reason=reason, ceiling=ceiling, confirmed=above
        )
        out_pair, in_pair = (item.pk, source.pk), (item.pk, target.pk)
        out = PairChange(balance_id=held.pk, on_hand=-quantity)
        out.require_available(quantity)
        out.movements.append(
            Movement(MovementKind.TRANSFER_OUT, -quantity, document_id=document.pk, reason=reason)
        )
        into = rows.get(target.pk)
        inward = PairChange(
            balance_id=into.pk if into else None,
            on_hand=quantity,
            movements=[
                Movement(MovementKind.TRANSFER_IN, quantity, document_id=document.pk, reason=reason)
            ],
        )
        now = timezone.now()
        try:
            written = write_changes(
                {out_pair: out, in_pair: inward},
                actor=actor,
                at=now,
                costs=sku_costs([item.pk]),
                returning_ids=True,
            )
        except GuardFailed as exc:
            if exc.pair != in_pair:
                raise
            there = _figures(item, target).get("on_hand", 0)
            raise past_limit(
                "quantity", location=target.code, on_hand=there, quantity=quantity
            ) from None
        queue_availability([out_pair, in_pair], changed_at=now)
    by_kind = {row.kind: row for row in written}
    return by_kind[MovementKind.TRANSFER_OUT], by_kind[MovementKind.TRANSFER_IN]


def record_return(
    order_id: int,
    *,
    sku: str | Sku,
    quantity: int,
    actor: Actor,
    location: str | Location | None = None,
    reason: str = "",
) -> StockMovement:
    """Goods of a shipped order came back into stock (at the location they left from, unless
    another is named). At most what the order took and has not yet returned."""
    item = resolve_sku(sku)
    _positive(quantity, "quantity")
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None:
            raise StockError("order", _("no order %(id)s") % {"id": order_id})
        rows = list(Reservation.objects.filter(order=order, sku=item))
        out = sum(
            r.quantity
            for r in rows
            if r.state in (ReservationState.CONSUMED, ReservationState.UNBACKED)
        ) - sum(r.quantity for r in rows if r.state == ReservationState.RETURNED)
        if quantity > out:
            raise StockError(
                "quantity",
                _("order %(id)s has %(n)s of %(sku)s out to return")
                % {"id": order_id, "n": out, "sku": item.code},
                conflict=True,
            )
        left_from = [r.location_id for r in rows if r.state != ReservationState.RETURNED]
        place = resolve_location(location) if location else Location.objects.get(pk=left_from[0])
        returned = next(
            (r for r in rows if r.state == ReservationState.RETURNED and r.location_id == place.pk),
            None,
        )
        if returned is None:
            Reservation.objects.create(
                order=order,
                sku=item,
                location=place,
                state=ReservationState.RETURNED,
                quantity=quantity,
            )
        else:
            Reservation.objects.filter(pk=returned.pk).update(
                quantity=F("quantity") + quantity, updated_at=timezone.now()
            )
        document = _document(MovementKind.RETURN, actor, reason=reason)
        movement = Movement(
            MovementKind.RETURN, quantity, order_id=order.pk, document_id=document.pk, reason=reason
        )
        return _increase(item, place, quantity, movement, actor)


def set_stock_levels(
    *,
    sku: str | Sku,
    location: str | Location,
    safety_stock: int | None = None,
    reorder_point: int | None = None,
) -> StockBalance:
    """Safety stock (held back from every channel) and the reorder point of one SKU there."""
    item, place = resolve_sku(sku), resolve_location(location)
    for field, value in (("safety_stock", safety_stock), ("reorder_point", reorder_point)):
        if value is not None and value < 0:
            raise StockError(field, _("must not be negative"))
        if value is not None:
            within_limit(value, field)
    with transaction.atomic():
        balance, _created = StockBalance.objects.get_or_create(sku=item, location=place)
        lock_balances([balance.pk])
        updates = {}
        if safety_stock is not None:
            updates["safety_stock"] = safety_stock
        if reorder_point is not None:
            updates["reorder_point"] = reorder_point
        if updates:
            StockBalance.objects.filter(pk=balance.pk).update(**updates, updated_at=timezone.now())
        if safety_stock is not None and safety_stock != balance.safety_stock:
            queue_availability([(item.pk, place.pk)], changed_at=timezone.now())
        balance.refresh_from_db()
    return balance
