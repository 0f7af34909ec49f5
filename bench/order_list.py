"""Order list at a million orders: the UI's list queries, timed on SQLite and PostgreSQL.

    python bench/order_list.py                          # 1,000,000 orders, both databases
    python bench/order_list.py --orders 100000 --databases sqlite --runs 10
    python bench/order_list.py --json figures.json

Each database is created empty (a SQLite file in a temporary directory; on PostgreSQL a
database ``omnioms_bench_<pid>`` on ``BENCH_PG_URL``, default
``postgresql://postgres@127.0.0.1:5432/postgres``, skipped when it does not answer), migrated
with ``omnioms manage migrate``, and dropped at the end (``--keep`` keeps it and prints its
``DATABASE_URL``). A child process per database then, with Django set up against it:

1. creates two store locations, three channel accounts (two of them a store's), a manager
   (sees every order) and a store clerk of one store, through the project's own services
   (``omnioms.testing``);
2. fills ``orders_order`` with ``--orders`` rows by plain SQL, not the ORM (``executemany`` in
   one transaction on SQLite, ``COPY`` on PostgreSQL; rows made by two processes a few chunks
   ahead), into the migrated table with all its indexes in place, as production grows it.
   Spread: ``placed_at`` over the two years up to now, ids ascending with time as orders
   arrive (1 in 20 arrives up to 3 days late); 5 channels (taobao 35 %, douyin 25 %, pos_csv
   20 %, shopify 12 %, manual 8 %); 8 statuses by age (new orders mostly paid or shipped, old
   ones mostly completed); Chinese and Latin buyer names (42 surnames, each on about 2 % of
   the orders), masked or full phones, e-mails, channel buyer ids; string external ids in each
   channel's shape. The channel is drawn independently of the account (3 accounts, 5
   channels), so the channel filter keeps 8-35 % of the rows, the account filter 15-60 % and
   the store clerk's store 25 %. ``normalized`` is ``{}`` (real rows carry the whole
   normalised order, so a query that scans is slower in production than here);
   ``customer_id`` is null (the list does not use it);
3. runs ``VACUUM ANALYZE`` (PostgreSQL) or ``ANALYZE`` and a WAL checkpoint (SQLite);
4. times, with ``time.perf_counter``, each query through ``omnioms.web.selectors
   .order_list_page``, which the list view calls (``visible_orders`` -> ``filter_orders`` ->
   ``select_related("account")`` -> ``page_orders``, 50 rows): one warm-up, then ``--runs``
   runs (fewer once a query has used ``--budget`` seconds, never fewer than 5); median and
   p95 (nearest rank). "SQL only" is the same SQL and parameters executed and fetched
   without building ``Order`` objects. Filters are built as ``OrderFilterForm.filters()``
   builds them (dates are whole business days in ``TIME_ZONE``). The users' permissions are
   cached on the user object, as within one request. On SQLite each run opens a fresh
   connection (outside the timer), as each request does there (``CONN_MAX_AGE = 0``);
   PostgreSQL keeps its connection, as it does with ``CONN_MAX_AGE = 60``.

   Deep pages: following 10,000 "Next" cursors is too slow for a benchmark, so the script
   finds the row at the start of page N-1 with one untimed OFFSET query, calls the real
   ``page_orders`` on the list filtered to start at that row, and takes that page's
   ``next_cursor``: the cursor, encoded by the selectors themselves, that a user holds on
   page N-1. The timed query is page N from it, checked once against an OFFSET query to
   start at the right row. "page 10,000" is the middle of the table at 1M orders; "previous
   from page 10,000" times the ascending branch that the "Previous" link takes;
5. prints each query's plan, with the real parameters bound (SQLite plans the keyset query
   differently when the values are inlined, as in ``connection.queries``), and the full plan
   of the slowest (``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL, ``EXPLAIN QUERY PLAN`` on
   SQLite);
The parent prints one table of every query and database at the end. A full run at 1M orders
on both databases takes 4-5 minutes on a 2-core machine, half of it the fill.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchdb import PG_SERVER, ROOT, Database, postgres_answers

SLOW_MS = 50.0
"""Queries with a median above this are listed as slow at the end (the issue's bar at 1M)."""


# ----------------------------------------------------------------------------------------------
# Rows


CHANNELS = ("taobao", "douyin", "pos_csv", "shopify", "manual")
CHANNEL_WEIGHTS = (35, 25, 20, 12, 8)
# (status, weight) by the order's age: new orders are paid or on their way, old ones done.
STATUS_BY_AGE: list[tuple[float, tuple[tuple[str, float], ...]]] = [
    (2, (("pending_payment", 15), ("paid", 55), ("partially_shipped", 3), ("shipped", 15),
         ("cancelled", 7), ("draft", 5))),
    (15, (("paid", 8), ("partially_shipped", 3), ("shipped", 55), ("completed", 25),
          ("cancelled", 5), ("refunded", 4))),
    (math.inf, (("completed", 76), ("cancelled", 10), ("refunded", 6), ("shipped", 2),
                ("partially_shipped", 0.5), ("paid", 1), ("pending_payment", 2),
                ("draft", 2.5))),
]  # fmt: skip
TAOBAO_STATUS = {
    "draft": "TRADE_NO_CREATE_PAY", "pending_payment": "WAIT_BUYER_PAY",
    "paid": "WAIT_SELLER_SEND_GOODS", "partially_shipped": "SELLER_CONSIGNED_PART",
    "shipped": "WAIT_BUYER_CONFIRM_GOODS", "completed": "TRADE_FINISHED",
    "cancelled": "TRADE_CLOSED_BY_TAOBAO", "refunded": "TRADE_CLOSED",
}  # fmt: skip
LATIN_FIRST = ("Emma", "Olivia", "Liam", "Noah", "Mia", "Lukas", "Sophie", "Jonas", "Anna",
               "James", "Lea", "Ben", "Sarah", "David", "Laura", "Paul", "Julia", "Max",
               "Chloe", "Leon", "Hannah", "Felix", "Grace", "Oscar", "Ella", "Jack", "Marie",
               "Tom", "Lucy", "Elias")  # fmt: skip
LATIN_LAST = ("Smith", "Schmidt", "Schneider", "Schulz", "Müller", "Johnson", "Brown",
              "Garcia", "Martin", "Bernard", "Dubois", "Rossi", "Weber", "Fischer", "Meyer",
              "Wagner", "Becker", "Hoffmann", "Taylor", "Wilson", "Moore", "Clark", "Lewis",
              "Walker", "Young", "King", "Wright", "Lopez", "Hill", "Green")  # fmt: skip
PROVINCES = (("上海市", "上海市"), ("北京市", "北京市"), ("广东省", "深圳市"), ("浙江省", "杭州市"),
             ("江苏省", "南京市"), ("四川省", "成都市"), ("湖北省", "武汉市"))  # fmt: skip
COLUMNS = (
    "account_id", "location_id", "channel", "external_id", "status", "raw_status", "currency",
    "placed_at", "paid_at", "source_updated_at", "source_version", "normalized",
    "content_hash", "buyer_name", "buyer_email", "buyer_phone", "channel_buyer_id", "ship_to",
    "shipping", "discount", "tax", "taxes_included", "total", "total_difference",
    "notes_buyer", "notes_seller", "ingested_at", "modified_at", "customer_id",
)  # fmt: skip
YEARS = 2
CHUNK = 20_000
UNPAID = {"draft", "pending_payment"}


def external_id(channel: str, n: int) -> str:
    """The channel's id shape; (a*n + b) mod 10^k with a prime to 10 keeps ids unique."""
    if channel == "taobao":
        return str(3 * 10**18 + (n * 7_919_000_001 + 4_242) % 10**18)
    if channel == "douyin":
        return "69" + f"{(n * 104_729_003 + 77) % 10**17:017d}"
    if channel == "shopify":
        return str(5 * 10**12 + (n * 1_000_003 + 11) % 10**12)
    if channel == "pos_csv":
        return f"T{n:09d}"
    return f"M-{n:07d}"


@dataclass(frozen=True)
class Chunk:
    """Rows ``first`` to ``first + count`` of ``total``: a slice of the two years, in order."""

    first: int
    count: int
    total: int
    now: int
    """The newest ``placed_at``, epoch seconds."""
    accounts: tuple[tuple[int, int | None, float], ...]
    """(account id, location id, share of the orders)."""
    postgres: bool
    seed: int


def order_rows(chunk: Chunk) -> list[tuple[object, ...]]:
    """The chunk's rows in ``COLUMNS`` order, oldest first (ids ascend with time)."""
    from omnioms.demo.generators.people import GIVEN_NAMES, MOBILE_PREFIXES, SURNAMES

    rng = random.Random(chunk.seed * 1_000_003 + chunk.first)
    rand, bits = rng.random, rng.getrandbits
    span = YEARS * 365 * 86400
    begin = chunk.now - span
    low, width = chunk.first / chunk.total, chunk.count / chunk.total
    offsets = sorted(low + rand() * width for _ in range(chunk.count))
    # Timestamps as the database's text: a day string and a time-of-day string, looked up.
    days = [
        time.strftime("%Y-%m-%d ", time.gmtime(begin - 4 * 86400 + day * 86400))
        for day in range(span // 86400 + 30)
    ]
    first_day = (begin - 4 * 86400) // 86400
    suffix = "+00" if chunk.postgres else ""
    clock = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{suffix}" for s in range(86400)]

    def stamp(ts: int) -> str:
        return days[ts // 86400 - first_day] + clock[ts % 86400]

    def pick(values: Any, cum: Any) -> Any:
        return values[bisect.bisect(cum, rand() * cum[-1])]

    accounts = [a[:2] for a in chunk.accounts]
    account_cum = list(itertools.accumulate(a[2] for a in chunk.accounts))
    channel_cum = list(itertools.accumulate(CHANNEL_WEIGHTS))
    status_tables = [
        (limit * 86400, [s for s, _ in table], list(itertools.accumulate(w for _, w in table)))
        for limit, table in STATUS_BY_AGE
    ]
    rows: list[tuple[object, ...]] = []
    for n, offset in enumerate(offsets, start=chunk.first):
        placed = begin + int(offset * span)
        if rand() < 0.05:  # arrives late: placed up to 3 days before its neighbours
            placed -= int(rand() * 3 * 86400)
        age = chunk.now - placed
        for limit, statuses, cum in status_tables:
            if age < limit:
                status = pick(statuses, cum)
                break
        account_id, location_id = pick(accounts, account_cum)
        channel = pick(CHANNELS, channel_cum)
        online = channel in ("taobao", "douyin", "shopify")
        email = phone = buyer_id = ""
        if rand() < (0.9 if channel == "shopify" else 0.03):
            first, last = LATIN_FIRST[bits(16) % 30], LATIN_LAST[bits(16) % 30]
            name = f"{first} {last}"
            email = f"{first}.{last}{bits(10)}@example.com".lower()
            if rand() < 0.3:
                phone = f"+1 555-01{bits(16) % 100:02d}"
        elif channel == "pos_csv" and rand() < 0.5:
            name = ""  # a walk-in customer
        else:
            name = SURNAMES[bits(16) % len(SURNAMES)] + GIVEN_NAMES[bits(16) % len(GIVEN_NAMES)]
            mobile = MOBILE_PREFIXES[bits(8) % len(MOBILE_PREFIXES)]
            if online:
                phone = f"{mobile}****{bits(16) % 10000:04d}"  # masked by the marketplace
            elif rand() < 0.6:
                phone = f"{mobile}{bits(32) % 10**8:08d}"
        if channel == "taobao":
            buyer_id = f"tb{bits(32) % 10**9:09d}"
        elif channel == "douyin":
            buyer_id = str(10**15 + bits(53) % (9 * 10**15))
        elif channel == "shopify":
            buyer_id = str(7 * 10**12 + bits(30))
        elif channel == "pos_csv" and name:
            buyer_id = f"C{bits(20)}"
        ship_to = None
        if online:
            province, city = PROVINCES[bits(8) % len(PROVINCES)]
            ship_to = (
                f'{{"name": "{name}", "province": "{province}", "city": "{city}", '
                f'"phone": "{phone}"}}'
            )
        cents = 990 + bits(20) % 299_010
        shipping = 0 if rand() < 0.6 else (600, 800, 1200)[bits(8) % 3]
        discount = 0 if rand() < 0.7 else cents // 10
        updated = placed + 60 + bits(20) % (7 * 86400) if online else None
        ingested = placed + 2 + bits(7)
        rows.append(
            (
                account_id,
                location_id,
                channel,
                external_id(channel, n),
                status,
                TAOBAO_STATUS[status] if channel == "taobao" else status,
                "USD" if channel == "shopify" else "CNY",
                stamp(placed),
                None if status in UNPAID else stamp(placed + 30 + bits(11)),
                stamp(updated) if updated else None,
                updated * 1000 if updated else None,
                "{}",
                f"{bits(256):064x}",
                name,
                email,
                phone,
                buyer_id,
                ship_to,
                _money(shipping),
                _money(discount),
                "0.00",
                channel != "shopify",
                _money(cents + shipping - discount),
                "0.00",
                "",
                "",
                stamp(ingested),
                stamp(max(ingested, updated or 0)),
                None,
            )
        )
    return rows


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def generated(chunks: list[Chunk]) -> Iterator[list[tuple[object, ...]]]:
    """The chunks' rows in order, made by two processes a few chunks ahead of the inserts."""
    with ProcessPoolExecutor(2) as pool:
        waiting: deque[Future[list[tuple[object, ...]]]] = deque()
        for chunk in chunks:
            waiting.append(pool.submit(order_rows, chunk))
            if len(waiting) > 4:
                yield waiting.popleft().result()
        while waiting:
            yield waiting.popleft().result()


def fill(kind: str, url: str, chunks: Iterator[list[tuple[object, ...]]]) -> None:
    columns = ", ".join(COLUMNS)
    if kind == "sqlite":
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1048576")  # 1 GB for the fill's random index inserts
        conn.execute("BEGIN IMMEDIATE")
        sql = f"INSERT INTO orders_order ({columns}) VALUES ({', '.join('?' * len(COLUMNS))})"
        for rows in chunks:
            conn.executemany(sql, rows)
        conn.execute("COMMIT")
        conn.close()
        return
    import psycopg

    with psycopg.connect(url) as server, server.cursor() as cur:
        with cur.copy(f"COPY orders_order ({columns}) FROM STDIN") as copy:
            for rows in chunks:
                for row in rows:
                    copy.write_row(row)
        server.commit()


def analyze(kind: str, url: str) -> None:
    if kind == "sqlite":
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as server:
        server.execute("VACUUM ANALYZE")


# ----------------------------------------------------------------------------------------------
# Timing (in the child process, with Django set up)


@dataclass
class Case:
    name: str
    user: Any
    filters: Any
    cursor: str | None = None
    expect_first_pk: int | None = None
    """The pk the page must start with (deep pages), checked once."""


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)
    """Seconds per ``order_list_page`` call."""
    db_samples: list[float] = field(default_factory=list)
    """Seconds to execute the same SQL and fetch its rows, without building ``Order`` objects."""
    pks: list[int] = field(default_factory=list)
    plan: str = ""

    def figures(self) -> dict[str, Any]:
        return {
            "median_ms": statistics.median(self.samples) * 1000,
            "p95_ms": _nearest_rank(self.samples, 0.95) * 1000,
            "db_median_ms": statistics.median(self.db_samples) * 1000,
            "runs": len(self.samples),
            "rows": len(self.pks),
            "plan": self.plan,
        }


def _nearest_rank(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[math.ceil(fraction * len(ordered)) - 1]


def list_query(case: Case) -> tuple[str, Any]:
    """The list query's SQL and parameters exactly as Django sends them."""
    from django.db import connection

    from omnioms.web import selectors

    seen: list[tuple[str, Any]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        selectors.order_list_page(case.user, case.filters, cursor=case.cursor)
    return seen[-1]


def time_case(case: Case, runs: int, budget: float, fresh_connection: bool) -> Timing:
    from django.db import connection

    from omnioms.web import selectors

    def reconnect() -> None:
        if fresh_connection:  # as every request does on SQLite (CONN_MAX_AGE = 0)
            connection.close()
            connection.ensure_connection()

    reconnect()
    page = selectors.order_list_page(case.user, case.filters, cursor=case.cursor)  # warm-up
    first = page.items[0].pk if page.items else None
    if case.expect_first_pk is not None and first != case.expect_first_pk:
        raise SystemExit(f"{case.name}: page starts at {first}, expected {case.expect_first_pk}")
    sql, params = list_query(case)
    timing = Timing(pks=[order.pk for order in page.items])
    for _ in range(runs):
        reconnect()
        started = time.perf_counter()
        selectors.order_list_page(case.user, case.filters, cursor=case.cursor)
        timing.samples.append(time.perf_counter() - started)
        reconnect()
        started = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(sql, params)
            cur.fetchall()
        timing.db_samples.append(time.perf_counter() - started)
        if sum(timing.samples) + sum(timing.db_samples) > budget and len(timing.samples) >= 5:
            break
    timing.plan = plan_summary(sql, params)
    return timing


def plan_summary(sql: str, params: Any) -> str:
    """One line: SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's plan nodes and indexes."""
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            return " | ".join(row[3] for row in cur.fetchall())
        cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        raw = cur.fetchone()[0]
    plan = raw if isinstance(raw, list) else json.loads(raw)
    parts: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        label = node["Node Type"]
        if "Index Name" in node:
            label += f" {node['Index Name']}"
            if "Index Cond" in node:
                label += " (cond)"
        elif "Relation Name" in node:
            label += f" {node['Relation Name']}"
        if "Filter" in node:
            label += " +filter"
        parts.append(label)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return " > ".join(parts)


def full_plan(case: Case) -> str:
    from django.db import connection

    sql, params = list_query(case)
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            depth = {0: -1}
            lines = []
            for node_id, parent, _unused, detail in cur.fetchall():
                depth[node_id] = depth.get(parent, -1) + 1
                lines.append("  " * depth[node_id] + detail)
            return "\n".join(lines)
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cur.fetchall())


def build_cases(total: int, now: datetime) -> tuple[list[Case], dict[str, Any]]:
    """Users and filters to time the list with, as ``OrderFilterForm.filters()`` builds them."""
    from django.db.models import Q
    from django.utils import timezone

    from omnioms.orders.models import Order
    from omnioms.orders.selectors import OrderFilters, page_orders, visible_orders
    from omnioms.testing import make_user
    from omnioms.web.forms import business_day_start
    from omnioms.web.selectors import ORDER_PAGE_SIZE, order_list_page

    manager = make_user("manager", username="bench-manager")
    clerk = make_user("store_clerk", store="store-sh", username="bench-clerk")
    for user in (manager, clerk):  # cache permissions and profile, as within one request
        user.has_perm("orders.view_order")
        getattr(user, "staff_profile", None)
    everything = OrderFilters()

    def cursor_to_page(number: int) -> tuple[str | None, int | None]:
        """The "next" cursor on page ``number - 1``, made by ``page_orders`` itself."""
        position = (number - 2) * ORDER_PAGE_SIZE
        if position + ORDER_PAGE_SIZE >= total:
            return None, None
        newest_first = Order.objects.order_by("-placed_at", "-pk").values_list("pk", "placed_at")
        pk, placed = newest_first[position]  # one OFFSET query, untimed
        expected = newest_first[position + ORDER_PAGE_SIZE][0]
        starting_there = visible_orders(manager).filter(
            Q(placed_at__lt=placed) | Q(placed_at=placed, pk__lte=pk)
        )
        page = page_orders(starting_there.select_related("account"), cursor=None)
        return page.next_cursor, expected

    cases = [Case("first page", manager, everything)]
    for number in sorted({1_000, total // 2 // ORDER_PAGE_SIZE}):
        cursor, first = cursor_to_page(number)
        if cursor:
            cases.append(Case(f"page {number:,}", manager, everything, cursor, first))
    if cases[-1].cursor:
        deep = cases[-1]
        back = order_list_page(manager, everything, cursor=deep.cursor).previous_cursor
        cases.append(Case(f"previous from {deep.name}", manager, everything, back))

    week_start = timezone.localdate(now - timedelta(days=365))
    week_start -= timedelta(days=week_start.weekday())  # a Monday, a year ago
    # "From" Monday "to" Sunday in the form; "to" includes its own day.
    week_from = business_day_start(week_start)
    week_to = business_day_start(week_start + timedelta(days=7))
    week = OrderFilters(placed_from=week_from, placed_to=week_to)
    middle = Order.objects.order_by("pk").values_list("external_id", flat=True)[total // 2]
    cases += [
        Case("channel=douyin", manager, OrderFilters(channel="douyin")),
        Case("status=paid", manager, OrderFilters(status="paid")),
        Case("account=store-bj", manager, OrderFilters(account="store-bj")),
        Case("one week, a year ago", manager, week),
        Case("search external id", manager, OrderFilters(search=middle)),
        Case("search name '王晓'", manager, OrderFilters(search="王晓")),
        Case("search name 'Emma Sch'", manager, OrderFilters(search="Emma Sch")),
        Case("search name '王' (2 % match)", manager, OrderFilters(search="王")),
        Case("store clerk (store-sh)", clerk, everything),
        Case(
            "douyin+refunded+week",
            manager,
            OrderFilters(
                channel="douyin", status="refunded", placed_from=week_from, placed_to=week_to
            ),
        ),
    ]
    return cases, {"external_id": middle, "week": str(week_start)}


def time_all(cases: list[Case], runs: int, budget: float, kind: str) -> dict[str, Timing]:
    print(f"    {'query':<32} {'median ms':>9} {'p95 ms':>8} {'SQL only':>8}  runs  rows")
    timings = {}
    for case in cases:
        timing = time_case(case, runs, budget, fresh_connection=kind == "sqlite")
        timings[case.name] = timing
        figures = timing.figures()
        print(
            f"    {_pad(case.name, 32)} {figures['median_ms']:9.2f} {figures['p95_ms']:8.2f}"
            f" {figures['db_median_ms']:8.2f}  {figures['runs']:>4}  {figures['rows']:>4}",
            flush=True,
        )
    print("  plans:")
    for name, timing in timings.items():
        print(f"    {_pad(name, 32)} {timing.plan}")
    return timings


def worker(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.db import connection

    from omnioms.testing import make_account, make_location

    kind = args.worker
    url = os.environ["DATABASE_URL"]
    result: dict[str, Any] = {"orders": args.orders}

    make_location("store-sh")
    make_location("store-bj")
    accounts = [
        (make_account("online-hq", platform="taobao"), 0.60),
        (make_account("store-sh", platform="pos_csv", location_code="store-sh"), 0.25),
        (make_account("store-bj", platform="pos_csv", location_code="store-bj"), 0.15),
    ]
    connection.close()

    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    shares = tuple((account.pk, account.location_id, weight) for account, weight in accounts)
    chunks = [
        Chunk(first, min(CHUNK, args.orders - first), args.orders, int(now.timestamp()),
              shares, kind == "postgres", args.seed)
        for first in range(0, args.orders, CHUNK)
    ]  # fmt: skip
    fill(kind, url, generated(chunks))
    result["fill_s"] = time.perf_counter() - started
    started = time.perf_counter()
    analyze(kind, url)
    result["analyze_s"] = time.perf_counter() - started
    print(
        f"  filled {args.orders:,} orders in {result['fill_s']:.1f} s "
        f"({args.orders / result['fill_s']:,.0f}/s, made by 2 processes, inserted with "
        f"{'COPY' if kind == 'postgres' else 'executemany'}), "
        f"{'VACUUM ANALYZE' if kind == 'postgres' else 'ANALYZE + checkpoint'} "
        f"{result['analyze_s']:.1f} s",
        flush=True,
    )
    cases, facts = build_cases(args.orders, now)
    result["facts"] = facts
    print(f"  searched external id {facts['external_id']}; the week starts {facts['week']}")
    timings = time_all(cases, args.runs, args.budget, kind)
    result["timings"] = {name: timing.figures() for name, timing in timings.items()}
    slowest = max(cases, key=lambda case: timings[case.name].figures()["median_ms"])
    print(f"  plan of the slowest, {slowest.name!r}:")
    print(_indent(full_plan(slowest), 4))
    connection.close()
    Path(args.result).write_text(json.dumps(result, indent=2))
    return 0


def _pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns (CJK characters take two)."""
    wide = sum(unicodedata.east_asian_width(char) in "WF" for char in text)
    return text + " " * max(width - len(text) - wide, 0)


def _indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in text.splitlines())


# ----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query")
    parser.add_argument(
        "--budget",
        type=float,
        default=8.0,
        help="seconds per query after which to stop timing it (after at least 5 runs)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the databases, print URLs")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    results: dict[str, dict[str, Any]] = {}
    workdir = Path(tempfile.mkdtemp(prefix="omnioms-bench-"))
    databases: list[Database] = []
    try:
        for kind in args.databases.split(","):
            if kind == "postgres" and not postgres_answers():
                print(f"PostgreSQL does not answer at {PG_SERVER}: skipped")
                continue
            db = Database(kind, workdir)
            databases.append(db)
            print(f"== {kind}", flush=True)
            started = time.perf_counter()
            db.create()
            print(f"  created and migrated in {time.perf_counter() - started:.1f} s", flush=True)
            out = workdir / f"result-{kind}.json"
            child = [sys.executable, __file__, "--worker", kind, "--result", str(out)]
            child += ["--orders", str(args.orders), "--runs", str(args.runs)]
            child += ["--budget", str(args.budget), "--seed", str(args.seed)]
            done = subprocess.run(child, env=db.env(), cwd=ROOT, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{kind}: the timing process failed ({done.returncode})")
            results[kind] = json.loads(out.read_text())
            if args.keep:
                print(f"  kept: DATABASE_URL={db.url}")
            else:
                db.drop()
    finally:
        if not args.keep:
            for db in databases:
                db.drop()
            shutil.rmtree(workdir, ignore_errors=True)
    summary(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


def summary(results: dict[str, dict[str, Any]]) -> None:
    if not results:
        return
    first = next(iter(results.values()))
    groups = [(kind, "timings", kind) for kind in results]
    print(f"\n== order list, {first['orders']:,} orders: ms per order_list_page call")
    print(f"{'':<32}" + "".join(f" {label:^17}" for _, _, label in groups))
    header = f"{'query':<32}" + f" {'median':>8} {'p95':>8}" * len(groups)
    print(header)
    print("-" * len(header))
    for name in first["timings"]:
        line = _pad(name, 32)
        for kind, key, _ in groups:
            figures = results[kind][key].get(name)
            line += f" {figures['median_ms']:8.1f} {figures['p95_ms']:8.1f}" if figures else ""
        print(line)
    for kind, figures in results.items():
        slow = [name for name, f in figures["timings"].items() if f["median_ms"] > SLOW_MS]
        print(
            f"{kind}: fill {figures['fill_s']:.0f} s; median over {SLOW_MS:.0f} ms: "
            f"{', '.join(slow) if slow else 'none'}"
        )


if __name__ == "__main__":
    sys.exit(main())
