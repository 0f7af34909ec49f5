"""From the database to the scheduling engine's :class:`~omnioms.planning.model.Problem`, and back.

:func:`build_problem` reads what a planning run needs, in a fixed number of queries:

- the open production orders (released or in progress; a rush request's order only when named)
  with their operations not done, each operation's working minutes (setup + run time per unit
  x quantity) on its work centre and on each allowed alternative, its minimum transfer batch in
  minutes, and the SKU's product family (for changeovers);
- every active work centre (and any an operation names) with its machines, its calendar (shifts,
  breaks, holidays and make-up days, in the calendar's own time zone) and its family setups;
- when the materials of each order not yet started are on hand or due: the components of its
  BOM against stock on hand less reservations, then open incoming stock and planned production
  by date, given to the orders in priority order (an order whose materials are not known to
  arrive is not held back; it is listed in ``Adapted.short``);
- operations held in place: those running or paused (from now, for what is left of them, on the
  machine the published plan had them), and those the planner firmed in the published plan.

Time is integer minutes from ``origin`` (now, to the minute, UTC). With ``plan=`` the problem is
the one that plan was made for: its orders and operations, its origin, its material releases and
its held operations, so that a move or a rush order is checked against that plan.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.db.models import Sum

from omnioms.catalog.models import Sku
from omnioms.inventory.models import IncomingStock, PlannedOutput, StockBalance, SupplyStatus
from omnioms.planning import model as engine
from omnioms.planning.calendar import Calendar, Shift, weekly_calendar
from omnioms.planning.models import (
    OperationStatus,
    Plan,
    PlannedOperation,
    ProductionOperation,
    ProductionOrder,
    ProductionStatus,
)
from omnioms.production.models import SetupTime, SupplyTerm, WorkCenter
from omnioms.production.services import boms_in_effect, calendar_spec

OPEN = (ProductionStatus.RELEASED, ProductionStatus.IN_PROGRESS)
STARTED = (OperationStatus.RUNNING, OperationStatus.PAUSED)
DEFAULT_HORIZON_DAYS = 120
AFTER_LAST_DUE_DAYS = 60
"""The calendars reach this many days past the last due date (room for late orders)."""


def weight_of(priority: Decimal | float) -> int:
    """The engine's integer weight of a priority score (0-100): 1 to 11."""
    return 1 + int(max(0, min(100, float(priority))) // 10)


def duration_minutes(setup_minutes: Decimal, run_seconds: Decimal, quantity: int) -> int:
    """Working minutes of an operation: its setup plus the run time of ``quantity`` units."""
    return max(1, math.ceil(setup_minutes + run_seconds * quantity / 60))


@dataclass
class Adapted:
    """The engine's problem and how its ids map to rows."""

    problem: engine.Problem
    origin: datetime
    horizon_end: datetime
    operations: dict[str, int]
    """Engine operation id (``MO-000012/20``) -> ProductionOperation pk."""
    orders: dict[str, int]
    """Engine order id (the production order's number) -> ProductionOrder pk."""
    work_centers: dict[str, int]
    releases: dict[str, int] = field(default_factory=dict)
    """Material releases in minutes, by order (only those held back)."""
    short: dict[str, list[str]] = field(default_factory=dict)
    """Orders whose materials are not known to arrive: the components missing."""
    held: set[str] = field(default_factory=set)
    """Operations held in place (started or firmed)."""

    def minute(self, moment: datetime) -> int:
        return int((moment - self.origin).total_seconds() // 60)

    def moment(self, minute: int) -> datetime:
        return self.origin + timedelta(minutes=minute)

    @property
    def operation_ids(self) -> dict[int, str]:
        return {pk: op for op, pk in self.operations.items()}


def origin_of(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(second=0, microsecond=0)


RunningPlaces = Callable[[list[int]], dict[int, tuple[int, int]]]
"""Given started operations' ids, where the shop floor has each: (work centre id, machine)."""

_running_places: list[RunningPlaces] = []


def register_running_places(provider: RunningPlaces) -> None:
    """The shop floor (an app above this one) tells the planning where started work runs: a
    started operation is held on the machine it runs on, which may not be the one the
    published plan gave it (an operator took it from the work centre's queue)."""
    if provider not in _running_places:
        _running_places.append(provider)


def _running(ids: list[int]) -> dict[int, tuple[int, int]]:
    places: dict[int, tuple[int, int]] = {}
    for provider in _running_places:
        places.update(provider(ids))
    return places


def build_problem(
    now: datetime | None = None,
    *,
    plan: Plan | None = None,
    horizon_days: int | None = None,
    include: Iterable[int] = (),
    reference: Plan | None = None,
    extra: Iterable[int] = (),
) -> Adapted:
    """The engine's problem from the database (see the module's doc).

    ``include``: production order ids planned whatever their status (a rush request's order).
    ``reference``: the plan whose machines and firmed operations are kept (default: the
    published plan). ``plan``: rebuild the problem that plan was made for; ``extra`` adds
    production orders not in it (a rush request's), all their operations free.
    """
    extra = set(extra)
    if plan is not None:
        origin = plan.horizon_start
    else:
        if now is None:
            raise ValueError("now: give the time to plan from, or a plan")
        origin = origin_of(now)
    rows: dict[int, PlannedOperation] = {}
    if plan is not None:
        rows = {row.operation_id: row for row in plan.operations.select_related("work_center")}
        order_ids = set(
            ProductionOperation.objects.filter(pk__in=rows).values_list(
                "production_order_id", flat=True
            )
        )
        orders_q = ProductionOrder.objects.filter(pk__in=order_ids | extra)
    else:
        reference = reference or Plan.objects.filter(status="published").first()
        if reference is not None:
            rows = {
                row.operation_id: row for row in reference.operations.select_related("work_center")
            }
        orders_q = ProductionOrder.objects.filter(status__in=OPEN) | ProductionOrder.objects.filter(
            pk__in=list(include)
        )
    orders = list(
        orders_q.select_related("sku__family")
        .prefetch_related("operations__alternatives", "operations__work_center")
        .order_by("-priority", "due", "number")
    )
    tz = ZoneInfo(django_settings.TIME_ZONE)
    if plan is not None:
        end = plan.horizon_end
    else:
        last_due = max((o.due for o in orders), default=origin.date())
        days = max(
            horizon_days or DEFAULT_HORIZON_DAYS,
            (last_due - origin.date()).days + AFTER_LAST_DUE_DAYS,
        )
        end = origin + timedelta(days=days)
    days = (end - origin).days + 2

    used: set[int] = set()
    for order in orders:
        for op in order.operations.all():
            used.add(op.work_center_id)
            used.update(a.pk for a in op.alternatives.all())
    centres = list(
        WorkCenter.objects.filter(pk__in=used) | WorkCenter.objects.filter(is_active=True)
    )
    calendars: dict[int, Calendar] = {}
    for wc in centres:
        if wc.calendar_id not in calendars:
            calendars[wc.calendar_id] = _calendar(wc.calendar, origin, days)
    setups: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    for setup in SetupTime.objects.select_related("from_family", "to_family"):
        setups[setup.work_center_id][setup.from_family.code, setup.to_family.code] = setup.minutes
    engine_centres = tuple(
        engine.WorkCenter(
            code=wc.code,
            machines=wc.machines,
            calendar=calendars[wc.calendar_id],
            setups=dict(setups.get(wc.pk, {})),
        )
        for wc in sorted(centres, key=lambda c: c.code)
    )
    by_code = {c.code: c for c in engine_centres}
    code_of = {wc.pk: wc.code for wc in centres}

    if plan is not None:
        releases = {k: int(v) for k, v in (plan.objective or {}).get("releases", {}).items()}
        short: dict[str, list[str]] = {}
    else:
        releases, short = _material_releases(orders, origin, tz)

    adapted = Adapted(
        problem=engine.Problem((), ()),
        origin=origin,
        horizon_end=end,
        operations={},
        orders={},
        work_centers={wc.code: wc.pk for wc in centres},
        releases=releases,
        short=short,
    )
    running = (
        _running(
            [op.pk for order in orders for op in order.operations.all() if op.status in STARTED]
        )
        if plan is None
        else {}
    )
    engine_orders = []
    for order in orders:
        ops = []
        for op in order.operations.all():
            if plan is not None and op.pk not in rows and order.pk not in extra:
                continue
            if plan is None and op.status == OperationStatus.DONE:
                continue
            free = _free_operation(order, op, code_of)
            op_id = free.id
            home = code_of[op.work_center_id]
            minutes = free.durations[home]
            durations = dict(free.durations)
            fixed = None
            row = rows.get(op.pk)
            if plan is not None:
                if row is not None and row.fixed:
                    fixed = _fixed_at(adapted, row)
            elif op.status in STARTED:
                left = max(0, order.quantity - op.good - op.scrap)
                remaining = math.ceil(op.run_seconds_per_unit * left / 60)
                place = running.get(op.pk)
                if place is not None and place[0] in code_of:
                    code, machine = code_of[place[0]], place[1]
                else:
                    code = row.work_center.code if row is not None else home
                    machine = row.machine if row is not None and row.work_center.code == code else 0
                centre = by_code[code]
                machine = min(machine, centre.machines - 1)
                durations = {code: remaining, **{k: v for k, v in durations.items() if k != code}}
                fixed = engine.Fixed(code, machine, 0, centre.finish(0, remaining))
            elif row is not None and row.fixed and row.start >= origin:
                fixed = _fixed_at(adapted, row)
            if fixed is not None:
                durations.setdefault(fixed.work_center, minutes)
                adapted.held.add(op_id)
            ops.append(replace(free, durations=durations, fixed=fixed))
            adapted.operations[op_id] = op.pk
        if not ops:
            continue
        engine_orders.append(_order(adapted, order, tuple(ops), releases.get(order.number, 0)))
        adapted.orders[order.number] = order.pk
    adapted.problem = engine.Problem(engine_centres, tuple(engine_orders))
    return adapted


def _free_operation(
    order: ProductionOrder, op: ProductionOperation, code_of: dict[int, str]
) -> engine.Operation:
    """The engine's operation of ``op``, free to be planned (nothing held)."""
    home = code_of[op.work_center_id]
    minutes = duration_minutes(op.setup_minutes, op.run_seconds_per_unit, order.quantity)
    durations = {home: minutes}
    for alt in op.alternatives.all():
        durations.setdefault(alt.code, minutes)
    batch = None
    if op.min_transfer_batch:
        batch = max(1, math.ceil(op.run_seconds_per_unit * op.min_transfer_batch / 60))
    family = order.sku.family.code if order.sku.family is not None else None
    return engine.Operation(
        id=f"{order.number}/{op.sequence}",
        durations=durations,
        family=family,
        transfer_batch=batch,
    )


def _order(
    adapted: Adapted, order: ProductionOrder, ops: tuple[engine.Operation, ...], release: int
) -> engine.Order:
    tz = ZoneInfo(django_settings.TIME_ZONE)
    due = datetime.combine(order.due + timedelta(days=1), time(0), tz)
    return engine.Order(
        id=order.number,
        operations=ops,
        due=adapted.minute(due),
        weight=weight_of(order.priority),
        release=release,
    )


def with_order(adapted: Adapted, pk: int) -> tuple[Adapted, engine.Order]:
    """``adapted`` (a plan's problem, e.g. the published plan's kept view) with production
    order ``pk`` added, all its operations free, reading only that order: a rush order's
    what-if does not read the plan again. ``adapted`` itself is not changed."""
    order = (
        ProductionOrder.objects.select_related("sku__family")
        .prefetch_related("operations__alternatives", "operations__work_center")
        .get(pk=pk)
    )
    code_of = {wc_pk: code for code, wc_pk in adapted.work_centers.items()}
    missing = {
        op.work_center_id for op in order.operations.all() if op.work_center_id not in code_of
    }
    if missing:
        raise ValueError(f"work_center: {sorted(missing)} not in the plan's problem")
    ops = tuple(_free_operation(order, op, code_of) for op in order.operations.all())
    engine_order = _order(adapted, order, ops, 0)
    widened = replace(
        adapted,
        problem=replace(adapted.problem, orders=(*adapted.problem.orders, engine_order)),
        operations={
            **adapted.operations,
            **{f"{order.number}/{op.sequence}": op.pk for op in order.operations.all()},
        },
        orders={**adapted.orders, order.number: order.pk},
        held=set(adapted.held),
    )
    return widened, engine_order


def _fixed_at(adapted: Adapted, row: PlannedOperation) -> engine.Fixed:
    start = max(0, adapted.minute(row.start))
    return engine.Fixed(
        row.work_center.code, row.machine, start, max(start, adapted.minute(row.end))
    )


def _calendar(calendar: object, origin: datetime, days: int) -> Calendar:
    spec = calendar_spec(calendar)  # type: ignore[arg-type]
    zone = ZoneInfo(spec.time_zone)
    return weekly_calendar(
        calendar.code,  # type: ignore[attr-defined]
        origin=origin.astimezone(zone),
        days=days,
        shifts=[Shift(s.weekday, s.start, s.end, s.breaks) for s in spec.shifts],
        holidays=spec.holidays,
        workdays=dict(spec.workdays),
    )


# ----------------------------------------------------------------------------------------------
# Materials


@dataclass
class _Bucket:
    day: date
    left: int


def _material_releases(
    orders: list[ProductionOrder], origin: datetime, tz: ZoneInfo
) -> tuple[dict[str, int], dict[str, list[str]]]:
    """When each not-yet-started order's materials are on hand or due, in priority order."""
    today = origin.astimezone(tz).date()
    waiting = [
        o
        for o in orders
        if o.status == ProductionStatus.RELEASED
        and all(op.status == OperationStatus.WAITING for op in o.operations.all())
    ]
    if not waiting:
        return {}, {}
    boms = boms_in_effect(today)
    needs: dict[str, dict[str, int]] = {}
    scales = {
        code: Decimal(10) ** decimals
        for code, decimals in Sku.objects.values_list("code", "unit_decimals")
    }
    for order in waiting:
        items = boms.get(order.sku.code, [])
        if not items:
            continue
        units = Decimal(order.quantity) / scales.get(order.sku.code, Decimal(1))
        needs[order.number] = {
            item.component: math.ceil(
                units * item.quantity_per * (1 + item.scrap_factor) * scales.get(item.component, 1)
            )
            for item in items
        }
    components = {c for need in needs.values() for c in need}
    if not components:
        return {}, {}
    ids = dict(Sku.objects.filter(code__in=components).values_list("pk", "code"))
    buckets: dict[str, list[_Bucket]] = {c: [] for c in components}
    for sku_id, held, reserved in (
        StockBalance.objects.filter(sku_id__in=ids)
        .values("sku_id")
        .annotate(held=Sum("on_hand"), kept=Sum("reserved"))
        .values_list("sku_id", "held", "kept")
    ):
        buckets[ids[sku_id]].append(_Bucket(today, max(0, (held or 0) - (reserved or 0))))
    for sku_id, day, quantity, received in IncomingStock.objects.filter(
        sku_id__in=ids, status=SupplyStatus.OPEN
    ).values_list("sku_id", "expected_on", "quantity", "received_quantity"):
        if quantity > received:
            buckets[ids[sku_id]].append(_Bucket(max(day, today), quantity - received))
    for sku_id, day, quantity in PlannedOutput.objects.filter(
        sku_id__in=ids, status=SupplyStatus.OPEN
    ).values_list("sku_id", "due_on", "quantity"):
        buckets[ids[sku_id]].append(_Bucket(max(day, today), quantity))
    for rows in buckets.values():
        rows.sort(key=lambda r: r.day)
    lead: dict[str, int] = {}
    for code, days in (
        SupplyTerm.objects.filter(sku_id__in=ids)
        .order_by("-preferred", "lead_time_days")
        .values_list("sku__code", "lead_time_days")
    ):
        lead.setdefault(code, days)
    releases: dict[str, int] = {}
    short: dict[str, list[str]] = {}
    for order in waiting:
        latest: date = today
        for component, need in needs.get(order.number, {}).items():
            left = need
            for row in buckets[component]:
                if left <= 0:
                    break
                taken = min(left, row.left)
                if taken > 0:
                    row.left -= taken
                    left -= taken
                    latest = max(latest, row.day)
            if left > 0:
                short.setdefault(order.number, []).append(component)
                if component in lead:
                    latest = max(latest, today + timedelta(days=lead[component]))
        if latest > today:
            midnight = datetime.combine(latest, time(0), tz)
            releases[order.number] = int((midnight - origin).total_seconds() // 60)
    return releases, short
