"""Dispatching rules: the list-scheduling baselines ERP systems use, and the engine's hints.

:func:`dispatch` simulates the shop: whenever a machine is free it takes, from the operations
waiting for its work centre (their predecessor done or, with transfer batches, its first batch
through; their materials released), the one the rule ranks first, and places it at the
earliest time the constraints allow: its calendar (start in working time, pause over time
off), the setup from the family the machine last ran, fixed operations already on the machine,
and the transfer-batch lags. Every plan it returns passes :func:`model.check_plan`.

Rules: ``fifo`` (first come at the work centre, first served), ``edd`` (earliest due date of
the order), ``mwkr`` (most work remaining in the order). ``priorities`` ranks by given numbers
instead (smaller first), and ``sequences`` makes the named machines run the given operations in
the given order (the bottleneck's sequence, a published plan): that is how the engine builds a
complete hint for CP-SAT from a partial decision.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .model import (
    Plan,
    PlannedOperation,
    Problem,
    Step,
    WorkCenter,
    make_plan,
    steps,
    transfer_clock,
    transfer_lag,
    validate,
)

Rule = Literal["fifo", "edd", "mwkr", "atc"]
RULES: tuple[Rule, ...] = ("fifo", "edd", "mwkr")
"""The baselines ERP systems use; ``atc`` (apparent tardiness cost) is the engine's own hint."""
ATC_K = 2.0


@dataclass
class _Machine:
    wc: WorkCenter
    index: int
    last_end: int | None = None
    last_family: str | None = None
    fixed: list[PlannedOperation] = field(default_factory=list)
    fixed_families: list[str | None] = field(default_factory=list)


def dispatch(
    problem: Problem,
    rule: Rule = "edd",
    *,
    priorities: Mapping[str, float] | None = None,
    sequences: Mapping[tuple[str, int], Sequence[str]] | None = None,
    assign: Mapping[str, tuple[str, int]] | None = None,
    objective: Literal["weighted_tardiness", "makespan"] = "weighted_tardiness",
) -> Plan:
    """A feasible plan by the rule (see the module's docstring).

    ``assign`` gives operations to a machine (the bottleneck's line for each): such an
    operation is taken only by that machine, in the rule's (or the priorities') order among
    those that have arrived.
    """
    began = time.perf_counter()
    validate(problem)
    flat = steps(problem)
    centers = problem.centers
    by_id = {s.operation.id: s for s in flat}
    machines = {
        (wc.code, m): _Machine(wc, m) for wc in problem.work_centers for m in range(wc.machines)
    }
    placed: dict[int, PlannedOperation] = {}
    for step in flat:
        fixed = step.operation.fixed
        if fixed is not None:
            placed[step.index] = PlannedOperation(
                step.operation.id,
                step.order.id,
                step.position,
                fixed.work_center,
                fixed.machine,
                fixed.start,
                fixed.end,
            )
            machine = machines[fixed.work_center, fixed.machine]
            machine.fixed.append(placed[step.index])
    for machine in machines.values():
        machine.fixed.sort(key=lambda p: p.start)
        machine.fixed_families = [by_id[p.operation].operation.family for p in machine.fixed]

    def machines_of(step: Step) -> set[tuple[str, int]]:
        return {(c, k) for c in step.operation.durations for k in range(centers[c].machines)}

    remaining = [0] * len(flat)
    for step in reversed(flat):
        later = remaining[step.following] if step.following is not None else 0
        remaining[step.index] = min(step.operation.durations.values()) + later

    forced: dict[tuple[str, int], list[str]] = {
        key: [op for op in ops if by_id[op].index not in placed]
        for key, ops in (sequences or {}).items()
    }
    forced_on = {op: key for key, ops in forced.items() for op in ops}
    assigned = {
        op: key
        for op, key in (assign or {}).items()
        if op in by_id and by_id[op].index not in placed and key in machines_of(by_id[op])
    }
    cursor = dict.fromkeys(forced, 0)

    ready: dict[int, int] = {}
    queues: dict[str, set[int]] = {wc.code: set() for wc in problem.work_centers}
    idle: dict[tuple[str, int], int] = {}
    heap: list[tuple[int, str, int]] = [(0, code, m) for code, m in machines]
    heapq.heapify(heap)

    mean_work = sum(min(s.operation.durations.values()) for s in flat) / max(1, len(flat))

    def key(index: int) -> tuple[float, ...]:
        step = flat[index]
        if rule == "atc" and priorities is None:
            # weight per minute of remaining work, discounted by the order's slack (Vepsalainen
            # and Morton): the weighted-tardiness rule, used by the engine for its hints
            slack = max(0.0, step.order.due - now - remaining[index])
            urgency = math.exp(-slack / (ATC_K * mean_work * 4))
            return (-step.order.weight * urgency / max(1, remaining[index]), step.order_index, 0)
        if priorities is not None:
            return (priorities.get(step.operation.id, 0.0), step.order_index, step.position)
        if rule == "fifo":
            return (ready[index], step.order_index, step.position)
        if rule == "edd":
            return (step.order.due, step.order_index, step.position)
        return (-remaining[index], step.order_index, step.position)

    def enqueue(step: Step) -> None:
        op = step.operation
        bound = max(op.release, step.order.release)
        if step.previous is not None:
            prev = placed[step.previous]
            before = flat[step.previous].operation
            bound = max(bound, prev.start if transfer_lag(before, op) else prev.end)
        ready[step.index] = bound
        for code in op.durations:
            queues[code].add(step.index)
            for m in range(centers[code].machines):
                if (code, m) in idle:
                    heapq.heappush(heap, (max(idle.pop((code, m)), bound), code, m))

    def release_next(order_first: int) -> None:
        index = order_first
        while index is not None and index in placed:
            index = flat[index].following  # type: ignore[assignment]
        if index is not None and index not in ready:
            enqueue(flat[index])

    for step in flat:
        if step.position == 0:
            release_next(step.index)

    total = len(flat)
    while len(placed) < total:
        if not heap:
            if not forced:
                raise RuntimeError("dispatching stalled with operations left")  # pragma: no cover
            forced.clear()  # a given sequence that cannot be followed: fall back to the rule
            forced_on.clear()
            for (code, m), at in list(idle.items()):
                heapq.heappush(heap, (at, code, m))
            idle.clear()
            continue
        now, code, m = heapq.heappop(heap)
        machine = machines[code, m]
        queue = queues[code]
        waiting = [i for i in queue if i not in placed]
        if not waiting:
            idle[code, m] = now
            continue
        sequence = forced.get((code, m))
        if sequence is not None and cursor[code, m] < len(sequence):
            wanted = by_id[sequence[cursor[code, m]]].index
            if wanted not in queue:
                idle[code, m] = now
                continue
            candidates = [wanted]
        else:
            candidates = [
                i
                for i in waiting
                if forced_on.get(flat[i].operation.id) in (None, (code, m))
                and assigned.get(flat[i].operation.id, (code, m)) == (code, m)
            ]
            candidates = [
                i for i in candidates if flat[i].operation.id not in forced_on
            ] or candidates
            if not candidates:
                idle[code, m] = now
                continue
        arrived = [i for i in candidates if ready[i] <= now]
        if not arrived:
            heapq.heappush(heap, (min(ready[i] for i in candidates), code, m))
            continue
        chosen = min(arrived, key=key)
        step = flat[chosen]
        start, end, setup = _place(step, machine, now, placed, flat, centers)
        placed[chosen] = PlannedOperation(
            step.operation.id,
            step.order.id,
            step.position,
            code,
            m,
            start,
            end,
            setup,
            machine.wc.calendar.at_worked(machine.wc.worked(start) - setup)
            if setup and machine.wc.calendar is not None
            else start - setup,
        )
        machine.last_end, machine.last_family = end, step.operation.family
        if sequence is not None and cursor[code, m] < len(sequence):
            cursor[code, m] += 1
        for other in step.operation.durations:
            queues[other].discard(chosen)
        heapq.heappush(heap, (end, code, m))
        release_next(chosen)
    return make_plan(
        problem,
        placed.values(),
        status="feasible",
        method=f"dispatch:{rule}" if priorities is None else "dispatch:given",
        objective=objective,
        seconds=time.perf_counter() - began,
    )


def _place(
    step: Step,
    machine: _Machine,
    now: int,
    placed: Mapping[int, PlannedOperation],
    flat: Sequence[Step],
    centers: Mapping[str, WorkCenter],
) -> tuple[int, int, int]:
    """Earliest (start, end, setup) of ``step`` on ``machine`` at or after ``now``."""
    wc = machine.wc
    op = step.operation
    duration = op.durations[wc.code]
    earliest = max(now, op.release, step.order.release)
    need_end: int | None = None
    clock: Callable[[int], int] = wc.worked
    if step.previous is not None:
        prev = placed[step.previous]
        before = flat[step.previous].operation
        if transfer_lag(before, op):
            assert before.transfer_batch is not None
            assert op.transfer_batch is not None
            clock = transfer_clock(centers[prev.work_center], wc)
            first = clock(prev.start) + before.transfer_batch
            earliest = max(earliest, _at_worked(wc, first) if clock == wc.worked else first)
            need_end = clock(prev.end) + op.transfer_batch
        else:
            earliest = max(earliest, prev.end)
    last_end, last_family = machine.last_end, machine.last_family
    fixed_from = 0
    while True:
        start = earliest
        setup = 0
        if last_end is not None:
            setup = wc.setup(last_family, op.family)
            start = max(start, _at_worked(wc, wc.worked(last_end) + setup))
        if duration > 0:
            start = wc.next_working(start)
        end = wc.finish(start, duration)
        if need_end is not None and clock(end) < need_end:
            if clock == wc.worked:
                start = max(start, _at_worked(wc, need_end - duration))
            else:
                start = max(start, _start_ending_after(wc, need_end, duration))
            if duration > 0:
                start = wc.next_working(start)
            end = wc.finish(start, duration)
        blocker = None
        for k in range(fixed_from, len(machine.fixed)):
            f = machine.fixed[k]
            if last_end is not None and f.end <= last_end:
                continue
            to_fixed = wc.setup(op.family, machine.fixed_families[k])
            if f.start < end or wc.worked(f.start) - wc.worked(end) < to_fixed:
                blocker = k  # it does not fit before this fixed operation: follow it
            break
        if blocker is None:
            return start, end, setup
        f = machine.fixed[blocker]
        last_end, last_family = f.end, machine.fixed_families[blocker]
        earliest = max(earliest, f.end)
        fixed_from = blocker + 1


def _at_worked(wc: WorkCenter, worked: int) -> int:
    return worked if wc.calendar is None else wc.calendar.at_worked(worked)


def _start_ending_after(wc: WorkCenter, target: int, duration: int) -> int:
    """The earliest start whose end is at or after ``target`` (clock minutes)."""
    if wc.calendar is None:
        return target - duration
    worked = wc.calendar.worked(target) - duration
    start = wc.calendar.at_worked(max(0, worked))
    if wc.finish(wc.next_working(start), duration) < target:
        start = wc.calendar.at_worked(max(0, worked + 1))
    return start


def best_dispatch(problem: Problem, objective: Literal["weighted_tardiness", "makespan"]) -> Plan:
    """The best of the rules for the objective (ties: the first rule)."""
    plans = [dispatch(problem, rule, objective=objective) for rule in RULES]
    if objective == "makespan":
        return min(plans, key=lambda p: (p.makespan, p.weighted_tardiness))
    return min(plans, key=lambda p: (p.weighted_tardiness, p.flow_time))
