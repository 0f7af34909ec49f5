"""Customer service: search p95 at a million orders and 200,000 tickets, and after-sales
pushes per second through the intake.

    python bench/service.py                          # SQLite, and PostgreSQL when it answers
    python bench/service.py --databases sqlite --orders 100000 --tickets 20000

Each database starts empty and migrated. **Search**: the search table (``SearchEntry``, what
every search reads) is filled with bulk SQL (``generate_series`` on PostgreSQL, a recursive
CTE on SQLite) with one entry per order (order id, buyer name, e-mail, phone as the effect
writes it, SKU, tracking number), one per customer (a third of the orders' buyers) and one per
ticket; the trigram index is then built once (``CREATE INDEX`` on PostgreSQL, the FTS5
``rebuild`` on SQLite), as a rebuild would. Then ``--queries`` searches of each kind agents
type are timed one by one through ``search.matching_entries`` (the index query, newest 50
first): a whole phone typed with +86 and spaces, the last four digits of a phone, nine digits
from the middle of an order number, a buyer's name, part of an e-mail, a whole tracking number
and a SKU. **Intake**: ``--pushes`` signed Tmall refund messages (each a new request) are
POSTed through Django's test client to ``/api/v1/service/aftersales/{account}`` (signature
checked, bytes stored, dedupe index), then the worker step opens their tickets; both rates are
reported. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchdb import ROOT, Database, postgres_answers

SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = "伟芳娜敏静丽强磊军洋"
LAST = "华明红英平"


def documents_sql(kind: str, orders: int, customers: int, tickets: int) -> list[str]:
    """INSERTs that fill the search table: order entries, customer entries, ticket entries."""
    cast = "::int" if kind == "postgres" else ""  # PostgreSQL's substr takes an integer
    name = (
        f"substr('{SURNAMES}', ((i % 10) + 1){cast}, 1)"
        f" || substr('{GIVEN}', (((i / 10) % 10) + 1){cast}, 1)"
        f" || substr('{LAST}', (((i / 100) % 5) + 1){cast}, 1)"
    )
    pad9 = (
        "lpad(((i * 7919) % 1000000000)::text, 9, '0')"
        if kind == "postgres"
        else ("printf('%09d', (i * 7919) % 1000000000)")
    )
    phone = f"'13' || {pad9}"
    order_doc = (
        "'tb-' || (3712845000000000000 + i) || ' | ' || (3712845000000000000 + i)"
        f" || ' | ' || {name} || ' | user' || i || '@example.com'"
        " || ' | qh-sku-' || (i % 5000) || ' | sf' || (1402000000000 + i * 13)"
        f" || ' | ' || {phone}"
    )
    customer_doc = f"{name} || ' | user' || i || '@example.com | ' || {phone}"
    number = "lpad(i::text, 6, '0')" if kind == "postgres" else "printf('%06d', i)"
    ticket_doc = (
        f"'t-' || {number} || ' | 杯子碎了 | ' || {name} || ' | user' || i || '@example.com'"
    )
    now = "now()" if kind == "postgres" else "datetime('now')"

    def fill(entry_kind: str, count: int, doc: str, offset: int) -> str:
        title = f"'{entry_kind} ' || i"
        columns = "(kind, object_id, title, document, updated_at)"
        if kind == "postgres":
            return (
                f"INSERT INTO service_searchentry {columns} SELECT '{entry_kind}', i, {title}, "
                f"{doc}, {now} - (i || ' seconds')::interval "
                f"FROM generate_series(1::bigint, {count}) AS i"
            )
        return (
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) "
            f"INSERT INTO service_searchentry {columns} SELECT '{entry_kind}', i, {title}, {doc}, "
            f"datetime('now', '-' || i || ' seconds') FROM n"
        )

    return [
        fill("order", orders, order_doc, 0),
        fill("customer", customers, customer_doc, 0),
        fill("ticket", tickets, ticket_doc, 0),
    ]


def keys_sql(kind: str) -> list[str]:
    """INSERTs of the exact-match keys of the entries above (``SearchKey``), one per code in
    each document, normalised as ``domain.code_key`` does (lower case, no dashes); the bench
    checks a sample against ``domain.document_keys``."""
    pad9 = (
        "lpad(((i * 7919) % 1000000000)::text, 9, '0')"
        if kind == "postgres"
        else "printf('%09d', (i * 7919) % 1000000000)"
    )
    phone = f"'13' || {pad9}"
    email = "'user' || i || '@example.com'"
    number = "lpad(i::text, 6, '0')" if kind == "postgres" else "printf('%06d', i)"
    keys = {
        "order": [
            "'tb' || (3712845000000000000 + i)",
            "'' || (3712845000000000000 + i)",
            email,
            "'qhsku' || (i % 5000)",
            "'sf' || (1402000000000 + i * 13)",
            phone,
        ],
        "customer": [email, phone],
        "ticket": [f"'t' || {number}", email],
    }
    return [
        "INSERT INTO service_searchkey (entry_id, key, updated_at) "
        f"SELECT id, {expression}, updated_at FROM (SELECT id, object_id AS i, updated_at "
        f"FROM service_searchentry WHERE kind = '{entry_kind}') AS s"
        for entry_kind, expressions in keys.items()
        for expression in expressions
    ]


def fill_search(db: Database, orders: int, customers: int, tickets: int) -> dict[str, float]:
    conn = db.raw_connection()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    key_index = (
        'CREATE INDEX "service_search_key" ON "service_searchkey" ("key", "updated_at" DESC)'
    )
    if db.kind == "postgres":
        conn.execute("DROP INDEX IF EXISTS service_search_trgm")
        conn.execute("DROP INDEX IF EXISTS service_search_key")
        for sql in documents_sql("postgres", orders, customers, tickets):
            conn.execute(sql)
        conn.commit()
        timings["insert_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        for sql in keys_sql("postgres"):
            conn.execute(sql)
        conn.commit()  # the foreign key's deferred checks, before the index is built
        conn.execute(key_index)
        conn.commit()
        timings["keys_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute(
            "CREATE INDEX service_search_trgm ON service_searchentry "
            "USING gin (document gin_trgm_ops)"
        )
        conn.execute("ANALYZE service_searchentry")
        conn.execute("ANALYZE service_searchkey")
        conn.commit()
    else:
        triggers = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'service_search_%'"
        ).fetchall()
        conn.execute("BEGIN")
        for (sql,) in triggers:
            conn.execute(f"DROP TRIGGER {sql.split()[2]}")
        for sql in documents_sql("sqlite", orders, customers, tickets):
            conn.execute(sql)
        conn.execute("COMMIT")
        timings["insert_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute("DROP INDEX IF EXISTS service_search_key")
        for sql in keys_sql("sqlite"):
            conn.execute(sql)
        conn.execute(key_index)
        conn.execute("COMMIT")
        timings["keys_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute("INSERT INTO service_search_fts(service_search_fts) VALUES ('rebuild')")
        for (sql,) in triggers:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    timings["index_seconds"] = time.perf_counter() - started
    conn.close()
    return timings


MEASURE_SEARCH = """
import json, random, statistics, time, django
django.setup()
from omnioms.service.domain import document_keys
from omnioms.service.models import SearchEntry, SearchKey
from omnioms.service.search import matching_entries

orders, queries = {orders}, {queries}
rng = random.Random(7)
# The keys filled by SQL are the ones the application writes for these documents.
for entry in SearchEntry.objects.filter(object_id__in=[rng.randint(1, 1000) for _ in range(30)]):
    stored = set(SearchKey.objects.filter(entry=entry).values_list("key", flat=True))
    assert stored == set(document_keys(entry.document)), (entry.document, stored)
SUR, GIV, LAST = {names!r}

def phone(i):
    return "13" + str((i * 7919) % 1000000000).zfill(9)

def name(i):
    return SUR[i % 10] + GIV[(i // 10) % 10] + LAST[(i // 100) % 5]

kinds = {{
    "phone +86 with spaces": lambda i: f"+86 {{phone(i)[:3]}} {{phone(i)[3:7]}} {{phone(i)[7:]}}",
    "phone last 4 digits": lambda i: phone(i)[-4:],
    "last 9 digits of an order number": lambda i: str(3712845000000000000 + i)[-9:],
    "buyer name": lambda i: name(i),
    "part of an e-mail": lambda i: "user" + str(i) + "@exa",
    "tracking number": lambda i: "SF" + str(1402000000000 + i * 13),
    "SKU": lambda i: "QH-SKU-" + str(i % 5000),
}}
out = {{}}
found = {{}}
for label, make in kinds.items():
    seconds, hits = [], []
    for _ in range(queries):
        query = make(rng.randint(1, orders))
        started = time.perf_counter()
        result = matching_entries(query, limit=50)
        seconds.append(time.perf_counter() - started)
        hits.append(len(result))
    seconds.sort()
    out[label] = {{
        "p50_ms": round(statistics.median(seconds) * 1000, 2),
        "p95_ms": round(seconds[int(0.95 * (len(seconds) - 1))] * 1000, 2),
        "max_ms": round(seconds[-1] * 1000, 2),
        "median_hits": statistics.median(hits),
    }}
print(json.dumps(out))
"""

MEASURE_INTAKE = """
import json, time, django
django.setup()
from django.test import Client
from omnioms.channels.adapters.base import GENERIC_SIGNATURE_HEADER, hmac_sha256_base64
from omnioms.service.intake import process_received
from omnioms.service.models import Ticket
from omnioms.sync.services import create_account

create_account(name="tmall-bench", platform="taobao", secret="bench-secret")
client = Client(HTTP_HOST="localhost")
bodies = []
for n in range({pushes}):
    content = json.dumps({{
        "refund_id": 900000000 + n, "tid": 3712845069123456789, "oid": 3712845069124456789,
        "refund_fee": "12.00", "bill_type": "refund_bill", "buyer_open_uid": "u%d" % (n % 500),
        "modified": "2026-12-05 21:14:02"}})
    message = {{"topic": "taobao_refund_RefundCreated", "id": str(n), "content": content}}
    bodies.append(json.dumps(message).encode())
started = time.perf_counter()
for body in bodies:
    answer = client.post(
        "/api/v1/service/aftersales/tmall-bench", body, content_type="application/json",
        headers={{GENERIC_SIGNATURE_HEADER: hmac_sha256_base64("bench-secret", body)}})
    assert answer.status_code == 200, answer.content
accepted = time.perf_counter() - started
started = time.perf_counter()
while process_received(limit=200):
    pass
processed = time.perf_counter() - started
assert Ticket.objects.count() == len(bodies), Ticket.objects.count()
print(json.dumps({{"pushes": len(bodies), "accept_per_second": round(len(bodies) / accepted, 1),
    "tickets_opened_per_second": round(len(bodies) / processed, 1)}}))
"""


def in_django(db: Database, code: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**db.env(), "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(kind, Path(tmp))
        db.create()
        try:
            result: dict[str, Any] = {"database": kind}
            customers = args.orders // 3
            result["fill"] = fill_search(db, args.orders, customers, args.tickets)
            result["entries"] = args.orders + customers + args.tickets
            result["search"] = in_django(
                db,
                MEASURE_SEARCH.format(
                    orders=args.orders, queries=args.queries, names=(SURNAMES, GIVEN, LAST)
                ),
            )
            # After the search figures, into the full tables: each push's ticket is indexed too.
            result["intake"] = in_django(db, MEASURE_INTAKE.format(pushes=args.pushes))
            return result
        finally:
            db.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--pushes", type=int, default=2000)
    args = parser.parse_args()
    for kind in args.databases:
        if kind == "postgres" and not postgres_answers():
            print("postgres: not reachable, skipped")
            continue
        print(json.dumps(measure(kind, args), ensure_ascii=False, indent=1), flush=True)


if __name__ == "__main__":
    main()
