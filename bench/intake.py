"""Intake throughput: the webhook HTTP path and bulk file import, on SQLite and PostgreSQL.

    python bench/intake.py                       # every figure, both databases when PG answers
    python bench/intake.py --databases sqlite --webhook-orders 2000 --import-orders 20000

Each run starts from an empty, migrated database. It reports orders per second for
(a) signed Shopify webhooks posted over HTTP to ``omnioms serve`` (gunicorn, several workers)
with signature check and event-id dedupe, and (b) ``omnioms import`` of a store POS CSV export;
each beside the floor of inserting the same order and line rows with plain SQL in one
transaction, and the peak memory of the import process. See bench/README.md.
"""

from __future__ import annotations

import argparse
import base64
import copy
import csv
import hashlib
import hmac
import http.client
import json
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchdb import OMNIOMS, PG_SERVER, ROOT, Database, postgres_answers, run

# The same command, reporting its own peak resident memory on stderr when it ends.
MEASURED = [
    sys.executable,
    "-c",
    "import resource, sys; from omnioms.cli import main; status = main(sys.argv[1:]); "
    "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
    "sys.exit(status)",
]
SHOPIFY_SAMPLE = ROOT.parent / "shared" / "fixtures" / "channels" / "shopify"
SECRET = "bench-secret"  # noqa: S105 (signs the benchmark's own webhooks)


# ----------------------------------------------------------------------------------------------
# Payloads


def shopify_webhooks(count: int, seed: int) -> Iterator[tuple[bytes, dict[str, str]]]:
    """Signed orders/create webhooks built from Shopify's published REST order sample."""
    template = json.loads((SHOPIFY_SAMPLE / "order_450789469_rest.json").read_text())["order"]
    rng = random.Random(seed)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    for n in range(count):
        order = copy.deepcopy(template)
        order["id"] = 6_000_000_000_000 + n
        order["name"] = f"#B{n}"
        stamp = (start + timedelta(seconds=n * 7)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        order["created_at"] = order["updated_at"] = order["processed_at"] = stamp
        order["email"] = f"buyer{rng.randrange(count // 3 + 1)}@example.com"
        for line in order["line_items"]:
            line["id"] = rng.randrange(10**12)
        body = json.dumps(order).encode()
        digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
        yield (
            body,
            {
                "Content-Type": "application/json",
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
                "X-Shopify-Event-Id": f"evt-{n}",
                "X-Shopify-Webhook-Id": f"wh-{n}-{rng.randrange(10**6)}",
            },
        )


POS_HEADER = [
    "Date", "Time", "Time Zone", "Category", "Item", "Qty", "Price Point Name", "SKU",
    "Modifiers Applied", "Gross Sales", "Discounts", "Net Sales", "Tax", "Transaction ID",
    "Payment ID", "Device Name", "Notes", "Details", "Event Type", "Location", "Dining Option",
    "Customer ID", "Customer Name",
]  # fmt: skip


def pos_rows(count: int, seed: int) -> Iterator[list[str]]:
    """``count`` transactions of 1-3 items, like a store POS items-detail export."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, 9, 0)
    for n in range(count):
        when = start + timedelta(seconds=n * 13)
        customer = rng.randrange(count // 4 + 1)
        for item in range(rng.randint(1, 3)):
            qty = rng.randint(1, 3)
            price = rng.choice([59, 79, 99, 129, 199])
            gross = qty * price
            discount = gross // 10 if rng.random() < 0.2 else 0
            net = gross - discount
            yield [
                when.strftime("%Y-%m-%d"), when.strftime("%H:%M:%S"), "Asia/Shanghai", "Apparel",
                f"T恤 {item}", str(qty), "Regular", f"QH-TS-{item:02d}-{qty}", "",
                f"¥{gross}.00", f"-¥{discount}.00" if discount else "¥0.00", f"¥{net}.00",
                "¥0.00", f"T{n:08d}", f"P{n:08d}", "iPad", "", "", "Payment", "Store SH", "",
                f"C{customer}", f"顾客{customer}",
            ]  # fmt: skip


def write_pos_file(path: Path, count: int, seed: int) -> int:
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(POS_HEADER)
        for row in pos_rows(count, seed):
            writer.writerow(row)
            rows += 1
    return rows


# ----------------------------------------------------------------------------------------------
# (a) webhooks over HTTP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_webhooks(db: Database, count: int, workers: int, clients: int) -> dict[str, float]:
    db.create()
    env = db.env()
    run([*OMNIOMS, "account", "create", "--name", "shop", "--platform", "shopify",
         "--secret", SECRET, "--currency", "USD"], env)  # fmt: skip
    port = free_port()
    log = (db.workdir / "server.log").open("w")
    server = subprocess.Popen(
        [*OMNIOMS, "serve", "--port", str(port), "--workers", str(workers)],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(port)
        deliveries = list(shopify_webhooks(count, seed=1))
        # One delivery in ten is a platform retry of an earlier event: deduplicated, not counted.
        rng = random.Random(2)
        retries = [deliveries[rng.randrange(count)] for _ in range(count // 10)]
        queue = deliveries + retries
        rng.shuffle(queue)
        # Client processes, not threads: one Python process posting with threads is held up
        # by its own GIL before the server is.
        shares = [queue[i::clients] for i in range(clients)]
        started = time.perf_counter()
        with ProcessPoolExecutor(clients) as pool:
            failures = [f for part in pool.map(post_all, [port] * clients, shares) for f in part]
        accepted = time.perf_counter() - started
        stored, waiting = wait_for_worker(db, count, timeout=600)
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    conn = db.raw_connection()
    payloads = conn.execute("SELECT COUNT(*) FROM channels_inboundpayload").fetchone()[0]
    duplicates = conn.execute(
        "SELECT COUNT(*) FROM channels_inboundpayload WHERE outcome = 'duplicate'"
    ).fetchone()[0]
    conn.close()
    if failures or stored != count or waiting or payloads != len(queue):
        server_log = (db.workdir / "server.log").read_text()[-3000:]
        raise SystemExit(
            f"webhook run lost data: {len(failures)} failed requests {failures[:5]}, "
            f"{stored}/{count} orders, {payloads}/{len(queue)} payloads, {waiting} waiting"
            f"\n{server_log}"
        )
    return {
        "orders": count,
        "deliveries": len(queue),
        "duplicates_stored": duplicates,
        "seconds": elapsed,
        "orders_per_s": count / elapsed,
        "accepted_per_s": len(queue) / accepted,
    }


def post_all(port: int, deliveries: list[tuple[bytes, dict[str, str]]]) -> list[str]:
    """Post deliveries one after another; returns the statuses that were not 200."""
    failures = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for body, headers in deliveries:
        conn.request("POST", "/api/v1/webhooks/shop", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            failures.append(str(response.status))
    conn.close()
    return failures


def wait_for_worker(db: Database, count: int, timeout: float) -> tuple[int, int]:
    """Poll until the intake worker has turned every accepted delivery into an order."""
    conn = db.raw_connection()
    deadline = time.monotonic() + timeout
    try:
        while True:
            if db.kind == "postgres":
                conn.rollback()  # a fresh snapshot for each look
            stored = conn.execute("SELECT COUNT(*) FROM orders_order").fetchone()[0]
            waiting = conn.execute(
                "SELECT COUNT(*) FROM channels_inboundpayload WHERE outcome = 'received'"
            ).fetchone()[0]
            if (stored >= count and not waiting) or time.monotonic() > deadline:
                return stored, waiting
            time.sleep(0.05)
    finally:
        conn.close()


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"omnioms serve did not listen on port {port}")


# ----------------------------------------------------------------------------------------------
# (b) bulk import


def bench_import(db: Database, count: int) -> dict[str, float]:
    db.create()
    env = db.env()
    run([*OMNIOMS, "account", "create", "--name", "pos", "--platform", "pos_csv"], env)
    path = db.workdir / f"pos-{count}.csv"
    rows = write_pos_file(path, count, seed=3)
    started = time.perf_counter()
    child = subprocess.Popen(
        [*MEASURED, "import", "--account", "pos", str(path)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    out, err = child.communicate()
    elapsed = time.perf_counter() - started
    peak_kb = int(err.rsplit("PEAK_RSS_KB ", 1)[-1].split()[0]) if "PEAK_RSS_KB" in err else 0
    if child.returncode != 0 or f"{count} created" not in out:
        raise SystemExit(f"import failed ({child.returncode}): {out}\n{err[-2000:]}")
    return {
        "orders": count,
        "rows": rows,
        "seconds": elapsed,
        "orders_per_s": count / elapsed,
        "file_mb": path.stat().st_size / 1e6,
        "peak_rss_mb": peak_kb / 1024,
    }


def bench_floor(db: Database, count: int) -> dict[str, float]:
    """Plain SQL: the same number of order rows and their lines, one transaction, executemany."""
    db.create()
    env = db.env()
    run([*OMNIOMS, "account", "create", "--name", "floor", "--platform", "manual"], env)
    conn = db.raw_connection()
    param = "?" if db.kind == "sqlite" else "%s"
    account_id = conn.execute("SELECT id FROM channels_channelaccount").fetchone()[0]
    now = datetime.now(UTC).isoformat()
    orders = []
    lines: list[tuple[object, ...]] = []
    rng = random.Random(4)
    for n in range(count):
        orders.append((account_id, "manual", f"F{n}", "paid", "", "CNY", now, "{}", "0" * 64,
                       "", "", "", "", 0, 0, 0, False, 100, 0, "", "", now, now))  # fmt: skip
    columns = ("account_id, channel, external_id, status, raw_status, currency, placed_at, "
               "normalized, content_hash, buyer_name, buyer_email, buyer_phone, "
               "channel_buyer_id, shipping, discount, tax, taxes_included, total, "
               "total_difference, notes_buyer, notes_seller, ingested_at, modified_at")  # fmt: skip
    placeholders = ", ".join([param] * 23)
    started = time.perf_counter()
    cursor = conn.cursor()
    if db.kind == "sqlite":
        cursor.execute("BEGIN IMMEDIATE")
    cursor.executemany(f"INSERT INTO orders_order ({columns}) VALUES ({placeholders})", orders)
    cursor.execute("SELECT id FROM orders_order ORDER BY id")
    for (order_id,) in cursor.fetchall():
        for position in range(1, rng.randint(1, 3) + 1):
            lines.append((order_id, position, "", "SKU", "T恤", 1, 99, 0, 99, False, 0))
    cursor.executemany(
        "INSERT INTO orders_orderline (order_id, position, external_line_id, sku_code, title, "
        "quantity, unit_price, discount, total, is_gift, refunded_quantity) VALUES "
        f"({', '.join([param] * 11)})",
        lines,
    )
    conn.commit() if db.kind == "postgres" else cursor.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return {"orders": count, "seconds": elapsed, "orders_per_s": count / elapsed}


# ----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--webhook-orders", type=int, default=3000)
    parser.add_argument("--import-orders", type=int, default=20000)
    parser.add_argument(
        "--memory-orders",
        type=int,
        default=100000,
        help="orders in the large import whose peak memory is reported (0: skip)",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--only", choices=["webhook", "import"], help="run one of the two")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    results: dict[str, dict[str, dict[str, float]]] = {}
    workdir = Path(tempfile.mkdtemp(prefix="omnioms-bench-"))
    try:
        for kind in args.databases.split(","):
            if kind == "postgres" and not postgres_answers():
                print(f"PostgreSQL does not answer at {PG_SERVER}: skipped")
                continue
            db = Database(kind, workdir)
            figures: dict[str, dict[str, float]] = {}
            print(f"== {kind}", flush=True)
            try:
                run_figures(db, kind, args, figures)
            finally:
                db.drop()  # also when a run fails, so no bench database is left behind
            for name in ("webhook", "import"):
                if name in figures:
                    ratio = figures[name]["orders_per_s"] / figures[f"{name}_floor"]["orders_per_s"]
                    figures[name]["ratio_to_floor"] = ratio
                    print(f"  {name}: {ratio:.1%} of the plain-SQL floor")
            results[kind] = figures
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def run_figures(
    db: Database, kind: str, args: argparse.Namespace, figures: dict[str, dict[str, float]]
) -> None:
    if args.only in (None, "webhook"):
        figures["webhook"] = bench_webhooks(db, args.webhook_orders, args.workers, args.clients)
        report("webhook HTTP path, until every order is upserted", figures["webhook"])
        figures["webhook_floor"] = bench_floor(db, args.webhook_orders)
        report("  plain SQL floor", figures["webhook_floor"])
    if args.only in (None, "import"):
        figures["import"] = bench_import(db, args.import_orders)
        report("bulk import (POS CSV)", figures["import"])
        figures["import_floor"] = bench_floor(db, args.import_orders)
        report("  plain SQL floor", figures["import_floor"])
        if args.memory_orders and kind == "sqlite":
            figures["import_large"] = bench_import(db, args.memory_orders)
            report(f"bulk import of {args.memory_orders:,}", figures["import_large"])


def report(label: str, figures: dict[str, float]) -> None:
    parts = [f"{figures['orders_per_s']:,.0f} orders/s", f"{figures['seconds']:.1f} s"]
    if "accepted_per_s" in figures:
        parts.append(
            f"HTTP accepted {figures['accepted_per_s']:,.0f} deliveries/s "
            f"({figures['deliveries']:,} incl. {figures['duplicates_stored']:,} repeats)"
        )
    if "peak_rss_mb" in figures:
        parts.append(f"peak RSS {figures['peak_rss_mb']:.0f} MB, file {figures['file_mb']:.0f} MB")
    print(f"  {label}: " + ", ".join(parts), flush=True)


if __name__ == "__main__":
    sys.exit(main())
