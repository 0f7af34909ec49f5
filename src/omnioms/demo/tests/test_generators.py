"""The demo's payload generators, without a database: deterministic, and readable by the
adapters exactly as the platforms' own payloads are."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import AdapterContext, NormalizationError
from omnioms.channels.contract import NormalizedOrder
from omnioms.channels.normalizing import normalize_record
from omnioms.demo.catalog import BY_CODE, SKUS
from omnioms.demo.generators import pos
from omnioms.demo.generators.common import (
    FULL_HISTORY_DAYS,
    Delivery,
    FileExport,
    Lifecycle,
    Webhook,
    allocate,
    stages_to_send,
)
from omnioms.demo.history import generate_all

NOW = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
SECRETS = {
    "tmall-flagship": "tmall-secret",
    "douyin-shop": "7301234567890123456:douyin-app-secret",
    "shopify-global": "shopify-secret",
}
PLATFORMS = {
    "tmall-flagship": "taobao",
    "douyin-shop": "douyin",
    "shopify-global": "shopify",
    "pos-shanghai": "pos_csv",
    "pos-hangzhou": "pos_csv",
}
CONTEXTS = {
    "shopify-global": AdapterContext(time_zone=ZoneInfo("America/Los_Angeles"), currency="USD"),
}
DELIBERATELY_BAD = (
    "origin_amount: '79.00元' is not a number",
    "carries no order detail; the full detail must be fetched with order.orderDetail",
    "数量: '1件' is not a number",
)


def history(seed: int = 3, days: int = 30) -> list[Delivery]:
    return generate_all(seed, days=days, now=NOW, secrets=SECRETS)


def fingerprint(deliveries: list[Delivery]) -> list[tuple[Any, ...]]:
    return [
        (d.account, d.at, d.body, tuple(d.headers.items()))
        if isinstance(d, Webhook)
        else (d.account, d.at, d.filename, d.raw)
        for d in deliveries
    ]


def normalized(deliveries: list[Delivery]) -> tuple[list[tuple[str, NormalizedOrder]], list[str]]:
    """Every order the adapters read from ``deliveries``, and the reasons of what failed."""
    orders: list[tuple[str, NormalizedOrder]] = []
    problems: list[str] = []
    for delivery in deliveries:
        adapter = get_adapter(PLATFORMS[delivery.account])
        context = CONTEXTS.get(delivery.account, AdapterContext())
        if isinstance(delivery, Webhook):
            records = list(adapter.split(delivery.body, ""))
        else:
            records = list(adapter.split(delivery.raw, delivery.filename))
        for record in records:
            try:
                orders.append((delivery.account, normalize_record(adapter, record, context)))
            except NormalizationError as exc:
                problems.append(str(exc))
    return orders, problems


@pytest.fixture(scope="module")
def month() -> list[Delivery]:
    return history()


# ----------------------------------------------------------------------------------------------
# Determinism


def test_the_same_seed_gives_the_same_payload_bytes() -> None:
    assert fingerprint(history(seed=11, days=10)) == fingerprint(history(seed=11, days=10))


def test_another_seed_gives_other_orders() -> None:
    assert fingerprint(history(seed=11, days=10)) != fingerprint(history(seed=12, days=10))


def test_each_channel_draws_from_its_own_random_stream(month: list[Delivery]) -> None:
    from omnioms.demo.generators import taobao

    alone = taobao.generate(
        random.Random("3:tmall-flagship"), now=NOW, days=30, secret=SECRETS["tmall-flagship"]
    )
    mixed = [d for d in month if d.account == "tmall-flagship"]
    assert sorted(fingerprint(list(alone))) == sorted(fingerprint(mixed))


# ----------------------------------------------------------------------------------------------
# What the adapters make of it


def test_every_payload_normalises_except_the_deliberately_bad_ones(month: list[Delivery]) -> None:
    orders, problems = normalized(month)

    assert orders
    assert problems, "the demo should feed the dead-letter list"
    for problem in problems:
        assert any(bad in problem for bad in DELIBERATELY_BAD), problem
    assert {bad for bad in DELIBERATELY_BAD if any(bad in p for p in problems)} == set(
        DELIBERATELY_BAD
    )


def test_every_order_adds_up_to_the_total_the_platform_sent(month: list[Delivery]) -> None:
    orders, _ = normalized(month)

    mismatches = [(a, o.external_id, o.total_mismatch()) for a, o in orders if o.total_mismatch()]
    assert mismatches == []


def test_every_account_gets_orders_with_gifts_bundles_and_partial_refunds() -> None:
    orders, _ = normalized(history(seed=3, days=60))
    accounts = {account for account, _ in orders}
    lines = [line for _, order in orders for line in order.lines]

    assert accounts == set(PLATFORMS)
    assert any(line.is_gift for line in lines)
    assert any(line.components for line in lines)
    assert any(line.sku is None for line in lines)
    assert any(line.refunded_quantity > 0 for line in lines)
    statuses = {order.status for _, order in orders}
    assert {"completed", "shipped", "cancelled", "refunded"} <= statuses


def test_webhooks_are_signed_the_way_each_platform_signs(month: list[Delivery]) -> None:
    for delivery in month:
        if isinstance(delivery, Webhook):
            adapter = get_adapter(PLATFORMS[delivery.account])
            secret = SECRETS[delivery.account]
            assert adapter.verify_signature(delivery.body, delivery.headers, [secret], "")
            assert not adapter.verify_signature(delivery.body, delivery.headers, ["x:y"], "")


def test_platform_times_and_amounts_have_each_platforms_own_shape(month: list[Delivery]) -> None:
    by_account = {d.account: d for d in month if isinstance(d, Webhook)}
    trade = json.loads(by_account["tmall-flagship"].body)["trade_fullinfo_get_response"]["trade"]
    assert datetime.strptime(trade["created"], "%Y-%m-%d %H:%M:%S")
    assert Decimal(trade["payment"]) == Decimal(trade["payment"]).quantize(Decimal("0.01"))
    assert trade["tid_str"] == str(trade["tid"])

    message = json.loads(by_account["douyin-shop"].body)[0]
    detail = json.loads(message["data"])["shop_order_detail"]
    assert isinstance(detail["create_time"], int)
    assert isinstance(detail["pay_amount"], int)

    order = json.loads(by_account["shopify-global"].body)
    assert order["created_at"][-6:] in ("-08:00", "-07:00")
    assert isinstance(order["id"], int)
    assert order["id"] > 2**32


def test_history_ends_by_now_and_covers_the_days_asked_for() -> None:
    deliveries = history(seed=5, days=40)
    orders, _ = normalized(deliveries)
    created = [order.created_at for _, order in orders if order.created_at]

    assert max(created) <= NOW
    assert min(created) >= NOW - timedelta(days=41)
    assert min(created) < NOW - timedelta(days=35)


# ----------------------------------------------------------------------------------------------
# Store exports


def test_the_shanghai_export_has_the_square_items_detail_columns(month: list[Delivery]) -> None:
    export = next(d for d in month if isinstance(d, FileExport) and d.account == "pos-shanghai")
    header = next(csv.reader(io.StringIO(export.raw.decode("utf-8"))))

    assert header == pos.SQUARE_COLUMNS
    assert len(header) == 35


def test_the_hangzhou_export_is_chinese_text_in_gb18030(month: list[Delivery]) -> None:
    export = next(d for d in month if isinstance(d, FileExport) and d.account == "pos-hangzhou")

    with pytest.raises(UnicodeDecodeError):
        export.raw.decode("utf-8")
    assert export.raw.decode("gb18030").startswith("小票号,销售日期")


# ----------------------------------------------------------------------------------------------
# Building blocks


def test_allocated_shares_add_up_to_the_amount_exactly() -> None:
    shares = allocate(Decimal("30.00"), [Decimal("79.00"), Decimal("199.00"), Decimal("259.00")])

    assert sum(shares) == Decimal("30.00")
    assert all(share >= 0 for share in shares)


def test_old_orders_arrive_once_and_recent_ones_with_every_status_change() -> None:
    rng = random.Random(1)
    old = Lifecycle(
        created=NOW - timedelta(days=60),
        paid=NOW - timedelta(days=60) + timedelta(minutes=1),
        shipped=NOW - timedelta(days=59),
        completed=NOW - timedelta(days=52),
    )
    recent = Lifecycle(
        created=NOW - timedelta(days=FULL_HISTORY_DAYS - 1),
        paid=NOW - timedelta(days=FULL_HISTORY_DAYS - 1) + timedelta(minutes=1),
        shipped=NOW - timedelta(days=3),
        completed=NOW + timedelta(days=2),
    )

    sent_old = [stage for _ in range(20) for stage, _ in stages_to_send(rng, old, now=NOW)]
    assert sent_old.count("completed") == 20
    assert sent_old.count("created") <= 5
    assert [s for s, _ in stages_to_send(rng, recent, now=NOW)] == ["created", "paid", "shipped"]


def test_bundles_are_made_of_catalogue_skus_and_cost_what_their_parts_cost() -> None:
    bundles = [sku for sku in SKUS if sku.components]

    assert bundles
    for bundle in bundles:
        parts = [(BY_CODE[code], quantity) for code, quantity in bundle.components]
        assert bundle.unit_cost == sum(part.unit_cost * quantity for part, quantity in parts)
        assert SKUS.index(bundle) > max(SKUS.index(part) for part, _ in parts)
