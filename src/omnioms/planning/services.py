"""Use cases of planning: a requirements run from the database, and releasing what it proposes.

:func:`run_requirements` reads what the pure engine (``requirements.py``) needs — SKUs with
their supply terms and lead times, stock, open purchases and production, open customer orders,
the latest forecast, the BOMs in effect — and writes its planned orders with their pegging.
:func:`release_planned_order` turns a proposal into a production order (with its routing's
operations and ``PlannedOutput`` for available-to-promise) or an expected purchase
(``IncomingStock``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from omnioms.catalog.models import Sku, SkuKind
from omnioms.core.actor import Actor
from omnioms.core.choices import OrderStatus
from omnioms.core.models import Location, LocationKind
from omnioms.forecasting.models import ForecastFigure, ForecastRun, Level, RunStatus
from omnioms.inventory.models import (
    IncomingStock,
    PlannedOutput,
    StockBalance,
    SupplyStatus,
)
from omnioms.inventory.selectors import needs_of_orders
from omnioms.orders.models import Order
from omnioms.planning.models import (
    Peg,
    PlannedKind,
    PlannedOrder,
    PlannedStatus,
    ProductionOperation,
    ProductionOrder,
    RequirementsRun,
)
from omnioms.planning.requirements import Demand, Item, Receipt, plan_requirements
from omnioms.production.models import Routing, SupplyTerm
from omnioms.production.services import boms_in_effect, routing_in_effect, routings_in_effect

OPEN_ORDER = (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED)
SHIP_WITHIN_DAYS = 2
"""An open customer order is needed this many days after it was placed (today if overdue)."""
TYPICAL_LOT = Decimal(100)
HOURS_PER_DAY = Decimal(8)


class PlanningError(ValueError):
    """A release that cannot be done; the message names the field."""


def scale(sku: Sku) -> Decimal:
    """Ledger steps per stock unit: 100 when the unit has two decimals (centimetres of fabric)."""
    return Decimal(10) ** sku.unit_decimals


def production_lead_days(routing: Routing | None) -> int:
    """Days to make a typical lot: the routing's hours for ``TYPICAL_LOT`` units at
    ``HOURS_PER_DAY``, rounded up, plus a day to move between operations; one day without one."""
    if routing is None:
        return 1
    hours = sum(
        (
            op.setup_minutes / 60 + op.run_seconds_per_unit * TYPICAL_LOT / 3600
            for op in routing.operations.all()
        ),
        Decimal(0),
    )
    return math.ceil(hours / HOURS_PER_DAY) + 1


@dataclass
class Inputs:
    items: dict[str, Item]
    demands: list[Demand]
    receipts: list[Receipt]
    skus: dict[str, Sku]


MAKE_COVER_DAYS = 7
"""A made SKU's planned order covers a week of net requirements unless the run says otherwise."""


def gather_inputs(
    today: date,
    *,
    horizon_days: int,
    forecast: ForecastRun | None,
    make_cover_days: int = MAKE_COVER_DAYS,
) -> Inputs:
    """What the engine needs, read in a fixed number of queries per kind of fact."""
    boms = boms_in_effect(today)
    # Bundles are not planned: their demand is their parts' (``needs_of_orders``).
    skus = {s.code: s for s in Sku.objects.filter(is_active=True, components__isnull=True)}
    routings = routings_in_effect(today)
    stock: dict[int, tuple[Decimal, Decimal]] = defaultdict(lambda: (Decimal(0), Decimal(0)))
    for sku_id, held, kept in (
        StockBalance.objects.values("sku_id")
        .annotate(held=Sum("on_hand"), kept=Sum("safety_stock"))
        .values_list("sku_id", "held", "kept")
    ):
        stock[sku_id] = (Decimal(held or 0), Decimal(kept or 0))
    terms: dict[int, SupplyTerm] = {}
    for term in SupplyTerm.objects.order_by("-preferred", "lead_time_days"):
        terms.setdefault(term.sku_id, term)
    items: dict[str, Item] = {}
    for code, sku in skus.items():
        per = scale(sku)
        on_hand, safety = stock[sku.pk]
        made = sku.kind == SkuKind.MADE or code in boms
        supply = terms.get(sku.pk)
        if made:
            lead = production_lead_days(routings.get(sku.pk))
        else:
            lead = supply.lead_time_days if supply else 0
        items[code] = Item(
            code=code,
            made=made,
            lead_time_days=lead,
            on_hand=on_hand / per,
            safety_stock=safety / per,
            min_lot=supply.min_order_quantity if supply and not made else Decimal(0),
            multiple=supply.order_multiple if supply and not made else Decimal(0),
            step=1 / per,
            cover_days=make_cover_days if made else 1,
        )
    code_of = {sku.pk: code for code, sku in skus.items()}
    demands: list[Demand] = []
    open_orders = Order.objects.filter(status__in=OPEN_ORDER)
    placed = dict(open_orders.values_list("pk", "placed_at"))
    for order_id, needs in needs_of_orders(open_orders).items():
        due = max(today, placed[order_id].date() + timedelta(days=SHIP_WITHIN_DAYS))
        for sku_id, n in needs.net.items():
            if sku_id in code_of:
                demands.append(Demand(code_of[sku_id], due, Decimal(n), f"order:{order_id}"))
    if forecast is not None:
        horizon_end = today + timedelta(days=horizon_days)
        for sku_id, day, final in ForecastFigure.objects.filter(
            run=forecast, level=Level.DAY, period_start__gte=today, period_start__lt=horizon_end
        ).values_list("sku_id", "period_start", "final"):
            if sku_id in code_of and final > 0:
                demands.append(Demand(code_of[sku_id], day, final, "forecast"))
    receipts: list[Receipt] = []
    for sku_id, day, quantity, received in IncomingStock.objects.filter(
        status=SupplyStatus.OPEN
    ).values_list("sku_id", "expected_on", "quantity", "received_quantity"):
        if sku_id in code_of and quantity > received:
            sku = skus[code_of[sku_id]]
            receipts.append(
                Receipt(sku.code, day, Decimal(quantity - received) / scale(sku), "incoming")
            )
    for sku_id, day, quantity in PlannedOutput.objects.filter(status=SupplyStatus.OPEN).values_list(
        "sku_id", "due_on", "quantity"
    ):
        if sku_id in code_of:
            sku = skus[code_of[sku_id]]
            receipts.append(Receipt(sku.code, day, Decimal(quantity) / scale(sku), "production"))
    return Inputs(items, demands, receipts, skus)


def run_requirements(
    *,
    as_of: date | None = None,
    horizon_days: int = 120,
    make_cover_days: int = MAKE_COVER_DAYS,
    forecast: ForecastRun | None = None,
    progress: Callable[[float, str], None] | None = None,
    job_id: int | None = None,
) -> RequirementsRun:
    """A requirements run: planned orders with their pegging, as of ``as_of`` (today).

    Uses ``forecast`` or the latest ready forecast run; without one, only confirmed orders.
    """
    today = as_of or timezone.localdate()
    forecast = forecast or (
        ForecastRun.objects.filter(status=RunStatus.READY, as_of__lte=today).first()
    )
    report = progress or (lambda fraction, message: None)
    report(0.05, "reading stock, orders and the forecast")
    inputs = gather_inputs(
        today, horizon_days=horizon_days, forecast=forecast, make_cover_days=make_cover_days
    )
    report(0.4, "planning level by level")
    plan = plan_requirements(
        inputs.items,
        boms_in_effect(today),
        inputs.demands,
        inputs.receipts,
        today=today,
        horizon_days=horizon_days,
    )
    report(0.8, "writing planned orders")
    late = {order.number for order in plan.late}
    with transaction.atomic():
        run = RequirementsRun.objects.create(
            as_of=today,
            horizon_days=horizon_days,
            forecast_run=forecast,
            job_id=job_id,
            summary={
                "make": sum(1 for o in plan.orders if o.made),
                "buy": sum(1 for o in plan.orders if not o.made),
                "late": len(late),
                "demands": len(inputs.demands),
            },
        )
        rows = PlannedOrder.objects.bulk_create(
            PlannedOrder(
                run=run,
                number=order.number,
                kind=PlannedKind.MAKE if order.made else PlannedKind.BUY,
                sku=inputs.skus[order.sku],
                quantity=order.quantity,
                proposed_quantity=order.quantity,
                start=order.start,
                due=order.due,
                late=order.number in late,
            )
            for order in plan.orders
            if order.sku in inputs.skus
        )
        by_number = {row.number: row for row in rows}
        Peg.objects.bulk_create(
            Peg(
                planned_order=by_number[order.number],
                source=peg.source,
                day=peg.day,
                quantity=peg.quantity.quantize(Decimal("0.000001")),
            )
            for order in plan.orders
            if order.number in by_number
            for peg in order.pegs
        )
    report(1.0, "done")
    return run


# ----------------------------------------------------------------------------------------------
# Releasing


def _next_number() -> str:
    last = ProductionOrder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return f"MO-{last + 1:06d}"


def factory_location() -> Location:
    """Where finished goods are received: the first active warehouse."""
    location = (
        Location.objects.filter(is_active=True, kind=LocationKind.WAREHOUSE).order_by("pk").first()
    )
    if location is None:
        raise PlanningError("location: there is no active warehouse to receive production into")
    return location


def release_planned_order(
    planned_id: int,
    *,
    actor: Actor,
    quantity: Decimal | None = None,
    due: date | None = None,
    now: datetime | None = None,
) -> ProductionOrder | IncomingStock:
    """Release a proposed order as it is or with the planner's quantity and due date: a make
    becomes a :class:`ProductionOrder` with its routing's operations and a ``PlannedOutput``;
    a buy becomes an expected ``IncomingStock`` from the preferred supplier. ``now``: the
    release's time (a simulated clock; the wall clock by default)."""
    with transaction.atomic():
        planned = (
            PlannedOrder.objects.select_for_update(of=("self",))
            .select_related("sku")
            .get(pk=planned_id)
        )
        if planned.status != PlannedStatus.PROPOSED:
            raise PlanningError(f"status: this planned order is already {planned.status}")
        sku = planned.sku
        amount = quantity if quantity is not None else planned.quantity
        if amount <= 0:
            raise PlanningError("quantity: must be more than 0")
        due_on = due or planned.due
        steps = int((amount * scale(sku)).to_integral_value(ROUND_CEILING))
        location = factory_location()
        released: ProductionOrder | IncomingStock
        if planned.kind == PlannedKind.MAKE:
            released = _make(planned, sku, steps, due_on, location)
        else:
            term = (
                SupplyTerm.objects.filter(sku=sku)
                .select_related("supplier")
                .order_by("-preferred")
                .first()
            )
            released = IncomingStock.objects.create(
                sku=sku,
                location=location,
                quantity=steps,
                expected_on=due_on,
                reference=f"planned {planned.run_id}/{planned.number}",
                supplier=term.supplier.name if term else "",
                unit_cost=term.unit_price if term else sku.unit_cost,
                currency=term.currency if term else sku.currency,
            )
        planned.quantity, planned.due = amount, due_on
        planned.status = PlannedStatus.RELEASED
        planned.released_at = now or timezone.now()
        planned.released_by_id = actor.user_id
        planned.save(update_fields=["quantity", "due", "status", "released_at", "released_by"])
    return released


def _make(
    planned: PlannedOrder, sku: Sku, quantity: int, due: date, location: Location
) -> ProductionOrder:
    routing = routing_in_effect(sku, due)
    order = ProductionOrder.objects.create(
        number=_next_number(),
        sku=sku,
        quantity=quantity,
        due=due,
        start=planned.start,
        location=location,
        planned_order=planned,
        routing=routing,
    )
    order.planned_output = PlannedOutput.objects.create(
        sku=sku, location=location, quantity=quantity, due_on=due, reference=order.number
    )
    order.save(update_fields=["planned_output"])
    for op in routing.operations.all() if routing else []:
        copied = ProductionOperation.objects.create(
            production_order=order,
            sequence=op.sequence,
            name=op.name,
            work_center=op.work_center,
            setup_minutes=op.setup_minutes,
            run_seconds_per_unit=op.run_seconds_per_unit,
            min_transfer_batch=op.min_transfer_batch,
        )
        copied.alternatives.set(op.alternatives.all())
    return order
