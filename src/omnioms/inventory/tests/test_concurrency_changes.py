"""Eight processes pay, ship and cancel the same orders at once, as people and as the channel.

Each process pays its orders, then ships or refunds each one through the use cases (a person
or a job) while another process reports the channel's own news of some of the same orders (a
refund, a shipment) as a newer version. Whatever wins each race, the books must balance: every
unit that left is a consumed reservation, nothing is reserved twice or after it left, and no
balance goes negative or below what is reserved.
"""

from __future__ import annotations

import multiprocessing
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from omnioms.core.actor import Actor
from omnioms.inventory.models import Reservation, ReservationState, StockBalance
from omnioms.inventory.selectors import stock_problems
from omnioms.inventory.tests.factories import account, order_json, receive, submit, warehouse
from omnioms.inventory.tests.test_concurrency import _sqlite_file
from omnioms.orders.domain import make_shipment
from omnioms.orders.flows import TransitionNotAllowed
from omnioms.orders.models import Order
from omnioms.orders.services import change_order_status, ship_order

PROCESSES = 8
ORDERS_EACH = 10
STOCK = {"HOT-1": 50, "HOT-2": 20}
PERSON = Actor("user", "race")


def _act(
    plan: list[tuple[int, str, str, list[tuple[str, int]]]],
    shop_id: int,
    barrier: Any,
    results: Any,
) -> None:
    """One worker process: wait for the others, then take each step in its own transaction."""
    from omnioms.channels.models import ChannelAccount

    try:
        shop = ChannelAccount.objects.get(pk=shop_id)
        barrier.wait(timeout=60)
        refused = 0
        for order_id, step, external_id, lines in plan:
            try:
                if step == "pay":
                    change_order_status(order_id, "paid", actor=PERSON)
                elif step == "ship":
                    shipment = make_shipment("SF", f"SF{order_id}", shipped_at=timezone.now())
                    ship_order(order_id, shipment, actor=PERSON)
                elif step == "refund":
                    change_order_status(order_id, "refunded", actor=PERSON)
                else:  # the channel reports "shipped" or "refunded", newer than anything here
                    status = step.removeprefix("channel_")
                    submit(shop, order_json(external_id, lines, status=status, version=3600))
            except TransitionNotAllowed:
                refused += 1  # the other side moved the order first: refused, nothing changed
        results.put(("ok", refused))
    except BaseException as exc:  # reported to the test process, which fails on it
        results.put(("error", repr(exc)))
    finally:
        connection.close()


def _setup() -> tuple[dict[int, tuple[str, list[tuple[str, int]]]], int]:
    wh = warehouse("wh-race-2")
    for code, quantity in STOCK.items():
        receive(code, wh, quantity)
    shop = account("race-shop-2", location=wh)
    rng = random.Random(7)
    orders: dict[int, tuple[str, list[tuple[str, int]]]] = {}
    for number in range(PROCESSES * ORDERS_EACH):
        lines = [("HOT-1", rng.randint(1, 2))]
        if rng.random() < 0.5:
            lines.append(("HOT-2", rng.randint(1, 2)))
        external_id = f"RACE2-{number}"
        data = order_json(external_id, lines, status="pending_payment", minute=number, version=0)
        orders[submit(shop, data).pk] = (external_id, lines)
    return orders, shop.pk


def _plans(orders: dict[int, tuple[str, list[tuple[str, int]]]]) -> list[list[Any]]:
    """Process p pays and then ships or refunds its own orders; it also reports the channel's
    news of some orders of process p + 1, which that process is moving at the same time."""
    rng = random.Random(11)
    ids = sorted(orders)
    slices = [ids[p::PROCESSES] for p in range(PROCESSES)]
    plans: list[list[Any]] = [[] for _ in range(PROCESSES)]
    for p, mine in enumerate(slices):
        for order_id in mine:
            external_id, lines = orders[order_id]
            plans[p].append((order_id, "pay", external_id, lines))
            plans[p].append((order_id, rng.choice(["ship", "ship", "refund"]), external_id, lines))
        for order_id in slices[(p + 1) % PROCESSES][::3]:
            external_id, lines = orders[order_id]
            step = rng.choice(["channel_refunded", "channel_shipped"])
            plans[p].insert(rng.randrange(len(plans[p]) + 1), (order_id, step, external_id, lines))
    return plans


def _race(plans: list[list[Any]], shop_id: int) -> list[tuple[str, object]]:
    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=_act, args=(plan, shop_id, barrier, results)) for plan in plans
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=180) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    return outcomes


def _check(orders: dict[int, tuple[str, list[tuple[str, int]]]]) -> None:
    assert stock_problems() == []  # ledger == on hand, reserved == held, 0 <= reserved <= on hand
    held: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    consumed: dict[str, int] = defaultdict(int)
    for r in Reservation.objects.select_related("sku"):
        held[r.order_id][r.state][r.sku.code] = r.quantity
        if r.state == ReservationState.CONSUMED:
            consumed[r.sku.code] += r.quantity
    balances = {b.sku.code: b for b in StockBalance.objects.select_related("sku")}
    for code, received in STOCK.items():
        assert balances[code].on_hand == received - consumed[code]  # what left was consumed
    statuses = dict(Order.objects.filter(pk__in=orders).values_list("pk", "status"))
    for order_id, (_external_id, lines) in orders.items():
        needs = dict(lines)
        states = held[order_id]
        out = {
            code: states[ReservationState.CONSUMED].get(code, 0)
            + states[ReservationState.UNBACKED].get(code, 0)
            for code in needs
        }
        if statuses[order_id] == "shipped":
            assert out == needs, (order_id, dict(states))  # every unit left, once
        if statuses[order_id] in ("shipped", "refunded"):
            assert not states[ReservationState.RESERVED], (order_id, dict(states))
        if statuses[order_id] == "paid":
            assert not any(out.values()), (order_id, dict(states))
    assert set(statuses.values()) >= {"shipped", "refunded"}


def _run() -> None:
    orders, shop_id = _setup()
    outcomes = _race(_plans(orders), shop_id)
    assert [kind for kind, _ in outcomes] == ["ok"] * PROCESSES, outcomes
    _check(orders)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL=PostgreSQL")
def test_people_and_the_channel_shipping_and_cancelling_at_once_keep_the_books() -> None:
    _run()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite run of the race")
def test_on_a_sqlite_file_shipping_and_cancelling_at_once_keep_the_books(tmp_path: Path) -> None:
    with _sqlite_file(tmp_path / "race.sqlite3"):
        _run()
