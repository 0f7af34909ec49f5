"""The scheduling problem and its plan: plain dataclasses, no ORM, no solver.

Time is integer minutes from the plan's origin (the caller keeps the origin and converts; the
job-shop command uses the instance's own time units). A :class:`Problem` is work centres and
production orders; an order is a chain of operations in routing order. A :class:`Plan` says, for
every operation, the work centre, the machine (0-based within the work centre), the start, the
end and the setup before it, with the figures the planner reads (weighted tardiness, flow time,
makespan), the solver's status and its lower bound.

:func:`check_plan` verifies a plan against every constraint; the engine's tests, the dispatching
rules and the move check all use it, so "feasible" means one thing everywhere.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from .calendar import Calendar

Status = Literal["optimal", "feasible", "infeasible", "unknown"]
Objective = Literal["weighted_tardiness", "makespan"]


@dataclass(frozen=True)
class WorkCenter:
    """``machines`` identical stations sharing one calendar (None: always working).

    ``setups`` are sequence-dependent changeovers in working minutes between product
    families, ``(from_family, to_family) -> minutes``; a change between two families not
    listed costs ``default_setup``; the same family (or an operation without one) costs nothing.
    """

    code: str
    machines: int = 1
    calendar: Calendar | None = None
    setups: Mapping[tuple[str, str], int] = field(default_factory=dict)
    default_setup: int = 0

    @property
    def has_setups(self) -> bool:
        return bool(self.setups) or self.default_setup > 0

    def setup(self, before: str | None, after: str | None) -> int:
        if before is None or after is None:
            return 0
        if (before, after) in self.setups:
            return self.setups[before, after]
        return 0 if before == after else self.default_setup

    def worked(self, minute: int) -> int:
        """Working-time coordinate of ``minute`` (the minute itself with no calendar)."""
        return minute if self.calendar is None else self.calendar.worked(minute)

    def finish(self, start: int, duration: int) -> int:
        return start + duration if self.calendar is None else self.calendar.finish(start, duration)

    def next_working(self, minute: int) -> int:
        return minute if self.calendar is None else self.calendar.next_working(minute)

    def is_working(self, minute: int) -> bool:
        return self.calendar is None or self.calendar.is_working(minute)


@dataclass(frozen=True)
class Fixed:
    """An operation held where it is (started, or firmed by the planner)."""

    work_center: str
    machine: int
    start: int
    end: int


@dataclass(frozen=True)
class Operation:
    """One routing step of an order.

    ``durations``: working minutes on each work centre that may do it; the first is the
    routing's work centre, the others alternatives. ``release``: not before its materials are
    on hand or due. ``transfer_batch``: working minutes for one minimum transfer batch on this
    operation; when both an operation and the next one have it, the next may overlap (it
    starts once the first batch arrives). ``fixed``: started or firmed, held in place.
    """

    id: str
    durations: Mapping[str, int]
    family: str | None = None
    release: int = 0
    transfer_batch: int | None = None
    fixed: Fixed | None = None


@dataclass(frozen=True)
class Order:
    """A production order: its operations in routing order, due minute and priority weight."""

    id: str
    operations: tuple[Operation, ...]
    due: int
    weight: int = 1
    release: int = 0


@dataclass(frozen=True)
class Problem:
    work_centers: tuple[WorkCenter, ...]
    orders: tuple[Order, ...]

    def work_center(self, code: str) -> WorkCenter:
        return self.centers[code]

    @property
    def centers(self) -> dict[str, WorkCenter]:
        return {wc.code: wc for wc in self.work_centers}


@dataclass(frozen=True)
class Settings:
    """How the engine searches.

    ``time_limit`` (seconds, whole run) and ``workers`` (CP-SAT search threads) bound the
    effort; the best plan found is returned. ``bottleneck_first`` sequences the most loaded
    work centre before the rest (``bottleneck.py``). ``max_arcs_per_machine`` bounds the
    sequencing model of a work centre with setups and ``max_windows`` the working windows of
    a calendar an operation may start in (see docs/scheduling.md, "Scale").
    """

    time_limit: float = 10.0
    workers: int = 2
    objective: Objective = "weighted_tardiness"
    bottleneck_first: bool = True
    seed: int = 0
    max_arcs_per_machine: int = 6000
    max_windows: int = 48
    max_full_operations: int = 1500
    window_operations: int = 250
    window_seconds: float = 4.0
    horizon_slack: float = 1.5
    log: bool = False


@dataclass(frozen=True)
class PlannedOperation:
    operation: str
    order: str
    step: int
    work_center: str
    machine: int
    start: int
    end: int
    setup: int = 0
    setup_start: int | None = None


@dataclass(frozen=True)
class OrderResult:
    order: str
    completion: int
    due: int
    weight: int

    @property
    def tardiness(self) -> int:
        return max(0, self.completion - self.due)


@dataclass(frozen=True)
class Plan:
    operations: tuple[PlannedOperation, ...]
    orders: tuple[OrderResult, ...]
    status: Status
    method: str
    objective: Objective
    weighted_tardiness: int
    flow_time: int
    makespan: int
    lower_bound: int | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = ()

    def by_operation(self) -> dict[str, PlannedOperation]:
        return {op.operation: op for op in self.operations}

    @property
    def on_time_share(self) -> float:
        return sum(o.tardiness == 0 for o in self.orders) / len(self.orders) if self.orders else 1.0


# ----------------------------------------------------------------------------------------------
# A flat index of the operations, shared by the engines


@dataclass(frozen=True)
class Step:
    index: int
    order_index: int
    order: Order
    position: int
    operation: Operation
    previous: int | None
    following: int | None


def steps(problem: Problem) -> list[Step]:
    flat: list[Step] = []
    for order_index, order in enumerate(problem.orders):
        count = len(order.operations)
        for position, operation in enumerate(order.operations):
            index = len(flat)
            flat.append(
                Step(
                    index=index,
                    order_index=order_index,
                    order=order,
                    position=position,
                    operation=operation,
                    previous=index - 1 if position > 0 else None,
                    following=index + 1 if position < count - 1 else None,
                )
            )
    return flat


def validate(problem: Problem) -> None:
    """Raise ValueError naming the field when the problem cannot be planned at all."""
    centers = problem.centers
    if len(centers) != len(problem.work_centers):
        raise ValueError("work_centers: codes must be unique")
    for wc in problem.work_centers:
        if wc.machines < 1:
            raise ValueError(f"work_centers[{wc.code}].machines: must be at least 1")
    seen: set[str] = set()
    order_ids: set[str] = set()
    for order in problem.orders:
        if order.id in order_ids:
            raise ValueError(f"orders[{order.id}]: duplicate order id")
        order_ids.add(order.id)
        if not order.operations:
            raise ValueError(f"orders[{order.id}].operations: an order needs an operation")
        if order.weight < 0:
            raise ValueError(f"orders[{order.id}].weight: must not be negative")
        for op in order.operations:
            where = f"orders[{order.id}].operations[{op.id}]"
            if op.id in seen:
                raise ValueError(f"{where}: duplicate operation id")
            seen.add(op.id)
            if not op.durations:
                raise ValueError(f"{where}.durations: name at least one work centre")
            for code, minutes in op.durations.items():
                if code not in centers:
                    raise ValueError(f"{where}.durations: unknown work centre {code!r}")
                if minutes < 0:
                    raise ValueError(f"{where}.durations[{code}]: must not be negative")
            if op.transfer_batch is not None and op.transfer_batch < 0:
                raise ValueError(f"{where}.transfer_batch: must not be negative")
            if op.fixed is not None:
                fixed = op.fixed
                if fixed.work_center not in op.durations:
                    raise ValueError(f"{where}.fixed.work_center: not one this operation allows")
                if not 0 <= fixed.machine < centers[fixed.work_center].machines:
                    raise ValueError(f"{where}.fixed.machine: no such machine")
                if fixed.end < fixed.start:
                    raise ValueError(f"{where}.fixed.end: before its start")


def transfer_lag(before: Operation, after: Operation) -> bool:
    """True when ``after`` may overlap ``before`` (both have a minimum transfer batch)."""
    return before.transfer_batch is not None and after.transfer_batch is not None


def make_plan(
    problem: Problem,
    placed: Iterable[PlannedOperation],
    *,
    status: Status,
    method: str,
    objective: Objective,
    lower_bound: int | None = None,
    seconds: float = 0.0,
    notes: tuple[str, ...] = (),
) -> Plan:
    """A plan with its figures computed from the placements."""
    operations = tuple(sorted(placed, key=lambda p: (p.work_center, p.machine, p.start, p.end)))
    ends: dict[str, int] = {}
    for op in operations:
        ends[op.order] = max(ends.get(op.order, 0), op.end)
    results = tuple(
        OrderResult(order.id, ends.get(order.id, 0), order.due, order.weight)
        for order in problem.orders
    )
    return Plan(
        operations=operations,
        orders=results,
        status=status,
        method=method,
        objective=objective,
        weighted_tardiness=sum(r.weight * r.tardiness for r in results),
        flow_time=sum(
            r.completion - order.release for r, order in zip(results, problem.orders, strict=True)
        ),
        makespan=max((op.end for op in operations), default=0),
        lower_bound=lower_bound,
        seconds=seconds,
        notes=notes,
    )


def check_plan(problem: Problem, plan: Plan) -> list[str]:
    """Every broken constraint of ``plan``, in words; empty when the plan is feasible."""
    centers = problem.centers
    placed = plan.by_operation()
    problems: list[str] = []
    flat = steps(problem)
    for step in flat:
        op = step.operation
        got = placed.get(op.id)
        if got is None:
            problems.append(f"{op.id}: not planned")
            continue
        if got.work_center not in op.durations:
            problems.append(f"{op.id}: work centre {got.work_center} not allowed")
            continue
        wc = centers[got.work_center]
        if not 0 <= got.machine < wc.machines:
            problems.append(f"{op.id}: no machine {got.machine} in {wc.code}")
        if op.fixed is not None:
            f = op.fixed
            if (got.work_center, got.machine, got.start, got.end) != (
                f.work_center,
                f.machine,
                f.start,
                f.end,
            ):
                problems.append(f"{op.id}: fixed operation moved")
            continue
        duration = op.durations[got.work_center]
        if got.start < max(op.release, step.order.release):
            problems.append(f"{op.id}: starts at {got.start} before its release")
        if duration > 0 and not wc.is_working(got.start):
            problems.append(f"{op.id}: starts at {got.start}, outside working time")
        if got.end != wc.finish(got.start, duration):
            problems.append(f"{op.id}: ends at {got.end}, not after {duration} working minutes")
        if step.previous is not None:
            before = flat[step.previous].operation
            prev = placed.get(before.id)
            if prev is not None:
                problems.extend(_precedence_problems(centers, before, prev, op, got))
    by_machine: dict[tuple[str, int], list[PlannedOperation]] = {}
    for got in plan.operations:
        by_machine.setdefault((got.work_center, got.machine), []).append(got)
    families = {step.operation.id: step.operation.family for step in flat}
    for (code, _machine), ops in by_machine.items():
        wc = centers[code]
        ops.sort(key=lambda p: (p.start, p.end))
        for a, b in itertools.pairwise(ops):
            if b.start < a.end:
                problems.append(f"{a.operation} and {b.operation} overlap on {code}")
                continue
            setup = wc.setup(families.get(a.operation), families.get(b.operation))
            if wc.worked(b.start) - wc.worked(a.end) < setup:
                problems.append(
                    f"{a.operation} -> {b.operation} on {code}: "
                    f"no room for the {setup}-minute setup"
                )
    return problems


def _precedence_problems(
    centers: Mapping[str, WorkCenter],
    before: Operation,
    prev: PlannedOperation,
    after: Operation,
    got: PlannedOperation,
) -> list[str]:
    if not transfer_lag(before, after):
        if got.start < prev.end:
            return [f"{after.id}: starts before {before.id} ends"]
        return []
    assert before.transfer_batch is not None
    assert after.transfer_batch is not None
    clock = transfer_clock(centers[prev.work_center], centers[got.work_center])
    found = []
    if clock(got.start) < clock(prev.start) + before.transfer_batch:
        found.append(f"{after.id}: starts before the first batch of {before.id} is done")
    if clock(got.end) < clock(prev.end) + after.transfer_batch:
        found.append(f"{after.id}: ends before the last batch of {before.id} is through")
    return found


def transfer_clock(before: WorkCenter, after: WorkCenter) -> Callable[[int], int]:
    """The clock transfer batches are timed on between two work centres.

    With one calendar, working minutes (a batch pauses over a break like the work does); with
    two different calendars, clock minutes (no common working time to count in).
    """
    if before.calendar is not None and before.calendar == after.calendar:
        return after.worked
    return _identity


def _identity(minute: int) -> int:
    return minute


def with_fixed(problem: Problem, held: Mapping[str, Fixed]) -> Problem:
    """The problem with the named operations held in place."""
    if not held:
        return problem
    orders = tuple(
        replace(
            order,
            operations=tuple(
                replace(op, fixed=held[op.id]) if op.id in held else op for op in order.operations
            ),
        )
        if any(op.id in held for op in order.operations)
        else order
        for order in problem.orders
    )
    return replace(problem, orders=orders)


def with_setups(problem: Problem, rows: Sequence[PlannedOperation]) -> list[PlannedOperation]:
    """The placements with each one's setup (from the machine's previous family) filled in."""
    families = {s.operation.id: s.operation.family for s in steps(problem)}
    centers = problem.centers
    by_machine: dict[tuple[str, int], list[PlannedOperation]] = {}
    for row in rows:
        by_machine.setdefault((row.work_center, row.machine), []).append(row)
    out = []
    for (code, _), items in by_machine.items():
        wc = centers[code]
        items.sort(key=lambda r: (r.start, r.end))
        previous: str | None = None
        for n, row in enumerate(items):
            family = families[row.operation]
            setup = wc.setup(previous, family) if n else 0
            begin = row.start
            if setup:
                begin = (
                    wc.calendar.at_worked(wc.worked(row.start) - setup)
                    if wc.calendar
                    else row.start - setup
                )
            out.append(
                PlannedOperation(
                    row.operation,
                    row.order,
                    row.step,
                    code,
                    row.machine,
                    row.start,
                    row.end,
                    setup,
                    begin,
                )
            )
            previous = family
    return out
