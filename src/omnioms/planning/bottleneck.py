"""Bottlenecks: the load of each work centre against its capacity, and the bottleneck's own problem.

:func:`load_table` is the table a planner reads (work centre, load hours, capacity hours,
utilisation) over a horizon: load is the working minutes of the operations routed to the work
centre (an operation with alternatives counts on its routing's work centre, the first it
names); capacity is the machines times the working minutes of its calendar in the horizon.

:func:`bottleneck_problem` cuts out the bottleneck's operations as a problem of their own: each
becomes an order of one operation whose release is the earliest it can start when everything
before it in its order runs at once on infinite capacity (the head), and whose due date is the
latest it may end for the rest of its order to finish on time, counted backwards through the
calendars (the tail). :func:`drums` sequences it by the apparent tardiness cost with setups
rule (ATCS), the sequence the whole plan is then built around (``scheduling.py``).
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


@dataclass(frozen=True)
class Drum:
    """The bottleneck's sequence: each operation's machine and start (working minutes)."""

    work_center: str
    machines: dict[str, int]
    starts: dict[str, float]
    weighted_tardiness: float
    """Against the tails, in the work centre's working minutes (lower is better)."""
    k: tuple[float, float]


ATCS_GRID = ((0.5, 1.0, 2.0, 4.0), (0.1, 0.3, 1.0, 3.0))
"""The (k1, k2) look-ahead parameters tried (Lee, Bhaskaran and Pinedo, 1997)."""


def drums(sub: Problem, deadline: float | None = None) -> list[Drum]:
    """Sequences of the bottleneck problem ``sub`` (one work centre, one operation per order)
    by the apparent tardiness cost with setups rule (ATCS): a free line takes, among the
    operations whose head has passed, the one with the highest
    ``w / p * exp(-slack / (k1 * mean p)) * exp(-setup / (k2 * mean setup))``, so that it
    weighs urgency, weight and the changeover from the family it last ran. Every (k1, k2) of
    :data:`ATCS_GRID` is tried until ``deadline`` (``time.perf_counter()``); best first.

    Time is the work centre's working minutes (its calendar's breaks and nights vanish);
    held operations keep their machine busy until they end.
    """
    import time

    import numpy as np

    (wc,) = sub.work_centers
    ops = [order.operations[0] for order in sub.orders]
    free_ops = [k for k, op in enumerate(ops) if op.fixed is None]
    if not free_ops:
        return []
    busy = np.zeros(wc.machines)
    for op in ops:
        if op.fixed is not None:
            busy[op.fixed.machine] = max(busy[op.fixed.machine], wc.worked(op.fixed.end))
    head = np.array([wc.worked(ops[k].release) for k in free_ops], dtype=float)
    due = np.array(
        [
            wc.worked(sub.orders[k].due) + min(0, sub.orders[k].due) for k in free_ops
        ],  # a tail before the origin stays negative
        dtype=float,
    )
    length = np.array([max(1, ops[k].durations[wc.code]) for k in free_ops], dtype=float)
    weight = np.array([sub.orders[k].weight for k in free_ops], dtype=float)
    families = sorted({str(ops[k].family) for k in free_ops})
    family = np.array([families.index(str(ops[k].family)) for k in free_ops])
    setup = np.array(
        [
            [wc.setup(a if a != "None" else None, b if b != "None" else None) for b in families]
            for a in families
        ],
        dtype=float,
    )
    mean_length = float(length.mean())
    mean_setup = float(setup[setup > 0].mean()) if (setup > 0).any() else 1.0
    count = len(free_ops)
    found: list[Drum] = []
    for k1 in ATCS_GRID[0]:
        for k2 in ATCS_GRID[1]:
            if deadline is not None and found and time.perf_counter() > deadline:
                break
            free_at = busy.copy()
            last = -np.ones(wc.machines, dtype=int)
            left = np.ones(count, dtype=bool)
            ends = np.zeros(count)
            starts = np.zeros(count)
            line = np.zeros(count, dtype=int)
            for _ in range(count):
                m = int(np.argmin(free_at))
                now = free_at[m]
                waiting = np.nonzero(left)[0]
                arrived = waiting[head[waiting] <= now]
                if not len(arrived):
                    now = head[waiting].min()
                    arrived = waiting[head[waiting] <= now]
                change = setup[last[m], family[arrived]] if last[m] >= 0 else np.zeros(len(arrived))
                slack = np.maximum(due[arrived] - length[arrived] - now, 0)
                index = (
                    weight[arrived]
                    / length[arrived]
                    * np.exp(-slack / (k1 * mean_length))
                    * np.exp(-change / (k2 * mean_setup))
                )
                pick = int(np.argmax(index))
                j = arrived[pick]
                starts[j] = max(now, head[j]) + change[pick]
                ends[j] = starts[j] + length[j]
                line[j], free_at[m], last[m], left[j] = m, ends[j], family[j], False
            cost = float((weight * np.maximum(ends - due, 0)).sum())
            found.append(
                Drum(
                    wc.code,
                    {ops[free_ops[j]].id: int(line[j]) for j in range(count)},
                    {ops[free_ops[j]].id: float(starts[j]) for j in range(count)},
                    cost,
                    (k1, k2),
                )
            )
    found.sort(key=lambda d: d.weighted_tardiness)
    return found
