"""The scheduling engine's entry point: :func:`schedule` (problem and settings in, plan out).

The run, within ``settings.time_limit`` seconds:

1. the dispatching rules (FIFO, EDD, MWKR) each build a feasible plan; the best is the fallback
   and the first hint;
2. bottleneck first (``settings.bottleneck_first``, weighted-tardiness objective): the most
   loaded work centre's operations are solved alone (heads as releases, tails as due dates,
   on its calendar's working time, about a quarter of the time); a dispatching run that
   follows that sequence (the drum) gives a complete plan and the orders' first ranking;
3. priority search: the ranking is improved by dispatching again with late orders moved
   earlier (until about 55 % of the time); the best plan is the hint;
4. the full CP-SAT model (``cpsat.py``) improves on the hint for the rest of the time: weighted
   tardiness first, then flow time under it (large problems: window by window).

The best plan found is returned with its status (``optimal`` only when CP-SAT proved it) and
the lower bound of the first objective. A work centre with setups whose sequencing model would
be larger than ``settings.max_arcs_per_machine`` arcs per machine is restricted around the hint
(a few candidate machines per operation, successors among its neighbours in the hint's order):
docs/scheduling.md, "Scale".
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from .bottleneck import bottleneck_problem, bottlenecks, load_table
from .cpsat import Model, Outcome
from .dispatching import RULES, Rule, dispatch
from .model import (
    Fixed,
    Plan,
    Problem,
    Settings,
    check_plan,
    make_plan,
    validate,
    with_fixed,
    with_setups,
)

__all__ = ["best_of", "schedule"]


def schedule(
    problem: Problem,
    settings: Settings | None = None,
    *,
    hint: Plan | None = None,
    progress: Progress | None = None,
) -> Plan:
    """The best plan found for ``problem`` within the settings' time limit (see module doc).

    ``progress(fraction, message)`` is called between the steps (and between the windows of a
    large problem); it may raise to stop the run (a job's cancel), nothing is returned then.
    """
    settings = settings or Settings()
    began = time.perf_counter()
    report = progress or _silent
    validate(problem)
    objective = settings.objective
    report(0.02, "dispatching rules")
    baselines = [dispatch(problem, rule, objective=objective) for rule in RULES]
    best_rule, fallback = min(zip(RULES, baselines, strict=True), key=lambda rp: _score(rp[1]))
    broken = check_plan(problem, fallback)  # only when fixed operations contradict each other
    candidates: dict[str, Sequence[tuple[str, int]]] = {}
    notes: list[str] = []
    start_hint = hint if hint is not None and _score(hint) <= _score(fallback) else fallback
    if hint is not None:
        notes.append("hint given")
    keys = {order.id: float(order.due) for order in problem.orders}
    if (
        settings.bottleneck_first
        and objective == "weighted_tardiness"
        and len(problem.work_centers) > 1
    ):
        left = settings.time_limit - (time.perf_counter() - began)
        report(0.05, "bottleneck first")
        found = _bottleneck_first(problem, settings, best_rule, left * 0.25)
        if found is not None:
            code, sequenced, drum = found
            if _score(sequenced) <= _score(start_hint):
                notes.append(f"bottleneck first: {code}")
                start_hint, keys = sequenced, drum
            else:
                # the drum's plan is worse than the rules': the search starts from the rules'
                notes.append(f"bottleneck first: {code}, not better than the rules' plan")
    if objective == "weighted_tardiness" and not broken:
        report(0.3, "searching the orders' priorities")
        now = time.perf_counter()
        share = min(
            max(began + settings.time_limit * 0.55, now + settings.time_limit * 0.3),
            began + settings.time_limit * 0.85,
        )
        searched = _search_priorities(problem, keys, best_rule, share, settings.seed)
        if _score(searched) < _score(start_hint):
            notes.append("hint: priorities searched by dispatching")
            start_hint = searched
    horizon = _horizon(problem, start_hint, settings)
    span = _window_span(problem, horizon, settings)
    deadline = began + settings.time_limit
    count = sum(len(order.operations) for order in problem.orders)
    windows: dict[tuple[str, int], int] = {}
    report(0.6, "CP-SAT")
    if (span is not None or count > settings.max_full_operations) and not broken:
        notes.append("large: improved window by window")
        improved = _improve_by_windows(
            problem, settings, start_hint, deadline, horizon, span, report, began
        )
        outcome = Outcome(improved, "feasible", None)
        span = span or 0
    else:
        restrict, windows = _restrictions(problem, start_hint, settings, candidates)
        candidates.update(restrict)
        model = Model(
            problem,
            settings,
            horizon=horizon,
            hint=start_hint,
            candidates=candidates,
            hint_arcs_only=windows,
            window_span=span,
        )
        outcome = model.solve(max(0.5, deadline - time.perf_counter()))
    plans = [start_hint, fallback] if not broken else []
    if outcome.plan is not None:
        plans.insert(0, outcome.plan)
    if not plans:
        # nothing feasible: say so, with the rules' plan and what it breaks
        return make_plan(
            problem,
            fallback.operations,
            status="infeasible" if outcome.status == "infeasible" else "unknown",
            method=fallback.method,
            objective=objective,
            seconds=time.perf_counter() - began,
            notes=tuple(broken[:20]),
        )
    best = best_of(plans)
    restricted = (
        bool(windows)
        or span is not None
        or any(
            len(options) < _option_count(problem, op_id) for op_id, options in candidates.items()
        )
    )
    status = outcome.status
    if best is not outcome.plan or restricted:
        # the solver's word covers its own (possibly restricted) model, not this plan
        status = "feasible"
    bound = None if restricted else outcome.bound
    if objective == "makespan":
        bound = max(bound or 0, _makespan_floor(problem))
    elif bound is not None:
        bound = max(0, bound)
    if restricted:
        notes.append("restricted model: no proof of optimality, no lower bound")
    return make_plan(
        problem,
        best.operations,
        status=status,
        method=best.method,
        objective=objective,
        lower_bound=bound,
        seconds=time.perf_counter() - began,
        notes=(*notes, f"dispatching baseline: {best_rule}"),
    )


Progress = Callable[[float, str], None]


def _silent(fraction: float, message: str) -> None:
    return None


def best_of(plans: Sequence[Plan]) -> Plan:
    return min(plans, key=_score)


def _window_span(problem: Problem, horizon: int, settings: Settings) -> int | None:
    """Half the number of working windows an operation may move by, when calendars are long."""
    longest = max(
        (
            sum(1 for start, _ in wc.calendar.windows if start < horizon)
            for wc in problem.work_centers
            if wc.calendar is not None
        ),
        default=0,
    )
    return settings.max_windows // 2 if longest > settings.max_windows else None


def _option_count(problem: Problem, op_id: str) -> int:
    centers = problem.centers
    for order in problem.orders:
        for op in order.operations:
            if op.id == op_id:
                return sum(centers[code].machines for code in op.durations)
    return 0


def _score(plan: Plan) -> tuple[int, int]:
    if plan.objective == "makespan":
        return (plan.makespan, plan.flow_time)
    return (plan.weighted_tardiness, plan.flow_time)


def _horizon(problem: Problem, hint: Plan, settings: Settings) -> int:
    fixed_ends = [op.fixed.end for order in problem.orders for op in order.operations if op.fixed]
    longest = max(max(op.durations.values()) for order in problem.orders for op in order.operations)
    if settings.objective == "makespan":
        return max([hint.makespan, *fixed_ends])
    stretched = math.ceil(hint.makespan * settings.horizon_slack) + longest
    ends = [wc.calendar.end for wc in problem.work_centers if wc.calendar is not None]
    cap = min(ends) if ends else stretched
    return max([min(stretched, max(cap, hint.makespan)), hint.makespan, *fixed_ends])


def _makespan_floor(problem: Problem) -> int:
    """Trivial bound: the longest order and the most loaded single machine (no calendars)."""
    longest = max(
        (sum(min(op.durations.values()) for op in order.operations) for order in problem.orders),
        default=0,
    )
    load: dict[str, int] = {}
    for order in problem.orders:
        for op in order.operations:
            if len(op.durations) == 1:
                code = next(iter(op.durations))
                load[code] = load.get(code, 0) + op.durations[code]
    centers = problem.centers
    per_machine = max(
        (minutes / centers[code].machines for code, minutes in load.items()), default=0
    )
    return max(longest, math.ceil(per_machine))


def _bottleneck_first(
    problem: Problem, settings: Settings, rule: Rule, seconds: float
) -> tuple[str, Plan, dict[str, float]] | None:
    table = load_table(problem)
    names = bottlenecks(table)
    if not names:
        return None
    code = names[0]
    sub = bottleneck_problem(problem, code)
    if len(sub.orders) < 2:
        return None
    sub_settings = Settings(
        time_limit=seconds,
        workers=settings.workers,
        objective="weighted_tardiness",
        bottleneck_first=False,
        seed=settings.seed,
        max_arcs_per_machine=settings.max_arcs_per_machine * 2,
        max_windows=settings.max_windows,
        horizon_slack=settings.horizon_slack,
    )
    solved = _in_working_time(sub, sub_settings)
    sequences: dict[tuple[str, int], list[str]] = {}
    for got in sorted(solved.operations, key=lambda p: p.start):
        sequences.setdefault((got.work_center, got.machine), []).append(got.operation)
    ranks = {op.operation: float(op.start) for op in solved.operations}
    # drum-buffer-rope: every operation of an order is dispatched in the order its bottleneck
    # operation has in the drum's sequence, so that the work upstream arrives when it is due
    drum: dict[str, float] = {}
    for order in problem.orders:
        beat = next((ranks[op.id] for op in order.operations if op.id in ranks), None)
        for op in order.operations:
            drum[op.id] = beat if beat is not None else float(order.due)
    # the drum's machines and order kept exactly, or only its order of priority (a line may
    # take the next order that has arrived): whichever plans better
    plan = best_of(
        [
            dispatch(problem, rule, priorities=drum, sequences=sequences),
            dispatch(problem, rule, priorities=drum),
        ]
    )
    beats = {order.id: drum[order.operations[0].id] for order in problem.orders if order.operations}
    return code, plan, beats


def _search_priorities(
    problem: Problem, keys: dict[str, float], rule: Rule, deadline: float, seed: int
) -> Plan:
    """Better hints by dispatching again with late orders ranked earlier (iterated greedy).

    Each round moves every late order's rank earlier by its weighted tardiness times a step
    (with some noise); a round that does not improve halves the step. It stops at the
    deadline, when nothing is late, or after a dozen rounds without a gain.
    """
    rng = random.Random(seed)

    def run(ranks: dict[str, float]) -> Plan:
        given = {op.id: ranks[order.id] for order in problem.orders for op in order.operations}
        return dispatch(problem, rule, priorities=given)

    best = run(keys)
    mean_weight = sum(o.weight for o in problem.orders) / max(1, len(problem.orders)) or 1
    weights = {order.id: order.weight for order in problem.orders}
    step, misses = 1.0, 0
    while time.perf_counter() < deadline and best.weighted_tardiness > 0 and misses < 12:
        ranks = dict(keys)
        for result in best.orders:
            if result.tardiness > 0:
                push = result.tardiness * weights[result.order] / mean_weight
                ranks[result.order] -= step * push * rng.uniform(0.5, 1.5)
        found = run(ranks)
        if _score(found) < _score(best):
            best, keys, misses = found, ranks, 0
        else:
            step, misses = step / 2, misses + 1
            if step < 0.02:
                step = 1.0
    return best


def _in_working_time(problem: Problem, settings: Settings) -> Plan:
    """Solve a problem whose work centres share one calendar on that calendar's working time.

    Working minutes become the time axis (nights, breaks, weekends and holidays vanish), so
    the model needs no calendar tables; releases and due dates are mapped onto it, and the plan
    is mapped back (a start at a coordinate is the first minute with it, an end is where the
    work finishes). Setups and transfer batches are counted in working time either way, so the
    plan is exact; only the tardiness it minimises is in working minutes, which is what a
    sequence for the bottleneck needs.
    """
    calendars = {id(wc.calendar): wc.calendar for wc in problem.work_centers}
    if len(calendars) != 1:
        return schedule(problem, settings)
    (calendar,) = calendars.values()
    if calendar is None:
        return schedule(problem, settings)
    centers = tuple(replace(wc, calendar=None) for wc in problem.work_centers)
    orders = tuple(
        replace(
            order,
            due=calendar.worked(order.due),
            release=calendar.worked(order.release),
            operations=tuple(
                replace(
                    op,
                    release=calendar.worked(op.release),
                    fixed=replace(
                        op.fixed,
                        start=calendar.worked(op.fixed.start),
                        end=calendar.worked(op.fixed.end),
                    )
                    if op.fixed is not None
                    else None,
                )
                for op in order.operations
            ),
        )
        for order in problem.orders
    )
    flat = schedule(Problem(centers, orders), settings)
    by_id = {op.id: op for order in problem.orders for op in order.operations}
    placed = []
    for got in flat.operations:
        op = by_id[got.operation]
        if op.fixed is not None:
            start, end = op.fixed.start, op.fixed.end
        else:
            start = calendar.at_worked(got.start)
            end = calendar.finish(start, op.durations[got.work_center])
        placed.append(replace(got, start=start, end=end, setup_start=None))
    return make_plan(
        problem,
        with_setups(problem, placed),
        status=flat.status,
        method=flat.method,
        objective=flat.objective,
        lower_bound=None,
        seconds=flat.seconds,
        notes=(*flat.notes, "solved in working time"),
    )


def _restrictions(
    problem: Problem,
    hint: Plan,
    settings: Settings,
    given: Mapping[str, Sequence[tuple[str, int]]],
    keep: int | None = None,
) -> tuple[dict[str, list[tuple[str, int]]], dict[tuple[str, int], int]]:
    """Candidate machines and arc windows that keep each setup work centre's circuits small."""
    placed = hint.by_operation()
    candidates: dict[str, list[tuple[str, int]]] = {}
    windows: dict[tuple[str, int], int] = {}
    budget = settings.max_arcs_per_machine
    for wc in problem.work_centers:
        if not wc.has_setups:
            continue
        ops = [
            op
            for order in problem.orders
            for op in order.operations
            if wc.code in op.durations and op.fixed is None
        ]
        machines = wc.machines
        free = [op for op in ops if op.id not in given]
        pinned = len(ops) - len(free)
        per_machine = (len(free) + pinned / machines) if machines else 0
        if per_machine * per_machine <= budget and (keep is None or keep >= machines):
            continue
        fits = max(1, min(machines, int(machines * math.sqrt(budget) / max(1, len(ops)))))
        allowed = fits if keep is None else min(keep, fits)
        for op in free:
            if len(op.durations) > 1:
                continue  # alternatives across work centres stay open
            got = placed[op.id]
            home = got.machine if got.work_center == wc.code else 0
            candidates[op.id] = [(wc.code, (home + k) % machines) for k in range(allowed)]
        nodes = len(ops) * allowed / machines  # per machine
        if nodes * nodes > budget:
            window = max(
                2 * machines, int(budget * machines / (2 * max(1, len(ops)) * allowed * allowed))
            )
            for m in range(machines):
                windows[wc.code, m] = window
    return candidates, windows


def _improve_by_windows(
    problem: Problem,
    settings: Settings,
    plan: Plan,
    deadline: float,
    horizon: int,
    span: int | None,
    report: Progress = _silent,
    began: float = 0.0,
) -> Plan:
    """Large problems: re-solve a window of operations at a time, the rest held in place.

    The windows follow the plan's start order (``settings.window_operations`` operations,
    overlapping by a third) and come round again while time is left; each solve starts from
    the current plan, so the plan only gets better.
    """
    fixed_ids = {op.id for order in problem.orders for op in order.operations if op.fixed}
    size = max(2, settings.window_operations)
    stride = max(1, (2 * size) // 3)
    position = 0
    ordered = [
        o.operation
        for o in sorted(plan.operations, key=lambda o: o.start)
        if o.operation not in fixed_ids
    ]
    building = 1.0
    while ordered and deadline - time.perf_counter() > building + 1.0:
        built = time.perf_counter()
        total = max(1e-9, deadline - began)
        report(0.6 + 0.4 * min(1.0, (built - began) / total), "CP-SAT, window by window")
        chunk = set(ordered[position : position + size])
        held = {
            o.operation: Fixed(o.work_center, o.machine, o.start, o.end)
            for o in plan.operations
            if o.operation not in chunk and o.operation not in fixed_ids
        }
        sub = with_fixed(problem, held)
        candidates, arc_windows = _restrictions(sub, plan, settings, {}, keep=3)
        model = Model(
            sub,
            settings,
            horizon=horizon,
            hint=plan,
            candidates=candidates,
            hint_arcs_only=arc_windows,
            window_span=span,
            light=True,
        )
        building = time.perf_counter() - built
        budget = min(settings.window_seconds, deadline - time.perf_counter())
        if budget < 0.5:
            break
        outcome = model.solve(budget)
        if outcome.plan is not None and _score(outcome.plan) < _score(plan):
            plan = make_plan(
                problem,
                outcome.plan.operations,
                status="feasible",
                method="cp-sat windows",
                objective=settings.objective,
            )
        position += stride
        if position >= len(ordered):
            position = 0
            ordered = [
                o.operation
                for o in sorted(plan.operations, key=lambda o: o.start)
                if o.operation not in fixed_ids
            ]
    return plan
