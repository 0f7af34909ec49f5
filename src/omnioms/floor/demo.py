"""The shop floor of the demo factory: two weeks of floor reports behind its published plan,
a daily close per day, exceptions open and closed, a T-3 loop in progress, KPI targets.

:func:`load_floor_demo` uses the published plan when there is one. Without one it builds a
small factory of its own through the public services (master data, planned orders released
with :func:`~omnioms.planning.services.release_planned_order`) and places their operations in
a plan of its own, one after the other on each machine in working hours: a stand-in until the
planning run publishes plans in the demo.

Every report goes through :func:`~omnioms.floor.reporting.report_operation` and every
material movement through the stock ledger, as on a real floor; the random choices come from
``seed``, so the same seed gives the same floor.
"""

from __future__ import annotations

import random
import secrets
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from omnioms.catalog.models import ProductFamily, Sku, SkuKind
from omnioms.catalog.services import create_product
from omnioms.core.actor import Actor
from omnioms.core.models import Location, LocationKind
from omnioms.core.roles import Role
from omnioms.core.services import create_staff_user
from omnioms.floor.close import run_daily_close
from omnioms.floor.exceptions import take_step
from omnioms.floor.materials import issue_material, return_material, scale
from omnioms.floor.models import (
    CommitDate,
    ExceptionStatus,
    FloorException,
    KpiTargets,
    MaterialPolicy,
)
from omnioms.floor.reporting import report_operation
from omnioms.floor.t3 import answer_t3, scan_t3
from omnioms.inventory.services import receive_stock
from omnioms.orders.models import Order
from omnioms.planning.models import (
    OperationStatus,
    Plan,
    PlannedKind,
    PlannedOperation,
    PlannedOrder,
    PlanStatus,
    ProductionOperation,
    ProductionOrder,
    RequirementsRun,
)
from omnioms.planning.services import release_planned_order
from omnioms.production.models import (
    Bom,
    BomLine,
    Calendar,
    Routing,
    RoutingOperation,
    Shift,
    ShiftBreak,
    WorkCenter,
)

TZ = ZoneInfo("Asia/Shanghai")
DAY_START, DAY_END = time(8), time(20)
"""The demo's two shifts: 08:00-14:00 and 14:00-20:00 local, Monday to Saturday."""
SYSTEM = Actor.system("demo")
CENTRES = [
    ("FL-CUT", "Cutting", 2),
    ("FL-SEW", "Sewing line", 6),
    ("FL-PRESS", "Pressing", 2),
    ("FL-PACK", "Packing", 2),
]
ROUTING = [
    (10, "Cut", "FL-CUT", 25),
    (20, "Sew", "FL-SEW", 420),
    (30, "Press", "FL-PRESS", 45),
    (40, "Pack", "FL-PACK", 20),
]
PRODUCTS = [
    ("FL-SHIRT-WHT", "Oxford shirt white"),
    ("FL-SHIRT-BLU", "Oxford shirt blue"),
    ("FL-POLO-NVY", "Polo navy"),
]
PAUSES = ["breakdown", "waiting_material", "setup", "no_operator", "quality_hold"]
SCRAP = ["material", "machine", "operator", "quality"]
ACTIONS = [
    "Blade changed, check every shift",
    "Roll returned to the mill",
    "Operator paired with a trainer",
    "Marker re-nested",
]


def _user(name: str, role: str) -> User:
    found = User.objects.filter(username=name).first()
    # A password nobody knows: these are the demo's actors; people log in as the demo's users.
    return found or create_staff_user(username=name, role=role, password=secrets.token_urlsafe())


def _factory() -> tuple[Location, list[Sku]]:
    """Master data of the demo floor (created once)."""
    site = (
        Location.objects.filter(kind=LocationKind.WAREHOUSE, is_active=True).order_by("pk").first()
    )
    if site is None:
        site = Location.objects.create(code="factory", name="Factory", kind=LocationKind.WAREHOUSE)
    calendar, created = Calendar.objects.get_or_create(
        code="FL-2SHIFT", defaults={"name": "Two shifts, Monday to Saturday"}
    )
    if created:
        for weekday in range(6):
            early = Shift.objects.create(
                calendar=calendar, weekday=weekday, name="early", start=time(8), end=time(14)
            )
            ShiftBreak.objects.create(shift=early, start=time(11, 30), end=time(12))
            Shift.objects.create(
                calendar=calendar, weekday=weekday, name="late", start=time(14), end=time(20)
            )
    centres = {}
    for code, name, machines in CENTRES:
        centres[code], _ = WorkCenter.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "machines": machines,
                "calendar": calendar,
                "site": site,
                "hourly_cost": Decimal(60),
            },
        )
    family, _ = ProductFamily.objects.get_or_create(code="FL-SHIRTS", defaults={"name": "Shirts"})
    fabric = _sku("FL-FABRIC", "Cotton oxford fabric", SkuKind.BOUGHT, Decimal("18"), "m", 2)
    button = _sku("FL-BUTTON", "Shirt button", SkuKind.BOUGHT, Decimal("0.30"))
    label = _sku("FL-LABEL", "Woven label", SkuKind.BOUGHT, Decimal("0.50"))
    for material in (button, label):
        MaterialPolicy.objects.get_or_create(sku=material)
    made = []
    for code, name in PRODUCTS:
        sku = _sku(code, name, SkuKind.MADE, Decimal("46"))
        if sku.family_id is None:
            sku.family = family
            sku.save(update_fields=["family"])
        if not Bom.objects.filter(sku=sku).exists():
            bom = Bom.objects.create(sku=sku, version=1, effective_from=date(2026, 1, 1))
            BomLine.objects.create(
                bom=bom,
                position=1,
                component=fabric,
                quantity_per=Decimal("1.6"),
                scrap_factor=Decimal("0.02"),
            )
            BomLine.objects.create(bom=bom, position=2, component=button, quantity_per=Decimal(8))
            BomLine.objects.create(bom=bom, position=3, component=label, quantity_per=Decimal(1))
            routing = Routing.objects.create(sku=sku, version=1, effective_from=date(2026, 1, 1))
            for sequence, op_name, centre, seconds in ROUTING:
                RoutingOperation.objects.create(
                    routing=routing,
                    sequence=sequence,
                    name=op_name,
                    work_center=centres[centre],
                    run_seconds_per_unit=seconds,
                    setup_minutes=Decimal(20),
                )
        made.append(sku)
    for material, quantity in ((fabric, 5_000_000), (button, 400_000), (label, 60_000)):
        receive_stock(
            sku=material,
            location=site,
            quantity=quantity,
            unit_cost=material.unit_cost,
            actor=SYSTEM,
            reference="demo opening stock",
        )
    return site, made


def _sku(
    code: str, name: str, kind: str, cost: Decimal, unit: str = "pcs", decimals: int = 0
) -> Sku:
    sku = Sku.objects.filter(code=code).first() or create_product(
        sku=code, name=name, unit_cost=cost
    )
    sku.kind, sku.unit, sku.unit_decimals, sku.unit_cost = kind, unit, decimals, cost
    sku.save(update_fields=["kind", "unit", "unit_decimals", "unit_cost"])
    return sku


def _working(moment: datetime) -> datetime:
    """The next working moment at or after ``moment`` (Monday to Saturday, 08:00-20:00)."""
    local = moment.astimezone(TZ)
    while True:
        if local.weekday() == 6 or local.time() >= DAY_END:
            local = datetime.combine(local.date() + timedelta(days=1), DAY_START, tzinfo=TZ)
            continue
        if local.time() < DAY_START:
            local = datetime.combine(local.date(), DAY_START, tzinfo=TZ)
        return local


def _advance(start: datetime, seconds: float) -> datetime:
    """``start`` plus ``seconds`` of working time."""
    at = _working(start)
    while seconds > 0:
        day_end = datetime.combine(at.date(), DAY_END, tzinfo=TZ)
        room = (day_end - at).total_seconds()
        if seconds <= room:
            return at + timedelta(seconds=seconds)
        seconds -= room
        at = _working(day_end)
    return at


def _orders(
    made: list[Sku], start: datetime, rng: random.Random, count: int
) -> list[ProductionOrder]:
    run = RequirementsRun.objects.create(as_of=start.date(), summary={"demo": True})
    orders = []
    customer_orders = list(
        Order.objects.filter(status__in=["paid", "shipped", "completed"])
        .order_by("-placed_at")
        .values_list("pk", flat=True)[:count]
    )
    for number in range(1, count + 1):
        sku = made[number % len(made)]
        # every fourth order is a big one that sewing needs days for: some of those are at
        # risk of being late, as on any floor
        quantity = 500 if number % 4 == 0 else rng.choice([60, 80, 100, 120, 150, 200])
        due = (start + timedelta(days=3 + number * 17 // count)).date()
        planned = PlannedOrder.objects.create(
            run=run,
            number=number,
            kind=PlannedKind.MAKE,
            sku=sku,
            quantity=Decimal(quantity),
            proposed_quantity=Decimal(quantity),
            start=start.date(),
            due=due,
        )
        order = release_planned_order(planned.pk, actor=SYSTEM)
        assert isinstance(order, ProductionOrder)
        if number % 3 == 0 and customer_orders:
            order.customer_order_id = customer_orders.pop()
            order.save(update_fields=["customer_order"])
        orders.append(order)
    return orders


def _plan(orders: list[ProductionOrder], start: datetime) -> Plan:
    """Each operation after its predecessor, on the machine of its centre free first."""
    version = Plan.objects.order_by("-version").values_list("version", flat=True).first() or 0
    plan = Plan.objects.create(
        version=version + 1,
        status=PlanStatus.PROPOSED,
        horizon_start=start,
        horizon_end=start + timedelta(days=28),
        solver_status="demo",
        objective={"made_by": "floor demo: operations in order, first free machine"},
    )
    free: dict[tuple[int, int], datetime] = {}
    rows = []
    for order in sorted(orders, key=lambda o: (o.due, o.number)):
        # released four days before it is due: the work spreads over the weeks
        ready = max(start, datetime.combine(order.due - timedelta(days=4), DAY_START, tzinfo=TZ))
        for op in order.operations.order_by("sequence").select_related("work_center"):
            centre = op.work_center
            machine = min(range(centre.machines), key=lambda m: free.get((centre.pk, m), start))
            begin = _working(max(ready, free.get((centre.pk, machine), start)))
            seconds = float(op.setup_minutes) * 60 + float(op.run_seconds_per_unit) * order.quantity
            end = _advance(begin, seconds)
            rows.append(
                PlannedOperation(
                    plan=plan,
                    operation=op,
                    work_center=centre,
                    machine=machine,
                    start=begin,
                    end=end,
                    setup_minutes=int(op.setup_minutes),
                )
            )
            free[(centre.pk, machine)] = end
            ready = begin + (end - begin) / 4  # transfer batches: the next step starts early
    PlannedOperation.objects.bulk_create(rows)
    Plan.objects.filter(status=PlanStatus.PUBLISHED).update(status=PlanStatus.SUPERSEDED)
    plan.status, plan.published_at = PlanStatus.PUBLISHED, start
    plan.save(update_fields=["status", "published_at"])
    return plan


def _report_floor(plan: Plan, now: datetime, rng: random.Random) -> int:
    """Report every operation the plan started before ``now``, as the floor would have."""
    reports = 0
    done_until: dict[int, tuple[datetime, int]] = {}  # order -> (previous op's end, its good)
    busy: dict[tuple[int, int], datetime] = {}
    placed = list(
        PlannedOperation.objects.filter(plan=plan)
        .select_related("operation__production_order", "work_center")
        .order_by(
            "operation__production_order__due",
            "operation__production_order_id",
            "operation__sequence",
        )
    )
    for po in placed:
        op, order = po.operation, po.operation.production_order
        previous_end, came = done_until.get(order.pk, (None, order.quantity))
        drift = timedelta(minutes=rng.choice([-20, 0, 5, 15, 40, 90]))
        begin = max(
            po.start + drift,
            previous_end or po.start,
            busy.get((po.work_center_id, po.machine), po.start),
        )
        if begin >= now or came <= 0:
            # not started by now: nothing reaches the order's next operations either
            done_until[order.pk] = (now, 0)
            continue
        reports += _run_job(op, order, po, begin, came, now, rng)
        op.refresh_from_db()
        end = op.floor_progress.finished_at if op.status == OperationStatus.DONE else None
        busy[(po.work_center_id, po.machine)] = end or now
        # the next operation waits for this one to finish (nothing came to it before)
        done_until[order.pk] = (end, op.good) if end else (now, 0)
    return reports


def _run_job(
    op: ProductionOperation,
    order: ProductionOrder,
    po: PlannedOperation,
    begin: datetime,
    came: int,
    now: datetime,
    rng: random.Random,
) -> int:
    rid = f"demo-{op.pk}"
    at = last = begin
    sent = 0

    def send(kind: str, moment: datetime, **extra: Any) -> None:
        nonlocal sent, last
        last = moment
        report_operation(
            operation_id=op.pk,
            report_id=f"{rid}-{sent}",
            kind=kind,
            at=moment,
            actor=SYSTEM,
            source="tablet",
            machine=po.machine,
            now=now,
            **extra,
        )
        sent += 1

    send("start", at)
    if op.sequence == 10:
        _issue(order, at, rng)
    planned = (po.end - po.start).total_seconds()
    slow = rng.uniform(1.0, 1.35)
    run_end = at + timedelta(seconds=planned * slow)
    if rng.random() < 0.45:
        pause_at = at + (run_end - at) * rng.uniform(0.2, 0.7)
        if pause_at < now:
            send("pause", pause_at, pause_reason=rng.choice(PAUSES))
            back = pause_at + timedelta(minutes=rng.choice([10, 20, 35, 60, 120]))
            if back >= now:
                return sent
            send("resume", back)
            run_end += back - pause_at
    if run_end >= now:
        half = max(0, int(came * rng.uniform(0.2, 0.6)))
        if half:
            send("output", last + (now - last) / 2, good=half)
        return sent
    scrap_rate = rng.choice([0.0, 0.01, 0.015, 0.02, 0.03, 0.06])
    scrap = min(came, round(came * scrap_rate))
    done = op.good + op.scrap
    good = max(0, came - scrap - done)
    send("finish", run_end, good=good, scrap=scrap, scrap_reason=rng.choice(SCRAP) if scrap else "")
    return sent


def _issue(order: ProductionOrder, at: datetime, rng: random.Random) -> None:
    fabric = Sku.objects.get(code="FL-FABRIC")
    need = Decimal("1.6") * Decimal("1.02") * order.quantity * scale(fabric)
    extra = Decimal(str(rng.choice([0.98, 1.0, 1.01, 1.02, 1.05, 1.08])))
    issue_material(
        order.pk,
        sku=fabric,
        quantity=int(need * extra),
        report_id=f"demo-m-{order.pk}",
        actor=SYSTEM,
        at=at,
    )
    if extra > 1 and rng.random() < 0.3:
        return_material(
            order.pk,
            sku=fabric,
            quantity=int(need * (extra - 1) / 2),
            report_id=f"demo-r-{order.pk}",
            actor=SYSTEM,
            at=at + timedelta(hours=1),
        )


def _commit_dates(now: datetime) -> None:
    """Customer orders of the last four weeks get a commit date three days after placing."""
    since = now - timedelta(days=28)
    rows = [
        CommitDate(
            order_id=pk,
            committed_on=(placed + timedelta(days=3)).astimezone(TZ).date(),
            original_on=(placed + timedelta(days=3)).astimezone(TZ).date(),
        )
        for pk, placed in Order.objects.filter(placed_at__gte=since).values_list("pk", "placed_at")
    ]
    CommitDate.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)


def _work_exceptions(now: datetime, rng: random.Random) -> dict[str, int]:
    supervisor = _user("floor-supervisor", Role.SUPERVISOR)
    manager = _user("floor-manager", Role.MANAGER)
    opened = list(FloorException.objects.exclude(type__code="t3").order_by("opened_at"))
    closed = worked = 0
    for exc in opened[: len(opened) * 2 // 3]:
        take_step(exc.pk, step="acknowledge", user=supervisor)
        take_step(
            exc.pk,
            step="work",
            user=supervisor,
            cause=rng.choice(
                [
                    "Blunt cutting blade",
                    "Fabric roll with flaws",
                    "New operator on the line",
                    "Marker not nested",
                ]
            ),
            action=rng.choice(
                [
                    "Blade changed, check every shift",
                    "Roll returned to the mill",
                    "Operator paired with a trainer",
                    "Marker re-nested",
                ]
            ),
            due=(now + timedelta(days=2)).date().isoformat(),
        )
        worked += 1
        if rng.random() < 0.7:
            take_step(exc.pk, step="resolve", user=supervisor)
            take_step(exc.pk, step="close", user=manager)
            closed += 1
    return {"worked": worked, "closed": closed}


@transaction.atomic
def load_floor_demo(
    now: datetime | None = None, seed: int = 7, *, orders: int = 36
) -> dict[str, Any]:
    """Write two weeks of the demo floor up to ``now``; returns what was made."""
    now = now or timezone.now()
    rng = random.Random(seed)
    start = _working(
        datetime.combine((now - timedelta(days=14)).astimezone(TZ).date(), DAY_START, tzinfo=TZ)
    )
    plan = Plan.objects.filter(status=PlanStatus.PUBLISHED).first()
    if plan is None or not plan.operations.exists():
        _site, made = _factory()
        plan = _plan(_orders(made, start, rng, orders), start)
    reports = _report_floor(plan, now, rng)
    day = start.astimezone(TZ).date()
    closes = 0
    while day < now.astimezone(TZ).date():
        run_daily_close(day)
        closes += 1
        day += timedelta(days=1)
    _commit_dates(now)
    t3 = scan_t3(now)
    answered = FloorException.objects.filter(type__code="t3", status=ExceptionStatus.OPEN).first()
    if answered is not None:
        answer_t3(
            answered.pk,
            user=_user("floor-supervisor", Role.SUPERVISOR),
            recovery="overtime",
            action="Saturday overtime on the sewing line",
        )
    worked = _work_exceptions(now, rng)
    targets = KpiTargets.objects.first() or KpiTargets.objects.create()
    if targets.own_benchmark_days is None and targets.benchmark_id is None:
        targets.own_benchmark_days = Decimal(60)  # the demo company's own figure
        targets.save(update_fields=["own_benchmark_days"])
    return {
        "plan": plan.version,
        "reports": reports,
        "closes": closes,
        "t3": t3,
        **worked,
        "started": start.astimezone(UTC).isoformat(),
    }
