"""The demo company's factory: what it makes, from what, on which lines, and two years of demand.

Hangzhou Qinghe cuts, sews, presses and packs its tees, hoodies and jeans; socks are bought and
resold, the three-pack is a bundle. Everything is created through the same use cases a planner
uses (the workbook import, the calendar file upload, the demand-history import, a forecast run
and a requirements run as jobs), so the demo shows what a real set-up looks like.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from omnioms.catalog.models import ProductFamily, Sku, SkuKind
from omnioms.catalog.services import create_product
from omnioms.channels.models import ChannelAccount
from omnioms.core.actor import Actor
from omnioms.core.jobs import run_job, start_job
from omnioms.core.models import Location
from omnioms.customers.models import Customer
from omnioms.demo.catalog import SKUS, DemoSku, demand_weight
from omnioms.floor.demo import answer_a_t3_loop, floor_start, load_floor_demo
from omnioms.floor.models import FloorException, MaterialPolicy
from omnioms.forecasting.history import import_demand_history, rebuild_demand
from omnioms.forecasting.models import RollingSchedule
from omnioms.forecasting.services import SalesFigure, load_preset_events, save_sales_input
from omnioms.inventory.models import IncomingStock
from omnioms.inventory.services import receive_stock
from omnioms.planning.models import (
    PlannedKind,
    PlannedStatus,
    ProductionOrder,
    RequirementsRun,
    RushRequest,
)
from omnioms.planning.rush import accept, assess, propose, request_rush
from omnioms.planning.schedules import publish, run_schedule
from omnioms.planning.services import factory_location, release_planned_order
from omnioms.production import editing
from omnioms.production.models import Bom, Calendar, Supplier, SupplyTerm, VersionStatus
from omnioms.production.services import import_master_data, roll_up_standard_costs
from omnioms.production.spreadsheets import write_workbook

PLANNER = Actor.system("demo planner")
HOLIDAYS = Path(__file__).resolve().parents[1] / "production" / "presets" / "cn_public_holidays.csv"

FAMILIES = {
    "tee": ("KNIT-TEE", "针织T恤 Knit tees"),
    "hoodie": ("FLEECE", "卫衣 Fleece"),
    "jeans": ("DENIM", "牛仔 Denim"),
}

# code, name, unit, decimals, supplier, lead days, MOQ, multiple, price
MATERIALS = [
    (
        "FAB-JERSEY-260",
        "260g 精梳棉汗布 combed cotton jersey",
        "m",
        2,
        "MILL-SX",
        21,
        200,
        50,
        "18.50",
    ),
    ("FAB-FLEECE-320", "320g 加绒卫衣布 brushed fleece", "m", 2, "MILL-SX", 28, 200, 50, "26.00"),
    ("FAB-DENIM-12", "12oz 水洗牛仔布 washed denim", "m", 2, "MILL-GZ", 35, 300, 100, "31.00"),
    (
        "THREAD-402",
        "402 涤纶缝纫线 polyester thread (cone)",
        "pcs",
        0,
        "TRIM-YW",
        7,
        50,
        10,
        "6.50",
    ),
    ("LABEL-WOVEN", "织唛 woven label", "pcs", 0, "TRIM-YW", 10, 1000, 500, "0.12"),
    ("CORD-HOODIE", "卫衣帽绳 hoodie drawcord", "pcs", 0, "TRIM-YW", 10, 500, 100, "0.60"),
    ("BTN-JEANS", "牛仔工字扣 jeans button", "pcs", 0, "TRIM-YW", 10, 500, 100, "0.35"),
    ("RIVET-CU", "铜铆钉 copper rivet", "pcs", 0, "TRIM-YW", 10, 1000, 500, "0.08"),
    ("POLYBAG", "PE 包装袋 polybag", "pcs", 0, "PACK-HZ", 3, 1000, 500, "0.10"),
    ("CARTON-60", "60cm 五层纸箱 carton", "pcs", 0, "PACK-HZ", 3, 50, 10, "4.20"),
]
SUPPLIERS = {
    "MILL-SX": "绍兴柯桥纺织 Shaoxing Keqiao Textiles",
    "MILL-GZ": "广州新塘牛仔 Guangzhou Xintang Denim",
    "TRIM-YW": "义乌辅料 Yiwu Trims",
    "PACK-HZ": "杭州包装 Hangzhou Packaging",
}
# category -> (fabric, metres, scrap), trims per unit, units per carton
BILLS: dict[str, tuple[tuple[str, str, str], list[tuple[str, str]], int]] = {
    "tee": (("FAB-JERSEY-260", "1.35", "0.05"), [("THREAD-402", "0.02"), ("LABEL-WOVEN", "1")], 24),
    "hoodie": (
        ("FAB-FLEECE-320", "2.10", "0.06"),
        [("THREAD-402", "0.04"), ("LABEL-WOVEN", "1"), ("CORD-HOODIE", "1")],
        12,
    ),
    "jeans": (
        ("FAB-DENIM-12", "1.60", "0.08"),
        [("THREAD-402", "0.05"), ("LABEL-WOVEN", "1"), ("BTN-JEANS", "1"), ("RIVET-CU", "6")],
        12,
    ),
}
# category -> [(operation, work centre, alternatives, setup minutes, seconds per unit, batch)]
ROUTES: dict[str, list[tuple[str, str, str, int, int, int | None]]] = {
    "tee": [
        ("裁剪 Cut", "CUT", "", 20, 25, None),
        ("缝制 Sew", "SEW-1", "SEW-2", 30, 480, 24),
        ("整烫 Press", "PRESS", "", 5, 40, None),
        ("包装 Pack", "PACK", "", 5, 20, None),
    ],
    "hoodie": [
        ("裁剪 Cut", "CUT", "", 25, 40, None),
        ("缝制 Sew", "SEW-2", "SEW-1", 45, 900, 12),
        ("整烫 Press", "PRESS", "", 5, 60, None),
        ("包装 Pack", "PACK", "", 5, 30, None),
    ],
    "jeans": [
        ("裁剪 Cut", "CUT", "", 30, 45, None),
        ("缝制 Sew", "SEW-1", "SEW-2", 60, 1200, 12),
        ("整烫 Press", "PRESS", "", 5, 90, None),
        ("包装 Pack", "PACK", "", 5, 30, None),
    ],
}
WORK_CENTRES = [
    ("CUT", "裁剪台 Cutting tables", 4, "45"),
    ("SEW-1", "缝制一线 Sewing line 1", 12, "38"),
    ("SEW-2", "缝制二线 Sewing line 2", 10, "38"),
    ("PRESS", "整烫 Pressing", 3, "32"),
    ("PACK", "包装 Packing", 4, "30"),
]
UNITS_PER_DAY = 34.0
"""All channels' units a day in an ordinary week, before seasons: the size of the order
history the channel generators send."""
FESTIVAL_UPLIFT = {"06-16": 2.2, "06-17": 2.4, "06-18": 3.0, "11-11": 4.5, "12-12": 1.8}


def load_factory(*, now: datetime, history_start: date, seed: int) -> str:
    """Create the factory's master data, import the demand from before ``history_start``
    (two years of the shop's old sales), load the event calendar, enter a sales forecast and
    make a forecast run and a requirements run; return a line for the demo's report."""
    with transaction.atomic():
        _families_and_kinds()
        _materials()
        report = import_master_data(_master_workbook())
        if not report.ok:  # the demo's own workbook: a problem here is a bug
            raise RuntimeError("; ".join(str(p) for p in report.problems))
        editing.load_calendar_days(Calendar.objects.get(code="QH-2SHIFT"), HOLIDAYS.read_bytes())
        roll_up_standard_costs(now.date())
        load_preset_events()
        account = ChannelAccount.objects.get(name="tmall-flagship")
        imported = import_demand_history(
            _old_sales(history_start - timedelta(days=730), history_start, seed), account=account
        )
        if imported.problems:
            raise RuntimeError("; ".join(imported.problems))
        _sales_forecast(now.date())
        # The rolling forecast runs on its own from here: monthly, weekly on Mondays.
        RollingSchedule.objects.create(pk=1)
    rebuild_demand(history_start, now.date())
    today = now.date().isoformat()
    forecast = start_job("forecasting.run", actor=PLANNER, as_of=today, horizon_months=6)
    run_job(forecast.pk)
    requirements = start_job("planning.requirements", actor=PLANNER, as_of=today)
    run_job(requirements.pk)
    return (
        f"Factory: {len(WORK_CENTRES)} work centres, BOMs and routings for "
        f"{sum(1 for s in SKUS if s.style.category in BILLS)} SKUs, "
        f"{imported.written} days×SKUs of older demand, a forecast and a requirements run."
    )


def _families_and_kinds() -> None:
    for category, (code, name) in FAMILIES.items():
        family = ProductFamily.objects.create(code=code, name=name)
        codes = [s.code for s in SKUS if s.style.category == category]
        Sku.objects.filter(code__in=codes).update(family=family, kind=SkuKind.MADE)


def _materials() -> None:
    for code, name in SUPPLIERS.items():
        Supplier.objects.create(code=code, name=name)
    for code, name, unit, decimals, supplier, lead, moq, multiple, price in MATERIALS:
        sku = create_product(sku=code, name=name, unit_cost=Decimal(price))
        sku.kind, sku.unit, sku.unit_decimals = SkuKind.BOUGHT, unit, decimals
        sku.save(update_fields=["kind", "unit", "unit_decimals"])
        SupplyTerm.objects.create(
            sku=sku,
            supplier=Supplier.objects.get(code=supplier),
            lead_time_days=lead,
            min_order_quantity=Decimal(moq),
            order_multiple=Decimal(multiple),
            unit_price=Decimal(price),
        )


def _master_workbook() -> bytes:
    tables: dict[str, list[dict[str, Any]]] = {
        "calendars": [
            {"code": "QH-2SHIFT", "name": "两班制 Two shifts", "time_zone": "Asia/Shanghai"}
        ],
        "shifts": [
            {
                "calendar": "QH-2SHIFT",
                "weekday": day,
                "name": name,
                "start": start,
                "end": end,
                "breaks": breaks,
            }
            for day in range(1, 7)  # Monday to Saturday
            for name, start, end, breaks in (
                ("早班 day", "08:00", "17:00", [(_t("12:00"), _t("13:00"))]),
                ("晚班 evening", "17:30", "22:00", [(_t("19:30"), _t("19:45"))]),
            )
        ],
        "work_centres": [
            {
                "code": c,
                "name": n,
                "machines": m,
                "calendar": "QH-2SHIFT",
                "hourly_cost": Decimal(h),
            }
            for c, n, m, h in WORK_CENTRES
        ],
        "boms": [],
        "routings": [],
    }
    for sku in SKUS:
        category = sku.style.category
        if category not in BILLS:
            continue
        (fabric, metres, scrap), trims, per_carton = BILLS[category]
        lines = [(fabric, Decimal(metres), Decimal(scrap))]
        lines += [(code, Decimal(q), Decimal(0)) for code, q in trims]
        lines += [("POLYBAG", Decimal(1), Decimal(0))]
        lines += [
            ("CARTON-60", (Decimal(1) / per_carton).quantize(Decimal("0.000001")), Decimal(0))
        ]
        for component, quantity, waste in lines:
            tables["boms"].append(
                {
                    "sku": sku.code,
                    "version": 1,
                    "effective_from": date(2024, 1, 1),
                    "component": component,
                    "quantity_per": quantity,
                    "scrap_factor": waste,
                }
            )
        for step, (name, centre, alternatives, setup, run, batch) in enumerate(
            ROUTES[category], start=1
        ):
            tables["routings"].append(
                {
                    "sku": sku.code,
                    "version": 1,
                    "effective_from": date(2024, 1, 1),
                    "sequence": step * 10,
                    "operation": name,
                    "work_centre": centre,
                    "alternatives": [alternatives] if alternatives else [],
                    "setup_minutes": Decimal(setup),
                    "run_seconds_per_unit": Decimal(run),
                    "min_transfer_batch": batch,
                }
            )
    return write_workbook(tables)


def _t(text: str) -> time:
    return time.fromisoformat(text)


def _old_sales(start: date, end: date, seed: int) -> str:
    """Daily sales before omnioms, as the shop's old system would export them: seasons, a
    weekly rhythm (weekends sell more online), festivals, growth of a fifth a year, noise."""
    rng = random.Random(f"{seed}:old-sales")
    rows = ["sku,date,quantity"]
    made: list[DemoSku] = [s for s in SKUS if s.style.category in BILLS]
    day = start
    while day < end:
        years_back = (end - day).days / 365
        level = UNITS_PER_DAY * (1.2**-years_back)
        weekday = 1.25 if day.weekday() >= 5 else 0.92
        festival = FESTIVAL_UPLIFT.get(day.strftime("%m-%d"), 1.0)
        for sku in made:
            mean = level * weekday * festival * demand_weight(sku, day)
            quantity = _poisson(rng, mean)
            if quantity:
                rows.append(f"{sku.code},{day.isoformat()},{quantity}")
        day += timedelta(days=1)
    return "\n".join(rows) + "\n"


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _sales_forecast(today: date) -> None:
    """The sales team's figures: a wholesale buyer's denim order and the winter hoodie push."""
    first = today.replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    after = (next_month + timedelta(days=32)).replace(day=1)
    figures: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    figures[("DENIM", next_month)] += Decimal(300)
    figures[("FLEECE", next_month)] += Decimal(900)
    figures[("FLEECE", after)] += Decimal(700)
    save_sales_input(
        [SalesFigure(code, month, quantity, "demo") for (code, month), quantity in figures.items()],
        actor=PLANNER,
    )


RELEASE_DAYS = 21
"""The planner has released what is due in the next three weeks; the rest stays proposed."""
BUILD_AHEAD = 40
"""And the first this many make orders, whenever due: the factory builds stock ahead of the
winter peak and the Spring Festival shutdown, which is what its floor worked on these two
weeks."""
PLAN_SECONDS = 15.0
"""The demo's planning run: long enough for a good plan of its few dozen orders."""
RUSH_QUANTITY = 120
RUSH_DAYS = 2
"""This morning's rush order (插单): 120 pieces wanted two days from today, so it is inside
its T-3 window with all its work open whatever the weekday and however far ahead the floor
is on the planned orders (they are due on the requirements run's weekly dates)."""


OPENING_STOCK = {"m": 4_000_000, "pcs": 400_000}
"""Trims on the factory's shelves when the floor's two weeks begin, in stock steps."""
FLUSHED = {
    "THREAD-402",
    "LABEL-WOVEN",
    "CORD-HOODIE",
    "BTN-JEANS",
    "RIVET-CU",
    "POLYBAG",
    "CARTON-60",
}
"""Trims are back-flushed from the BOM at completion; fabric is issued to each order."""


def load_shop_floor(*, now: datetime, seed: int, plan_seconds: float = PLAN_SECONDS) -> str:
    """The garment factory's shop floor: the planner released what the requirements run wants
    in the next three weeks and the first make orders beyond (built ahead), and two weeks ago
    published a plan for them: trims on the shelves, fabric arriving from the mills day by
    day, so the orders start as their fabric comes. The floor has reported against that plan
    since, with a daily close per day and exceptions. Then this morning sales asked for a
    rush order for the best customer, the PMC proposed its what-if plan and production
    accepted it; it is due in two days with its work open, so the T-3 scan opens a loop on it
    and the supervisor answers it with overtime. Returns a line for the demo's report."""
    start = floor_start(now)
    site = factory_location()
    for code, _name, unit, *_rest in MATERIALS:
        if code in FLUSHED:
            material = Sku.objects.get(code=code)
            receive_stock(
                sku=material,
                location=site,
                quantity=OPENING_STOCK[unit],
                unit_cost=material.unit_cost,
                actor=PLANNER,
                reference="opening stock",
            )
            MaterialPolicy.objects.get_or_create(sku=material)
    run = RequirementsRun.objects.order_by("-pk").filter(summary__has_key="make").first()
    released: list[ProductionOrder | IncomingStock] = []
    if run is not None:
        proposed = run.orders.filter(status=PlannedStatus.PROPOSED)
        soon = proposed.filter(due__lte=now.date() + timedelta(days=RELEASE_DAYS))
        ahead = proposed.filter(kind=PlannedKind.MAKE).order_by("due", "pk")[:BUILD_AHEAD]
        chosen = {p.pk: p for p in [*soon.order_by("due", "pk"), *ahead]}
        for planned in sorted(chosen.values(), key=lambda p: (p.due, p.pk)):
            released.append(release_planned_order(planned.pk, actor=PLANNER))
    deliveries = _fabric_deliveries(released, start, site)
    plan = publish(run_schedule(start, time_limit=plan_seconds, workers=2), None)
    for delivery in deliveries:  # the mills delivered as expected; booked in now
        receive_stock(
            sku=delivery.sku,
            location=site,
            quantity=delivery.quantity,
            unit_cost=delivery.unit_cost,
            actor=PLANNER,
            reference=delivery.reference,
            incoming_id=delivery.pk,
        )
    floor = load_floor_demo(now=now, seed=seed)
    # this morning's rush order, after the floor's two weeks (its what-if plan keeps what was
    # reported before now); the T-3 scan then opens its loop and the supervisor answers it
    rush = _rush_order(now, time_limit=min(plan_seconds, 5.0))
    rushed = ""
    if rush is not None:
        answer_a_t3_loop(now, production_order=rush.production_order)
        rushed = (
            f"rush order {rush.number} ({rush.quantity} x {rush.sku.code} for "
            f"{rush.customer or 'stock'}, wanted {rush.wanted}) accepted and published, "
        )
    loops = FloorException.objects.filter(type__code="t3").count()
    figures = plan.objective
    return (
        f"Shop floor: {len(released)} planned orders released, plan v{plan.version} published "
        f"from {start:%Y-%m-%d} ({figures.get('orders', 0)} production orders, fabric in "
        f"{len(deliveries)} deliveries); {floor['reports']} floor reports over two weeks, "
        f"{floor['closes']} daily closes, {floor['worked']} exceptions worked "
        f"({floor['closed']} closed), {rushed}{loops} T-3 loop{'' if loops == 1 else 's'}."
    )


def _rush_order(now: datetime, *, time_limit: float) -> RushRequest | None:
    """This morning's 插单 through the real approval loop: sales (the manager) requests it
    for the customer with the most orders, the PMC (the planner) assesses and proposes it,
    production (the supervisor) accepts it and its what-if plan is published. The garment is
    the one the first released order makes, so the published plan has its work centres."""
    made = (
        ProductionOrder.objects.filter(customer_order__isnull=True)
        .select_related("sku")
        .order_by("due", "pk")
        .first()
    )
    if made is None:
        return None
    customer = Customer.objects.annotate(n=Count("orders")).order_by("-n", "pk").first()
    users = {
        user.username: user
        for user in User.objects.filter(username__in=("manager", "planner", "supervisor"))
    }
    request = request_rush(
        sku=made.sku,
        quantity=RUSH_QUANTITY,
        wanted=timezone.localdate(now) + timedelta(days=RUSH_DAYS),
        user=users.get("manager"),
        customer=customer,
        note="For our most frequent customer, wanted in two days.",
    )
    request = assess(request, now=now, time_limit=time_limit)
    request = propose(request, users.get("planner"), "Impact report checked.")
    return accept(request, users.get("supervisor"), "Accepted.")


def _fabric_deliveries(
    released: list[ProductionOrder | IncomingStock], start: datetime, site: Location
) -> list[IncomingStock]:
    """The fabric the released production orders need (and a tenth more), expected from the
    mills in equal parts on the first ten working days of the floor's two weeks."""
    need: dict[int, Decimal] = defaultdict(Decimal)
    for order in released:
        if not isinstance(order, ProductionOrder):
            continue
        bom = order.bom or (
            Bom.objects.filter(sku_id=order.sku_id, status=VersionStatus.ACTIVE)
            .order_by("-effective_from", "-version")
            .first()
        )
        if bom is None:
            continue
        for line in bom.lines.select_related("component"):
            if line.component.code.startswith("FAB-"):
                need[line.component_id] += (
                    line.quantity_per * (1 + line.scrap_factor) * order.quantity
                )
    days = [
        start.date() + timedelta(days=n)
        for n in range(14)
        if (start.date() + timedelta(days=n)).weekday() != 6
    ][:10]
    rows = []
    for sku_id, metres in need.items():
        fabric = Sku.objects.get(pk=sku_id)
        steps = math.ceil(metres * Decimal("1.1") * 10**fabric.unit_decimals / len(days))
        for day in days:
            rows.append(
                IncomingStock.objects.create(
                    sku=fabric,
                    location=site,
                    quantity=steps,
                    expected_on=day,
                    reference=f"fabric {day:%m-%d}",
                    supplier=SupplyTerm.objects.filter(sku=fabric)
                    .values_list("supplier__name", flat=True)
                    .first()
                    or "",
                    unit_cost=fabric.unit_cost,
                )
            )
    return rows
