"""The shop floor of the demo factory: two weeks of floor reports behind its published plan,
a daily close per day, exceptions open and closed, a T-3 loop in progress where an order in its
window is unfinished (the demo company adds this morning's rush order, due in two days, so
there always is one: :mod:`omnioms.demo.factory`), KPI targets.

:func:`load_floor_demo` reports against the published plan: in the demo company it is the
garment factory's own, scheduled by :func:`omnioms.planning.schedules.run_schedule` from two
weeks back and published (:mod:`omnioms.demo.factory`), so the floor, its closes and the KPI
pages show that factory's work centres, orders and shifts.

Every report goes through :func:`~omnioms.floor.reporting.report_operation` and every
material movement through the stock ledger, as on a real floor; the random choices come from
``seed``, so the same seed gives the same floor.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from omnioms.core.actor import Actor
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
from omnioms.orders.models import Order
from omnioms.planning.models import (
    OperationStatus,
    Plan,
    PlannedOperation,
    PlanStatus,
    ProductionOperation,
    ProductionOrder,
)
from omnioms.production.models import Bom, Shift, VersionStatus

TZ = ZoneInfo("Asia/Shanghai")
DAY_START, DAY_END = time(8), time(20)
"""When the demo floor's two weeks may begin: 08:00-20:00 local, Monday to Saturday."""
SYSTEM = Actor.system("demo")
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


def _windows(calendar_id: int, after: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The work centre's working windows from ``after`` on: its calendar's shifts of each day,
    those less than an hour apart run on as one (breaks and the change of shift included)."""
    shifts: dict[int, list[tuple[time, time]]] = {}
    for shift in Shift.objects.filter(calendar_id=calendar_id).order_by("weekday", "start"):
        shifts.setdefault(shift.weekday, []).append((shift.start, shift.end))
    day = after.astimezone(TZ).date()
    for _ in range(90):
        spans: list[tuple[datetime, datetime]] = []
        for start, end in shifts.get(day.weekday(), []):
            begin = datetime.combine(day, start, tzinfo=TZ)
            finish = datetime.combine(day + timedelta(days=end <= start), end, tzinfo=TZ)
            if spans and begin - spans[-1][1] < timedelta(hours=1):
                spans[-1] = (spans[-1][0], max(finish, spans[-1][1]))
            else:
                spans.append((begin, finish))
        for begin, finish in spans:
            if finish > after:
                yield max(begin, after), finish
        day += timedelta(days=1)


def _run_job(
    op: ProductionOperation,
    order: ProductionOrder,
    po: PlannedOperation,
    begin: datetime,
    came: int,
    now: datetime,
    rng: random.Random,
) -> int:
    """The job's reports: it runs its setup and run time (a little slower than the standard)
    in the centre's working windows, stops at the end of each (a planned stop) and resumes at
    the next, may break down or wait once, and finishes with some scrap; only what happened
    before ``now`` is reported (a job still running reports the units made so far)."""
    rid = f"demo-{op.pk}"
    sent = 0
    running = False
    last = begin

    def send(kind: str, moment: datetime, **extra: Any) -> bool:
        nonlocal sent, running, last
        if moment >= now:
            return False
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
        running, last = kind in ("start", "resume", "output"), moment
        return True

    work = float(op.setup_minutes) * 60 + float(op.run_seconds_per_unit) * came
    work *= rng.uniform(1.0, 1.3)
    trouble = work * rng.uniform(0.2, 0.7) if rng.random() < 0.45 else None
    done = 0.0
    for window_start, window_end in _windows(po.work_center.calendar_id, begin):
        if not send("resume" if sent else "start", window_start):
            break
        if sent == 1 and op.sequence == 10:
            _issue(order, window_start, rng)
        cursor = window_start
        if trouble is not None and done + (window_end - cursor).total_seconds() > trouble:
            stop_at = cursor + timedelta(seconds=trouble - done)
            back = stop_at + timedelta(minutes=rng.choice([10, 20, 35, 60, 120]))
            trouble = None
            if back < window_end:  # a stop that would run into the night is not drawn
                if not send("pause", stop_at, pause_reason=rng.choice(PAUSES)):
                    break
                if not send("resume", back):
                    break
                done += (stop_at - cursor).total_seconds()
                cursor = back
        room = (window_end - cursor).total_seconds()
        if done + room >= work:
            scrap_rate = rng.choice([0.0, 0.01, 0.015, 0.02, 0.03, 0.06])
            scrap = min(came, round(came * scrap_rate))
            good = max(0, came - scrap - op.good - op.scrap)
            send(
                "finish",
                cursor + timedelta(seconds=work - done),
                good=good,
                scrap=scrap,
                scrap_reason=rng.choice(SCRAP) if scrap else "",
            )
            break
        done += room
        if not send("pause", window_end, pause_reason="planned_stop"):
            break
    if running:
        half = max(0, int(came * rng.uniform(0.2, 0.6)))
        if half:
            send("output", last + (now - last) / 2, good=half)
    return sent


def _issue(order: ProductionOrder, at: datetime, rng: random.Random) -> None:
    """The materials of the order's BOM that are issued by hand (the rest are back-flushed
    at completion), a little more or less than the standard, some of the extra returned."""
    bom = order.bom or (
        Bom.objects.filter(sku=order.sku, status=VersionStatus.ACTIVE)
        .order_by("-effective_from", "-version")
        .first()
    )
    if bom is None:
        return
    flushed = set(MaterialPolicy.objects.filter(backflush=True).values_list("sku_id", flat=True))
    for line in bom.lines.select_related("component").order_by("position"):
        material = line.component
        if material.pk in flushed:
            continue
        need = line.quantity_per * (1 + line.scrap_factor) * order.quantity * scale(material)
        extra = Decimal(str(rng.choice([0.98, 1.0, 1.01, 1.02, 1.05, 1.08])))
        key = f"{order.pk}-{material.pk}"
        issue_material(
            order.pk,
            sku=material,
            quantity=max(1, int(need * extra)),
            report_id=f"demo-m-{key}",
            actor=SYSTEM,
            at=at,
        )
        if extra > 1 and rng.random() < 0.3 and int(need * (extra - 1) / 2):
            return_material(
                order.pk,
                sku=material,
                quantity=int(need * (extra - 1) / 2),
                report_id=f"demo-r-{key}",
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


def floor_start(now: datetime) -> datetime:
    """The first working moment two weeks before ``now``: where the demo floor's reports begin
    (and the plan they work to was made from)."""
    return _working(
        datetime.combine((now - timedelta(days=14)).astimezone(TZ).date(), DAY_START, tzinfo=TZ)
    )


@transaction.atomic
def answer_a_t3_loop(now: datetime, *, production_order: ProductionOrder | None = None) -> int:
    """Scan for T-3 loops, then the supervisor answers the first open one (``production_order``'s,
    when given) with Saturday overtime. Returns what the scan opened or brought up to date."""
    t3 = scan_t3(now)
    loops = FloorException.objects.filter(type__code="t3", status=ExceptionStatus.OPEN)
    if production_order is not None:
        loops = loops.filter(production_order=production_order)
    answered = loops.first()
    if answered is not None:
        answer_t3(
            answered.pk,
            user=_user("floor-supervisor", Role.SUPERVISOR),
            recovery="overtime",
            action="Saturday overtime on the sewing line",
        )
    return t3


def load_floor_demo(now: datetime | None = None, seed: int = 7) -> dict[str, Any]:
    """Write two weeks of the floor up to ``now`` behind the published plan; returns what was
    made. The plan is the factory's own (``demo.factory`` schedules and publishes it first)."""
    now = now or timezone.now()
    rng = random.Random(seed)
    start = floor_start(now)
    plan = Plan.objects.filter(status=PlanStatus.PUBLISHED).first()
    if plan is None or not plan.operations.exists():
        raise ValueError("the floor demo reports against a published plan; there is none")
    reports = _report_floor(plan, now, rng)
    day = start.astimezone(TZ).date()
    closes = 0
    while day < now.astimezone(TZ).date():
        run_daily_close(day)
        closes += 1
        day += timedelta(days=1)
    _commit_dates(now)
    t3 = answer_a_t3_loop(now)
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
