"""Selling by people: the time of a counter sale, and the order list's Excel export at size.

    python bench/sales.py                               # SQLite, and PostgreSQL when it answers
    python bench/sales.py --databases sqlite --sales 100 --export-orders 20000

Each database is created empty and migrated (``benchdb``), then a child process with Django set
up against it:

1. makes a store and a warehouse, two SKUs with plenty of stock in both, and a store clerk,
   through the project's own services;
2. **counter sale**: ``sales.services.sell_at_counter`` as the counter page calls it, ``--sales``
   times (one warm-up first, which also makes the store's counter account and its flow): two
   lines, paid in full, a general invoice, handed over. Each sale is the whole use case in one
   transaction: the order through the intake path (payload, upsert, customer, events), stock
   reserved by the reconcile and checked, the payment, the numbered invoice, the flow's
   ``issue_invoice`` and ``hand_over`` actions with their guards and effects (stock consumed).
   Median and p95 (nearest rank) of ``time.perf_counter``;
3. **export**: ``--export-orders`` orders of the counter's account are copied by
   ``bulk_create`` (no lines: the export reads the order table only), then the list's export
   (``order_queries.export_rows`` into ``exports.write_workbook``, as ``/orders/export.xlsx``
   does) is timed; the peak resident memory of the process before and after says whether the
   workbook was held in memory;
4. **export job**: the same list as the export job a list longer than 5,000 orders becomes
   (``web.exports.start_export`` for a manager, with no filter, then ``core.jobs.run_job`` in
   this process as the task worker runs it: the filter checked again, the rows streamed into
   the workbook file with progress and a cancel check every 1,000 rows). Timed, with the rows
   the job reports.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchdb import ROOT, Database, postgres_answers


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def child(sales: int, export_orders: int) -> dict[str, object]:
    import django

    django.setup()
    from decimal import Decimal

    from django.utils import timezone

    from omnioms.catalog.models import Product, Sku
    from omnioms.core.actor import Actor
    from omnioms.core.models import LocationKind
    from omnioms.inventory.services import receive_stock
    from omnioms.orders.models import Order
    from omnioms.sales.domain import InvoiceRequest, PriceLine
    from omnioms.sales.exports import write_workbook
    from omnioms.sales.order_queries import export_rows
    from omnioms.sales.services import CounterSale, counter_account, sell_at_counter
    from omnioms.testing import make_location, make_user

    store = make_location("bench-store", LocationKind.STORE)
    warehouse = make_location("bench-wh", LocationKind.WAREHOUSE)
    product = Product.objects.create(code="BENCH", name="T恤")
    skus = [
        Sku.objects.create(product=product, code=f"BENCH-{n}", name=f"T恤 {n}", price=Decimal(99))
        for n in range(2)
    ]
    for sku in skus:
        for place in (store, warehouse):
            receive_stock(
                sku=sku, location=place, quantity=1_000_000, unit_cost=None, actor=Actor.system()
            )
    clerk = make_user("store_clerk", store=store.code)

    def sale(n: int) -> CounterSale:
        return CounterSale(
            store,
            [PriceLine(sku.code, sku.name, 1 + n % 3, Decimal(99)) for sku in skus],
            buyer_name=f"顾客{n}",
            buyer_phone=f"139{n:08d}",
            invoice=InvoiceRequest(buyer_name=f"顾客{n}"),
        )

    sell_at_counter(sale(0), user=clerk)  # warm-up: the counter account and its flow
    times = []
    for n in range(1, sales + 1):
        started = time.perf_counter()
        sell_at_counter(sale(n), user=clerk)
        times.append(time.perf_counter() - started)

    account = counter_account(store)
    template = Order.objects.filter(account=account).first()
    assert template is not None
    now = timezone.now()
    rows = [
        Order(
            account=account,
            channel=account.platform,
            external_id=f"EXPORT-{n}",
            status="paid",
            currency="CNY",
            placed_at=now,
            content_hash="0" * 64,
            buyer_name=f"买家{n}",
            total=Decimal("123.45"),
            location=store,
        )
        for n in range(export_orders)
    ]
    Order.objects.bulk_create(rows, batch_size=2000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    workbook = write_workbook(
        [
            "placed",
            "account",
            "channel",
            "id",
            "buyer",
            "phone",
            "status",
            "reported",
            "currency",
            "total",
            "paid",
            "location",
        ],
        export_rows(Order.objects.all()),
        title="Orders",
    )
    export_seconds = time.perf_counter() - started
    size = workbook.seek(0, os.SEEK_END)
    workbook.close()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    from django.conf import settings
    from django.db import transaction

    from omnioms.core.jobs import run_job
    from omnioms.core.models import Job
    from omnioms.web.exports import file_of, start_export

    settings.OMNIOMS_EXPORT_DIR = tempfile.mkdtemp(prefix="bench-exports-")
    manager = make_user("manager")
    with transaction.atomic():  # the queue's task is handed over at the commit; run it here
        job = start_export(manager, {})
    started = time.perf_counter()
    status = run_job(job.pk)
    job_seconds = time.perf_counter() - started
    job = Job.objects.get(pk=job.pk)
    path = file_of(job)
    if status != "succeeded" or path is None:
        raise SystemExit(f"the export job ended {status}: {job.error}")
    job_rows = int(job.result["rows"])
    return {
        "sales": sales,
        "sale_median_ms": round(statistics.median(times) * 1000, 1),
        "sale_p95_ms": round(p95(times) * 1000, 1),
        "export_orders": Order.objects.count(),
        "export_seconds": round(export_seconds, 2),
        "export_rows_per_second": round(Order.objects.count() / export_seconds),
        "export_bytes": size,
        "peak_rss_mb_before_export": round(before / 1024),
        "peak_rss_mb_after_export": round(after / 1024),
        "export_job_rows": job_rows,
        "export_job_seconds": round(job_seconds, 2),
        "export_job_bytes": path.stat().st_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--sales", type=int, default=200)
    parser.add_argument("--export-orders", type=int, default=100_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.sales, args.export_orders)))
        return
    results = {}
    for kind in args.databases.split(","):
        if kind == "postgres" and not postgres_answers():
            print("PostgreSQL does not answer: skipped", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory() as workdir:
            database = Database(kind, Path(workdir))
            database.create()
            try:
                done = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        "--sales",
                        str(args.sales),
                        "--export-orders",
                        str(args.export_orders),
                    ],
                    env={**database.env(), "PYTHONPATH": str(ROOT / "src")},
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if done.returncode != 0:
                    raise SystemExit(done.stderr)
                results[kind] = json.loads(done.stdout.strip().splitlines()[-1])
            finally:
                database.drop()
        print(kind, json.dumps(results[kind], ensure_ascii=False))


if __name__ == "__main__":
    main()
