"""The shop floor at scale: the daily close and the KPI pages, timed.

    python bench/floor.py                                  # SQLite, 1,000 orders, 50 centres
    python bench/floor.py --databases sqlite postgres --runs 5
    python bench/floor.py --orders 1000 --centres 50 --year-days 365 --json figures.json

For each database (a fresh SQLite file, or a database ``omnioms_bench_<pid>`` on
``BENCH_PG_URL``; see ``benchdb.py``), migrated with ``omnioms manage migrate``, a child
process with Django set up against it:

1. makes ``--centres`` work centres on one two-shift calendar, one made SKU per ten centres
   with a three-line BOM and a four-step routing over four different centres, and
   ``--orders`` production orders with their operations and a published plan that places
   every operation inside the closed day (rows written with ``bulk_create``: the set-up is
   not what is measured);
2. gives each order the floor's records of that day as the reports would have made them:
   start and finish reports, a producing interval (stamped with its seconds, local day, hour
   and shift by ``stamp_intervals``, as ``StateInterval.save()`` does) and the fabric issued
   through the stock ledger (``issue_material``, one ledger movement each);
3. times :func:`omnioms.floor.close.run_daily_close` for that day ``--runs`` times (each run
   replaces the day's close and its lines; the first also opens the exceptions);
4. adds ``--year-days`` days of machine state intervals and reports on every centre (eight
   jobs per centre and day) and times the KPI dashboard (manager's, every figure) and the OEE
   drill-down by shift over the whole year through Django's test client as a logged-in
   manager: one warm-up, then ``--runs`` requests; median and p95 (nearest rank), and the
   median CPU seconds of this process per request.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import Database


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(0.95 * len(ordered) + 0.999) - 1)]


def child(args: argparse.Namespace) -> dict[str, Any]:
    import django

    os.environ["OMNIOMS_ALLOWED_HOSTS"] = "testserver"  # the test client's host
    django.setup()
    from datetime import UTC, date, datetime, timedelta
    from datetime import time as dtime
    from decimal import Decimal

    from django.test import Client

    from omnioms.catalog.models import SkuKind
    from omnioms.catalog.services import create_product
    from omnioms.core.actor import Actor
    from omnioms.core.models import Location, LocationKind
    from omnioms.core.roles import Role
    from omnioms.floor.close import run_daily_close
    from omnioms.floor.materials import issue_material
    from omnioms.floor.models import (
        OperationProgress,
        OperationReport,
        StateInterval,
        stamp_intervals,
    )
    from omnioms.inventory.services import receive_stock
    from omnioms.planning.models import (
        Plan,
        PlannedOperation,
        PlanStatus,
        ProductionOperation,
        ProductionOrder,
    )
    from omnioms.production.models import Bom, BomLine, Calendar, Shift, WorkCenter
    from omnioms.testing import make_user

    rng = random.Random(11)
    actor = Actor.system("bench")
    day = date(2026, 12, 1)
    day_start = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    site = Location.objects.create(code="factory", name="Factory", kind=LocationKind.WAREHOUSE)
    calendar = Calendar.objects.create(code="2S", name="Two shifts")
    for weekday in range(7):
        Shift.objects.create(
            calendar=calendar, weekday=weekday, name="early", start=dtime(8), end=dtime(14)
        )
        Shift.objects.create(
            calendar=calendar, weekday=weekday, name="late", start=dtime(14), end=dtime(20)
        )
    centres = WorkCenter.objects.bulk_create(
        WorkCenter(code=f"WC{i:02d}", name=f"Centre {i}", machines=4, calendar=calendar, site=site)
        for i in range(args.centres)
    )
    fabric = create_product(sku="FABRIC", name="Fabric", unit_cost=Decimal(18))
    fabric.kind, fabric.unit, fabric.unit_decimals = SkuKind.BOUGHT, "m", 2
    fabric.save()
    thread = create_product(sku="THREAD", name="Thread", unit_cost=Decimal("0.1"))
    label = create_product(sku="LABEL", name="Label", unit_cost=Decimal("0.5"))
    receive_stock(
        sku=fabric, location=site, quantity=2_000_000_000, unit_cost=Decimal(18), actor=actor
    )
    skus = []
    for n in range(max(1, args.centres // 10)):
        sku = create_product(sku=f"SHIRT-{n}", name=f"Shirt {n}", unit_cost=Decimal(40))
        sku.kind = SkuKind.MADE
        sku.save(update_fields=["kind"])
        bom = Bom.objects.create(sku=sku, version=1, effective_from=date(2026, 1, 1))
        for position, (component, per) in enumerate(
            ((fabric, Decimal("1.5")), (thread, Decimal(30)), (label, Decimal(1))), start=1
        ):
            BomLine.objects.create(
                bom=bom, position=position, component=component, quantity_per=per
            )
        skus.append((sku, bom))
    plan = Plan.objects.create(
        version=1,
        status=PlanStatus.PUBLISHED,
        horizon_start=day_start,
        horizon_end=day_start + timedelta(days=7),
    )
    orders = ProductionOrder.objects.bulk_create(
        ProductionOrder(
            number=f"MO-{i:06d}",
            sku=skus[i % len(skus)][0],
            bom=skus[i % len(skus)][1],
            quantity=100,
            due=day + timedelta(days=3),
            location=site,
            status="in_progress",
        )
        for i in range(args.orders)
    )
    operations = ProductionOperation.objects.bulk_create(
        ProductionOperation(
            production_order=order,
            sequence=10 * (k + 1),
            name=f"Step {k + 1}",
            work_center=centres[(i + k * 7) % len(centres)],
            run_seconds_per_unit=Decimal(60),
            status="done",
            good=97,
            scrap=3,
        )
        for i, order in enumerate(orders)
        for k in range(4)
    )
    planned, intervals, reports, progress = [], [], [], []
    for n, op in enumerate(operations):
        begin = day_start + timedelta(minutes=(n * 37) % 600)
        end = begin + timedelta(minutes=100)
        planned.append(
            PlannedOperation(
                plan=plan,
                operation=op,
                work_center=op.work_center,
                machine=n % 4,
                start=begin,
                end=end,
            )
        )
        late = timedelta(minutes=rng.choice([0, 10, 45]))
        intervals.append(
            StateInterval(
                operation=op,
                work_center=op.work_center,
                machine=n % 4,
                start=begin + late,
                end=end + late,
                state="producing",
                produced=100,
                scrap=3,
                scrap_reason="material",
                ideal_seconds_per_unit=Decimal(60),
            )
        )
        for kind, at, good, scrap in (("start", begin + late, 0, 0), ("finish", end + late, 97, 3)):
            reports.append(
                OperationReport(
                    report_id=f"{op.pk}-{kind}",
                    operation=op,
                    kind=kind,
                    at=at,
                    good=good,
                    scrap=scrap,
                    scrap_reason="material" if scrap else "",
                    work_center=op.work_center,
                    source="api",
                    actor_label="bench",
                )
            )
        progress.append(
            OperationProgress(
                operation=op,
                work_center=op.work_center,
                started_at=begin + late,
                finished_at=end + late,
                last_at=end + late,
            )
        )
    PlannedOperation.objects.bulk_create(planned, batch_size=2000)
    stamp_intervals(intervals)  # as StateInterval.save() does
    StateInterval.objects.bulk_create(intervals, batch_size=2000)
    OperationReport.objects.bulk_create(reports, batch_size=2000)
    OperationProgress.objects.bulk_create(progress, batch_size=2000)
    started = time.perf_counter()
    for order in orders:
        issue_material(
            order.pk,
            sku=fabric,
            quantity=15_000 + rng.randint(-500, 1500),
            report_id=f"m-{order.pk}",
            actor=actor,
            at=day_start,
        )
    issue_seconds = time.perf_counter() - started
    close_runs, close_cpu = [], []
    first_summary: dict[str, Any] = {}
    for _ in range(args.runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        close = run_daily_close(day)
        close_runs.append(time.perf_counter() - started)
        close_cpu.append(time.process_time() - cpu_started)
        if len(close_runs) == 1:
            first_summary = close.summary
    figures: dict[str, Any] = {
        "orders": args.orders,
        "work_centres": args.centres,
        "issue_seconds_per_order": issue_seconds / args.orders,
        "close_seconds": close_runs,
        "close_median": statistics.median(close_runs),
        "close_cpu_seconds": close_cpu,
        "close_lines": close.lines.count(),
        "close_summary": close.summary,
        "first_close_summary": first_summary,
    }
    # a year of machine state intervals on every centre
    year_start = day_start - timedelta(days=args.year_days)
    ops = operations[: len(centres) * 8]
    rows = []
    for d in range(args.year_days):
        base = year_start + timedelta(days=d)
        for c, centre in enumerate(centres):
            for j in range(8):
                op = ops[(c * 8 + j) % len(ops)]
                begin = base + timedelta(minutes=j * 75)
                state = (
                    "producing" if j % 3 else rng.choice(["breakdown", "setup", "waiting_material"])
                )
                rows.append(
                    StateInterval(
                        operation=op,
                        work_center=centre,
                        machine=j % 4,
                        start=begin,
                        end=begin + timedelta(minutes=70),
                        state=state,
                        reason=state if state != "producing" else "",
                        produced=60 if state == "producing" else 0,
                        scrap=rng.choice([0, 1, 2]) if state == "producing" else 0,
                        scrap_reason="material",
                        ideal_seconds_per_unit=Decimal(60),
                    )
                )
    stamp_intervals(rows)
    StateInterval.objects.bulk_create(rows, batch_size=5000)
    figures["year_intervals"] = StateInterval.objects.count()
    client = Client()
    client.force_login(make_user(Role.MANAGER))
    period = {
        "start": (day - timedelta(days=args.year_days)).isoformat(),
        "end": day.isoformat(),
        "role": "manager",
    }
    for name, url, params in (
        ("dashboard", "/floor/kpi/", period),
        ("oee_by_shift", "/floor/kpi/oee/", {**period, "by": "shift"}),
    ):
        client.get(url, params)
        times, cpu = [], []
        for _ in range(args.runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            answer = client.get(url, params)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            assert answer.status_code == 200, answer.status_code
        figures[f"{name}_median"] = statistics.median(times)
        figures[f"{name}_p95"] = p95(times)
        # this process's CPU (on SQLite the database's work too): comparable across loads
        figures[f"{name}_cpu_median"] = statistics.median(cpu)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--databases", nargs="+", default=["sqlite"], choices=["sqlite", "postgres"]
    )
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--centres", type=int, default=50)
    parser.add_argument("--year-days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    results = {}
    for kind in args.databases:
        with tempfile.TemporaryDirectory() as workdir:
            db = Database(kind, Path(workdir))
            db.create()
            try:
                command = [
                    sys.executable,
                    __file__,
                    "--child",
                    "--orders",
                    str(args.orders),
                    "--centres",
                    str(args.centres),
                    "--year-days",
                    str(args.year_days),
                    "--runs",
                    str(args.runs),
                ]
                done = subprocess.run(
                    command, env=db.env(), capture_output=True, text=True, check=False
                )
                if done.returncode != 0:
                    raise SystemExit(done.stderr[-4000:])
                results[kind] = json.loads(done.stdout.strip().splitlines()[-1])
            finally:
                db.drop()
        figures = results[kind]
        print(
            f"{kind}: daily close of {figures['orders']} orders and {figures['work_centres']} "
            f"centres: median {figures['close_median']:.2f} s "
            f"(runs {', '.join(f'{s:.2f}' for s in figures['close_seconds'])}); "
            f"KPI dashboard over {args.year_days} days ({figures['year_intervals']} intervals): "
            f"median {figures['dashboard_median']:.2f} s, p95 {figures['dashboard_p95']:.2f} s; "
            f"OEE by shift p95 {figures['oee_by_shift_p95']:.2f} s; this process's CPU: "
            f"close first {figures['close_cpu_seconds'][0]:.2f} s, dashboard median "
            f"{figures['dashboard_cpu_median']:.2f} s, "
            f"by shift {figures['oee_by_shift_cpu_median']:.2f} s"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnioms.settings.base")
    main()
