"""Bottlenecks: the load of each work centre against its capacity, and the bottleneck's own problem.

:func:`load_table` is the table a planner reads (work centre, load hours, capacity hours,
utilisation) over a horizon: load is the working minutes of the operations routed to the work
centre (an operation with alternatives counts on its routing's work centre, the first it
names); capacity is the machines times the working minutes of its calendar in the horizon.

:func:`bottleneck_problem` cuts out the bottleneck's operations as a problem of their own: each
becomes an order of one operation whose release is the earliest it can start when everything
before it in its order runs at once on infinite capacity (the head), and whose due date is the
latest it may end for the rest of its order to finish on time, counted backwards through the
calendars (the tail). Solving that first fixes the sequence the whole plan is built around.
"""

from __future__ import annotations

from dataclasses import dataclass

from .calendar import CalendarError
from .model import Operation, Order, Problem, WorkCenter, steps


@dataclass(frozen=True)
class Load:
    work_center: str
    load_hours: float
    capacity_hours: float
    utilisation: float


def load_table(problem: Problem, horizon: int | None = None) -> list[Load]:
    """Load against capacity per work centre over ``[0, horizon)`` (default: the last due date)."""
    if horizon is None:
        horizon = max((order.due for order in problem.orders), default=0)
    minutes = {wc.code: 0 for wc in problem.work_centers}
    for order in problem.orders:
        for op in order.operations:
            code = next(iter(op.durations))
            minutes[code] += op.durations[code]
    table = []
    for wc in problem.work_centers:
        per_machine = horizon if wc.calendar is None else wc.calendar.working_minutes(0, horizon)
        capacity = per_machine * wc.machines
        table.append(
            Load(
                wc.code,
                round(minutes[wc.code] / 60, 2),
                round(capacity / 60, 2),
                round(minutes[wc.code] / capacity, 4) if capacity else float("inf"),
            )
        )
    return table


def bottlenecks(table: list[Load], share: float = 0.9) -> list[str]:
    """Work centres loaded to at least ``share`` of the most loaded one, most loaded first."""
    if not table:
        return []
    top = max(row.utilisation for row in table)
    if top <= 0:
        return []
    rows = sorted(table, key=lambda row: -row.utilisation)
    return [row.work_center for row in rows if row.utilisation >= share * top]


def bottleneck_problem(problem: Problem, code: str) -> Problem:
    """Work centre ``code``'s operations alone: heads as releases, tails as due dates."""
    centers = problem.centers
    wc = centers[code]
    orders = []
    for step in steps(problem):
        op = step.operation
        home = op.fixed.work_center if op.fixed is not None else next(iter(op.durations))
        if home != code:
            continue
        ops = step.order.operations
        head = max(step.order.release, op.release)
        for before in ops[: step.position]:
            if before.fixed is not None:
                head = max(head, before.fixed.end)
                continue
            first = centers[next(iter(before.durations))]
            head = _forward(first, max(head, before.release), before.durations[first.code])
        due = step.order.due
        for after in reversed(ops[step.position + 1 :]):
            later = centers[next(iter(after.durations))]
            due = _backward(later, due, after.durations[later.code])
        orders.append(
            Order(
                op.id,
                (
                    Operation(
                        op.id,
                        {code: op.durations[code]},
                        family=op.family,
                        release=head,
                        fixed=op.fixed,
                    ),
                ),
                due=due,
                weight=step.order.weight,
                release=0,
            )
        )
    return Problem(
        (WorkCenter(wc.code, wc.machines, wc.calendar, wc.setups, wc.default_setup),), tuple(orders)
    )


def _forward(wc: WorkCenter, start: int, duration: int) -> int:
    try:
        return wc.finish(wc.next_working(start), duration)
    except CalendarError:
        return start + duration


def _backward(wc: WorkCenter, end: int, duration: int) -> int:
    if wc.calendar is None:
        return end - duration
    try:
        return wc.calendar.start_for(end, duration)
    except CalendarError:
        return end - duration
