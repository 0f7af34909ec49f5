"""A small shop for the planning tests: two work centres, a day calendar, shirts with a fabric."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from omnioms.catalog.models import ProductFamily, SkuKind
from omnioms.inventory.models import PlannedOutput
from omnioms.inventory.tests.factories import warehouse
from omnioms.orders.models import Order
from omnioms.planning.models import ProductionOperation, ProductionOrder
from omnioms.production.models import Bom, BomLine, Routing, RoutingOperation, SetupTime, WorkCenter
from omnioms.production.tests.factories import day_calendar, sku

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)
"""Monday 7 December 2026, 08:00 in Shanghai: the start of the shop's first shift."""


def shop() -> dict[str, WorkCenter]:
    """CUT (1 machine) and SEW (2 lines, changeovers between knits and wovens), 08-17 with a
    lunch break, Monday to Friday; SHIRT (knit) and BLOUSE (woven) are cut then sewn."""
    calendar = day_calendar()
    cut = WorkCenter.objects.create(code="CUT", name="Cutting", machines=1, calendar=calendar)
    sew = WorkCenter.objects.create(code="SEW", name="Sewing", machines=2, calendar=calendar)
    knit = ProductFamily.objects.create(code="KNIT", name="Knits")
    woven = ProductFamily.objects.create(code="WOVEN", name="Wovens")
    SetupTime.objects.create(work_center=sew, from_family=knit, to_family=woven, minutes=30)
    SetupTime.objects.create(work_center=sew, from_family=woven, to_family=knit, minutes=30)
    fabric = sku("FABRIC", SkuKind.BOUGHT)
    for code, family, price in (("SHIRT", knit, "120"), ("BLOUSE", woven, "200")):
        made = sku(code)
        made.family, made.price, made.standard_cost = family, Decimal(price), Decimal(60)
        made.save(update_fields=["family", "price", "standard_cost"])
        bom = Bom.objects.create(sku=made, version=1, effective_from=date(2026, 1, 1))
        BomLine.objects.create(bom=bom, position=1, component=fabric, quantity_per=Decimal(1))
        routing = Routing.objects.create(sku=made, version=1, effective_from=date(2026, 1, 1))
        RoutingOperation.objects.create(
            routing=routing, sequence=10, name="Cut", work_center=cut, run_seconds_per_unit=60
        )
        RoutingOperation.objects.create(
            routing=routing, sequence=20, name="Sew", work_center=sew, run_seconds_per_unit=600
        )
    warehouse("wh-1")
    return {"CUT": cut, "SEW": sew}


def production_order(
    code: str, quantity: int, due: date, *, number: str = "", customer_order: Order | None = None
) -> ProductionOrder:
    """A released production order with its routing's operations, as releasing makes it."""
    from omnioms.planning.services import factory_location

    made = sku(code)
    routing = Routing.objects.get(sku=made)
    location = factory_location()
    order = ProductionOrder.objects.create(
        number=number or f"MO-{ProductionOrder.objects.count() + 1:06d}",
        sku=made,
        quantity=quantity,
        due=due,
        location=location,
        routing=routing,
        customer_order=customer_order,
    )
    order.planned_output = PlannedOutput.objects.create(
        sku=made, location=location, quantity=quantity, due_on=due, reference=order.number
    )
    order.save(update_fields=["planned_output"])
    for op in routing.operations.all():
        ProductionOperation.objects.create(
            production_order=order,
            sequence=op.sequence,
            name=op.name,
            work_center=op.work_center,
            setup_minutes=op.setup_minutes,
            run_seconds_per_unit=op.run_seconds_per_unit,
            min_transfer_batch=op.min_transfer_batch,
        )
    return order
