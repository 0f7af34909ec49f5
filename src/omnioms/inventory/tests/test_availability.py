"""What each channel may sell: its figure, the outbox written with every change, the push.

Pushes go over real HTTP on loopback to the fake platforms of ``channels/tests/replay_server``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from omnioms.catalog.models import ChannelSkuMapping
from omnioms.channels.models import ChannelAccount
from omnioms.channels.tests.replay_server import FakeShopify, FakeTaobao, ReplayServer
from omnioms.inventory.availability import channel_figures, push_due, push_problems
from omnioms.inventory.domain import STOCK_LIMIT, Rule, channel_quantity
from omnioms.inventory.models import (
    AvailabilityOutbox,
    ChannelAvailability,
    ChannelStockRule,
    OutboxState,
    RuleLocation,
)
from omnioms.inventory.services import set_stock_levels
from omnioms.inventory.tests.factories import account, order_json, receive, sku, submit, warehouse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("available", "rule", "expected"),
    [
        ([7, 5], {}, 12),
        ([7, -3], {}, 7),  # a location short of safety stock gives nothing, takes nothing
        ([10], {"buffer": 3}, 7),
        ([2], {"buffer": 3}, 0),
        ([10], {"share_percent": 50}, 5),
        ([11], {"share_percent": 50}, 5),  # rounded down: never promise half a unit
        ([100], {"cap": 20}, 20),
        ([30], {"buffer": 10, "share_percent": 50, "cap": 8}, 8),
    ],
)
def test_a_channel_may_sell_what_is_available_less_buffer_times_share_up_to_the_cap(
    available: list[int], rule: dict[str, Any], expected: int
) -> None:
    assert channel_quantity(available, Rule(account_id=1, **rule)) == expected


def test_figures_count_the_accounts_locations_safety_stock_reservations_and_bundles() -> None:
    east, west, elsewhere = warehouse("east"), warehouse("west"), warehouse("far")
    for location, quantity in ((east, 10), (west, 4), (elsewhere, 100)):
        receive("A", location, quantity)
        receive("B", location, quantity)
    kit = sku("KIT", components=[("A", 2), ("B", 1)])
    shop = account()
    rule = ChannelStockRule.objects.create(account=shop, buffer=1)
    RuleLocation.objects.create(rule=rule, location=east, priority=1)
    RuleLocation.objects.create(rule=rule, location=west, priority=2)
    set_stock_levels(sku="A", location="east", safety_stock=2)
    submit(shop, order_json("F-1", [("A", 1)]))

    figures = channel_figures(shop.pk, [sku("A").pk, sku("B").pk, kit.pk])

    # A: east 10 - 1 reserved - 2 safety = 7, west 4: 11, less the buffer of 1.
    assert figures[sku("A").pk] == 10
    assert figures[sku("B").pk] == 13
    # KIT: east makes min(7 // 2, 10) = 3, west min(4 // 2, 4) = 2; less the buffer.
    assert figures[kit.pk] == 4


def test_every_stock_change_writes_outbox_rows_in_its_transaction_and_marks_them_queued(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    wh = warehouse()
    sku("A")
    kit = sku("KIT", components=[("A", 1)])
    shop, pos = account(platform="shopify", location=wh), account(platform="pos_csv", location=wh)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        receive("A", wh, 5)

    rows = list(AvailabilityOutbox.objects.order_by("sku_id"))
    # One row per SKU whose figure moved (the bundle too) for the account selling from there;
    # a store POS export has no API to push to.
    assert [(r.account_id, r.sku_id) for r in rows] == [(shop.pk, sku("A").pk), (shop.pk, kit.pk)]
    assert pos.pk not in {r.account_id for r in rows}
    for row in rows:
        assert row.queued_at is not None
        assert before <= row.changed_at <= row.queued_at <= timezone.now()
        assert row.state == OutboxState.PENDING


def test_a_shipment_of_reserved_stock_moves_no_figure_and_queues_nothing() -> None:
    from omnioms.core.actor import Actor
    from omnioms.orders.services import change_order_status

    wh = warehouse()
    receive("A", wh, 5)
    shop = account(platform="shopify", location=wh)
    order = submit(shop, order_json("N-1", [("A", 2)]))
    queued = AvailabilityOutbox.objects.count()
    change_order_status(order.pk, "shipped", actor=Actor.system("tests"))

    assert AvailabilityOutbox.objects.count() == queued


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as running:
        yield running


def shopify_account(fake: FakeShopify, location: Any, **extra: Any) -> ChannelAccount:
    shop = account(platform="shopify", location=location)
    shop.api_credentials = fake.credentials(**extra)
    shop.save()
    return shop


def test_the_push_sends_each_skus_latest_figure_once_over_http(server: ReplayServer) -> None:
    fake = FakeShopify(server)
    fake.add_variant("A", 901)
    fake.add_variant("shop-b", 902)
    wh = warehouse()
    shop = shopify_account(fake, wh)
    ChannelSkuMapping.objects.create(account=shop, external_sku="shop-b", sku=sku("B"))
    for quantity in (5, 3, 2):
        receive("A", wh, quantity)
    receive("B", wh, 4)
    submit(shop, order_json("H-1", [("A", 4)]))

    assert push_due() == 5
    assert fake.available("A") == 6
    assert fake.available("shop-b") == 4
    sets = [c for c in server.calls("/graphql.json") if "inventorySetQuantities" in c.body.decode()]
    assert len(sets) == 1  # five changes, one push carrying the latest figures
    assert set(AvailabilityOutbox.objects.values_list("state", flat=True)) == {OutboxState.DONE}
    told = ChannelAvailability.objects.get(account=shop, sku=sku("A"))
    assert told.quantity == 6
    assert push_due() == 0


def test_a_push_the_platform_may_accept_later_is_retried_with_backoff(server: ReplayServer) -> None:
    fake = FakeShopify(server)
    fake.add_variant("A", 901)
    wh = warehouse()
    shopify_account(fake, wh, max_attempts=1)
    receive("A", wh, 5)
    server.inject("/graphql.json", status=503, times=1)

    assert push_due() == 1
    row = AvailabilityOutbox.objects.get()
    assert (row.state, row.attempts) == (OutboxState.PENDING, 1)
    assert row.next_attempt_at > timezone.now()
    assert "503" in row.last_error
    assert push_due() == 0  # not due yet

    AvailabilityOutbox.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert push_due() == 1
    assert fake.available("A") == 5
    assert AvailabilityOutbox.objects.get().state == OutboxState.DONE


def test_a_sku_the_platform_refuses_fails_with_the_reason_and_the_others_are_pushed(
    server: ReplayServer,
) -> None:
    fake = FakeTaobao(server)
    wh = warehouse()
    shop = account(platform="taobao", location=wh)
    shop.api_credentials = fake.credentials()
    shop.save()
    fake.add_sku("A", "5001", "7001")
    receive("A", wh, 3)
    receive("UNLISTED", wh, 1)

    push_due()

    assert fake.quantities == {("5001", "7001"): 3}
    failed = AvailabilityOutbox.objects.get(state=OutboxState.FAILED)
    assert failed.sku == sku("UNLISTED")
    assert "UNLISTED" in failed.last_error
    assert AvailabilityOutbox.objects.get(sku=sku("A")).state == OutboxState.DONE
    assert push_due() == 0


def test_credentials_the_client_cannot_use_fail_the_rows_with_the_reason() -> None:
    wh = warehouse()
    shop = account(platform="shopify", location=wh)
    shop.api_credentials = {"token": "t"}  # no base_url
    shop.save()
    receive("A", wh, 3)
    receive("B", wh, 3)

    assert push_due() == 2

    rows = list(AvailabilityOutbox.objects.all())
    assert {row.state for row in rows} == {OutboxState.FAILED}
    assert all("base_url" in row.last_error for row in rows)
    problem = push_problems()[shop.pk]
    assert (problem.skus_waiting, problem.given_up) == (2, 2)
    assert "base_url" in problem.last_error
    assert problem.since == min(row.changed_at for row in rows)


def test_an_account_not_connected_to_its_platform_is_sent_nothing() -> None:
    wh = warehouse()
    shop = account(platform="shopify", location=wh, connected=False)

    receive("A", wh, 3)

    assert not AvailabilityOutbox.objects.exists()
    assert push_due() == 0
    assert push_problems() == {}
    assert channel_figures(shop.pk, [sku("A").pk]) == {sku("A").pk: 3}


def test_rows_queued_before_the_credentials_were_cleared_are_dropped_unsent() -> None:
    wh = warehouse()
    shop = account(platform="shopify", location=wh)
    receive("A", wh, 3)
    shop.api_credentials = {}
    shop.save()

    assert push_due() == 1

    assert not AvailabilityOutbox.objects.exists()
    assert not ChannelAvailability.objects.exists()
    assert push_problems() == {}


def test_a_channel_selling_from_two_full_locations_is_told_at_most_the_stock_limit(
    server: ReplayServer,
) -> None:
    fake = FakeShopify(server)
    fake.add_variant("A", 901)
    east, west = warehouse("east"), warehouse("west")
    shop = shopify_account(fake, east)
    rule = ChannelStockRule.objects.create(account=shop)
    RuleLocation.objects.create(rule=rule, location=east, priority=1)
    RuleLocation.objects.create(rule=rule, location=west, priority=2)
    receive("A", east, STOCK_LIMIT)
    receive("A", west, STOCK_LIMIT)

    assert channel_figures(shop.pk, [sku("A").pk]) == {sku("A").pk: STOCK_LIMIT}
    assert push_due() == 2
    assert fake.available("A") == STOCK_LIMIT
    assert ChannelAvailability.objects.get(account=shop, sku=sku("A")).quantity == STOCK_LIMIT
