"""The scheduling engine's entry point: :func:`schedule` (problem and settings in, plan out).

The run, within ``settings.time_limit`` seconds of wall clock (a deadline fixed at the start;
each step checks what is left before it starts and sizes itself to fit):

1. the dispatching rules (FIFO, EDD, MWKR) each build a feasible plan; the best is the fallback
   and the first hint;
2. bottleneck first (``settings.bottleneck_first``, weighted-tardiness objective): the most
   loaded work centre's operations (heads as releases, tails as due dates) are sequenced on
   its working time by the ATCS rule (weight, slack, family changeover; ``bottleneck.drums``);
   dispatching runs that follow the drum (its lines' sequences, or only its assignment of
   operations to lines, every order ranked by its bottleneck start) give complete plans and
   the orders' first ranking;
3. priority search: the ranking is improved by dispatching again (keeping the drum's guide)
   with late orders moved earlier (until about 55 % of the time); the best plan is the hint;
4. tabu search (makespan objective, no calendars, setups, releases or held operations:
   ``tabu.applies``): half of what is left improves the hint's machine sequences (``tabu.py``);
5. the full CP-SAT model (``cpsat.py``) improves on the hint for the rest of the time: weighted
   tardiness first, then flow time under it (large problems: window by window).

The best plan found is returned with its status (``optimal`` only when CP-SAT proved it, or a
makespan reaches the lower bound) and the lower bound of the first objective. A work centre
with setups whose sequencing model would be larger than ``settings.max_arcs_per_machine`` arcs
per machine is restricted around the hint (a few candidate machines per operation, successors
among its neighbours in the hint's order): docs/scheduling.md, "Scale".
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping, Sequence

from .bottleneck import bottleneck_problem, bottlenecks, drums, load_table
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

    ``settings.time_limit`` is a wall-clock budget for the whole call: the deadline is fixed
    when it starts, and every step checks what is left before it starts and sizes itself to
    fit (a step that would not fit is skipped and said so in ``Plan.notes``).

    ``progress(fraction, message)`` is called between the steps (and between the windows of a
    large problem); it may raise to stop the run (a job's cancel), nothing is returned then.
    """
    settings = settings or Settings()
    began = time.perf_counter()
    deadline = began + settings.time_limit
    report = progress or _silent
    validate(problem)
    objective = settings.objective
    report(0.02, "dispatching rules")
    baselines: list[Plan] = []
    rules: list[Rule] = []
    notes: list[str] = []
    for rule in RULES:
        took = time.perf_counter()
        baselines.append(dispatch(problem, rule, objective=objective))
        rules.append(rule)
        dispatch_seconds = time.perf_counter() - took
        if len(rules) < len(RULES) and time.perf_counter() + dispatch_seconds > deadline:
            notes.append(f"time limit: only the rules {', '.join(rules)} were run")
            break
    best_rule, fallback = min(zip(rules, baselines, strict=True), key=lambda rp: _score(rp[1]))
    broken = check_plan(problem, fallback)  # only when fixed operations contradict each other
    candidates: dict[str, Sequence[tuple[str, int]]] = {}
    start_hint = hint if hint is not None and _score(hint) <= _score(fallback) else fallback
    if hint is not None:
        notes.append("hint given")
    keys = {order.id: float(order.due) for order in problem.orders}
    guide: dict[str, object] = {}
    if (
        settings.bottleneck_first
        and objective == "weighted_tardiness"
        and len(problem.work_centers) > 1
        and _left(deadline) > 2 * dispatch_seconds
    ):
        report(0.05, "bottleneck first")
        # the drum gets up to a quarter of what is left, and stops early when a dispatching
        # run would no longer fit
        found = _bottleneck_first(
            problem, best_rule, time.perf_counter() + 0.25 * _left(deadline), deadline
        )
        if found is not None:
            code, sequenced, drum, drum_guide = found
            if _score(sequenced) <= _score(start_hint):
                notes.append(f"bottleneck first: {code}")
                start_hint, keys, guide = sequenced, drum, drum_guide
            else:
                # the drum's plan is worse than the rules': the search starts from the rules'
                notes.append(f"bottleneck first: {code}, not better than the rules' plan")
    elif (
        settings.bottleneck_first
        and objective == "weighted_tardiness"
        and len(problem.work_centers) > 1
    ):
        notes.append("time limit: no time for bottleneck first")
    if objective == "weighted_tardiness" and not broken:
        report(0.3, "searching the orders' priorities")
        now = time.perf_counter()
        share = min(
            max(began + settings.time_limit * 0.55, now + settings.time_limit * 0.3),
            began + settings.time_limit * 0.85,
        )
        searched = _search_priorities(problem, keys, best_rule, share, settings.seed, guide)
        if _score(searched) < _score(start_hint):
            notes.append("hint: priorities searched by dispatching")
            start_hint = searched
    floor = _makespan_floor(problem) if objective == "makespan" else 0
    if objective == "makespan" and not broken:
        from . import tabu  # Numba compiles or loads its kernel: only for a makespan run

        if tabu.applies(problem) and _left(deadline) > RESERVE + MIN_SOLVE:
            report(0.3, "tabu search")
            searched_plan = tabu.polish(
                problem,
                start_hint,
                deadline=time.perf_counter() + TABU_SHARE * (_left(deadline) - RESERVE),
                workers=settings.workers,
                seed=settings.seed,
                stop_at=floor,
                check=lambda: report(0.3, "tabu search"),  # a job's cancel raises here
            )
            if searched_plan is not None:
                notes.append("hint: tabu search")
                start_hint = searched_plan
    horizon = _horizon(problem, start_hint, settings)
    span = _window_span(problem, horizon, settings)
    count = sum(len(order.operations) for order in problem.orders)
    windows: dict[tuple[str, int], int] = {}
    outcome = Outcome(None, "unknown", None)
    report(0.6, "CP-SAT")
    if (span is not None or count > settings.max_full_operations) and not broken:
        notes.append("large: improved window by window")
        improved = _improve_by_windows(
            problem, settings, start_hint, deadline - RESERVE, horizon, span, report, began
        )
        outcome = Outcome(improved, "feasible", None)
        span = span or 0
    elif _left(deadline) > RESERVE + MIN_SOLVE:
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
        budget = _left(deadline) - RESERVE - OVERRUN
        if budget >= MIN_SOLVE:
            outcome = model.solve(budget)
        else:
            notes.append("time limit: the model was built too late to be solved")
    else:
        notes.append("time limit: no time left for CP-SAT")
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
        bound = max(bound or 0, floor)
        if best.makespan == bound:
            status = "optimal"
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

RESERVE = 0.2
"""Seconds kept at the end of a run for assembling the plan."""
OVERRUN = 0.25
"""Seconds CP-SAT may take past its ``max_time_in_seconds`` (stopping its workers)."""
MIN_SOLVE = 0.3
"""A CP-SAT solve shorter than this is not started."""
TABU_SHARE = 0.5
"""The share of the time a tabu search gets before CP-SAT where it applies (``tabu.applies``:
the makespan of a problem without calendars or setups). Measured in bench/README.md (a)."""


def _left(deadline: float) -> float:
    return deadline - time.perf_counter()


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
    problem: Problem, rule: Rule, until: float, deadline: float
) -> tuple[str, Plan, dict[str, float], dict[str, object]] | None:
    """The drum: the most loaded work centre sequenced alone, and the full plan built on it.

    The bottleneck's operations, with their heads and tails (``bottleneck_problem``), are
    sequenced by ATCS (``bottleneck.drums``) on its working time. The best few drums are then
    turned into complete plans by dispatching: every operation of an order ranked by its
    bottleneck operation's start in the drum (drum-buffer-rope), and the bottleneck's lines
    either running exactly the drum's sequence or only the operations the drum gave them, in
    that rank among those that have arrived. The best plan, the orders' ranks and how it was
    guided (for the priority search) are returned.
    """
    table = load_table(problem)
    names = bottlenecks(table)
    if not names:
        return None
    code = names[0]
    sub = bottleneck_problem(problem, code)
    if len(sub.orders) < 2:
        return None
    found = drums(sub, until)
    if not found:
        return None
    best: tuple[Plan, dict[str, float], dict[str, object]] | None = None
    for drum in found[:3]:
        beats: dict[str, float] = {}
        ranks: dict[str, float] = {}
        for order in problem.orders:
            beat = next(
                (drum.starts[op.id] for op in order.operations if op.id in drum.starts), None
            )
            beats[order.id] = beat if beat is not None else float(order.due)
            for op in order.operations:
                ranks[op.id] = beats[order.id]
        sequences: dict[tuple[str, int], list[str]] = {}
        for op_id in sorted(drum.starts, key=lambda o: drum.starts[o]):
            sequences.setdefault((code, drum.machines[op_id]), []).append(op_id)
        assign = {op_id: (code, m) for op_id, m in drum.machines.items()}
        guides: list[dict[str, object]] = [{"sequences": sequences}, {"assign": assign}]
        for guide in guides:
            if best is not None and time.perf_counter() > deadline:
                break
            plan = dispatch(problem, rule, priorities=ranks, **guide)  # type: ignore[arg-type]
            if best is None or _score(plan) < _score(best[0]):
                best = (plan, beats, guide)
        if time.perf_counter() > until:
            break
    if best is None:
        return None
    return code, best[0], best[1], best[2]


def _search_priorities(
    problem: Problem,
    keys: dict[str, float],
    rule: Rule,
    deadline: float,
    seed: int,
    guide: Mapping[str, object] | None = None,
) -> Plan:
    """Better hints by dispatching again with late orders ranked earlier (iterated greedy).

    Each round moves every late order's rank earlier by its weighted tardiness times a step
    (with some noise); a round that does not improve halves the step. It stops at the
    deadline, when nothing is late, or after a dozen rounds without a gain; a round is not
    started when the last one would not fit before the deadline. ``guide`` (the drum's
    machines or sequences for the bottleneck) is kept in every run.
    """
    rng = random.Random(seed)

    def run(ranks: dict[str, float]) -> Plan:
        given = {op.id: ranks[order.id] for order in problem.orders for op in order.operations}
        return dispatch(problem, rule, priorities=given, **(guide or {}))  # type: ignore[arg-type]

    took = time.perf_counter()
    best = run(keys)
    last = time.perf_counter() - took
    mean_weight = sum(o.weight for o in problem.orders) / max(1, len(problem.orders)) or 1
    weights = {order.id: order.weight for order in problem.orders}
    step, misses = 1.0, 0
    while time.perf_counter() + last < deadline and best.weighted_tardiness > 0 and misses < 12:
        took = time.perf_counter()
        ranks = dict(keys)
        for result in best.orders:
            if result.tardiness > 0:
                push = result.tardiness * weights[result.order] / mean_weight
                ranks[result.order] -= step * push * rng.uniform(0.5, 1.5)
        found = run(ranks)
        last = time.perf_counter() - took
        if _score(found) < _score(best):
            best, keys, misses = found, ranks, 0
        else:
            step, misses = step / 2, misses + 1
            if step < 0.02:
                step = 1.0
    return best


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
    building = 1.0  # seconds the last window's model took to build (a first guess)
    while ordered and deadline - time.perf_counter() > building + MIN_SOLVE:
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
        # CP-SAT stops a little after its limit: keep that overrun inside the deadline
        budget = min(settings.window_seconds, deadline - time.perf_counter() - OVERRUN)
        if budget < MIN_SOLVE:
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
