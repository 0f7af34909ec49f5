"""The CP-SAT model of a scheduling problem (see docs/scheduling.md, "The model").

One start and end per operation; one optional interval per machine it may use (the machines of
its work centre and of its alternatives), exactly one present; a no-overlap per machine.
Calendars: an operation on a work centre with a calendar has the index of the working window
it starts in and of the one it ends in; element constraints read each window's bounds and its
working-time offset from precomputed tables, so that ``worked(end) - worked(start)`` equals the
operation's working minutes exactly (it pauses over breaks, nights and holidays) and it starts
and ends inside working time. Setups: on a machine of a work centre with families, a circuit
over the operations that may run on it (a depot closes it); an arc i -> j makes j start at
least the setup after i in working time. Transfer batches, releases and fixed operations are
linear constraints. Objectives: the makespan, or weighted tardiness then flow time
(lexicographic: the first solve's value is bounded in the second).
"""

from __future__ import annotations

import itertools
import math
import time
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from .calendar import Calendar
from .model import (
    Plan,
    PlannedOperation,
    Problem,
    Settings,
    Status,
    Step,
    WorkCenter,
    make_plan,
    steps,
    transfer_lag,
    with_setups,
)

LinearExpr = Any  # ortools' expression types are too loose to check usefully

_STATUS: dict[Any, Status] = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "unknown",
    cp_model.UNKNOWN: "unknown",
}


@dataclass
class _Group:
    """One calendar among an operation's options: its start/end and working coordinates."""

    calendar: Calendar | None
    literal: LinearExpr
    start: LinearExpr
    end: LinearExpr
    worked_start: LinearExpr
    worked_end: LinearExpr
    window_vars: tuple[cp_model.IntVar, cp_model.IntVar] | None = None
    flag: cp_model.IntVar | None = None
    reach: tuple[int, int] | None = None  # earliest start and latest end, when bounded


@dataclass
class _Op:
    step: Step
    start: LinearExpr
    end: LinearExpr
    groups: dict[int, _Group] = field(default_factory=dict)
    machines: dict[tuple[str, int], LinearExpr] = field(default_factory=dict)
    centers: dict[str, LinearExpr] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    plan: Plan | None
    status: Status
    bound: int | None


class Model:
    """Builds the model once; :meth:`solve` runs the objective phases on it."""

    def __init__(
        self,
        problem: Problem,
        settings: Settings,
        *,
        horizon: int,
        hint: Plan | None = None,
        candidates: Mapping[str, Sequence[tuple[str, int]]] | None = None,
        hint_arcs_only: Mapping[tuple[str, int], int] | None = None,
        window_span: int | None = None,
        light: bool = False,
    ) -> None:
        self.problem = problem
        self.settings = settings
        self.horizon = horizon
        self.model = cp_model.CpModel()
        self.flat = steps(problem)
        self.centers = problem.centers
        self.hint = hint.by_operation() if hint else {}
        self.candidates = candidates or {}
        self.ops: list[_Op] = []
        self.tables: dict[int, tuple[list[int], list[int], list[int]]] = {}
        self.arc_window = hint_arcs_only or {}
        self.window_span = window_span
        self.light = light
        self._intervals: dict[tuple[str, int], list[tuple[cp_model.IntervalVar, _Op]]] = {}
        for step in self.flat:
            self.ops.append(self._operation(step))
        for op in self.ops:
            if op.step.previous is not None:
                self._precedence(self.ops[op.step.previous], op)
        self._machines()
        last: dict[int, int] = {}
        for step in self.flat:
            last[step.order_index] = step.index
        self.completions = [self.ops[last[k]].end for k in range(len(problem.orders))]

    # -- building ---------------------------------------------------------------------------

    def _options(self, step: Step) -> list[tuple[str, int]]:
        op = step.operation
        if op.fixed is not None:
            return [(op.fixed.work_center, op.fixed.machine)]
        given = self.candidates.get(op.id)
        if given:
            return list(given)
        return [(code, m) for code in op.durations for m in range(self.centers[code].machines)]

    def _table(self, calendar: Calendar) -> tuple[list[int], list[int], list[int]]:
        key = id(calendar)
        if key not in self.tables:
            windows = [w for w in calendar.windows if w[0] < self.horizon] or [(0, 0)]
            starts = [s for s, _ in windows]
            ends = [min(e, self.horizon) for _, e in windows]
            offsets = [calendar.worked(s) - s for s in starts]
            self.tables[key] = (starts, ends, offsets)
        return self.tables[key]

    def _operation(self, step: Step) -> _Op:
        m = self.model
        op = step.operation
        name = op.id
        options = self._options(step)
        codes = list(dict.fromkeys(code for code, _ in options))
        got = self.hint.get(op.id)
        if op.fixed is not None:
            f = op.fixed
            wc = self.centers[f.work_center]
            record = _Op(step, f.start, f.end)
            one = m.new_constant(1)
            record.machines[f.work_center, f.machine] = one
            record.centers[f.work_center] = one
            record.groups[id(wc.calendar)] = _Group(
                wc.calendar, one, f.start, f.end, wc.worked(f.start), wc.worked(f.end)
            )
            interval = m.new_fixed_size_interval_var(f.start, f.end - f.start, f"i_{name}")
            self._intervals.setdefault((f.work_center, f.machine), []).append((interval, record))
            return record
        low = max(op.release, step.order.release)
        lengths = {op.durations[c] for c in codes}
        simple = len(lengths) == 1 and all(self.centers[c].calendar is None for c in codes)
        start = m.new_int_var(low, self.horizon, f"s_{name}")
        end: LinearExpr
        if simple:
            fixed_length = lengths.pop()
            end = start + fixed_length
        else:
            end = m.new_int_var(low, self.horizon, f"e_{name}")
        record = _Op(step, start, end)
        if got:
            m.add_hint(start, got.start)
            if not simple:
                m.add_hint(end, got.end)
        # work centre and machine literals
        for code in codes:
            machines = [k for c, k in options if c == code]
            lits = {}
            for k in machines:
                lit: LinearExpr = (
                    m.new_bool_var(f"x_{name}_{code}_{k}")
                    if len(options) > 1
                    else m.new_constant(1)
                )
                lits[k] = lit
                record.machines[code, k] = lit
                if got and len(options) > 1:
                    m.add_hint(lit, int((got.work_center, got.machine) == (code, k)))
            if len(codes) == 1:
                record.centers[code] = (
                    m.new_constant(1) if len(options) == 1 else sum(lits.values())
                )
            else:
                record.centers[code] = sum(lits.values())
        if len(options) > 1:
            m.add_exactly_one(record.machines.values())
        # one calendar group per distinct calendar among the work centres
        by_calendar: dict[int, list[str]] = {}
        for code in codes:
            by_calendar.setdefault(id(self.centers[code].calendar), []).append(code)
        for key, group_codes in by_calendar.items():
            calendar = self.centers[group_codes[0]].calendar
            literal: LinearExpr = sum(record.centers[c] for c in group_codes)
            if len(by_calendar) == 1:
                g_start, g_end = start, end
            else:
                g_start = m.new_int_var(low, self.horizon, f"s_{name}_{key}")
                g_end = m.new_int_var(low, self.horizon, f"e_{name}_{key}")
                flag = m.new_bool_var(f"g_{name}_{key}")
                m.add(flag == literal)
                m.add(g_start == start).only_enforce_if(flag)
                m.add(g_end == end).only_enforce_if(flag)
                if got:
                    in_group = got.work_center in group_codes
                    m.add_hint(flag, int(in_group))
                    m.add_hint(g_start, got.start if in_group else self._free_start(calendar, low))
                    m.add_hint(
                        g_end,
                        got.end if in_group else self._free_end(calendar, low, group_codes, op),
                    )
            group = self._calendar_group(
                record, calendar, literal, g_start, g_end, low, got, group_codes
            )
            record.groups[key] = group
            for code in group_codes if not simple else ():
                duration = op.durations[code]
                lit = record.centers[code]
                if calendar is None:
                    constraint = m.add(g_end == g_start + duration)
                else:
                    constraint = m.add(group.worked_end - group.worked_start == duration)
                if len(codes) > 1:
                    constraint.only_enforce_if(self._as_bool(lit, f"c_{name}_{code}", got, code))
        # one optional interval per machine
        size: LinearExpr
        if simple:
            size = fixed_length
        else:
            size = m.new_int_var(0, self.horizon, f"d_{name}")
            m.add(size == end - start)
            if got:
                m.add_hint(size, got.end - got.start)
        for (code, k), lit in record.machines.items():
            if len(options) == 1:
                interval = m.new_interval_var(start, size, end, f"i_{name}")
            else:
                interval = m.new_optional_interval_var(
                    start, size, end, lit, f"i_{name}_{code}_{k}"
                )
            self._intervals.setdefault((code, k), []).append((interval, record))
        return record

    def _as_bool(
        self, lit: LinearExpr, name: str, got: PlannedOperation | None, code: str
    ) -> cp_model.IntVar:
        if isinstance(lit, cp_model.IntVar):
            return lit
        flag = self.model.new_bool_var(name)
        self.model.add(flag == lit)
        if got:
            self.model.add_hint(flag, int(got.work_center == code))
        return flag

    def _free_start(self, calendar: Calendar | None, low: int) -> int:
        return low if calendar is None else calendar.next_working(low)

    def _free_end(self, calendar: Calendar | None, low: int, codes: list[str], op: object) -> int:
        duration = max(op.durations[c] for c in codes)  # type: ignore[attr-defined]
        start = self._free_start(calendar, low)
        return start + duration if calendar is None else calendar.finish(start, duration)

    def _calendar_group(
        self,
        record: _Op,
        calendar: Calendar | None,
        literal: LinearExpr,
        start: LinearExpr,
        end: LinearExpr,
        low: int,
        got: PlannedOperation | None,
        codes: list[str],
    ) -> _Group:
        if calendar is None:
            return _Group(None, literal, start, end, start, end)
        m = self.model
        name = record.step.operation.id
        starts, ends, offsets = self._table(calendar)
        count = len(starts)
        first = min(bisect_right(ends, low), count - 1)
        a_range = b_range = (first, count - 1)
        span = self.window_span
        if span is not None and got is not None and got.work_center in codes:
            ka, kb = calendar.window_of(got.start), calendar.window_of(max(got.start, got.end - 1))
            if ka is not None and kb is not None:
                # large problems: each operation stays within `span` working windows of the hint
                a_range = (max(first, ka - span), min(count - 1, ka + span))
                b_range = (max(first, kb - span), min(count - 1, kb + span))
        a = m.new_int_var(*a_range, f"a_{name}")
        b = m.new_int_var(*b_range, f"b_{name}")
        m.add(b >= a)
        m.add(start >= starts[a_range[0]])
        m.add(start < ends[a_range[1]])
        m.add(end <= ends[b_range[1]])
        lo_s, hi_s = min(starts), max(starts)
        lo_e, hi_e = min(ends), max(ends)
        lo_o, hi_o = min(offsets), max(offsets)
        a_start = m.new_int_var(lo_s, hi_s, f"as_{name}")
        a_end = m.new_int_var(lo_e, hi_e, f"ae_{name}")
        a_off = m.new_int_var(lo_o, hi_o, f"ao_{name}")
        b_start = m.new_int_var(lo_s, hi_s, f"bs_{name}")
        b_end = m.new_int_var(lo_e, hi_e, f"be_{name}")
        b_off = m.new_int_var(lo_o, hi_o, f"bo_{name}")
        m.add_element(a, starts, a_start)
        m.add_element(a, ends, a_end)
        m.add_element(a, offsets, a_off)
        m.add_element(b, starts, b_start)
        m.add_element(b, ends, b_end)
        m.add_element(b, offsets, b_off)
        m.add(start >= a_start)
        m.add(start <= a_end - 1)
        zero = min(record.step.operation.durations[c] for c in codes) == 0
        m.add(end >= b_start + (0 if zero else 1))
        m.add(end <= b_end)
        if got is not None:
            in_group = got.work_center in codes
            s_hint = got.start if in_group else self._free_start(calendar, low)
            e_hint = (
                got.end if in_group else self._free_end(calendar, low, codes, record.step.operation)
            )
            ka = calendar.window_of(s_hint)
            kb = calendar.window_of(e_hint - 1)
            if ka is not None and kb is not None and kb < count:
                for var, value in ((a, ka), (b, kb)):
                    m.add_hint(var, value)
                for var, table, k in (
                    (a_start, starts, ka),
                    (a_end, ends, ka),
                    (a_off, offsets, ka),
                    (b_start, starts, kb),
                    (b_end, ends, kb),
                    (b_off, offsets, kb),
                ):
                    m.add_hint(var, table[k])
        reach = (starts[a_range[0]], ends[b_range[1]])
        return _Group(
            calendar, literal, start, end, a_off + start, b_off + end, (a, b), None, reach
        )

    def _precedence(self, before: _Op, after: _Op) -> None:
        m = self.model
        if before.step.operation.fixed is not None and after.step.operation.fixed is not None:
            return  # both held: nothing to decide
        if not transfer_lag(before.step.operation, after.step.operation):
            m.add(after.start >= before.end)
            return
        first = before.step.operation.transfer_batch or 0
        last = after.step.operation.transfer_batch or 0
        several = len(before.groups) > 1 or len(after.groups) > 1
        for g_before in before.groups.values():
            for g_after in after.groups.values():
                if g_before.calendar is not None and g_before.calendar == g_after.calendar:
                    cons = [
                        m.add(g_after.worked_start >= g_before.worked_start + first),
                        m.add(g_after.worked_end >= g_before.worked_end + last),
                    ]
                else:
                    cons = [
                        m.add(g_after.start >= g_before.start + first),
                        m.add(g_after.end >= g_before.end + last),
                    ]
                if several:
                    enforce = [self._group_flag(g) for g in (g_before, g_after)]
                    for c in cons:
                        c.only_enforce_if([x for x in enforce if x is not None])

    def _group_flag(self, group: _Group) -> cp_model.IntVar | None:
        if group.flag is None:
            lit = group.literal
            if isinstance(lit, int):
                return None
            if isinstance(lit, cp_model.IntVar):
                group.flag = lit
            else:
                group.flag = self.model.new_bool_var("gf")
                self.model.add(group.flag == lit)
        return group.flag

    def _machines(self) -> None:
        m = self.model
        for (code, k), items in self._intervals.items():
            if len(items) > 1:
                m.add_no_overlap([interval for interval, _ in items])
            wc = self.centers[code]
            if wc.has_setups and len(items) > 1:
                self._circuit(wc, k, [record for _, record in items])

    def _circuit(self, wc: WorkCenter, machine: int, everyone: list[_Op]) -> None:
        """Setups on one machine: a circuit over the operations that may move, and a choice of
        before or after (with the setups both ways) against each one held in place."""
        m = self.model
        key = id(wc.calendar)
        records = [r for r in everyone if r.step.operation.fixed is None]
        held = [r for r in everyone if r.step.operation.fixed is not None]
        self._against_held(wc, machine, records, held)
        if len(records) < 2:
            return
        presence = [r.machines[wc.code, machine] for r in records]
        hinted = [self.hint.get(r.step.operation.id) for r in records]
        on_machine = [
            i
            for i, got in enumerate(hinted)
            if got and (got.work_center, got.machine) == (wc.code, machine)
        ]
        on_machine.sort(key=lambda i: hinted[i].start)  # type: ignore[union-attr]
        hint_next = dict(itertools.pairwise(on_machine))
        window = self.arc_window.get((wc.code, machine))
        rank = {}
        if window is not None:
            order = sorted(range(len(records)), key=lambda i: _hint_start(hinted[i]))
            rank = {i: r for r, i in enumerate(order)}
        arcs: list[tuple[int, int, LinearExpr]] = []
        empty = m.new_bool_var(f"empty_{wc.code}_{machine}")
        arcs.append((0, 0, empty))
        if self.hint:
            m.add_hint(empty, int(not on_machine))
        for i in range(len(records)):
            node = i + 1
            lit = presence[i]
            first = m.new_bool_var("")
            last = m.new_bool_var("")
            arcs.append((0, node, first))
            arcs.append((node, 0, last))
            arcs.append((node, node, lit.Not()))
            if self.hint:
                m.add_hint(first, int(bool(on_machine) and on_machine[0] == i))
                m.add_hint(last, int(bool(on_machine) and on_machine[-1] == i))
        groups = [r.groups[key] for r in records]
        families = [r.step.operation.family for r in records]
        for i in range(len(records)):
            for j in range(len(records)):
                if i == j:
                    continue
                if window is not None and abs(rank[i] - rank[j]) > window and hint_next.get(i) != j:
                    continue
                lit = m.new_bool_var("")
                arcs.append((i + 1, j + 1, lit))
                setup = wc.setup(families[i], families[j])
                m.add(groups[j].worked_start >= groups[i].worked_end + setup).only_enforce_if(lit)
                if self.hint:
                    m.add_hint(lit, int(hint_next.get(i) == j))
        m.add_circuit(arcs)

    def _longest_setup(self, wc: WorkCenter) -> int:
        return max([wc.default_setup, *wc.setups.values()])

    def _against_held(
        self, wc: WorkCenter, machine: int, records: list[_Op], held: list[_Op]
    ) -> None:
        m = self.model
        key = id(wc.calendar)
        for r in records:
            presence = r.machines[wc.code, machine]
            mine = r.groups[key]
            got = self.hint.get(r.step.operation.id)
            slack = max(self._longest_setup(wc), 0)
            for h in held:
                fixed = h.step.operation.fixed
                assert fixed is not None
                if mine.reach is not None:
                    lo, hi = mine.reach
                    if (
                        wc.worked(fixed.end) + slack <= wc.worked(lo)
                        or wc.worked(fixed.start) >= wc.worked(hi) + slack
                    ):
                        continue  # too far away in time to meet this operation
                before = m.new_bool_var("")
                to_held = wc.setup(r.step.operation.family, h.step.operation.family)
                from_held = wc.setup(h.step.operation.family, r.step.operation.family)
                m.add(mine.worked_end + to_held <= wc.worked(fixed.start)).only_enforce_if(
                    [before, presence]
                )
                m.add(mine.worked_start >= wc.worked(fixed.end) + from_held).only_enforce_if(
                    [before.Not(), presence]
                )
                if got is not None:
                    m.add_hint(before, int(got.start < fixed.start))

    # -- solving ------------------------------------------------------------------------------

    def solve(self, time_limit: float) -> Outcome:
        """Solve for the settings' objective within ``time_limit`` seconds."""
        began = time.perf_counter()
        m = self.model
        if self.settings.objective == "makespan":
            makespan = m.new_int_var(0, self.horizon, "makespan")
            m.add_max_equality(makespan, self.completions)
            m.minimize(makespan)
            solver, status = self._run(time_limit)
            return self._outcome(solver, status, began, solver_bound(solver, status))
        tardiness = []
        weights = []
        for order, completion in zip(self.problem.orders, self.completions, strict=True):
            if order.weight == 0:
                continue
            late = m.new_int_var(0, self.horizon, f"t_{order.id}")
            m.add(late >= completion - order.due)
            tardiness.append(late)
            weights.append(order.weight)
            got = self.hint.get(order.operations[-1].id)
            if got is not None:
                m.add_hint(late, max(0, got.end - order.due))
        weighted = cp_model.LinearExpr.weighted_sum(tardiness, weights)
        m.minimize(weighted)
        first_share = 0.6 * time_limit
        solver, status = self._run(first_share)
        bound = solver_bound(solver, status)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return self._outcome(solver, status, began, bound)
        best = round(solver.objective_value)
        first_optimal = status == cp_model.OPTIMAL
        first = self._extract(solver)
        # second phase: flow time under the weighted tardiness found, in what is left
        left = time_limit - (time.perf_counter() - began)
        status2 = cp_model.UNKNOWN
        if left >= 0.2:
            self._hint_from(solver)
            m.add(weighted <= best)
            m.minimize(sum(self.completions))
            left = time_limit - (time.perf_counter() - began)
            solver2, status2 = self._run(left)
        if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            status_word: Status = (
                "optimal" if first_optimal and status2 == cp_model.OPTIMAL else "feasible"
            )
            placed = self._extract(solver2)
        else:
            status_word, placed = ("optimal" if first_optimal else "feasible"), first
        plan = make_plan(
            self.problem,
            placed,
            status=status_word,
            method="cp-sat",
            objective="weighted_tardiness",
            lower_bound=bound,
            seconds=time.perf_counter() - began,
        )
        return Outcome(plan, status_word, bound)

    def solve_displacement(self, reference: Mapping[str, int], time_limit: float) -> Outcome:
        """Keep the operations as near their ``reference`` starts as the constraints allow."""
        began = time.perf_counter()
        m = self.model
        moves = []
        for record in self.ops:
            op_id = record.step.operation.id
            if op_id not in reference or isinstance(record.start, int):
                continue
            shift = m.new_int_var(0, self.horizon, f"shift_{op_id}")
            m.add_abs_equality(shift, record.start - reference[op_id])
            moves.append(shift)
        m.minimize(sum(moves))
        solver, status = self._run(time_limit)
        return self._outcome(solver, status, began, solver_bound(solver, status))

    def _run(self, time_limit: float) -> tuple[cp_model.CpSolver, Any]:
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.max_time_in_seconds = max(0.05, time_limit)
        params.num_workers = max(1, self.settings.workers)
        params.random_seed = self.settings.seed
        params.log_search_progress = self.settings.log
        if self.light or time_limit < 1.0:
            # a window of a large plan, or a solve of under a second: presolve (it expands
            # the calendars' element constraints into a model many times larger, and cannot
            # be interrupted while it does) would eat the time limit and overrun it
            params.cp_model_presolve = False
            params.cp_model_probing_level = 0
            params.symmetry_level = 0
        status = solver.solve(self.model)
        return solver, status

    def _hint_from(self, solver: cp_model.CpSolver) -> None:
        m = self.model
        m.clear_hints()
        for index in range(len(m.proto.variables)):
            var = m.get_int_var_from_proto_index(index)
            m.add_hint(var, solver.value(var))

    def _outcome(
        self, solver: cp_model.CpSolver, status: Any, began: float, bound: int | None
    ) -> Outcome:
        word = _STATUS.get(status, "unknown")
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return Outcome(None, word, bound)
        plan = make_plan(
            self.problem,
            self._extract(solver),
            status=word,
            method="cp-sat",
            objective=self.settings.objective,
            lower_bound=bound,
            seconds=time.perf_counter() - began,
        )
        return Outcome(plan, word, bound)

    def _extract(self, solver: cp_model.CpSolver) -> list[PlannedOperation]:
        rows = []
        for record in self.ops:
            where = next(
                (key for key, lit in record.machines.items() if _value(solver, lit)),
                next(iter(record.machines)),
            )
            rows.append(
                PlannedOperation(
                    record.step.operation.id,
                    record.step.order.id,
                    record.step.position,
                    where[0],
                    where[1],
                    _value(solver, record.start),
                    _value(solver, record.end),
                )
            )
        return with_setups(self.problem, rows)


def _hint_start(got: PlannedOperation | None) -> int:
    return got.start if got is not None else 0


def _value(solver: cp_model.CpSolver, expr: LinearExpr) -> int:
    if isinstance(expr, int):
        return expr
    return int(solver.value(expr))


def solver_bound(solver: cp_model.CpSolver, status: Any) -> int | None:
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) or math.isfinite(
        solver.best_objective_bound
    ):
        return math.ceil(solver.best_objective_bound - 1e-6)
    return None
