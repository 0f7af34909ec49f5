"""Taking an action on an order (p95), and publishing a flow version with 10,000 open orders.

    python bench/flows.py                       # SQLite, and PostgreSQL when it answers
    python bench/flows.py --databases postgres --open-orders 10000 --actions 300

Each database starts empty and migrated. A Taobao account (connected, so every shipment queues
its command to the platform) gets ``--open-orders`` paid orders of one or two SKUs in stock,
through the same upsert the channels use, in batches of 500. Then:

- **Actions.** ``--actions`` of them are picked and then shipped with a carrier and tracking
  number, one ``take_action`` each, as a person does from the order page or the API: role,
  self-approval rule and guards checked under the order's row lock, the move and its timeline
  rows written, the stock consumed and the outbound command queued, in one transaction.
  Reported per action and together: median, p95, max (wall time, in process).
- **Publish.** Half the remaining open orders are in the stage "picked". A new version renames
  it "packed"; ``publish`` moves every open order (the shipped ones too: "shipped" is not
  final) to the new version (those in "picked" to "packed" by the confirmed mapping, the rest
  to the stage of the same name) and writes a timeline row for each, in one transaction.
  Reported: seconds, and orders moved (must equal the open orders).

See bench/README.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchdb import PG_SERVER, ROOT, Database, postgres_answers

HERE = Path(__file__).resolve()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _summary(seconds: list[float]) -> dict[str, float]:
    return {
        "n": len(seconds),
        "median_ms": statistics.median(seconds) * 1000,
        "p95_ms": _percentile(seconds, 0.95) * 1000,
        "max_ms": max(seconds) * 1000,
    }


def _renamed(definition: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(definition)
    rename = {"picked": "packed"}
    for stage in new["stages"]:
        if stage["key"] in rename:
            stage["key"] = rename[stage["key"]]
            stage["label"] = "Packed"
    for t in new["transitions"]:
        t["from"] = [rename.get(s, s) for s in t["from"]]
        if t.get("to") in rename:
            t["to"] = rename[t["to"]]
    for rule in new["channel"]:
        for key in ("conflict_in", "ignore_in"):
            if key in rule:
                rule[key] = [rename.get(s, s) for s in rule[key]]
    return new


def measure(kind: str, open_orders: int, actions: int) -> dict[str, Any]:
    """Runs inside the database's own process (``--run``): Django is set up for it."""
    import django

    django.setup()
    import hashlib
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from omnioms.catalog.services import create_product
    from omnioms.channels.contract import NormalizedOrder
    from omnioms.channels.models import ChannelAccount, InboundPayload, OutboundCommand
    from omnioms.core.actor import Actor
    from omnioms.core.models import Location, LocationKind
    from omnioms.core.roles import Role
    from omnioms.core.services import create_staff_user
    from omnioms.flows.publishing import own_flow, publish, save_draft
    from omnioms.flows.services import take_action
    from omnioms.inventory.selectors import stock_problems
    from omnioms.inventory.services import receive_stock
    from omnioms.orders.models import Order
    from omnioms.orders.services import Incoming, upsert_orders

    actor = Actor.system("bench")
    wh = Location.objects.create(code="wh", name="wh", kind=LocationKind.WAREHOUSE)
    for code in ("TEE", "CAP"):
        create_product(sku=code, name=code, unit_cost=Decimal("5"))
        receive_stock(
            sku=code, location=wh, quantity=10_000_000, unit_cost=Decimal("5"), actor=actor
        )
    account = ChannelAccount.objects.create(
        name="tmall",
        platform="taobao",
        location=wh,
        api_credentials={"app_key": "bench", "app_secret": "bench", "session": "bench"},
    )
    flow = own_flow(account)
    total = open_orders + actions
    base = datetime(2026, 11, 1, tzinfo=UTC)
    started = time.perf_counter()
    for start in range(0, total, 500):
        batch = []
        for n in range(start, min(total, start + 500)):
            at = (base + timedelta(seconds=n)).isoformat()
            lines = [{"sku": "TEE", "title": "T", "quantity": 2, "unit_price": "10", "total": "20"}]
            if n % 2:
                lines.append(
                    {"sku": "CAP", "title": "C", "quantity": 1, "unit_price": "5", "total": "5"}
                )
            order = NormalizedOrder.model_validate(
                {
                    "channel": "taobao",
                    "external_id": f"B-{n}",
                    "status": "paid",
                    "currency": "CNY",
                    "created_at": at,
                    "updated_at": at,
                    "paid_at": at,
                    "buyer": {"name": "买家"},
                    "lines": lines,
                    "total": "25" if n % 2 else "20",
                }
            )
            body = order.model_dump_json().encode()
            payload = InboundPayload(
                account=account,
                source="file",
                received_at=timezone.now(),
                body=body,
                sha256=hashlib.sha256(body).hexdigest(),
            )
            batch.append(Incoming(payload, order))
        with transaction.atomic():
            upsert_orders(account, batch, actor=actor)
    load_seconds = time.perf_counter() - started

    clerk = create_staff_user(
        username="clerk", role=Role.ORDER_CLERK, password=secrets.token_urlsafe(16)
    )
    ids = list(Order.objects.order_by("pk").values_list("pk", flat=True))
    acting, resting = ids[:actions], ids[actions:]
    timings: dict[str, list[float]] = {"pick": [], "ship": []}
    for order_id in acting:
        for action, fields in (
            ("pick", {}),
            ("ship", {"carrier": "SF Express", "tracking_number": f"SF{order_id}"}),
        ):
            order = Order.objects.select_related("account").get(pk=order_id)
            t0 = time.perf_counter()
            take_action(order, action, fields, clerk)
            timings[action].append(time.perf_counter() - t0)
    shipped = Order.objects.filter(pk__in=acting, status="shipped").count()
    commands = OutboundCommand.objects.filter(order_id__in=acting).count()

    half = resting[: len(resting) // 2]
    for start in range(0, len(half), 500):
        Order.objects.filter(pk__in=half[start : start + 500]).update(stage="picked")
    assert flow.current is not None
    final = [st["key"] for st in flow.current.definition["stages"] if st.get("final")]
    still_open = Order.objects.exclude(stage__in=final).count()
    draft = save_draft(flow, _renamed(flow.current.definition))
    t0 = time.perf_counter()
    version, moved = publish(flow, draft, {"picked": "packed"}, actor=actor)
    publish_seconds = time.perf_counter() - t0
    on_new = Order.objects.filter(flow_version=version).count()
    packed = Order.objects.filter(flow_version=version, stage="packed").count()
    return {
        "database": kind,
        "orders_loaded": total,
        "load_seconds": load_seconds,
        "actions": {
            "all": _summary(timings["pick"] + timings["ship"]),
            "pick": _summary(timings["pick"]),
            "ship": _summary(timings["ship"]),
            "shipped": shipped,
            "outbound_commands": commands,
        },
        "publish": {
            "open_orders": still_open,
            "moved": moved,
            "on_new_version": on_new,
            "packed": packed,
            "seconds": publish_seconds,
        },
        "invariant_problems": len(stock_problems()),
    }


def report(kind: str, f: dict[str, Any]) -> None:
    a, p = f["actions"], f["publish"]
    print(f"{kind}: {f['orders_loaded']} paid orders loaded in {f['load_seconds']:.1f} s")
    for name in ("all", "pick", "ship"):
        s = a[name]
        print(
            f"  take_action {name:4} (n={s['n']}): median {s['median_ms']:.1f} ms, "
            f"p95 {s['p95_ms']:.1f} ms, max {s['max_ms']:.1f} ms"
        )
    print(f"  shipped {a['shipped']}, outbound commands queued {a['outbound_commands']}")
    print(
        f"  publish with {p['open_orders']} open orders: {p['seconds']:.2f} s, moved {p['moved']}"
        f" ({p['packed']} to the renamed stage); stock problems: {f['invariant_problems']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--open-orders", type=int, default=10_000)
    parser.add_argument("--actions", type=int, default=300)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        figures = measure(args.run, args.open_orders, args.actions)
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
                        f"--open-orders={args.open_orders}",
                        f"--actions={args.actions}",
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
        if f["publish"]["moved"] != f["publish"]["open_orders"]
        or f["actions"]["shipped"] != f["actions"]["all"]["n"] // 2
        or f["invariant_problems"]
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
