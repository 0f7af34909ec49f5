"""Shipments go back to the platform: queued with the order change, sent, retried, visible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from omnioms.api.services import create_token
from omnioms.channels.models import ChannelAccount, CommandState, OutboundCommand
from omnioms.channels.tests.replay_server import FakeShopify, ReplayServer, Reply, shopify_order
from omnioms.cli import build_parser
from omnioms.core.actor import Actor
from omnioms.orders.domain import ShipmentError, ShipmentLine
from omnioms.orders.flows import TransitionNotAllowed
from omnioms.orders.models import Order, OrderEvent
from omnioms.sync.outbound import (
    retry_commands,
    send_due,
)
from omnioms.sync.pull import pull_account
from omnioms.testing import make_account, make_user, manual_order, record_shipment

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CLERK = Actor(kind="user", label="clerk")


def pulled_order(shop: FakeShopify, n: int = 1, **credentials: object) -> Order:
    """A paid Shopify order, pulled from the fake shop into a fresh account."""
    shop.add(shopify_order(n, updated_at=NOW - timedelta(hours=1)))
    account = make_account(platform="shopify", currency="USD")
    account.api_credentials = shop.credentials(**credentials)
    account.save()
    pull_account(account, now=NOW)
    order = Order.objects.get(account=account)
    # The fixture order is partly fulfilled on Shopify; here it waits to be shipped.
    Order.objects.filter(pk=order.pk).update(status="paid")
    order.refresh_from_db()
    return order


def due_now() -> None:
    OutboundCommand.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_shipping_an_order_queues_the_command_in_the_same_change(shop: FakeShopify) -> None:
    order = pulled_order(shop)
    command = record_shipment(order, "UPS", " 1Z999 ", CLERK)

    assert command is not None
    order.refresh_from_db()
    assert order.status == "shipped"
    assert (command.state, command.attempts, command.kind) == ("pending", 0, "mark_shipped")
    assert command.payload["tracking_number"] == "1Z999"
    kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds[-2:] == ["status_changed", "note"]
    note = OrderEvent.objects.filter(order=order, kind="note").get()
    assert note.data["command"] == command.pk
    assert "1Z999" in note.data["text"]
    assert not shop.fulfillments  # nothing is sent inside the request

    assert send_due() == 1
    command.refresh_from_db()
    assert (command.state, command.attempts, command.last_error) == ("sent", 1, "")
    assert command.sent_at is not None
    assert shop.fulfillments[0]["tracking_info"] == {"number": "1Z999", "company": "UPS"}
    assert send_due() == 0
    sent = OrderEvent.objects.filter(order=order, kind="note").order_by("pk").last()
    assert sent is not None
    assert sent.data["outbound"]["state"] == "sent"
    assert sent.data["command"] == command.pk
    assert "accepted the shipment with tracking number 1Z999" in sent.data["text"]


def test_a_platform_error_is_retried_later_and_then_sent_once(
    shop: FakeShopify, server: ReplayServer
) -> None:
    order = pulled_order(shop, max_attempts=1)
    record_shipment(order, "UPS", "1Z1", CLERK)
    server.inject("/fulfillments.json", status=503)

    assert send_due() == 1
    command = OutboundCommand.objects.get()
    assert (command.state, command.attempts) == ("pending", 1)
    assert "503" in command.last_error
    assert command.next_attempt_at > timezone.now()
    assert send_due() == 0  # not due yet
    # a retry to come is not news on the order's page
    assert not OrderEvent.objects.filter(order=order, data__has_key="outbound").exists()

    due_now()
    assert send_due() == 1
    command.refresh_from_db()
    assert command.state == "sent"
    assert len(shop.fulfillments) == 1


def test_a_refused_command_fails_visibly_and_can_be_retried(
    shop: FakeShopify, server: ReplayServer
) -> None:
    order = pulled_order(shop)
    record_shipment(order, "UPS", "1Z2", CLERK)
    fulfil = next(i for i, route in enumerate(server.routes) if "fulfillments" in route[1].pattern)
    real = server.routes[fulfil]
    server.routes[fulfil] = (
        real[0],
        real[1],
        lambda request: Reply.json({"errors": {"tracking": ["is invalid"]}}, 422),
    )

    send_due()
    command = OutboundCommand.objects.get()
    assert command.state == CommandState.FAILED
    assert "422" in command.last_error
    assert "is invalid" in command.last_error
    failed = OrderEvent.objects.get(order=order, data__outbound__state="failed")
    assert "was not told of the shipment with tracking number 1Z2" in failed.data["text"]
    assert "is invalid" in failed.data["text"]
    assert "Retry the outbound command in the admin" in failed.data["text"]

    server.routes[fulfil] = real
    assert retry_commands([command.pk]) == 1
    send_due()
    command.refresh_from_db()
    assert (command.state, command.attempts) == ("sent", 1)


def test_attempts_run_out(shop: FakeShopify, server: ReplayServer) -> None:
    order = pulled_order(shop, max_attempts=1)
    record_shipment(order, "UPS", "1Z3", CLERK)
    OutboundCommand.objects.update(attempts=9)
    server.inject("/fulfillments.json", status=500)
    send_due()
    command = OutboundCommand.objects.get()
    assert (command.state, command.attempts) == ("failed", 10)


def test_a_partial_shipment_names_its_lines(shop: FakeShopify) -> None:
    order = pulled_order(shop)
    line = order.lines.order_by("position").first()
    assert line is not None
    command = record_shipment(
        order, "UPS", "1Z4", CLERK, lines=[ShipmentLine(line.external_line_id, 1)]
    )
    order.refresh_from_db()
    assert order.status == "partially_shipped"
    assert command is not None
    assert command.payload["lines"] == [[line.external_line_id, 1]]
    send_due()
    sent = shop.fulfillments[0]["line_items_by_fulfillment_order"][0]
    assert sent["fulfillment_order_line_items"][0]["quantity"] == 1


@pytest.mark.parametrize(
    ("carrier", "tracking", "lines", "message"),
    [
        ("", "1Z", [], "carrier: is required"),
        ("UPS", "  ", [], "tracking_number: is required"),
        ("UPS", "1Z", [ShipmentLine("nope", 1)], "the order has no line 'nope'"),
        ("UPS", "1Z", [ShipmentLine("L1", 0)], "must be positive"),
    ],
)
def test_bad_shipments_are_refused_naming_the_field(
    carrier: str, tracking: str, lines: list[ShipmentLine], message: str
) -> None:
    account = make_account(platform="manual")
    from omnioms.channels.contract import NormalizedOrder
    from omnioms.sync.services import submit_order

    normalized = NormalizedOrder.model_validate({**manual_order("S-1"), "channel": "manual"})
    payload = submit_order(account, normalized, actor=CLERK)
    assert payload.order_id is not None
    order = Order.objects.get(pk=payload.order_id)
    with pytest.raises(ShipmentError) as caught:
        record_shipment(order, carrier, tracking, CLERK, lines=lines)
    assert message in str(caught.value)
    order.refresh_from_db()
    assert order.status == "paid"
    assert not OutboundCommand.objects.exists()


def manual_paid_order(status: str = "paid") -> Order:
    from omnioms.channels.contract import NormalizedOrder
    from omnioms.sync.services import submit_order

    account = make_account(platform="manual")
    normalized = NormalizedOrder.model_validate(
        {**manual_order(status=status), "channel": "manual"}
    )
    payload = submit_order(account, normalized, actor=CLERK)
    assert payload.order_id is not None
    return Order.objects.get(pk=payload.order_id)


def test_an_order_without_a_platform_api_ships_without_a_command() -> None:
    order = manual_paid_order()
    assert record_shipment(order, "SF", "SF1", CLERK) is None
    order.refresh_from_db()
    assert order.status == "shipped"
    assert not OutboundCommand.objects.exists()


def test_an_unpaid_order_cannot_ship() -> None:
    order = manual_paid_order(status="pending_payment")
    with pytest.raises(TransitionNotAllowed):
        record_shipment(order, "SF", "SF1", CLERK)
    assert not OrderEvent.objects.filter(order=order, kind="note").exists()


# ----------------------------------------------------------------------------------------------
# API and CLI


def test_api_records_a_shipment(shop: FakeShopify) -> None:
    order = pulled_order(shop)
    user = make_user("order_clerk")
    client = Client(headers={"Authorization": f"Bearer {create_token(user)}"})
    url = f"/api/v1/orders/{order.pk}/shipments"

    response = client.post(
        url, {"carrier": "UPS", "tracking_number": "1Z5"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["command_state"]) == ("shipped", "pending")
    assert OutboundCommand.objects.get().pk == body["command_id"]

    bad = client.post(
        url,
        {
            "carrier": "UPS",
            "tracking_number": "1Z6",
            "lines": [{"external_line_id": "x", "quantity": 1}],
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "no line 'x'" in bad.json()["detail"]
    missing = client.post(
        "/api/v1/orders/999999/shipments",
        {"carrier": "UPS", "tracking_number": "1"},
        content_type="application/json",
    )
    assert missing.status_code == 404


def test_api_refuses_shipping_an_unpaid_order() -> None:
    order = manual_paid_order(status="pending_payment")
    user = make_user("order_clerk")
    client = Client(headers={"Authorization": f"Bearer {create_token(user)}"})
    response = client.post(
        f"/api/v1/orders/{order.pk}/shipments",
        {"carrier": "SF", "tracking_number": "SF9"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "cannot move" in response.json()["detail"]


def test_cli_pull_and_reconcile(shop: FakeShopify, capsys: pytest.CaptureFixture[str]) -> None:
    shop.add(shopify_order(1, updated_at=timezone.now() - timedelta(hours=1)))
    account: ChannelAccount = make_account("cli-shop", platform="shopify", currency="USD")
    account.api_credentials = shop.credentials()
    account.save()

    args = build_parser().parse_args(["pull", "cli-shop"])
    assert args.func(args) == 0
    assert "1 created" in capsys.readouterr().out
    args = build_parser().parse_args(["reconcile", "cli-shop", "--hours", "5"])
    assert args.func(args) == 0
    assert "0 missing, 0 stale" in capsys.readouterr().out

    args = build_parser().parse_args(["pull", "nobody"])
    assert args.func(args) == 2
    assert "no channel account named 'nobody'" in capsys.readouterr().err
    args = build_parser().parse_args(["pull", "cli-shop", "--since", "yesterday"])
    assert args.func(args) == 2
