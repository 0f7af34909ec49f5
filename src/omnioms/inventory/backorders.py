"""Orders waiting for stock: released when a count or adjustment leaves less than they hold,
and retried by a worker step when stock of what they lack is there again."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from omnioms.core.actor import Actor
from omnioms.core.bulk import bulk_insert, new_rows
from omnioms.inventory.models import (
    OrderStock,
    OrderStockStatus,
    Reservation,
    ReservationState,
    Shortage,
    StockBalance,
)
from omnioms.inventory.reservations import apply_orders
from omnioms.orders.models import Order

_new_shortage = new_rows(Shortage)


def newest_holders(pair: tuple[int, int], excess: int) -> list[int]:
    """Orders holding reservations on ``pair``, newest first, enough to release ``excess``."""
    chosen: list[int] = []
    total = 0
    for order_id, quantity in (
        Reservation.objects.filter(
            sku_id=pair[0], location_id=pair[1], state=ReservationState.RESERVED
        )
        .order_by("-order__placed_at", "-order_id")
        .values_list("order_id", "quantity")
    ):
        chosen.append(order_id)
        total += quantity
        if total >= excess:
            break
    return chosen


def release_newest(pair: tuple[int, int], victims: list[int], excess: int) -> int:
    """Release up to ``excess`` units of ``victims``' reservations on ``pair`` (their rows are
    locked), newest order first; they become backorders for the retry step. Returns the units
    released."""
    rows = list(
        Reservation.objects.filter(
            order_id__in=victims,
            sku_id=pair[0],
            location_id=pair[1],
            state=ReservationState.RESERVED,
        ).order_by("-order__placed_at", "-order_id")
    )
    released = 0
    now = timezone.now()
    shortages = []
    for row in rows:
        if released >= excess:
            break
        n = min(row.quantity, excess - released)
        released += n
        if n == row.quantity:
            row.delete()
        else:
            Reservation.objects.filter(pk=row.pk).update(quantity=F("quantity") - n, updated_at=now)
        shortages.append(
            _new_shortage(
                order_id=row.order_id,
                sku_id=pair[0],
                location_id=pair[1],
                wanted=n,
                available=0,
                created_at=now,
            )
        )
    if released >= excess:
        orders = {s.order_id for s in shortages}
        OrderStock.objects.filter(order_id__in=orders).update(
            status=OrderStockStatus.BACKORDER, checked_at=now - timedelta(days=1)
        )
        bulk_insert(shortages, returning_ids=False)
    return released


def retry_backorders(*, limit: int = 100, min_age: timedelta = timedelta(seconds=1)) -> int:
    """The worker step: try backorders again where stock of what they lack is available now.

    Oldest-checked first, so every backorder gets its turn. Returns how many became reserved
    (the worker calls again at once while that is above zero).
    """
    now = timezone.now()
    # on_hand - reserved never overflows; reserved + safety_stock may (both up to the limit).
    in_stock = StockBalance.objects.alias(free=F("on_hand") - F("reserved")).filter(
        sku=OuterRef("sku"), free__gt=F("safety_stock")
    )
    with transaction.atomic():
        waiting = list(
            OrderStock.objects.filter(
                status=OrderStockStatus.BACKORDER, checked_at__lte=now - min_age
            )
            .order_by("checked_at")
            .values_list("order_id", flat=True)[: limit * 5]
        )
        hopeful = set(
            Shortage.objects.filter(order_id__in=waiting)
            .filter(Exists(in_stock))
            .values_list("order_id", flat=True)
        )
        ids = [order_id for order_id in waiting if order_id in hopeful][:limit]
        if not ids:
            return 0
        orders = list(
            Order.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=ids)
            .order_by("pk")
        )
        apply_orders(orders, actor=Actor.system("backorder retry"))
        return OrderStock.objects.filter(
            order_id__in=[o.pk for o in orders], status=OrderStockStatus.RESERVED
        ).count()
