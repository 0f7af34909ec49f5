"""Planning runs, plan versions and their lifecycle: the service API of the schedule.

The functions other apps and the simulation call (documented in docs/scheduling.md, "The
service API"):

- :func:`run_schedule` (``now`` in, a *proposed* :class:`~omnioms.planning.models.Plan` out):
  scores the open production orders' priorities, builds the engine's problem from the database
  (``adapter.py``), runs the engine and stores the plan with its planned operations, solver
  status, lower bound, figures, the load of each work centre and the bottlenecks;
- :func:`publish` (a planner publishes a proposed plan; the published one before it becomes
  superseded; the production orders' planned output dates follow the plan);
- :func:`discard`, :func:`copy_plan` (a proposal to edit from any version);
- :func:`move_operation` (the Gantt chart's drag: checked by the engine, applied to a proposed
  plan when accepted);
- :func:`published_plan`, :func:`engine_plan` (a stored plan as the engine's).
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.inventory.models import PlannedOutput, SupplyStatus
from omnioms.planning import model as engine
from omnioms.planning.adapter import Adapted, build_problem
from omnioms.planning.bottleneck import bottlenecks, load_table
from omnioms.planning.models import Plan, PlannedOperation, PlanStatus, ProductionOrder
from omnioms.planning.moves import Move, check_move
from omnioms.planning.scheduling import schedule

Progress = Callable[[float, str], None]
DAILY_LOAD_DAYS = 42
"""Days of the per-day load chart."""


class ScheduleError(ValueError):
    """A lifecycle step that cannot be done; the message says why."""


def _silent(fraction: float, message: str) -> None:
    return None


MIN_ENGINE_SECONDS = 0.5
"""The engine always gets this much (the dispatching rules' plan), even past the budget."""
_WRITE_PACE = [0.001]
"""Seconds per planned operation the last plan took to write in this process (a first guess
of 1 ms until one was written)."""


def write_seconds(operations: int) -> float:
    """Expected seconds to store a plan of ``operations`` operations and its figures, with a
    margin: the engine's budget in :func:`run_schedule` is what is left after it."""
    return 0.3 + 1.5 * _WRITE_PACE[0] * operations


def published_plan() -> Plan | None:
    return Plan.objects.filter(status=PlanStatus.PUBLISHED).first()


def run_schedule(
    now: datetime | None = None,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    bottleneck_first: bool = True,
    horizon_days: int | None = None,
    score: bool = True,
    progress: Progress | None = None,
    job_id: int | None = None,
) -> Plan:
    """Plan the open production orders from ``now``: a new proposed plan version.

    ``time_limit`` is the whole run's wall-clock budget: scoring, reading, the engine and
    writing the plan. The deadline is fixed here; the engine gets what is left after reading,
    less the time writing this many operations is expected to take (the last write's pace).
    """
    began = clock.perf_counter()
    report = progress or _silent
    now = now or timezone.now()
    if score:
        from omnioms.planning.priority import score_open_orders

        report(0.01, _("scoring the orders' priorities"))
        score_open_orders(now.astimezone(ZoneInfo(django_settings.TIME_ZONE)).date())
    report(0.03, _("reading orders, work centres, calendars and materials"))
    adapted = build_problem(now, horizon_days=horizon_days)
    operations = sum(len(order.operations) for order in adapted.problem.orders)
    left = time_limit - (clock.perf_counter() - began) - write_seconds(operations)
    settings = engine.Settings(
        time_limit=max(MIN_ENGINE_SECONDS, left), workers=workers, bottleneck_first=bottleneck_first
    )

    def engine_progress(fraction: float, message: str) -> None:
        report(0.05 + 0.9 * fraction, message)

    if adapted.problem.orders:
        result = schedule(adapted.problem, settings, progress=engine_progress)
    else:
        result = engine.make_plan(
            adapted.problem,
            (),
            status="optimal",
            method="nothing to plan",
            objective=settings.objective,
        )
    report(0.96, _("saving the plan"))
    wrote = clock.perf_counter()
    plan = save_plan(adapted, result, job_id=job_id)
    if operations:
        _WRITE_PACE[0] = (clock.perf_counter() - wrote) / operations
    report(1.0, _("done"))
    return plan


def figures(adapted: Adapted, result: engine.Plan) -> dict[str, Any]:
    """What a plan's page shows of it (kept in ``Plan.objective``)."""
    problem = adapted.problem
    horizon = max(max((o.due for o in problem.orders), default=0), result.makespan, 7 * 24 * 60)
    table = load_table(problem, horizon)
    late = [r for r in result.orders if r.tardiness > 0]
    return {
        "weighted_tardiness_hours": round(result.weighted_tardiness / 60, 1),
        "flow_time_hours": round(result.flow_time / 60, 1),
        "makespan_hours": round(result.makespan / 60, 1),
        "lower_bound_hours": (
            None if result.lower_bound is None else round(result.lower_bound / 60, 1)
        ),
        "on_time_share": round(result.on_time_share, 4),
        "orders": len(result.orders),
        "late": len(late),
        "method": result.method,
        "seconds": round(result.seconds, 1),
        "notes": list(result.notes),
        "load": [
            {
                "work_center": row.work_center,
                "load_hours": row.load_hours,
                "capacity_hours": row.capacity_hours,
                "utilisation": row.utilisation if row.capacity_hours else None,
            }
            for row in table
        ],
        "load_until": adapted.moment(horizon).isoformat(),
        "bottlenecks": bottlenecks([r for r in table if r.capacity_hours]),
        "daily": _daily_load(adapted, result),
        "releases": adapted.releases,
        "short": adapted.short,
    }


def _daily_load(adapted: Adapted, result: engine.Plan) -> dict[str, Any]:
    """Hours planned and hours of capacity per work centre per local day."""
    tz = ZoneInfo(django_settings.TIME_ZONE)
    first = adapted.origin.astimezone(tz).date()
    last_end = adapted.moment(result.makespan).astimezone(tz).date()
    count = max(1, min(DAILY_LOAD_DAYS, (last_end - first).days + 1))
    days = [first + timedelta(days=n) for n in range(count)]
    bounds = [
        (
            adapted.minute(datetime.combine(day, time(0), tz)),
            adapted.minute(datetime.combine(day + timedelta(days=1), time(0), tz)),
        )
        for day in days
    ]
    centres: dict[str, Any] = {}
    by_centre: dict[str, list[engine.PlannedOperation]] = {}
    for op in result.operations:
        by_centre.setdefault(op.work_center, []).append(op)
    for wc in adapted.problem.work_centers:
        loads = []
        capacity = []
        for lo, hi in bounds:
            worked = sum(
                wc.calendar.worked_between(max(op.start, lo), min(op.end, hi))
                if wc.calendar
                else max(0, min(op.end, hi) - max(op.start, lo))
                for op in by_centre.get(wc.code, ())
            )
            cap = (wc.calendar.working_minutes(max(lo, 0), hi) if wc.calendar else hi - lo) * (
                wc.machines
            )
            loads.append(round(worked / 60, 1))
            capacity.append(round(cap / 60, 1))
        centres[wc.code] = {"load": loads, "capacity": capacity}
    return {"days": [d.isoformat() for d in days], "centres": centres}


def _next_version() -> int:
    return (Plan.objects.aggregate(v=Max("version"))["v"] or 0) + 1


def save_plan(
    adapted: Adapted,
    result: engine.Plan,
    *,
    based_on: Plan | None = None,
    job_id: int | None = None,
    held: set[str] | None = None,
) -> Plan:
    """Store an engine plan as a new proposed version with its planned operations."""
    held = adapted.held if held is None else held
    for attempt in range(5):
        try:
            with transaction.atomic():
                plan = Plan.objects.create(
                    version=_next_version(),
                    status=PlanStatus.PROPOSED,
                    based_on=based_on,
                    horizon_start=adapted.origin,
                    horizon_end=adapted.horizon_end,
                    solver_status=result.status,
                    objective=figures(adapted, result),
                    job_id=job_id,
                )
                _write_operations(plan, adapted, result, held)
                return plan
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _write_operations(plan: Plan, adapted: Adapted, result: engine.Plan, held: set[str]) -> None:
    PlannedOperation.objects.bulk_create(
        PlannedOperation(
            plan=plan,
            operation_id=adapted.operations[op.operation],
            work_center_id=adapted.work_centers[op.work_center],
            machine=op.machine,
            start=adapted.moment(op.start),
            end=adapted.moment(op.end),
            setup_minutes=op.setup,
            fixed=op.operation in held,
        )
        for op in result.operations
    )


def engine_plan(adapted: Adapted, plan: Plan) -> engine.Plan:
    """A stored plan as the engine's, on the problem ``build_problem(plan=plan)`` made."""
    ids = adapted.operation_ids
    position = {
        op.id: n for order in adapted.problem.orders for n, op in enumerate(order.operations)
    }
    placed = []
    for row in plan.operations.select_related("work_center"):
        op_id = ids.get(row.operation_id)
        if op_id is None:
            continue
        order, _sep, _seq = op_id.rpartition("/")
        step = position.get(op_id)
        if step is None:
            continue
        placed.append(
            engine.PlannedOperation(
                op_id,
                order,
                step,
                row.work_center.code,
                row.machine,
                adapted.minute(row.start),
                adapted.minute(row.end),
                row.setup_minutes,
            )
        )
    return engine.make_plan(
        adapted.problem,
        placed,
        status="feasible",
        method="stored",
        objective="weighted_tardiness",
    )


# ----------------------------------------------------------------------------------------------
# Lifecycle


def publish(plan: Plan, user: Any, *, now: datetime | None = None) -> Plan:
    """Publish a proposed plan: the one published before becomes superseded, and each
    production order's planned output (what promise dates read) and planned start follow it.
    ``now``: the time it is published (a simulated clock; the wall clock by default)."""
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != PlanStatus.PROPOSED:
            raise ScheduleError(
                _("Only a proposed plan can be published; this one is %(status)s.")
                % {"status": locked.get_status_display()}
            )
        Plan.objects.filter(status=PlanStatus.PUBLISHED).update(status=PlanStatus.SUPERSEDED)
        locked.status = PlanStatus.PUBLISHED
        locked.published_at = now or timezone.now()
        locked.published_by = user if getattr(user, "pk", None) else None
        locked.save(update_fields=["status", "published_at", "published_by"])
        _follow_plan(locked)
    from omnioms.planning.promise import forget_views

    forget_views()
    return locked


def _follow_plan(plan: Plan) -> None:
    tz = ZoneInfo(django_settings.TIME_ZONE)
    spans: dict[int, tuple[datetime, datetime]] = {}
    for order_id, start, end in plan.operations.values_list(
        "operation__production_order_id", "start", "end"
    ):
        lo, hi = spans.get(order_id, (start, end))
        spans[order_id] = (min(lo, start), max(hi, end))
    orders = list(ProductionOrder.objects.filter(pk__in=spans).select_related("planned_output"))
    outputs = []
    for order in orders:
        lo, hi = spans[order.pk]
        order.start = lo.astimezone(tz).date()
        output = order.planned_output
        if output is not None and output.status == SupplyStatus.OPEN:
            output.due_on = hi.astimezone(tz).date()
            outputs.append(output)
    ProductionOrder.objects.bulk_update(orders, ["start"])
    PlannedOutput.objects.bulk_update(outputs, ["due_on"])


def discard(plan: Plan) -> Plan:
    updated = Plan.objects.filter(pk=plan.pk, status=PlanStatus.PROPOSED).update(
        status=PlanStatus.DISCARDED
    )
    if not updated:
        raise ScheduleError(_("Only a proposed plan can be discarded."))
    plan.refresh_from_db()
    return plan


def copy_plan(plan: Plan) -> Plan:
    """A new proposed version with the same operations, to edit."""
    for attempt in range(5):
        try:
            with transaction.atomic():
                copy = Plan.objects.create(
                    version=_next_version(),
                    status=PlanStatus.PROPOSED,
                    based_on=plan,
                    horizon_start=plan.horizon_start,
                    horizon_end=plan.horizon_end,
                    solver_status=plan.solver_status,
                    objective=plan.objective,
                )
                PlannedOperation.objects.bulk_create(
                    PlannedOperation(
                        plan=copy,
                        operation_id=row.operation_id,
                        work_center_id=row.work_center_id,
                        machine=row.machine,
                        start=row.start,
                        end=row.end,
                        setup_minutes=row.setup_minutes,
                        fixed=row.fixed,
                    )
                    for row in plan.operations.all()
                )
                return copy
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


# ----------------------------------------------------------------------------------------------
# Moving an operation (the Gantt chart)


@dataclass
class Shifted:
    operation: int
    """PlannedOperation pk."""
    label: str
    start_before: datetime
    start_after: datetime
    end_before: datetime
    end_after: datetime
    machine_before: str
    machine_after: str


@dataclass
class MoveOutcome:
    accepted: bool
    reason: str = ""
    knock_on: list[Shifted] = field(default_factory=list)
    late_after: int | None = None
    weighted_tardiness_hours: float | None = None


def move_operation(
    plan: Plan,
    planned_id: int,
    *,
    start: datetime | None = None,
    work_center: str | None = None,
    machine: int | None = None,
    apply: bool = True,
    time_limit: float = 3.0,
) -> MoveOutcome:
    """Check a planner's move of one planned operation; when accepted (and ``apply``), the
    moved operation is firmed where it was dropped and the knock-on moves are written."""
    if plan.status != PlanStatus.PROPOSED:
        return MoveOutcome(
            False, _("Only a proposed plan can be changed: copy this one into a proposal first.")
        )
    row = (
        plan.operations.filter(pk=planned_id).select_related("operation__production_order").first()
    )
    if row is None:
        return MoveOutcome(False, _("There is no such operation in this plan."))
    adapted = build_problem(plan=plan)
    current = engine_plan(adapted, plan)
    op_id = adapted.operation_ids[row.operation_id]
    if work_center is not None and work_center not in adapted.work_centers:
        return MoveOutcome(False, _("There is no work centre %(code)s.") % {"code": work_center})
    move = Move(
        op_id,
        start=adapted.minute(start) if start is not None else None,
        work_center=work_center,
        machine=machine,
    )
    result = check_move(adapted.problem, current, move, time_limit=time_limit)
    if not result.accepted or result.plan is None:
        return MoveOutcome(
            False, reason_text(result.code, dict(result.args), adapted, result.reason)
        )
    rows = {r.operation_id: r for r in plan.operations.select_related("work_center")}
    labels = {pk: op for op, pk in adapted.operations.items()}
    knock = [
        Shifted(
            rows[adapted.operations[s.operation]].pk,
            s.operation,
            adapted.moment(s.start_before),
            adapted.moment(s.start_after),
            adapted.moment(s.end_before),
            adapted.moment(s.end_after),
            f"{s.machine_before[0]}/{s.machine_before[1] + 1}",
            f"{s.machine_after[0]}/{s.machine_after[1] + 1}",
        )
        for s in result.knock_on
    ]
    new = result.plan
    outcome = MoveOutcome(
        True,
        "",
        knock,
        late_after=sum(1 for r in new.orders if r.tardiness > 0),
        weighted_tardiness_hours=round(new.weighted_tardiness / 60, 1),
    )
    if apply:
        with transaction.atomic():
            placed = new.by_operation()
            changed = []
            for pk, rec in rows.items():
                got = placed.get(labels[pk])
                if got is None:
                    continue
                values = (
                    adapted.work_centers[got.work_center],
                    got.machine,
                    adapted.moment(got.start),
                    adapted.moment(got.end),
                )
                if (
                    rec.work_center_id,
                    rec.machine,
                    rec.start,
                    rec.end,
                ) != values or pk == row.operation_id:
                    rec.work_center_id, rec.machine, rec.start, rec.end = values
                    if pk == row.operation_id:
                        rec.fixed = True
                    changed.append(rec)
            with_setups = {
                s.operation: s.setup
                for s in engine.with_setups(adapted.problem, list(new.operations))
            }
            for rec in changed:
                rec.setup_minutes = with_setups.get(labels[rec.operation_id], rec.setup_minutes)
            PlannedOperation.objects.bulk_update(
                changed, ["work_center", "machine", "start", "end", "fixed", "setup_minutes"]
            )
            refreshed = engine_plan(adapted, plan)
            kept = {k: v for k, v in (plan.objective or {}).items() if k in ("releases", "short")}
            plan.objective = {**figures(adapted, refreshed), **kept, "method": "moved by hand"}
            plan.save(update_fields=["objective"])
    return outcome


def outcome_json(outcome: MoveOutcome) -> dict[str, Any]:
    """A move's answer as JSON (the page's endpoint and the REST API)."""
    tz = ZoneInfo(django_settings.TIME_ZONE)
    return {
        "accepted": outcome.accepted,
        "reason": outcome.reason,
        "late": outcome.late_after,
        "weighted_tardiness_hours": outcome.weighted_tardiness_hours,
        "knock_on": [
            {
                "id": k.operation,
                "operation": k.label,
                "start_before": k.start_before.astimezone(tz).isoformat(),
                "start_after": k.start_after.astimezone(tz).isoformat(),
                "end_after": k.end_after.astimezone(tz).isoformat(),
                "machine_before": k.machine_before,
                "machine_after": k.machine_after,
            }
            for k in outcome.knock_on
        ],
    }


def reason_text(code: str, args: dict[str, Any], adapted: Adapted, fallback: str) -> str:
    """The engine's reason for refusing a move, in the user's language and local times."""
    tz = ZoneInfo(django_settings.TIME_ZONE)
    at = args.get("at")
    when = (
        adapted.moment(int(at)).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        if isinstance(at, int)
        else ""
    )
    texts = {
        "unknown": _("There is no such operation in this plan."),
        "held": _("%(operation)s is started or firmed: it stays where it is."),
        "not_allowed": _("%(operation)s cannot run on work centre %(work_center)s."),
        "no_machine": _("Work centre %(work_center)s has no such machine."),
        "materials": _("%(operation)s cannot start before its materials arrive (%(when)s)."),
        "off_shift": _("That time is outside the working time of %(work_center)s."),
        "calendar": _("The calendar of %(work_center)s ends before this operation would."),
        "predecessor": _("%(operation)s would start before %(before)s ends (%(when)s)."),
        "first_batch": _(
            "%(operation)s would start before the first transfer batch of %(before)s is done."
        ),
        "busy": _("That machine of %(work_center)s is busy with %(other)s until %(when)s."),
        "infeasible": _("No feasible plan keeps what starts before %(when)s in place."),
        "timeout": _("No plan was found in the time allowed; try again."),
    }
    text = texts.get(code)
    if text is None:
        return fallback
    return text % {
        "operation": args.get("operation", ""),
        "work_center": args.get("work_center", ""),
        "before": args.get("before", ""),
        "other": args.get("other", ""),
        "when": when,
    }
