"""Intake throughput: the webhook HTTP path and bulk file import, on SQLite and PostgreSQL.

    python bench/intake.py                       # every figure, both databases when PG answers
    python bench/intake.py --databases sqlite --webhook-orders 2000 --import-orders 20000
    python bench/intake.py --only normalize      # per-platform normalisation, no database

Each run starts from an empty, migrated database. It reports orders per second for
(a) signed Shopify webhooks posted over HTTP to ``omnioms serve`` (gunicorn, several workers)
with signature check and event-id dedupe, and (b) ``omnioms import`` of a store POS CSV export;
each beside the floor of inserting the same order and line rows with plain SQL in one
transaction, and the peak memory of the import process; and (c) normalisations per second of
every adapter on a representative payload of its platform (no database). See bench/README.md.
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
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from benchdb import OMNIOMS, PG_SERVER, ROOT, Database, postgres_answers, run

if TYPE_CHECKING:
    from omnioms.channels.adapters.base import AdapterContext, Record

# The same command, reporting its own peak resident memory on stderr when it ends, and the
# largest of its finished children's (the import's normalising helper process).
MEASURED = [
    sys.executable,
    "-c",
    "import resource, sys; from omnioms.cli import main; status = main(sys.argv[1:]); "
    "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
    "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(status)",
]
PUBLISHED_FIXTURES = ROOT / "tests" / "fixtures" / "channels"
SHOPIFY_SAMPLE = PUBLISHED_FIXTURES / "shopify"
TEST_FIXTURES = ROOT / "src" / "omnioms" / "channels" / "tests" / "fixtures"
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


def bench_webhooks(db: Database, count: int, workers: int | None, clients: int) -> dict[str, float]:
    db.create()
    env = db.env()
    run([*OMNIOMS, "account", "create", "--name", "shop", "--platform", "shopify",
         "--secret", SECRET, "--currency", "USD"], env)  # fmt: skip
    port = free_port()
    log = (db.workdir / "server.log").open("w")
    server = subprocess.Popen(
        [*OMNIOMS, "serve", "--port", str(port), *(["--workers", str(workers)] if workers else [])],
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
    peaks = err.rsplit("PEAK_RSS_KB ", 1)[-1].split()[:2] if "PEAK_RSS_KB" in err else ["0", "0"]
    peak_kb, helper_kb = int(peaks[0]), int(peaks[1])
    if child.returncode != 0 or f"{count} created" not in out:
        raise SystemExit(f"import failed ({child.returncode}): {out}\n{err[-2000:]}")
    return {
        "orders": count,
        "rows": rows,
        "seconds": elapsed,
        "orders_per_s": count / elapsed,
        "file_mb": path.stat().st_size / 1e6,
        "peak_rss_mb": peak_kb / 1024,
        "helper_peak_rss_mb": helper_kb / 1024,
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
                       "", "", "", "", 0, 0, 0, False, 100, 0, "", "", now, now,
                       "paid", ""))  # fmt: skip
    columns = ("account_id, channel, external_id, status, raw_status, currency, placed_at, "
               "normalized, content_hash, buyer_name, buyer_email, buyer_phone, "
               "channel_buyer_id, shipping, discount, tax, taxes_included, total, "
               "total_difference, notes_buyer, notes_seller, ingested_at, modified_at, "
               "channel_status, stage")  # fmt: skip
    placeholders = ", ".join([param] * 25)
    started = time.perf_counter()
    cursor = conn.cursor()
    if db.kind == "sqlite":
        cursor.execute("BEGIN IMMEDIATE")
    cursor.executemany(f"INSERT INTO orders_order ({columns}) VALUES ({placeholders})", orders)
    cursor.execute("SELECT id FROM orders_order ORDER BY id")
    for (order_id,) in cursor.fetchall():
        for position in range(1, rng.randint(1, 3) + 1):
            lines.append((order_id, position, "", "SKU", "T恤", 1, 99, 0, 99, False, 0, 0, 0))
    cursor.executemany(
        "INSERT INTO orders_orderline (order_id, position, external_line_id, sku_code, title, "
        "quantity, unit_price, discount, total, is_gift, refunded_quantity, shipped_quantity, "
        f"returned_quantity) VALUES ({', '.join([param] * 13)})",
        lines,
    )
    conn.commit() if db.kind == "postgres" else cursor.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return {"orders": count, "seconds": elapsed, "orders_per_s": count / elapsed}


# ----------------------------------------------------------------------------------------------
# (c) normalisation per platform, no database

# A representative real payload per adapter: the published samples where there are some, else the
# richest of the adapter's own test fixtures (gifts, bundles, split shipments, refunds).
NORMALIZE_SAMPLES: dict[str, Path] = {
    "shopify": SHOPIFY_SAMPLE / "order_450789469_rest.json",
    "woocommerce": PUBLISHED_FIXTURES / "woocommerce" / "orders_list_wp-api-v3.json",
    "amazon": PUBLISHED_FIXTURES / "amazon" / "orders_2026-01-01_getOrder_200_example.json",
    "square": TEST_FIXTURES / "square" / "order_paid_shipped_partial_refund.json",
    "jd": TEST_FIXTURES / "jd" / "order_get_paid_suit_gift.json",
    "pinduoduo": TEST_FIXTURES / "pinduoduo" / "order_info_awaiting_shipment.json",
    "youzan": TEST_FIXTURES / "youzan" / "trade_get_paid_split_shipment.json",
    "wechat_channels": TEST_FIXTURES / "wechat_channels" / "order_get_partly_shipped.json",
    "taobao": TEST_FIXTURES / "taobao" / "trade_fullinfo_paid_gift.json",
    "douyin": TEST_FIXTURES / "douyin" / "order_detail_paid_gift.json",
    "csv": TEST_FIXTURES / "csv" / "shop_cn_fen.csv",
}
# The mapping test_adapter_csv.py uses for shop_cn_fen.csv (GB18030, amounts in fen).
CSV_CN_MAPPING: dict[str, object] = {
    "columns": {
        "order_id": "订单编号", "created_at": "下单时间", "paid_at": "付款时间",
        "status": "订单状态", "buyer_name": "买家姓名", "buyer_phone": "手机号",
        "ship_name": "买家姓名", "ship_phone": "手机号", "province": "省份", "city": "城市",
        "district": "区县", "address": "详细地址", "sku": "商家编码", "title": "商品名称",
        "quantity": "数量", "unit_price": "单价(分)", "line_discount": "优惠(分)",
        "shipping": "运费(分)", "buyer_note": "买家留言",
    },
    "money_unit": "minor",
    "status_map": {"已付款": "paid", "待付款": "pending_payment", "已发货": "shipped"},
}  # fmt: skip
POS_TRANSACTIONS = 500


def normalize_samples() -> dict[str, tuple[str, list[Record], AdapterContext, int]]:
    """Per adapter code: sample name, the records that normalise, context, records left out.

    Records an adapter rejects (the csv sample has a row with quantity ``两`` on purpose) are
    left out: the figure is for orders that go through, not the error path.
    """
    # Imported here: the other parts of the bench drive omnioms in other processes.
    from omnioms.channels.adapters import adapter_codes, get_adapter
    from omnioms.channels.adapters.base import AdapterContext, NormalizationError, split_records
    from omnioms.channels.normalizing import normalize_record

    samples: dict[str, tuple[str, list[Record], AdapterContext, int]] = {}
    for code in adapter_codes():
        adapter = get_adapter(code)
        context = AdapterContext()
        if code == "csv":
            context = AdapterContext(options={"column_mapping": CSV_CN_MAPPING})
        if code in NORMALIZE_SAMPLES:
            path = NORMALIZE_SAMPLES[code]
            name, raw = path.name, path.read_bytes()
        elif code == "pos_csv":
            with tempfile.TemporaryDirectory(prefix="omnioms-bench-") as folder:
                path = Path(folder) / f"pos-{POS_TRANSACTIONS}.csv"
                write_pos_file(path, POS_TRANSACTIONS, seed=5)
                raw = path.read_bytes()
            name = f"generated POS CSV, {POS_TRANSACTIONS} transactions of 1-3 rows"
        elif code == "manual":
            # What POST /api/v1/orders receives: the normalised Shopify sample as JSON.
            shopify = get_adapter("shopify")
            source = NORMALIZE_SAMPLES["shopify"]
            (record,) = split_records(shopify, source.read_bytes(), source.name, context)
            document = json.loads(normalize_record(shopify, record, context).model_dump_json())
            document["channel"] = "manual"
            name = "normalised order JSON (from the Shopify sample)"
            raw = json.dumps(document, ensure_ascii=False).encode()
        else:
            print(f"  {code}: no representative payload, skipped", flush=True)
            continue
        kept: list[Record] = []
        left_out = 0
        for record in split_records(adapter, raw, name, context):
            try:
                normalize_record(adapter, record, context)
            except NormalizationError:
                left_out += 1
            else:
                kept.append(record)
        if not kept:
            raise SystemExit(f"{code}: no record of {name} normalises")
        samples[code] = (name, kept, context, left_out)
    return samples


def bench_normalize(seconds: float, repeats: int) -> dict[str, dict[str, float]]:
    """``normalize_record`` in a loop over each adapter's sample records, in this process.

    Each repeat runs whole passes over the records (a sample of one record is normalised again
    and again) for about ``seconds``; the figure is the median of the repeats.
    """
    from omnioms.channels.adapters import get_adapter
    from omnioms.channels.normalizing import normalize_record

    figures: dict[str, dict[str, float]] = {}
    print(
        f"  normalisation per platform (no database; median of {repeats} runs of "
        f"~{seconds:g} s each)\n"
        "  | platform | sample | records | lines/order | bytes/record | records/s | µs/record |\n"
        "  |---|---|---|---|---|---|---|",
        flush=True,
    )
    for code, (name, records, context, left_out) in normalize_samples().items():
        adapter = get_adapter(code)
        orders = [normalize_record(adapter, record, context) for record in records]  # warm-up
        # Passes of at least 20 records, so that reading the clock is not part of the figure.
        chunk = records * max(1, -(-20 // len(records)))
        rates = []
        for _ in range(repeats):
            done = 0
            started = time.perf_counter()
            while True:
                for record in chunk:
                    normalize_record(adapter, record, context)
                done += len(chunk)
                elapsed = time.perf_counter() - started
                if elapsed >= seconds:
                    break
            rates.append(done / elapsed)
        rate = statistics.median(rates)
        figures[code] = {
            "records": len(records),
            "left_out": left_out,
            "lines_per_order": sum(len(order.lines) for order in orders) / len(orders),
            "bytes_per_record": sum(len(record.raw) for record in records) / len(records),
            "records_per_s": rate,
            "us_per_record": 1e6 / rate,
            "slowest_records_per_s": min(rates),
            "fastest_records_per_s": max(rates),
        }
        note = f" ({left_out} rejected, left out)" if left_out else ""
        row = figures[code]
        print(
            f"  | {code} | {name}{note} | {len(records):,} | {row['lines_per_order']:.1f} | "
            f"{row['bytes_per_record']:,.0f} | {rate:,.0f} | {row['us_per_record']:,.0f} |",
            flush=True,
        )
    return figures


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
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: serve's own)"
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument(
        "--only", choices=["webhook", "import", "normalize"], help="run one of the three"
    )
    parser.add_argument(
        "--normalize-seconds", type=float, default=1.0, help="each normalisation run's length"
    )
    parser.add_argument("--normalize-repeats", type=int, default=3, help="median of this many")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    results: dict[str, dict[str, dict[str, float]]] = {}
    if args.only in (None, "normalize"):
        # Pure adapters: the same on every database, so measured once, before the databases.
        print("== normalize", flush=True)
        results["normalize"] = bench_normalize(args.normalize_seconds, args.normalize_repeats)
    workdir = Path(tempfile.mkdtemp(prefix="omnioms-bench-"))
    try:
        for kind in args.databases.split(",") if args.only != "normalize" else []:
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
        parts.append(
            f"peak RSS {figures['peak_rss_mb']:.0f} MB (+ helper process "
            f"{figures['helper_peak_rss_mb']:.0f} MB), file {figures['file_mb']:.0f} MB"
        )
    print(f"  {label}: " + ", ".join(parts), flush=True)


if __name__ == "__main__":
    sys.exit(main())
