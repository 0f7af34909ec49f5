"""Job-shop instances in the OR-Library format, as problems for the engine.

The format: the first line holds the number of jobs and of machines; then one line per job of
``machine duration`` pairs in processing order, machines numbered from 0. Blank lines and lines
starting with ``#`` before the counts are skipped (some copies carry a comment header); nothing
else is accepted, and a malformed file raises :class:`JobShopError` naming the line.

:func:`to_problem` makes each job a production order (ids ``j{job}``, operations
``j{job}-{step}``) and each machine a work centre ``m{machine}`` with one machine and no
calendar; :func:`textbook` is the plain CP-SAT model the benchmark compares the engine with.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .model import Operation, Order, Problem, WorkCenter


class JobShopError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class JobShop:
    machines: int
    jobs: tuple[tuple[tuple[int, int], ...], ...]  # per job: (machine, duration) in order


def parse(text: str) -> JobShop:
    lines = text.splitlines()
    number = 0
    header: list[str] | None = None
    for number, raw in enumerate(lines, start=1):  # noqa: B007 (number is used after the loop)
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = stripped.split()
        break
    if header is None:
        raise JobShopError(max(number, 1), "no counts line (jobs and machines)")
    counts_line = number
    if len(header) != 2 or not all(part.isdigit() for part in header):
        raise JobShopError(counts_line, "the first line must be two whole numbers: jobs machines")
    job_count, machine_count = int(header[0]), int(header[1])
    if job_count < 1 or machine_count < 1:
        raise JobShopError(counts_line, "jobs and machines must be at least 1")
    jobs: list[tuple[tuple[int, int], ...]] = []
    body = lines[counts_line:]
    for offset, raw in enumerate(body, start=counts_line + 1):
        stripped = raw.strip()
        if not stripped:
            continue
        if len(jobs) == job_count:
            raise JobShopError(offset, f"more job lines than the {job_count} announced")
        parts = stripped.split()
        if len(parts) % 2 or not parts:
            raise JobShopError(offset, "a job line must be pairs of machine and duration")
        pairs = []
        for k in range(0, len(parts), 2):
            machine_text, duration_text = parts[k], parts[k + 1]
            if not (machine_text.isdigit() and duration_text.isdigit()):
                raise JobShopError(offset, f"not whole numbers: {machine_text} {duration_text}")
            machine = int(machine_text)
            if machine >= machine_count:
                raise JobShopError(offset, f"machine {machine} outside 0..{machine_count - 1}")
            pairs.append((machine, int(duration_text)))
        jobs.append(tuple(pairs))
    if len(jobs) < job_count:
        raise JobShopError(len(lines) + 1, f"{len(jobs)} job lines, {job_count} announced")
    return JobShop(machine_count, tuple(jobs))


def to_problem(shop: JobShop) -> Problem:
    centers = tuple(WorkCenter(f"m{m}") for m in range(shop.machines))
    orders = tuple(
        Order(
            f"j{j}",
            tuple(
                Operation(f"j{j}-{k}", {f"m{machine}": duration})
                for k, (machine, duration) in enumerate(job)
            ),
            due=0,
        )
        for j, job in enumerate(shop.jobs)
    )
    return Problem(centers, orders)


@dataclass(frozen=True)
class TextbookResult:
    makespan: int | None
    status: str
    lower_bound: int
    seconds: float


def textbook(shop: JobShop, *, time_limit: float, workers: int, seed: int = 0) -> TextbookResult:
    """The textbook model: intervals, a no-overlap per machine, minimise the makespan."""
    began = time.perf_counter()
    model = cp_model.CpModel()
    horizon = sum(d for job in shop.jobs for _, d in job)
    by_machine: list[list[cp_model.IntervalVar]] = [[] for _ in range(shop.machines)]
    ends = []
    for j, job in enumerate(shop.jobs):
        previous = None
        for k, (machine, duration) in enumerate(job):
            start = model.new_int_var(0, horizon, f"s{j}_{k}")
            end = model.new_int_var(0, horizon, f"e{j}_{k}")
            by_machine[machine].append(model.new_interval_var(start, duration, end, f"i{j}_{k}"))
            if previous is not None:
                model.add(start >= previous)
            previous = end
        if previous is not None:
            ends.append(previous)
    for intervals in by_machine:
        model.add_no_overlap(intervals)
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, ends)
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return TextbookResult(
        makespan=round(solver.objective_value) if found else None,
        status=(
            "optimal"
            if status == cp_model.OPTIMAL
            else "feasible"
            if status == cp_model.FEASIBLE
            else "unknown"
        ),
        lower_bound=round(solver.best_objective_bound),
        seconds=time.perf_counter() - began,
    )
