"""A small factory with a published plan, for the floor's tests: shirts cut then sewn, from
fabric kept in metres (two decimals) and buttons back-flushed at completion."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from omnioms.catalog.models import ProductFamily, SkuKind
from omnioms.core.actor import Actor
from omnioms.floor.models import MaterialPolicy
from omnioms.inventory.models import PlannedOutput
from omnioms.inventory.tests.factories import receive, warehouse
from omnioms.orders.models import Order
from omnioms.planning.models import (
    Plan,
    PlannedOperation,
    PlanStatus,
    ProductionOperation,
    ProductionOrder,
)
from omnioms.production.models import Bom, BomLine, Routing, RoutingOperation, WorkCenter
from omnioms.production.tests.factories import day_calendar, sku

ACTOR = Actor("user", "operator-1")
START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
_numbers = itertools.count(1)


@dataclass
class Shop:
    cut: WorkCenter
    sew: WorkCenter
    plan: Plan


def shop() -> Shop:
    """Work centres, the shirt's BOM and routing, fabric and buttons in stock, an empty
    published plan."""
    family, _ = ProductFamily.objects.get_or_create(code="SHIRTS", defaults={"name": "Shirts"})
    shirt = sku("SHIRT")
    shirt.family = family
    shirt.unit_cost = Decimal("40")
    shirt.save(update_fields=["family", "unit_cost"])
    fabric, button = sku("FABRIC", SkuKind.BOUGHT), sku("BUTTON", SkuKind.BOUGHT)
    fabric.unit, fabric.unit_decimals, fabric.unit_cost = "m", 2, Decimal("20")
    fabric.save(update_fields=["unit", "unit_decimals", "unit_cost"])
    button.unit_cost = Decimal("0.5")
    button.save(update_fields=["unit_cost"])
    MaterialPolicy.objects.get_or_create(sku=button)
    calendar = day_calendar()
    cut = WorkCenter.objects.create(code="CUT", name="Cutting", calendar=calendar)
    sew = WorkCenter.objects.create(code="SEW", name="Sewing", machines=4, calendar=calendar)
    bom = Bom.objects.create(sku=shirt, version=1, effective_from=date(2026, 1, 1))
    BomLine.objects.create(bom=bom, position=1, component=fabric, quantity_per=Decimal("1.5"))
    BomLine.objects.create(bom=bom, position=2, component=button, quantity_per=Decimal(8))
    routing = Routing.objects.create(sku=shirt, version=1, effective_from=date(2026, 1, 1))
    RoutingOperation.objects.create(
        routing=routing, sequence=10, name="Cut", work_center=cut, run_seconds_per_unit=60
    )
    RoutingOperation.objects.create(
        routing=routing, sequence=20, name="Sew", work_center=sew, run_seconds_per_unit=540
    )
    wh = warehouse("wh-1")
    receive(fabric, wh, 100_000)  # 1,000 m
    receive(button, wh, 10_000)
    plan = Plan.objects.create(
        version=next(_numbers),
        status=PlanStatus.PUBLISHED,
        horizon_start=START,
        horizon_end=START + timedelta(days=30),
    )
    return Shop(cut=cut, sew=sew, plan=plan)


def production_order(
    shop: Shop,
    quantity: int = 100,
    *,
    due: date = date(2026, 12, 10),
    start: datetime = START,
    customer_order: Order | None = None,
) -> ProductionOrder:
    """A released order of shirts with both operations placed in the published plan."""
    number = f"MO-{next(_numbers):05d}"
    shirt = sku("SHIRT")
    wh = warehouse("wh-1")
    order = ProductionOrder.objects.create(
        number=number,
        sku=shirt,
        quantity=quantity,
        due=due,
        start=start.date(),
        location=wh,
        bom=Bom.objects.get(sku=shirt),
        routing=Routing.objects.get(sku=shirt),
        customer_order=customer_order,
    )
    order.planned_output = PlannedOutput.objects.create(
        sku=shirt, location=wh, quantity=quantity, due_on=due, reference=number
    )
    order.save(update_fields=["planned_output"])
    at = start
    for step in order.routing.operations.all():  # type: ignore[union-attr]
        op = ProductionOperation.objects.create(
            production_order=order,
            sequence=step.sequence,
            name=step.name,
            work_center=step.work_center,
            run_seconds_per_unit=step.run_seconds_per_unit,
        )
        end = at + timedelta(seconds=float(step.run_seconds_per_unit) * quantity)
        PlannedOperation.objects.create(
            plan=shop.plan, operation=op, work_center=step.work_center, start=at, end=end
        )
        at = end
    return order


def one_of_each_floor() -> None:
    """A row of every floor model the back office shows (after ``one_of_each_master``)."""
    from omnioms.catalog.models import Sku
    from omnioms.core.models import Location, LocationKind
    from omnioms.floor.close import run_daily_close
    from omnioms.floor.exceptions import open_exception
    from omnioms.floor.models import (
        ChatKind,
        ChatWebhook,
        InventoryBenchmark,
        PromiseRule,
        T3Rule,
    )
    from omnioms.floor.reporting import report_operation

    T3Rule.objects.create(days=3)
    ChatWebhook.objects.create(name="line", kind=ChatKind.WECOM, url="https://example.com/hook")
    InventoryBenchmark.objects.create(
        segment="Apparel", company="Own", year=2025, days=Decimal(60), source="own figures"
    )
    sku_row = Sku.objects.order_by("pk").first()
    centre = WorkCenter.objects.order_by("pk").first()
    assert sku_row is not None
    assert centre is not None
    MaterialPolicy.objects.get_or_create(sku=sku_row)
    place = Location.objects.create(code="fl-wh", name="Factory", kind=LocationKind.WAREHOUSE)
    order = ProductionOrder.objects.create(
        number="MO-ADMIN", sku=sku_row, quantity=10, due=date(2026, 12, 10), location=place
    )
    op = ProductionOperation.objects.create(
        production_order=order,
        sequence=10,
        name="Sew",
        work_center=centre,
        run_seconds_per_unit=Decimal(60),
    )
    report_operation(
        operation_id=op.pk,
        report_id="admin-1",
        kind="start",
        at=START,
        actor=ACTOR,
        source="api",
    )
    run_daily_close(START.date())
    open_exception("scrap", key="admin:scrap", title="scrap", figures={}, actor=ACTOR)
    PromiseRule.objects.create(promise_days=5)  # the default promise for every account


def planned_fortnight(now: datetime, orders: int = 12) -> Shop:
    """The shop with ``orders`` shirt orders started one after another over the two weeks
    before ``now`` (each due four days after it starts) in its published plan: what the floor
    demo reports against."""
    place = shop()
    fabric = sku("FABRIC", SkuKind.BOUGHT)
    receive(fabric, warehouse("wh-1"), 2_000_000)  # 20,000 m more
    first = now - timedelta(days=14)
    for n in range(orders):
        start = first + timedelta(days=16 * n / orders)
        production_order(
            place,
            (60, 100, 150, 200)[n % 4],
            due=(start + timedelta(days=4)).date(),
            start=start,
        )
    return place
