"""The tabu search that polishes a makespan plan when no calendar or setup is in the way."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from omnioms.planning import tabu
from omnioms.planning.dispatching import dispatch
from omnioms.planning.jobshop import parse, to_problem
from omnioms.planning.model import Fixed, Operation, Order, Problem, WorkCenter, check_plan

from .shapes import office_calendar

FT06 = Path(__file__).parent / "fixtures" / "ft06.txt"  # Fisher and Thompson 6x6, optimum 55


def random_shop(jobs: int, machines: int, seed: int) -> Problem:
    """A seeded job shop in which every job visits every machine once, in a random order."""
    rng = random.Random(seed)
    orders = []
    for j in range(jobs):
        route = rng.sample(range(machines), machines)
        operations = tuple(
            Operation(f"j{j}-{k}", {f"m{m}": rng.randint(1, 99)}) for k, m in enumerate(route)
        )
        orders.append(Order(f"j{j}", operations, due=0))
    return Problem(tuple(WorkCenter(f"m{m}") for m in range(machines)), tuple(orders))


def test_ft06_is_brought_from_the_fifo_plan_to_its_optimum():
    problem = to_problem(parse(FT06.read_text()))
    fifo = dispatch(problem, "fifo", objective="makespan")
    assert fifo.makespan > 55
    plan = tabu.polish(problem, fifo, deadline=time.perf_counter() + 20, workers=1, stop_at=55)
    assert plan is not None
    assert plan.makespan == 55
    assert check_plan(problem, plan) == []


def test_a_polished_plan_is_shorter_feasible_and_keeps_each_operation_on_its_machine():
    problem = random_shop(10, 5, seed=3)
    # a second machine at m0 and an alternative for one operation: the search keeps the
    # plan's choice of machine for every operation and sequences each machine
    centers = (WorkCenter("m0", machines=2), *problem.work_centers[1:])
    first = problem.orders[0]
    widened = Operation(first.operations[0].id, {**first.operations[0].durations, "m4": 50})
    orders = (Order(first.id, (widened, *first.operations[1:]), due=0), *problem.orders[1:])
    problem = Problem(centers, orders)
    start = dispatch(problem, "fifo", objective="makespan")
    plan = tabu.polish(problem, start, deadline=time.perf_counter() + 1.0, workers=2, seed=4)
    assert plan is not None
    assert plan.makespan < start.makespan
    assert check_plan(problem, plan) == []
    machines = {op.operation: (op.work_center, op.machine) for op in start.operations}
    assert {op.operation: (op.work_center, op.machine) for op in plan.operations} == machines


def test_the_same_seed_gives_the_same_plan():
    problem = random_shop(8, 6, seed=11)
    start = dispatch(problem, "fifo", objective="makespan")
    # stop_at far above the optimum: the search stops at its first improvement below it, a
    # point that does not depend on how fast the machine is
    target = start.makespan - 1
    runs = [
        tabu.polish(
            problem, start, deadline=time.perf_counter() + 20, workers=1, seed=9, stop_at=target
        )
        for _ in range(2)
    ]
    assert runs[0] is not None
    assert runs[1] is not None
    assert runs[0].operations == runs[1].operations


def test_sequences_that_contradict_the_job_order_are_refused():
    instance = tabu.Instance.from_jobs([[(0, 3), (1, 2)], [(1, 2), (0, 1)]], 2)
    # machine 0 runs job 1's second step first, machine 1 job 0's second step first: a cycle
    cycle = [[3, 0], [1, 2]]
    assert tabu.makespan(instance, cycle) == -1
    with pytest.raises(ValueError, match="cycle"):
        tabu.improve(instance, cycle, deadline=time.perf_counter() + 1)
    assert tabu.makespan(instance, [[0, 3], [2, 1]]) == 5


def test_an_order_a_move_reversed_is_tabu_for_its_tenure_and_then_free_again():
    # one machine, three one-step jobs in the order 0, 1, 2
    instance = tabu.Instance.from_jobs([[(0, 4)], [(0, 5)], [(0, 6)]], 1)
    mnext, mprev, mfirst = tabu._links(instance, [[0, 1, 2]])
    keys = np.full(tabu.TABLE, -1, dtype=np.int64)
    until = np.zeros(tabu.TABLE, dtype=np.int64)
    # operation 2 to the front (2, 0, 1): "0 before 2" and "1 before 2" become tabu until move 10
    anchor = tabu._apply(2, 0, True, instance.machine, mnext, mprev, mfirst)
    tabu._forbid(2, anchor, True, mfirst, instance.machine, mnext, keys, until, 10)
    assert tabu._sequences(mfirst, mnext) == [[2, 0, 1]]
    # 2 back behind 1 puts both orders back; 2 behind 0 puts back "0 before 2"
    assert tabu._is_tabu(2, 1, False, mnext, keys, until, 5)
    assert tabu._is_tabu(2, 0, False, mnext, keys, until, 9)
    # 1 in front of 0 (2, 1, 0) makes only "1 before 0", which no move has forbidden
    assert not tabu._is_tabu(1, 0, True, mnext, keys, until, 5)
    # the tenure is over at move 10
    assert not tabu._is_tabu(2, 1, False, mnext, keys, until, 10)


@pytest.mark.parametrize(
    "change",
    [
        "calendar",
        "setup",
        "release",
        "order release",
        "transfer batch",
        "fixed",
    ],
)
def test_the_search_is_not_used_where_a_plan_is_more_than_its_sequences(change):
    problem = random_shop(3, 2, seed=1)
    assert tabu.applies(problem)
    centers = list(problem.work_centers)
    orders = list(problem.orders)
    op = orders[0].operations[0]
    code = next(iter(op.durations))
    if change == "calendar":
        centers[0] = WorkCenter("m0", calendar=office_calendar())
    elif change == "setup":
        centers[0] = WorkCenter("m0", default_setup=5)
    elif change == "order release":
        orders[0] = Order(orders[0].id, orders[0].operations, due=0, release=10)
    else:
        changed = {
            "release": Operation(op.id, op.durations, release=10),
            "transfer batch": Operation(op.id, op.durations, transfer_batch=5),
            "fixed": Operation(op.id, op.durations, fixed=Fixed(code, 0, 0, op.durations[code])),
        }[change]
        orders[0] = Order(orders[0].id, (changed, *orders[0].operations[1:]), due=0)
    assert not tabu.applies(Problem(tuple(centers), tuple(orders)))


class Cancelled(Exception):
    pass


def test_a_cancel_stops_the_search_and_leaves_no_worker_running():
    problem = random_shop(15, 10, seed=5)
    start = dispatch(problem, "fifo", objective="makespan")
    calls = []

    def check() -> None:
        calls.append(time.perf_counter())
        if len(calls) == 3:
            raise Cancelled

    running = threading.active_count()
    with pytest.raises(Cancelled):
        tabu.polish(problem, start, deadline=time.perf_counter() + 60, workers=2, check=check)
    # stopped at the third look, not at the deadline a minute away, and joined its other worker
    assert len(calls) == 3
    assert threading.active_count() == running
