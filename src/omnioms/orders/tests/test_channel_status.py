"""What the channel last reported is kept apart from the status omnioms holds."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from omnioms.core.actor import Actor
from omnioms.orders.models import Order
from omnioms.sync.webhooks import receive_webhook
from omnioms.testing import make_account, make_user, manual_order, record_shipment, signed

pytestmark = pytest.mark.django_db


def test_a_shipment_recorded_here_leaves_what_the_channel_said_as_it_was() -> None:
    account = make_account()
    receive_webhook(account, **signed(manual_order("C-1", status="paid", raw_status="待发货")))
    order = Order.objects.get(external_id="C-1")
    assert (order.status, order.channel_status) == ("paid", "paid")

    record_shipment(order, "SF", "SF1", Actor.for_user(make_user("order_clerk")))

    order.refresh_from_db()
    assert (order.status, order.channel_status, order.raw_status) == ("shipped", "paid", "待发货")


def test_the_channels_next_version_sets_what_the_channel_said() -> None:
    account = make_account()
    receive_webhook(account, **signed(manual_order("C-2", status="paid")))
    receive_webhook(
        account,
        **signed(
            manual_order(
                "C-2",
                status="shipped",
                raw_status="已发货",
                updated_at="2026-03-02T02:00:00Z",
            )
        ),
    )

    order = Order.objects.get(external_id="C-2")
    assert (order.status, order.channel_status, order.raw_status) == (
        "shipped",
        "shipped",
        "已发货",
    )


def test_the_migration_fills_what_the_channel_said_from_the_stored_snapshot() -> None:
    account = make_account()
    receive_webhook(account, **signed(manual_order("C-3", status="paid")))
    order = Order.objects.get(external_id="C-3")
    record_shipment(order, "SF", "SF3", Actor.system("tests"))
    Order.objects.update(channel_status="")  # as the column is right after it was added
    migration = importlib.import_module("omnioms.orders.migrations.0007_order_channel_status")

    migration.fill_channel_status(apps, None)

    order.refresh_from_db()
    assert (order.status, order.channel_status) == ("shipped", "paid")
