"""Demand history per SKU and day, from the unified orders of every channel.

Counted when ordered (the business day of ``placed_at`` in ``settings.TIME_ZONE``): drafts,
cancelled and refunded orders left out, refunded quantities taken off, bundles exploded into
their components (the parts the channel sent, else the catalogue's). Made and resold SKUs are
both counted and told apart by ``Sku.kind``; lines with no known SKU are not demand of any.

Every change to orders marks the days it touches (:func:`mark_changed_days`, an effect of the
order use cases, one cheap insert per batch); the worker step :func:`recount_due` counts those
days again, so the history follows corrections, refunds and late cancellations exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from omnioms.core.actor import Actor
from omnioms.core.bulk import bulk_insert, new_rows
from omnioms.core.choices import OrderStatus
from omnioms.forecasting.models import DemandDay, DemandDayToRecount
from omnioms.inventory.selectors import needs_of_orders
from omnioms.orders.effects import OrderChange
from omnioms.orders.models import Order

NOT_DEMAND = (OrderStatus.DRAFT, OrderStatus.CANCELLED, OrderStatus.REFUNDED)
RECOUNT_BATCH = 20

_new_day = new_rows(DemandDay)


def business_day(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time(0), zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone)


def mark_changed_days(changes: Sequence[OrderChange], actor: Actor) -> None:
    """The demand effect of order changes: the days they were placed on are counted again."""
    days = {business_day(change.order.placed_at) for change in changes}
    mark_days(days)


def mark_days(days: Iterable[date]) -> None:
    """Mark ``days`` to be counted again; a day already marked gets the new time, so that a
    recount running meanwhile leaves its mark for one more count."""
    now = timezone.now()
    DemandDayToRecount.objects.bulk_create(
        [DemandDayToRecount(day=day, marked_at=now) for day in sorted(set(days))],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["marked_at"],
    )


def recount_due(*, limit: int = RECOUNT_BATCH) -> int:
    """The worker step: count again up to ``limit`` marked days; returns how many."""
    marks = list(DemandDayToRecount.objects.order_by("day").values_list("day", "marked_at")[:limit])
    for day, marked_at in marks:
        with transaction.atomic():
            recount_day(day)
            # A mark made while this day was counted stays, so the day is counted once more.
            DemandDayToRecount.objects.filter(day=day, marked_at__lte=marked_at).delete()
    return len(marks)


def recount_day(day: date) -> int:
    """Replace the demand rows of ``day``; returns how many rows it has now."""
    start, end = _day_bounds(day)
    orders = Order.objects.filter(placed_at__gte=start, placed_at__lt=end).exclude(
        status__in=NOT_DEMAND
    )
    account_of = dict(orders.values_list("pk", "account_id"))
    units: dict[tuple[int, int], int] = defaultdict(int)
    counted: dict[tuple[int, int], int] = defaultdict(int)
    for order_id, needs in needs_of_orders(orders).items():
        for sku_id, n in needs.net.items():
            key = (sku_id, account_of[order_id])
            units[key] += n
            counted[key] += 1
    DemandDay.objects.filter(day=day).delete()
    bulk_insert(
        [
            _new_day(day=day, sku_id=sku_id, account_id=account_id, quantity=n, orders=counted[key])
            for key, n in sorted(units.items())
            for sku_id, account_id in [key]
        ],
        returning_ids=False,
    )
    return len(units)


def rebuild_demand(start: date, end: date) -> int:
    """Count every day from ``start`` to ``end`` again (a history load, an upgrade)."""
    total = 0
    day = start
    while day <= end:
        with transaction.atomic():
            total += recount_day(day)
        day += timedelta(days=1)
    DemandDayToRecount.objects.filter(Q(day__gte=start) & Q(day__lte=end)).delete()
    return total


def daily_demand(
    start: date, end: date, *, sku_ids: Iterable[int] | None = None
) -> list[tuple[str, date, int]]:
    """``(sku code, day, units)`` of every channel together, for the forecasting engine."""
    rows = DemandDay.objects.filter(day__gte=start, day__lte=end)
    if sku_ids is not None:
        rows = rows.filter(sku_id__in=list(sku_ids))
    totals: dict[tuple[str, date], int] = defaultdict(int)
    for code, day, quantity in rows.values_list("sku__code", "day", "quantity"):
        totals[(code, day)] += quantity
    return [(code, day, n) for (code, day), n in sorted(totals.items())]
