"""Reservations on one hot SKU, and the time from a stock change to its push being queued.

    python bench/inventory.py                       # SQLite, and PostgreSQL when it answers
    python bench/inventory.py --databases postgres --orders 4000 --workers 8

Each database starts empty and migrated. ``--orders`` orders of one unit of one SKU wait for
payment; the warehouse holds 90 % of what they want. ``--workers`` processes (real OS
processes, one connection each) pay them at once through ``change_order_status``, one
transaction per order, which reserves the stock (order row lock, status event, reservation,
availability outbox row). Reported: reservations per second, oversold units (must be 0), the
same conditional UPDATE issued in a bare loop by as many processes (the floor) and the ratio;
then the seconds from each stock change to its availability push being queued (the commit),
median and p99, for those single-order transactions and for a bulk import of paid orders in
batches of 500. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchdb import PG_SERVER, ROOT, Database, postgres_answers

HERE = Path(__file__).resolve()


def _pay(order_ids: list[int], barrier: Any, results: Any) -> None:
    from django.db import connection

    from omnioms.core.actor import Actor
    from omnioms.orders.services import change_order_status

    actor = Actor.system("bench")
    barrier.wait()
    started, cpu = time.perf_counter(), time.process_time()
    for order_id in order_ids:
        change_order_status(order_id, "paid", actor=actor)
    results.put((started, time.perf_counter(), len(order_ids), time.process_time() - cpu))
    connection.close()


def _reserve(order_ids: list[int], batch: int, barrier: Any, results: Any) -> None:
    """The reservation alone: lock ``batch`` paid orders, reconcile their stock, commit."""
    from django.db import connection, transaction

    from omnioms.core.actor import Actor
    from omnioms.inventory.reservations import apply_orders
    from omnioms.orders.models import Order

    actor = Actor.system("bench")
    barrier.wait()
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(order_ids), batch):
        with transaction.atomic():
            chunk = order_ids[start : start + batch]
            orders = list(Order.objects.select_for_update().filter(pk__in=chunk).order_by("pk"))
            apply_orders(orders, actor=actor)
    results.put((started, time.perf_counter(), len(order_ids), time.process_time() - cpu))
    connection.close()


def _floor(url: str, kind: str, balance_id: int, count: int, barrier: Any, results: Any) -> None:
    sql = (
        "UPDATE inventory_stockbalance SET reserved = reserved + 1 "
        "WHERE id = {p} AND on_hand - reserved - safety_stock >= 1"
    )
    if kind == "sqlite":
        import sqlite3

        conn: Any = sqlite3.connect(url, isolation_level=None, timeout=60)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # as the application sets it
        statement = sql.format(p="?")
    else:
        import psycopg

        conn = psycopg.connect(url, autocommit=True)
        statement = sql.format(p="%s")
    barrier.wait()
    started = time.perf_counter()
    done, cpu = 0, time.process_time()
    for _ in range(count):
        done += conn.execute(statement, (balance_id,)).rowcount
    results.put((started, time.perf_counter(), done, time.process_time() - cpu))
    conn.close()


def _race(target: Any, jobs: list[tuple[Any, ...]]) -> tuple[float, int, float]:
    """Run ``target(*job, barrier, results)`` in one process per job, all at once; return the
    seconds from the first start to the last end, the work done, and the CPU seconds each
    item cost the worker processes."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(jobs))
    results = context.Queue()
    processes = [context.Process(target=target, args=(*job, barrier, results)) for job in jobs]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    start = min(o[0] for o in outcomes)
    end = max(o[1] for o in outcomes)
    done = sum(o[2] for o in outcomes)
    return end - start, done, sum(o[3] for o in outcomes) / max(done, 1)


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"median_ms": float("nan"), "p99_ms": float("nan"), "n": 0}
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p99_ms": p99 * 1000,
        "max_ms": ordered[-1] * 1000,
        "n": len(ordered),
    }


def measure(
    kind: str, orders: int, workers: int, bulk_count: int, batch: int = 20
) -> dict[str, Any]:
    """Runs inside the database's own process (``--run``): Django is set up for it."""
    import django

    django.setup()
    from datetime import UTC, datetime
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from omnioms.catalog.services import create_product
    from omnioms.channels.models import ChannelAccount
    from omnioms.core.actor import Actor
    from omnioms.core.models import Location, LocationKind
    from omnioms.inventory.models import (
        ChannelStockRule,
        OrderStock,
        OrderStockStatus,
        Shortage,
        StockBalance,
    )
    from omnioms.inventory.rules import forget_rules
    from omnioms.inventory.selectors import change_to_queued_latencies, stock_problems
    from omnioms.inventory.services import receive_stock
    from omnioms.orders.models import Order
    from omnioms.sync.services import import_file

    actor = Actor.system("bench")
    wh = Location.objects.create(code="wh", name="Warehouse", kind=LocationKind.WAREHOUSE)
    # Orders arrive on manual accounts; a web shop sells from the same warehouse, so every
    # change queues its figure (a manual account has nothing to push to).
    till = ChannelAccount.objects.create(name="bench-orders", platform="manual", location=wh)
    later = ChannelAccount.objects.create(name="bench-paid", platform="manual", location=wh)
    ChannelAccount.objects.create(name="bench-web", platform="shopify", location=wh)
    rule = ChannelStockRule.objects.create(
        account=later, tracks_from=datetime(2100, 1, 1, tzinfo=UTC)
    )
    for code in ("PAY", "RESERVE", "BATCH", "BULK", "FLOOR"):
        create_product(sku=code, name=code, unit_cost=Decimal("10"))
    stock = orders * 9 // 10
    for code in ("PAY", "RESERVE", "BATCH"):
        receive_stock(sku=code, location=wh, quantity=stock, unit_cost=None, actor=actor)

    def import_orders(account: Any, sku: str, count: int, status: str) -> float:
        records = [
            {
                "channel": "manual",
                "external_id": f"{sku}-{n}",
                "status": status,
                "currency": "CNY",
                "created_at": f"2026-03-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z",
                "lines": [{"sku": sku, "quantity": 1, "unit_price": "10", "total": "10"}],
                "total": "10",
            }
            for n in range(count)
        ]
        started = time.perf_counter()
        import_file(account, raw=json.dumps(records).encode(), filename=f"{sku}.json", actor=actor)
        return time.perf_counter() - started

    def race(target: Any, sku: str, *extra: Any) -> dict[str, Any]:
        ids = list(
            Order.objects.filter(external_id__startswith=f"{sku}-").values_list("pk", flat=True)
        )
        since = timezone.now()
        jobs = [(ids[i::workers], *extra) for i in range(workers)]
        elapsed, done, cpu = _race(target, jobs)
        connection.close()
        balance = StockBalance.objects.get(sku__code=sku)
        statuses = OrderStock.objects.filter(order_id__in=ids)
        rejected = statuses.filter(status=OrderStockStatus.BACKORDER)
        return {
            "orders": done,
            "accepted": statuses.filter(status=OrderStockStatus.RESERVED).count(),
            "rejected": rejected.count(),
            "rejected_told_what_is_short": Shortage.objects.filter(
                order__in=rejected.values("order")
            ).count(),
            "oversold": max(0, balance.reserved - balance.on_hand),
            "seconds": elapsed,
            "per_second": done / elapsed,
            "python_cpu_ms_per_order": cpu * 1000,
            "change_to_queued": _percentiles(change_to_queued_latencies(since=since)),
        }

    # 1. Orders waiting for payment are paid: status change, event and reservation.
    import_orders(till, "PAY", orders, "pending_payment")
    pay = race(_pay, "PAY")
    # 2. The reservation alone: paid orders the reconcile has not seen yet (their account
    #    tracked stock only from 2100 when they were imported).
    import_orders(later, "RESERVE", orders, "paid")
    import_orders(later, "BATCH", orders, "paid")
    rule.tracks_from = None
    rule.save()
    forget_rules()
    reserve = race(_reserve, "RESERVE", 1)
    # 3. The same, ``batch`` orders per transaction, as the intake worker's batches of webhooks.
    batched = race(_reserve, "BATCH", batch)
    batched["batch"] = batch
    # 4. A bulk import of paid orders, 500 per transaction.
    receive_stock(sku="BULK", location=wh, quantity=bulk_count, unit_cost=None, actor=actor)
    since = timezone.now()
    import_seconds = import_orders(till, "BULK", bulk_count, "paid")
    bulk = _percentiles(change_to_queued_latencies(since=since))
    # 5. The floor: the same conditional UPDATE in a bare loop, one statement per commit.
    receive_stock(sku="FLOOR", location=wh, quantity=orders * 10, unit_cost=None, actor=actor)
    floor_row = StockBalance.objects.get(sku__code="FLOOR")
    floor_id, floor_pair = floor_row.pk, str((floor_row.sku_id, floor_row.location_id))
    url = str(connection.settings_dict["NAME"]) if kind == "sqlite" else os.environ["DATABASE_URL"]
    floor_elapsed, floor_done, _ = _race(
        _floor, [(url, kind, floor_id, orders // workers) for _ in range(workers)]
    )
    floor = floor_done / floor_elapsed
    for figures in (pay, reserve, batched):
        figures["ratio_to_floor"] = figures["per_second"] / floor
    return {
        "workers": workers,
        "stock": stock,
        "pay": pay,
        "reserve": reserve,
        "batched": batched,
        "floor_per_second": floor,
        # The floor's bare UPDATEs reserve without orders: leave that row out of the check.
        "invariant_problems": [p for p in stock_problems() if not p.startswith(floor_pair)],
        "change_to_queued_bulk": bulk,
        "bulk_orders": bulk_count,
        "bulk_orders_per_second": bulk_count / import_seconds,
    }


def report(kind: str, f: dict[str, Any]) -> None:
    print(f"== {kind}", flush=True)
    books = "right" if not f["invariant_problems"] else f["invariant_problems"]
    print(
        f"  floor: {f['floor_per_second']:.0f} bare conditional UPDATEs/s "
        f"({f['workers']} processes); ledger == on hand, reserved == held: {books}"
    )
    for label, key in (
        ("pay an order (one per transaction)", "pay"),
        ("reserve a paid order (one per transaction)", "reserve"),
        (f"reserve paid orders, {f['batched'].get('batch', 20)} per transaction", "batched"),
    ):
        r = f[key]
        lat = r["change_to_queued"]
        print(
            f"  {label}: {r['orders']} orders, {f['workers']} processes, stock {f['stock']}: "
            f"{r['accepted']} reserved, {r['rejected']} backordered "
            f"({r['rejected_told_what_is_short']} told what is short), oversold {r['oversold']}"
        )
        print(
            f"    {r['per_second']:.0f} orders/s = {r['ratio_to_floor']:.1%} of the floor; "
            f"{r['python_cpu_ms_per_order']:.1f} ms of Python CPU per order; "
            f"change -> queued median {lat['median_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms"
        )
    lat = f["change_to_queued_bulk"]
    print(
        f"  bulk import of {f['bulk_orders']} paid orders (500 per transaction): "
        f"{f['bulk_orders_per_second']:.0f}/s; change -> queued median {lat['median_ms']:.1f} ms, "
        f"p99 {lat['p99_ms']:.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--import-orders", type=int, default=2000)
    parser.add_argument(
        "--batch", type=int, default=10, help="orders per transaction in the batched race"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        figures = measure(args.run, args.orders, args.workers, args.import_orders, args.batch)
        print("FIGURES " + json.dumps(figures))
        return 0
    results: dict[str, Any] = {}
    for kind in args.databases.split(","):
        if kind == "postgres" and not postgres_answers():
            print(f"PostgreSQL does not answer at {PG_SERVER}: skipped")
            continue
        with tempfile.TemporaryDirectory(prefix="omnioms-bench-") as workdir:
            db = Database(kind, Path(workdir))
            db.create()
            try:
                done = subprocess.run(
                    [
                        sys.executable,
                        str(HERE),
                        "--run",
                        kind,
                        f"--orders={args.orders}",
                        f"--workers={args.workers}",
                        f"--import-orders={args.import_orders}",
                        f"--batch={args.batch}",
                    ],
                    env=db.env(),
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=False,
                )
            finally:
                db.drop()
        line = next((x for x in done.stdout.splitlines() if x.startswith("FIGURES ")), None)
        if done.returncode != 0 or line is None:
            print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
            return 1
        results[kind] = json.loads(line.removeprefix("FIGURES "))
        report(kind, results[kind])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    failed = [
        kind
        for kind, f in results.items()
        if any(f[key]["oversold"] for key in ("pay", "reserve", "batched"))
        or f["invariant_problems"]
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
