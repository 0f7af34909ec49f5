"""Free capacity in a plan: where a new order would fit without moving anything (pure).

:func:`earliest_finish` places an order's operations, in routing order, into the idle time of
a plan's machines: each operation on the allowed machine where it ends first, starting in
working time, not before the previous operation ends, pausing over time off like every
operation, never over a planned operation (or its setup). Nothing planned moves, so the date
is one the plan can keep as it is: capable-to-promise. A fuller answer (re-planning the others
around it) is a rush order's what-if (``moves.insert_order``).
"""

from __future__ import annotations

from bisect import bisect_left

from .calendar import CalendarError
from .model import Order, Plan, PlannedOperation, Problem, WorkCenter


def earliest_finish(
    problem: Problem, plan: Plan, order: Order, *, not_before: int = 0
) -> tuple[int, tuple[PlannedOperation, ...]] | None:
    """The end of ``order``'s last operation placed into the plan's idle time, with where each
    operation goes; None when a calendar ends first."""
    centers = problem.centers
    busy: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for got in plan.operations:
        begin = got.setup_start if got.setup_start is not None else got.start
        busy.setdefault((got.work_center, got.machine), []).append((begin, got.end))
    for spans in busy.values():
        spans.sort()
    ready = max(not_before, order.release)
    placed = []
    for step, op in enumerate(order.operations):
        best: tuple[int, int, str, int] | None = None
        for code, duration in op.durations.items():
            wc = centers[code]
            for machine in range(wc.machines):
                try:
                    found = _first_gap(wc, busy.get((code, machine), []), ready, duration)
                except CalendarError:
                    continue
                if best is None or found[1] < best[1]:
                    best = (found[0], found[1], code, machine)
        if best is None:
            return None
        start, end, code, machine = best
        placed.append(PlannedOperation(op.id, order.id, step, code, machine, start, end))
        ready = end
    return ready, tuple(placed)


def _first_gap(
    wc: WorkCenter, spans: list[tuple[int, int]], ready: int, duration: int
) -> tuple[int, int]:
    start = wc.next_working(ready) if duration > 0 else ready
    ends = [end for _, end in spans]
    while True:
        end = wc.finish(start, duration)
        k = bisect_left(ends, start + 1)  # the first span ending after the start
        clash = None
        while k < len(spans):
            s, e = spans[k]
            if s >= end:
                break
            if e > start:
                clash = e
                break
            k += 1
        if clash is None:
            return start, end
        start = wc.next_working(clash)
