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

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.catalog.models import Sku
from omnioms.channels.models import ChannelAccount
from omnioms.core.actor import Actor
from omnioms.core.bulk import bulk_insert, new_rows
from omnioms.core.choices import OrderStatus
from omnioms.forecasting.models import DemandDay, DemandDayToRecount, DemandSource
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
    DemandDay.objects.filter(day=day, source=DemandSource.ORDERS).delete()
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
    counted: dict[tuple[str, date], int] = defaultdict(int)
    imported: dict[tuple[str, date], int] = defaultdict(int)
    for code, day, quantity, source in rows.values_list("sku__code", "day", "quantity", "source"):
        (imported if source == DemandSource.IMPORTED else counted)[(code, day)] += quantity
    totals = {**imported, **counted}  # orders known for a SKU and day win over an import
    return [(code, day, n) for (code, day), n in sorted(totals.items())]


@dataclass
class HistoryReport:
    written: int = 0
    problems: list[str] = field(default_factory=list)


def import_demand_history(text: str, *, account: ChannelAccount) -> HistoryReport:
    """Past sales from CSV ``sku,date,quantity`` (the format of ``omnioms forecast series``),
    as ``imported`` demand of ``account``: all rows or none, each problem naming its row."""
    report = HistoryReport()
    reader = csv.DictReader(io.StringIO(text))
    if [name.strip() for name in reader.fieldnames or []][:3] != ["sku", "date", "quantity"]:
        report.problems.append(_("row 1: the header must be sku,date,quantity"))
        return report
    wanted: dict[tuple[str, date], int] = defaultdict(int)
    for number, row in enumerate(reader, start=2):
        try:
            day = date.fromisoformat((row["date"] or "").strip())
            quantity = int((row["quantity"] or "").strip())
        except ValueError:
            report.problems.append(
                _("row %(row)s: date must be YYYY-MM-DD and quantity a whole number")
                % {"row": number}
            )
            continue
        if not 0 <= quantity <= 2_147_483_647:
            report.problems.append(_("row %(row)s: quantity out of range") % {"row": number})
            continue
        wanted[((row["sku"] or "").strip(), day)] += quantity
    ids = dict(Sku.objects.filter(code__in={c for c, _d in wanted}).values_list("code", "pk"))
    for code in sorted({c for c, _d in wanted} - set(ids)):
        report.problems.append(_("no SKU %(code)r") % {"code": code})
    if report.problems:
        return report
    with transaction.atomic():
        DemandDay.objects.filter(
            account=account,
            source=DemandSource.IMPORTED,
            day__in={d for _c, d in wanted},
            sku_id__in=set(ids.values()),
        ).delete()
        bulk_insert(
            [
                _new_day(
                    day=day,
                    sku_id=ids[code],
                    account_id=account.pk,
                    quantity=n,
                    orders=0,
                    source=DemandSource.IMPORTED,
                )
                for (code, day), n in sorted(wanted.items())
                if n
            ],
            returning_ids=False,
        )
    report.written = sum(1 for n in wanted.values() if n)
    return report
