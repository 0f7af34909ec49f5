"""Changing a plan: the Gantt chart's move check, rush orders (插单) and the diff of two plans.

:func:`check_move` answers a planner dragging one operation to a new start and/or another
allowed machine: refused with the reason (not allowed there, before its materials, outside
working time, before its predecessor ends, over a started or firmed operation, or no feasible
plan keeps the rest), or accepted with the knock-on effects. Everything that starts before the
moved operation's old or new start stays where it is; the operations after it keep their
machines and are re-solved to stay as near their planned starts as the constraints allow, so
the knock-on list is what really has to move.

:func:`insert_order` plans a rush order into a published plan (what-if) and
:func:`compare_plans` is the impact report: the orders whose completion changes, and which of
them become late and by how much.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .calendar import CalendarError
from .cpsat import Model
from .dispatching import dispatch
from .model import (
    Fixed,
    Order,
    Plan,
    PlannedOperation,
    Problem,
    Settings,
    make_plan,
    steps,
    transfer_clock,
    transfer_lag,
    with_fixed,
    with_setups,
)


@dataclass(frozen=True)
class Move:
    """Move ``operation`` to ``start`` and/or to machine ``machine`` of ``work_center``."""

    operation: str
    start: int | None = None
    work_center: str | None = None
    machine: int | None = None


@dataclass(frozen=True)
class Shift:
    operation: str
    start_before: int
    start_after: int
    end_before: int
    end_after: int
    machine_before: tuple[str, int]
    machine_after: tuple[str, int]


@dataclass(frozen=True)
class MoveResult:
    """``reason`` in words; ``code`` and ``args`` say the same for a caller that words it
    itself (the pages translate it): ``unknown``, ``held``, ``not_allowed``, ``no_machine``,
    ``materials``, ``off_shift``, ``calendar``, ``predecessor``, ``first_batch``, ``busy``,
    ``infeasible``, ``timeout``; minutes are in ``args`` as numbers."""

    accepted: bool
    reason: str = ""
    plan: Plan | None = None
    knock_on: tuple[Shift, ...] = ()
    code: str = ""
    args: Mapping[str, object] = field(default_factory=dict)


def check_move(
    problem: Problem, plan: Plan, move: Move, *, time_limit: float = 2.0, workers: int = 2
) -> MoveResult:
    """Accept the move with its knock-on effects, or refuse it with the reason."""
    flat = steps(problem)
    by_id = {s.operation.id: s for s in flat}
    placed = plan.by_operation()
    step = by_id.get(move.operation)
    if step is None or move.operation not in placed:
        return MoveResult(
            False,
            f"no operation {move.operation!r} in this plan",
            code="unknown",
            args={"operation": move.operation},
        )
    op = step.operation
    now = placed[op.id]
    if op.fixed is not None:
        return MoveResult(
            False,
            f"{op.id} is started or firmed: it stays where it is",
            code="held",
            args={"operation": op.id},
        )
    code = move.work_center or now.work_center
    if code not in op.durations:
        return MoveResult(
            False,
            f"{op.id} cannot run on work centre {code}",
            code="not_allowed",
            args={"operation": op.id, "work_center": code},
        )
    wc = problem.centers[code]
    machine = (
        move.machine
        if move.machine is not None
        else (now.machine if code == now.work_center else 0)
    )
    if not 0 <= machine < wc.machines:
        return MoveResult(
            False,
            f"work centre {code} has no machine {machine}",
            code="no_machine",
            args={"work_center": code, "machine": machine},
        )
    start = move.start if move.start is not None else now.start
    duration = op.durations[code]
    release = max(op.release, step.order.release)
    if start < release:
        return MoveResult(
            False,
            f"{op.id} cannot start before its materials, at {release}",
            code="materials",
            args={"operation": op.id, "at": release},
        )
    if duration > 0 and not wc.is_working(start):
        return MoveResult(
            False,
            f"{start} is outside the working time of {code}",
            code="off_shift",
            args={"at": start, "work_center": code},
        )
    try:
        end = wc.finish(start, duration)
    except CalendarError as exc:
        return MoveResult(False, str(exc), code="calendar", args={"work_center": code})
    if step.previous is not None:
        before = flat[step.previous].operation
        prev = placed[before.id]
        if not transfer_lag(before, op):
            if start < prev.end:
                return MoveResult(
                    False,
                    f"{op.id} would start before {before.id} ends, at {prev.end}",
                    code="predecessor",
                    args={"operation": op.id, "before": before.id, "at": prev.end},
                )
        else:
            clock = transfer_clock(problem.centers[prev.work_center], wc)
            if clock(start) < clock(prev.start) + (before.transfer_batch or 0):
                return MoveResult(
                    False,
                    f"{op.id} would start before the first batch of {before.id} is done",
                    code="first_batch",
                    args={"operation": op.id, "before": before.id},
                )
    cut = min(start, now.start)
    downstream = set()
    index = step.following
    while index is not None:
        downstream.add(flat[index].operation.id)
        index = flat[index].following
    for other in plan.operations:
        if other.operation == op.id or (other.work_center, other.machine) != (code, machine):
            continue
        other_op = by_id[other.operation].operation
        stays = other_op.fixed is not None or (
            other.start < cut and other.operation not in downstream
        )
        if stays and other.start < end and start < other.end:
            what = "started or firmed" if other_op.fixed is not None else "kept in place"
            return MoveResult(
                False,
                f"{code} machine {machine} is busy with {other.operation} ({what}) "
                f"until {other.end}",
                code="busy",
                args={
                    "work_center": code,
                    "machine": machine,
                    "other": other.operation,
                    "held": other_op.fixed is not None,
                    "at": other.end,
                },
            )
    frozen = {
        o.operation
        for o in plan.operations
        if o.start < cut and o.operation not in downstream and o.operation != op.id
    }
    held = {}
    for s in flat:
        got = placed[s.operation.id]
        if s.operation.id == op.id:
            held[op.id] = Fixed(code, machine, start, end)
        elif s.operation.id in frozen and s.operation.fixed is None:
            held[s.operation.id] = Fixed(got.work_center, got.machine, got.start, got.end)
    moved_problem = with_fixed(problem, held)
    hint = dispatch(
        moved_problem,
        priorities={o.operation: float(o.start) for o in plan.operations},
        objective=plan.objective,
    )
    candidates = {
        o.operation: [(o.work_center, o.machine)]
        for o in plan.operations
        if o.operation not in held
    }
    horizon = max(hint.makespan, plan.makespan) * 2 + duration
    ends = [c.calendar.end for c in problem.work_centers if c.calendar is not None]
    if ends:
        horizon = min(horizon, max(min(ends), hint.makespan))
    model = Model(
        moved_problem,
        Settings(time_limit=time_limit, workers=workers, objective=plan.objective),
        horizon=horizon,
        hint=hint,
        candidates=candidates,
    )
    outcome = model.solve_displacement({o.operation: o.start for o in plan.operations}, time_limit)
    if outcome.plan is None:
        if outcome.status == "infeasible":
            return MoveResult(
                False,
                f"no feasible plan keeps what starts before {cut} in place",
                code="infeasible",
                args={"at": cut},
            )
        return MoveResult(
            False,
            "no plan found in the time allowed; try again with more time",
            code="timeout",
        )
    new_plan = make_plan(
        problem,
        outcome.plan.operations,
        status="feasible",
        method="move",
        objective=plan.objective,
        seconds=outcome.plan.seconds,
    )
    after = new_plan.by_operation()
    shifts = tuple(
        Shift(
            o.operation,
            o.start,
            after[o.operation].start,
            o.end,
            after[o.operation].end,
            (o.work_center, o.machine),
            (after[o.operation].work_center, after[o.operation].machine),
        )
        for o in plan.operations
        if o.operation != op.id
        and (o.start, o.end, o.work_center, o.machine)
        != (
            after[o.operation].start,
            after[o.operation].end,
            after[o.operation].work_center,
            after[o.operation].machine,
        )
    )
    return MoveResult(True, "", new_plan, tuple(sorted(shifts, key=lambda s: s.start_after)))


# ----------------------------------------------------------------------------------------------
# Rush orders and the impact of a new plan


@dataclass(frozen=True)
class OrderImpact:
    order: str
    due: int
    weight: int
    end_before: int | None
    end_after: int

    @property
    def lateness_before(self) -> int:
        return max(0, (self.end_before or 0) - self.due) if self.end_before is not None else 0

    @property
    def lateness_after(self) -> int:
        return max(0, self.end_after - self.due)

    @property
    def becomes_late(self) -> bool:
        return self.lateness_after > 0 and self.lateness_before == 0


@dataclass(frozen=True)
class WhatIf:
    before: Plan
    after: Plan
    impact: tuple[OrderImpact, ...]
    seconds: float

    @property
    def made_late(self) -> tuple[OrderImpact, ...]:
        return tuple(i for i in self.impact if i.becomes_late)


def compare_plans(before: Plan, after: Plan) -> tuple[OrderImpact, ...]:
    """Orders whose completion differs between two plans (new orders included), latest first."""
    old = {r.order: r for r in before.orders}
    rows = []
    for result in after.orders:
        was = old.get(result.order)
        if was is not None and was.completion == result.completion:
            continue
        rows.append(
            OrderImpact(
                result.order,
                result.due,
                result.weight,
                was.completion if was is not None else None,
                result.completion,
            )
        )
    return tuple(sorted(rows, key=lambda r: (-(r.lateness_after - r.lateness_before), r.order)))


def insert_order(
    problem: Problem,
    plan: Plan,
    order: Order,
    settings: Settings | None = None,
    *,
    frozen_until: int = 0,
) -> WhatIf:
    """Plan ``order`` into ``plan`` (what-if) and report its impact on the others.

    Only what the rush order can push is re-planned: operations that start before
    ``frozen_until`` (the shop floor is doing them) or end before the rush order can start at
    all (its release, or ``frozen_until``) stay where they are. The rest is dispatched again
    from the published plan: on a work centre with changeovers each machine runs its
    published sequence, with the rush operation put into the sequence of the machine that is
    free first when it can start (its head: everything before it in the rush order at once
    on empty machines); elsewhere operations are ranked by their published starts, on their
    published machine or on any machine of the work centre, and the rush operation is ranked
    at its head. The rush order goes in either at its heads (*first*) or where its due date
    less twice its work falls (*just in time*); a fifth and sixth variant keep every
    machine's published sequence. Of these six dispatching runs (no search: about a second
    on a 500-order plan, the other orders keep their published order), the one with the
    least weighted tardiness, the rush order's weight included, is the what-if.
    """
    began = time.perf_counter()
    settings = settings or Settings()
    placed = plan.by_operation()
    earliest = max(
        frozen_until, order.release, min((op.release for op in order.operations), default=0)
    )
    held = {
        got.operation: Fixed(got.work_center, got.machine, got.start, got.end)
        for got in placed.values()
        if got.start < frozen_until or got.end <= earliest
    }
    base = with_fixed(problem, held)
    widened = replace(base, orders=(*base.orders, order))
    published: dict[tuple[str, int], list[PlannedOperation]] = {}
    for got in sorted(plan.operations, key=lambda o: (o.start, o.end)):
        if got.operation not in held:
            published.setdefault((got.work_center, got.machine), []).append(got)
    centers = problem.centers
    heads: list[int] = []
    at = earliest
    for op in order.operations:
        wc = centers[next(iter(op.durations))]
        try:
            start = wc.next_working(max(at, op.release))
            at = wc.finish(start, op.durations[wc.code])
        except CalendarError:
            start = max(at, op.release)
        heads.append(start)
    work = sum(min(op.durations.values()) for op in order.operations)
    just_in_time = max(earliest, order.due - 2 * work)
    found: list[Plan] = []
    deadline = began + settings.time_limit
    ranks = {o.operation: float(o.start) for o in plan.operations}
    machines = {o.operation: (o.work_center, o.machine) for ops in published.values() for o in ops}
    for variant, rigid, keep in (
        ("first", False, False),
        ("just in time", False, False),
        ("first", False, True),
        ("just in time", False, True),
        ("first", True, True),
        ("just in time", True, True),
    ):
        if found and time.perf_counter() > deadline:
            break
        sequences = {
            key: [o.operation for o in ops]
            for key, ops in published.items()
            if rigid or centers[key[0]].has_setups
        }
        given = dict(ranks)
        for op, head in zip(order.operations, heads, strict=True):
            when = head if variant == "first" else max(head, just_in_time)
            given[op.id] = when - 0.5
            if not rigid and not centers[next(iter(op.durations))].has_setups:
                continue
            code = next(iter(op.durations))
            options = []
            for m in range(centers[code].machines):
                ops = published.get((code, m), [])
                index = next((k for k, o in enumerate(ops) if o.start >= when), len(ops))
                free = max(
                    [o.end for o in ops[:index]]
                    + [h.end for h in held.values() if (h.work_center, h.machine) == (code, m)]
                    + [0]
                )
                options.append((free, m, index))
            _free, m, index = min(options)
            sequences.setdefault((code, m), []).insert(index, op.id)
        found.append(
            dispatch(
                widened,
                priorities=given,
                sequences=sequences,
                assign=machines if keep and not rigid else None,
                objective=settings.objective,
            )
        )
    best = min(found, key=lambda p: (p.weighted_tardiness, p.flow_time))
    # held operations come back from dispatching without their setups: recompute them all
    after = make_plan(
        widened,
        with_setups(widened, list(best.operations)),
        status=best.status,
        method=best.method,
        objective=best.objective,
        seconds=time.perf_counter() - began,
    )
    return WhatIf(plan, after, compare_plans(plan, after), time.perf_counter() - began)


__all__ = [
    "Move",
    "MoveResult",
    "OrderImpact",
    "Shift",
    "WhatIf",
    "check_move",
    "compare_plans",
    "insert_order",
]
