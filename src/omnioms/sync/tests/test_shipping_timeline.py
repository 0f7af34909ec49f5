"""A shipment on the order's page: recorded, then accepted or refused by the platform, in the
reader's language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from omnioms.channels.tests.replay_server import FakeShopify, ReplayServer, Reply, shopify_order
from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.orders.models import Order, OrderEvent
from omnioms.sync.admin import ChannelAccountForm
from omnioms.sync.outbound import send_due
from omnioms.sync.pull import pull_account
from omnioms.testing import make_account, make_user, record_shipment
from omnioms.web.presenters import timeline_entry

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def chinese() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


def shipped_and_told(server: ReplayServer, *, refuse: bool = False) -> Order:
    shop = FakeShopify(server)
    shop.add(shopify_order(1, updated_at=NOW - timedelta(hours=1)))
    account = make_account("north-shop", platform="shopify", currency="USD")
    account.api_credentials = shop.credentials()
    account.save()
    pull_account(account, now=NOW)
    order = Order.objects.get(account=account)
    Order.objects.filter(pk=order.pk).update(status="paid")
    if refuse:
        server.route(
            "POST", r".*/fulfillments\.json", lambda _: Reply.json({"errors": "bad tracking"}, 422)
        )
        server.routes.insert(0, server.routes.pop())
    record_shipment(order, "UPS", "1Z42", Actor(kind="user", label="clerk"))
    send_due()
    return order


def notes(order: Order) -> list[str]:
    events = OrderEvent.objects.filter(order=order, kind="note").order_by("pk")
    return [timeline_entry(event).text for event in events]


@pytest.mark.django_db
def test_the_order_page_shows_the_shipment_and_that_the_platform_took_it(
    client: Client, server: ReplayServer
) -> None:
    order = shipped_and_told(server)
    client.force_login(make_user(Role.ORDER_CLERK))

    page = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()

    assert "Shipped with UPS, tracking number 1Z42." in page
    assert "north-shop accepted the shipment with tracking number 1Z42." in page


@pytest.mark.django_db
def test_a_refused_shipment_says_so_on_the_order_page(server: ReplayServer) -> None:
    order = shipped_and_told(server, refuse=True)

    (_, refused) = notes(order)

    assert refused.startswith("north-shop was not told of the shipment with tracking number 1Z42")
    assert "bad tracking" in refused
    assert refused.endswith("Retry the outbound command in the admin once the cause is fixed.")


@pytest.mark.django_db
@pytest.mark.usefixtures("chinese")
def test_shipment_notes_read_in_the_readers_language(server: ReplayServer) -> None:
    order = shipped_and_told(server)

    assert notes(order) == [
        "已通过 UPS 发货，运单号 1Z42。",
        "north-shop 已接收运单号为 1Z42 的发货信息。",
    ]


@pytest.mark.usefixtures("chinese")
def test_the_credentials_field_reads_in_chinese() -> None:
    field = ChannelAccountForm().fields["api_credentials"]
    assert str(field.help_text).startswith("一个 JSON 对象")
