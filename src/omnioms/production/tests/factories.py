"""Production master data for tests, made through the models' own rules."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from omnioms.catalog.models import ProductFamily, Sku, SkuKind
from omnioms.catalog.services import create_product
from omnioms.production.models import (
    Bom,
    BomLine,
    Calendar,
    CalendarDay,
    DayKind,
    Routing,
    RoutingOperation,
    SetupTime,
    Shift,
    ShiftBreak,
    Supplier,
    SupplyTerm,
    WorkCenter,
)


def sku(code: str, kind: str = SkuKind.MADE) -> Sku:
    found = Sku.objects.filter(code=code).first() or create_product(sku=code, name=code)
    if found.kind != kind:
        found.kind = kind
        found.save(update_fields=["kind"])
    return found


def day_calendar(code: str = "DAY") -> Calendar:
    calendar, created = Calendar.objects.get_or_create(code=code, defaults={"name": code})
    if created:
        for weekday in range(5):
            shift = Shift.objects.create(
                calendar=calendar, weekday=weekday, start=time(8), end=time(17)
            )
            ShiftBreak.objects.create(shift=shift, start=time(12), end=time(13))
    return calendar


def one_of_each_master() -> None:
    """A row of every production model (the admin test opens each one's pages)."""
    family = ProductFamily.objects.create(code="KNIT", name="Knits")
    shirt, fabric = sku("SHIRT"), sku("FABRIC", SkuKind.BOUGHT)
    supplier = Supplier.objects.create(code="MILL", name="Mill")
    SupplyTerm.objects.create(sku=fabric, supplier=supplier, lead_time_days=21, unit_price=20)
    calendar = day_calendar()
    CalendarDay.objects.create(calendar=calendar, date=date(2027, 2, 11), kind=DayKind.HOLIDAY)
    sew = WorkCenter.objects.create(code="SEW", name="Sewing", machines=10, calendar=calendar)
    SetupTime.objects.create(work_center=sew, from_family=family, to_family=family, minutes=5)
    bom = Bom.objects.create(sku=shirt, version=1, effective_from=date(2026, 1, 1))
    BomLine.objects.create(bom=bom, position=1, component=fabric, quantity_per=Decimal("1.4"))
    routing = Routing.objects.create(sku=shirt, version=1, effective_from=date(2026, 1, 1))
    RoutingOperation.objects.create(
        routing=routing, sequence=10, name="Sew", work_center=sew, run_seconds_per_unit=540
    )
