"""Capable to promise: the earliest date a quantity of a SKU can be delivered.

:func:`promise_date` is the service other apps call (a quote, an order's promise date)::

    promise_date(sku: Sku | str, quantity: int, today: date | None = None) -> Promise

``quantity`` is in the SKU's ledger steps (pieces, or centimetres for a SKU counted to two
decimals), like every stock figure. In this order:

1. **stock**: on hand less reserved, over all locations, covers it: today;
2. **supply**: open incoming stock and open planned production (whose dates follow the
   published plan) by date: the first day their running total with the stock covers it;
3. **capacity**: what stock does not cover is made: the SKU's routing in effect, placed into
   the idle time of the *published* plan's machines without moving anything
   (``capacity.earliest_finish``), starting when its materials are on hand or due (the BOM's
   components against their stock and supply); its local date.

The earlier of (2) and (3) is the promise; ``Promise.date`` is None when neither is known (no
supply and nothing to make it with, or beyond the published plan's horizon). Supply and free
capacity are not reserved by the answer: two quotes asked at once may both get the same day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.db.models import Sum
from django.utils import timezone

from omnioms.catalog.models import Sku
from omnioms.inventory.models import IncomingStock, PlannedOutput, StockBalance, SupplyStatus
from omnioms.planning import model as engine
from omnioms.planning.adapter import Adapted, build_problem, duration_minutes
from omnioms.planning.capacity import earliest_finish
from omnioms.planning.models import Plan
from omnioms.planning.schedules import engine_plan, published_plan
from omnioms.production.services import boms_in_effect, routing_in_effect


@dataclass(frozen=True)
class Promise:
    date: date | None
    source: str
    """``stock``, ``supply``, ``capacity`` or ``none``."""
    available: int = 0
    """On hand less reserved now."""
    made: int = 0
    """How much of it would be made."""
    steps: list[dict[str, str]] = field(default_factory=list)
    """Where the made quantity's operations would run (work centre, machine, start, end)."""


def _available(sku_ids: list[int]) -> dict[int, int]:
    return {
        sku_id: max(0, (held or 0) - (kept or 0))
        for sku_id, held, kept in StockBalance.objects.filter(sku_id__in=sku_ids)
        .values("sku_id")
        .annotate(held=Sum("on_hand"), kept=Sum("reserved"))
        .values_list("sku_id", "held", "kept")
    }


def _supply(sku_ids: list[int], today: date) -> dict[int, list[tuple[date, int]]]:
    found: dict[int, list[tuple[date, int]]] = {}
    for sku_id, day, quantity, received in IncomingStock.objects.filter(
        sku_id__in=sku_ids, status=SupplyStatus.OPEN
    ).values_list("sku_id", "expected_on", "quantity", "received_quantity"):
        if quantity > received:
            found.setdefault(sku_id, []).append((max(day, today), quantity - received))
    for sku_id, day, quantity in PlannedOutput.objects.filter(
        sku_id__in=sku_ids, status=SupplyStatus.OPEN
    ).values_list("sku_id", "due_on", "quantity"):
        found.setdefault(sku_id, []).append((max(day, today), quantity))
    for rows in found.values():
        rows.sort()
    return found


def _covered_on(have: int, supply: list[tuple[date, int]], wanted: int, today: date) -> date | None:
    if have >= wanted:
        return today
    for day, quantity in supply:
        have += quantity
        if have >= wanted:
            return day
    return None


def promise_date(sku: Sku | str, quantity: int, today: date | None = None) -> Promise:
    """The earliest date ``quantity`` of ``sku`` can be delivered (see the module's doc)."""
    tz = ZoneInfo(django_settings.TIME_ZONE)
    today = today or timezone.localdate()
    item = sku if isinstance(sku, Sku) else Sku.objects.get(code=sku)
    if quantity <= 0:
        raise ValueError("quantity: must be more than 0")
    available = _available([item.pk]).get(item.pk, 0)
    if available >= quantity:
        return Promise(today, "stock", available)
    supplied = _covered_on(available, _supply([item.pk], today).get(item.pk, []), quantity, today)
    made = _made_by(item, quantity - available, today, tz)
    if made is not None and (supplied is None or made[0] < supplied):
        return Promise(made[0], "capacity", available, quantity - available, made[1])
    if supplied is not None:
        return Promise(supplied, "supply", available)
    return Promise(None, "none", available)


def _made_by(
    item: Sku, quantity: int, today: date, tz: ZoneInfo
) -> tuple[date, list[dict[str, str]]] | None:
    routing = routing_in_effect(item, today)
    plan = published_plan()
    if routing is None or plan is None:
        return None
    operations = list(routing.operations.all())
    if not operations:
        return None
    adapted, current = published_view(plan)
    ready = _materials_on(item, quantity, today)
    if ready is None:
        return None
    now = max(timezone.now(), datetime.combine(ready, time(0), tz))
    order = engine.Order(
        id="promise",
        operations=tuple(
            engine.Operation(
                id=f"promise/{op.sequence}",
                durations={
                    op.work_center.code: duration_minutes(
                        op.setup_minutes, op.run_seconds_per_unit, quantity
                    ),
                    **{
                        alt.code: duration_minutes(
                            op.setup_minutes, op.run_seconds_per_unit, quantity
                        )
                        for alt in op.alternatives.all()
                        if alt.code in adapted.work_centers
                    },
                },
            )
            for op in operations
            if op.work_center.code in adapted.work_centers
        ),
        due=0,
    )
    if len(order.operations) != len(operations):
        return None
    found = earliest_finish(adapted.problem, current, order, not_before=max(0, adapted.minute(now)))
    if found is None:
        return None
    end, placed = found
    steps = [
        {
            "work_center": p.work_center,
            "machine": str(p.machine + 1),
            "start": adapted.moment(p.start).astimezone(tz).isoformat(),
            "end": adapted.moment(p.end).astimezone(tz).isoformat(),
        }
        for p in placed
    ]
    return adapted.moment(end).astimezone(tz).date(), steps


_VIEWS: dict[int, tuple[Adapted, engine.Plan]] = {}


def published_view(plan: Plan) -> tuple[Adapted, engine.Plan]:
    """The published plan as the engine's problem and plan, kept per plan: a published plan
    never changes (moves edit proposals), so a promise after the first is milliseconds."""
    found = _VIEWS.get(plan.pk)
    if found is None:
        adapted = build_problem(plan=plan)
        found = (adapted, engine_plan(adapted, plan))
        _VIEWS.clear()
        _VIEWS[plan.pk] = found
    return found


def forget_views() -> None:
    """Called when a plan is published (and by tests, whose plans reuse ids)."""
    _VIEWS.clear()


def _materials_on(item: Sku, quantity: int, today: date) -> date | None:
    """The day the components of ``quantity`` are on hand or due (None: never known)."""
    lines = boms_in_effect(today).get(item.code, [])
    if not lines:
        return today
    skus = {s.code: s for s in Sku.objects.filter(code__in=[line.component for line in lines])}
    ids = [s.pk for s in skus.values()]
    have = _available(ids)
    supply = _supply(ids, today)
    units = Decimal(quantity) / (Decimal(10) ** item.unit_decimals)
    latest = today
    for line in lines:
        component = skus.get(line.component)
        if component is None:
            return None
        need = math.ceil(
            units * line.quantity_per * (1 + line.scrap_factor) * 10**component.unit_decimals
        )
        day = _covered_on(have.get(component.pk, 0), supply.get(component.pk, []), need, today)
        if day is None:
            return None
        latest = max(latest, day)
    return latest


__all__ = ["Promise", "promise_date"]
