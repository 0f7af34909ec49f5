"""Reconciliation and thin webhooks, over real HTTP against the replay server."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from omnioms.channels.models import (
    ChannelAccount,
    DeadLetter,
    InboundPayload,
    PayloadOutcome,
    SyncState,
)
from omnioms.channels.tests.replay_server import (
    FIXTURES,
    FakeDouyin,
    FakeShopify,
    ReplayServer,
    douyin_order,
    shopify_order,
)
from omnioms.orders.models import Order
from omnioms.sync.pull import fetch_named_orders, pull_account
from omnioms.sync.reconcile import reconcile_account, reconcile_due
from omnioms.sync.webhooks import receive_webhook
from omnioms.testing import make_account

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
FIRST = 9007199254740993


def shopify_account(shop: FakeShopify, **extra: object) -> ChannelAccount:
    account = make_account(platform="shopify", currency="USD")
    account.api_credentials = shop.credentials(**extra)
    account.save()
    return account


def test_reconcile_fetches_missing_and_stale_orders_and_records_the_counts(
    shop: FakeShopify, server: ReplayServer
) -> None:
    for n in range(8):
        shop.add(shopify_order(n, updated_at=NOW - timedelta(hours=5, minutes=n)))
    account = shopify_account(shop, page_size=3)
    pull_account(account, now=NOW - timedelta(hours=1))
    # The platform indexed two orders late (their update times fall in a window already
    # read), and changed one with a time inside that window too: polling cannot see them.
    shop.add(shopify_order(20, updated_at=NOW - timedelta(hours=4)))
    shop.add(shopify_order(21, updated_at=NOW - timedelta(hours=4)))
    shop.add(shopify_order(3, updated_at=NOW - timedelta(hours=3), status="refunded"))
    fetched_before = len(server.calls("/orders/"))

    summary = reconcile_account(account, now=NOW)

    assert summary.error == ""
    assert sorted(summary.missing) == [str(FIRST + 20), str(FIRST + 21)]
    assert summary.stale == [str(FIRST + 3)]
    assert summary.fetched == 3
    fetched = [r.path for r in server.calls("/orders/")][fetched_before:]
    assert sorted(fetched) == sorted(
        f"/admin/api/2025-01/orders/{FIRST + n}.json" for n in (3, 20, 21)
    )
    assert Order.objects.get(account=account, external_id=str(FIRST + 3)).status == "refunded"
    assert Order.objects.filter(account=account).count() == 10
    state = SyncState.objects.get(account=account)
    assert (state.platform_order_count, state.our_order_count) == (10, 10)
    assert (state.missing_count, state.stale_count) == (2, 1)
    assert state.last_reconciled_at is not None
    assert state.reconcile_since == NOW - timedelta(hours=48)

    again = reconcile_account(account, now=NOW)
    assert (again.missing, again.stale, again.fetched) == ([], [], 0)


def test_reconcile_with_errors_keeps_what_it_fetched_and_says_why(
    shop: FakeShopify, server: ReplayServer
) -> None:
    account = shopify_account(shop, max_attempts=2)
    for n in range(3):
        shop.add(shopify_order(n, updated_at=NOW - timedelta(hours=2)))
    server.inject("/orders/", status=500, times=2)  # the first fetch gives up

    summary = reconcile_account(account, now=NOW)

    assert "500" in summary.error
    state = SyncState.objects.get(account=account)
    assert "500" in state.last_reconcile_error
    assert state.last_reconciled_at is None
    assert state.next_reconcile_at is not None
    again = reconcile_account(account, now=NOW)
    assert again.error == ""
    assert again.fetched == 3
    assert Order.objects.filter(account=account).count() == 3


def test_reconcile_step_claims_due_accounts(shop: FakeShopify) -> None:
    shop.add(shopify_order(1, updated_at=timezone.now() - timedelta(hours=2)))
    account = shopify_account(shop)
    assert reconcile_due() == 1
    assert Order.objects.filter(account=account).count() == 1
    assert reconcile_due() == 0  # next one in an hour


# ----------------------------------------------------------------------------------------------
# Thin webhooks


def douyin_push(account: ChannelAccount, body: bytes) -> None:
    app_key, app_secret = account.webhook_secret.split(":")
    signature = hashlib.md5(app_key.encode() + body + app_secret.encode()).hexdigest()  # noqa: S324
    receive_webhook(
        account,
        body=body,
        headers={"Content-Type": "application/json", "event-sign": signature, "app-id": "1"},
    )


def settle_dead_letters() -> None:
    DeadLetter.objects.update(created_at=timezone.now() - timedelta(minutes=1))


def test_an_id_only_douyin_push_is_fetched_and_its_dead_letter_resolved(
    server: ReplayServer,
) -> None:
    douyin = FakeDouyin(server)
    named = douyin_order(0, updated_at=NOW)  # the order the fixture's thin message names
    douyin.add(named)
    account = make_account(platform="douyin", secret="7000111:push-secret")
    account.api_credentials = douyin.credentials()
    account.save()
    body = (FIXTURES / "douyin" / "push_messages.json").read_bytes()
    douyin_push(account, body)
    letter = DeadLetter.objects.get(account=account)
    assert "must be fetched" in letter.reason

    settle_dead_letters()
    summary = fetch_named_orders(account)

    assert (summary.fetched, summary.resolved, summary.error) == (1, 1, "")
    order = Order.objects.get(account=account, external_id=named["order_id"])
    letter.refresh_from_db()
    assert letter.resolved_at is not None
    payload = InboundPayload.objects.get(pk=letter.payload_id)
    assert (payload.outcome, payload.order_id) == (PayloadOutcome.FETCHED, order.pk)
    assert [c.query["method"] for c in server.calls("/order/orderDetail")] == ["order.orderDetail"]
    # Seen once: the scan does not look at it again.
    assert fetch_named_orders(account).letters == 0


def test_a_named_order_the_platform_cannot_give_keeps_the_letter_open(
    server: ReplayServer,
) -> None:
    douyin = FakeDouyin(server)  # knows no orders
    account = make_account(platform="douyin", secret="7000111:push-secret")
    account.api_credentials = douyin.credentials()
    account.save()
    message = {"tag": "100", "msg_id": "m-1", "data": json.dumps({"p_id": 5550001, "shop_id": 1})}
    douyin_push(account, json.dumps([message]).encode())
    settle_dead_letters()

    summary = fetch_named_orders(account)

    assert (summary.fetched, summary.resolved) == (0, 0)
    letter = DeadLetter.objects.get(account=account)
    assert letter.resolved_at is None
    assert "fetching order 5550001 failed" in letter.reason
    assert SyncState.objects.get(account=account).thin_scanned_id == letter.pk


def test_a_fetch_that_fails_for_now_is_tried_again(server: ReplayServer) -> None:
    douyin = FakeDouyin(server)
    named = douyin_order(0, updated_at=NOW)
    douyin.add(named)
    account = make_account(platform="douyin", secret="7000111:push-secret")
    account.api_credentials = douyin.credentials(max_attempts=1)
    account.save()
    douyin_push(account, (FIXTURES / "douyin" / "push_messages.json").read_bytes())
    settle_dead_letters()
    server.inject("/order/orderDetail", status=503)

    first = fetch_named_orders(account)
    assert "503" in first.error
    assert SyncState.objects.get(account=account).thin_scanned_id == 0

    second = fetch_named_orders(account)
    assert (second.fetched, second.resolved) == (1, 1)
    assert Order.objects.filter(account=account, external_id=named["order_id"]).exists()
