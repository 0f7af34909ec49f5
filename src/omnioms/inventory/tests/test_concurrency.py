"""Eight processes reserve the same SKUs at once: nothing oversold, every shortage exact.

Each process is a real OS process with its own database connection (``fork``), as gunicorn
workers and ``omnioms worker`` are. On PostgreSQL the processes share the test database; on
SQLite they share a copy of it in a file (an in-memory database cannot be shared between
processes), in WAL mode with ``BEGIN IMMEDIATE`` as in production.
"""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from omnioms.core.actor import Actor
from omnioms.inventory.models import (
    OrderStock,
    OrderStockStatus,
    Reservation,
    Shortage,
)
from omnioms.inventory.selectors import stock_problems
from omnioms.inventory.tests.factories import account, order_json, receive, submit, warehouse
from omnioms.orders.services import change_order_status

PROCESSES = 8
ORDERS_EACH = 12
STOCK = {"HOT-1": 40, "HOT-2": 25}


def _reserve(order_ids: list[int], barrier: Any, results: Any) -> None:
    """One worker process: wait for the others, then pay its orders one transaction each."""
    try:
        barrier.wait(timeout=60)
        for order_id in order_ids:
            change_order_status(order_id, "paid", actor=Actor.system("race"))
        results.put(("ok", len(order_ids)))
    except BaseException as exc:  # reported to the test process, which fails on it
        results.put(("error", repr(exc)))
    finally:
        connection.close()


def _setup() -> tuple[dict[int, dict[str, int]], int]:
    """Stock, one account, and orders waiting for payment; returns each order's needs."""
    wh = warehouse("wh-race")
    for code, quantity in STOCK.items():
        receive(code, wh, quantity)
    shop = account("race-shop", location=wh)
    account("race-web", platform="shopify", location=wh)  # every change queues its figure
    rng = random.Random(3)
    needs: dict[int, dict[str, int]] = {}
    for number in range(PROCESSES * ORDERS_EACH):
        lines = [("HOT-1", rng.randint(1, 2))]
        if rng.random() < 0.5:
            lines.append(("HOT-2", rng.randint(1, 2)))
        order = submit(
            shop, order_json(f"RACE-{number}", lines, status="pending_payment", minute=number)
        )
        needs[order.pk] = dict(lines)
    return needs, wh.pk


def _race(order_ids: list[int]) -> list[tuple[str, object]]:
    connections.close_all()  # each process opens its own connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    slices = [order_ids[i::PROCESSES] for i in range(PROCESSES)]
    workers = [context.Process(target=_reserve, args=(chunk, barrier, results)) for chunk in slices]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    return outcomes


def _check(needs: dict[int, dict[str, int]], location_id: int) -> None:
    from omnioms.inventory.models import StockBalance

    assert (
        stock_problems() == []
    )  # ledger sum == on hand, reserved == held, 0 <= reserved <= on hand
    balances = {b.sku.code: b for b in StockBalance.objects.select_related("sku")}
    for code, quantity in STOCK.items():
        assert balances[code].on_hand == quantity
        assert balances[code].reserved <= quantity  # not one unit oversold
    statuses = dict(OrderStock.objects.values_list("order_id", "status"))
    held: dict[int, dict[str, int]] = defaultdict(dict)
    for r in Reservation.objects.select_related("sku"):
        held[r.order_id][r.sku.code] = r.quantity
    shortages: dict[int, list[Shortage]] = defaultdict(list)
    for s in Shortage.objects.select_related("sku"):
        shortages[s.order_id].append(s)
    accepted = [oid for oid in needs if statuses[oid] == OrderStockStatus.RESERVED]
    rejected = [oid for oid in needs if statuses[oid] == OrderStockStatus.BACKORDER]
    assert sorted(accepted + rejected) == sorted(needs)
    assert accepted
    assert rejected
    for oid in accepted:  # every accepted reservation is whole and backed by a balance row
        assert held[oid] == needs[oid]
        assert oid not in shortages
    reserved = {code: sum(held[oid].get(code, 0) for oid in accepted) for code in STOCK}
    assert reserved == {code: balances[code].reserved for code in STOCK}
    for oid in rejected:  # every rejected order was told exactly what it lacked, and holds nothing
        assert oid not in held
        told = shortages[oid]
        assert told
        for short in told:
            assert short.location_id == location_id
            assert short.wanted == needs[oid][short.sku.code]
            # Stock only went down during the race: what it was told it could have is at least
            # what is left now, and less than it wanted.
            left = balances[short.sku.code].available
            assert left <= short.available < short.wanted


def _run() -> None:
    needs, location_id = _setup()
    outcomes = _race(list(needs))
    assert [kind for kind, _ in outcomes] == ["ok"] * PROCESSES, outcomes
    _check(needs, location_id)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL=PostgreSQL")
def test_eight_processes_on_postgresql_never_oversell() -> None:
    _run()


@contextmanager
def _sqlite_file(path: Path) -> Iterator[None]:
    """Point the default connection at a file copy of the (in-memory) test database."""
    db = connections["default"]
    db.ensure_connection()
    memory = db.connection
    target = sqlite3.connect(path)
    memory.backup(target)
    target.close()
    name = db.settings_dict["NAME"]
    db.connection = None  # `memory` keeps the in-memory test database alive meanwhile
    db.settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        db.close()
        db.settings_dict["NAME"] = name
        db.connection = memory


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite run of the race")
def test_eight_processes_on_a_sqlite_file_never_oversell(tmp_path: Path) -> None:
    with _sqlite_file(tmp_path / "race.sqlite3"):
        _run()
