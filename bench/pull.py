"""The pull path end to end: 10,000 orders read from a platform's API with errors and repeats.

    python bench/pull.py                          # SQLite, and PostgreSQL when it answers
    python bench/pull.py --databases sqlite --orders 2000

A local replay server plays Shopify's Admin API (``FakeShopify``, orders built from the
fixture order) on loopback. Every run starts from an empty, migrated database and polls an
account as the worker does (``pull_account``, 20 pages per call, repeated until the window is
read), in three polls whose windows overlap by the default 10 minutes. On the way:

- faults: one request in six answers 429 (``Retry-After: 0``), 500, 503, a body cut off
  mid-JSON, a dropped connection or a timeout (the client waits 1 s);
- repeats: every page repeats the last two orders of the page before, and between the polls
  some orders change (newer version) while others are listed again unchanged.

At the end every order the platform holds must be stored exactly once with its latest status.
Reported: orders stored per second of polling, pages, faults served, and lost and duplicated
orders (both must be 0; the script exits 1 otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchdb import ROOT, Database, postgres_answers

sys.path.insert(0, str(ROOT / "src"))


def run(kind: str, orders: int, page_size: int) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="omnioms-bench-pull-"))
    db = Database(kind, workdir)
    db.create()
    os.environ.update(
        {k: v for k, v in db.env().items() if k in ("DATABASE_URL", "OMNIOMS_DATA_DIR")}
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "omnioms.settings.base"
    import django

    django.setup()
    from django import db as django_db

    try:
        return _measure(orders, page_size)
    finally:
        django_db.connections.close_all()
        db.drop()


def _measure(count: int, page_size: int) -> dict[str, float]:
    from django.db.models import Count

    from omnioms.channels.models import InboundPayload, SyncState
    from omnioms.channels.tests.replay_server import (
        SHOPIFY_FIRST_ID,
        FakeShopify,
        ReplayServer,
        Reply,
        shopify_order,
    )
    from omnioms.orders.models import Order
    from omnioms.sync.pull import pull_account
    from omnioms.sync.services import create_account

    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    polls = [t0 + timedelta(hours=h) for h in (24, 48, 72)]
    with ReplayServer() as server:
        shop = FakeShopify(server)
        # Orders change over three days; each poll sees those updated before it.
        span = (polls[-1] - t0 - timedelta(hours=1)) / count
        for n in range(count):
            shop.add(shopify_order(n, updated_at=t0 + n * span))
        account = create_account(
            name=f"bench-pull-{os.getpid()}", platform="shopify", currency="USD"
        )
        account.api_credentials = shop.credentials(
            page_size=page_size, timeout=1.0, max_attempts=8, backoff=0.01, max_backoff=0.05
        )
        account.save()
        _faults_and_repeats(server, Reply)

        pages = 0
        elapsed = 0.0
        changed: list[int] = []
        for number, now in enumerate(polls):
            if number:
                # Between polls: 5 % of the orders already read change, updated just before
                # this poll and so inside its window; they must end up in their newest status.
                for n in range(0, int(count * number / len(polls)), 20):
                    shop.add(
                        shopify_order(n, updated_at=now - timedelta(minutes=5), status="refunded")
                    )
                    changed.append(n)
            start = time.perf_counter()
            while True:
                summary = pull_account(account, now=now, max_pages=20)
                pages += summary.pages
                if summary.error:
                    raise SystemExit(f"poll failed: {summary.error}")
                if summary.finished:
                    break
            elapsed += time.perf_counter() - start
        expected = {str(SHOPIFY_FIRST_ID + n) for n in range(count)}
        stored = list(Order.objects.filter(account=account).values_list("external_id", "status"))
        ids = [external_id for external_id, _ in stored]
        duplicated = len(ids) - len(set(ids)) + len(set(ids) - expected)
        lost = len(expected - set(ids))
        statuses = dict(stored)
        stale = sum(statuses.get(str(SHOPIFY_FIRST_ID + n)) != "refunded" for n in set(changed))
        payloads = InboundPayload.objects.filter(account=account).count()
        outcomes = dict(
            InboundPayload.objects.filter(account=account)
            .values_list("outcome")
            .annotate(n=Count("id"))
            .values_list("outcome", "n")
        )
        state = SyncState.objects.get(account=account)
        assert state.cursor == polls[-1]
        return {
            "orders": count,
            "stored": len(set(ids)),
            "orders_per_s": len(set(ids)) / elapsed,
            "records_per_s": payloads / elapsed,
            "seconds": elapsed,
            "pages": pages,
            "requests": len(server.requests),
            "faults": server.faults_served,
            "payloads": payloads,
            "outcomes": outcomes,
            "lost": lost,
            "duplicated": duplicated,
            "not_latest": stale,
        }


def _faults_and_repeats(server: object, Reply: type) -> None:
    """Wrap the orders listing: every page repeats the two orders that ended the page before,
    and one request in six gets a fault instead of its answer."""
    route = next(r for r in server.routes if "orders" in r[1].pattern)  # type: ignore[attr-defined]
    handler = route[2]
    state = {"n": 0, "tail": []}
    faults = [
        ("status", 429, "0"),
        ("status", 500, None),
        ("malformed", 0, None),
        ("status", 503, None),
        ("drop", 0, None),
        ("timeout", 0, None),
    ]

    def listing(request):  # type: ignore[no-untyped-def]
        state["n"] += 1
        if state["n"] % 6 == 0:
            kind, status, retry_after = faults[(state["n"] // 6) % len(faults)]
            server.inject(  # type: ignore[attr-defined]
                fault=kind, status=status or 500, retry_after=retry_after, delay=1.5
            )
            return server._answer(request)  # type: ignore[attr-defined]
        reply = handler(request)
        body = json.loads(reply.body)
        page = body["orders"]
        body["orders"] = state["tail"] + page
        state["tail"] = page[-2:]
        reply.body = json.dumps(body).encode()
        return reply

    server.routes[server.routes.index(route)] = (route[0], route[1], listing)  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=250)
    parser.add_argument("--database", help=argparse.SUPPRESS)  # one database per process
    args = parser.parse_args()
    if args.database:
        print(json.dumps(run(args.database, args.orders, args.page_size)))
        return
    failed = False
    for kind in args.databases.split(","):
        if kind == "postgres" and not postgres_answers():
            print("postgres: not answering, skipped")
            continue
        import subprocess

        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--database",
                kind,
                "--orders",
                str(args.orders),
                "--page-size",
                str(args.page_size),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if done.returncode != 0:
            print(f"{kind}: failed\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
            failed = True
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{kind}: {result['stored']:,} of {result['orders']:,} orders in "
            f"{result['seconds']:.1f} s = {result['orders_per_s']:.0f} orders/s "
            f"({result['records_per_s']:.0f} records/s incl. repeats); {result['pages']} pages, "
            f"{result['requests']} requests, {result['faults']} faults injected; "
            f"outcomes {result['outcomes']}; lost {result['lost']}, duplicated "
            f"{result['duplicated']}, not at their latest version {result['not_latest']}"
        )
        failed |= bool(result["lost"] or result["duplicated"] or result["not_latest"])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
