"""Cancellations, refunds and address changes go back to the platforms: queued by the flow's
``queue_write_back`` effect in the action's transaction, sent by the outbound worker to a
local server that checks the credentials and records the bodies, refusals shown."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from omnioms.channels.models import ChannelAccount, CommandState, OutboundCommand
from omnioms.channels.tests.replay_server import (
    FakeShopify,
    ReplayServer,
    Reply,
    Request,
    shopify_order,
)
from omnioms.core.roles import Role
from omnioms.flows.services import take_action
from omnioms.inventory.tests.factories import account, order_json, submit
from omnioms.orders.models import Order, OrderEvent
from omnioms.sync.outbound import retry_commands, send_due
from omnioms.sync.pull import pull_account
from omnioms.testing import make_account, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def shopify_paid_order(shop: FakeShopify) -> Order:
    """A paid Shopify order, pulled from the fake shop, nothing shipped yet."""
    data = shopify_order(1, updated_at=NOW - timedelta(hours=1))
    data["fulfillment_status"] = None
    shop.add(data)
    acct = make_account(platform="shopify", currency="USD")
    acct.api_credentials = shop.credentials()
    acct.save()
    pull_account(acct, now=NOW)
    order = Order.objects.get(account=acct)
    Order.objects.filter(pk=order.pk).update(status="paid", stage="to_pick")
    order.lines.update(shipped_quantity=0)
    order.refresh_from_db()
    return order


def act(order: Order, action: str, fields: dict[str, Any]) -> Any:
    return take_action(order, action, fields, make_user(Role.ORDER_CLERK))


def last_note(order: Order) -> OrderEvent:
    event = OrderEvent.objects.filter(order=order, data__has_key="outbound").order_by("pk").last()
    assert event is not None
    return event


def test_a_cancellation_is_queued_with_the_move_and_sent_to_shopify(shop: FakeShopify) -> None:
    order = shopify_paid_order(shop)

    result = act(order, "cancel", {"reason": "buyer changed their mind"})

    assert result.status == "cancelled"
    command = OutboundCommand.objects.get(order=order)
    assert (command.kind, command.state) == ("cancel_order", "pending")
    assert command.payload == {"reason": "buyer changed their mind"}
    assert result.results["outbound_command"] == command
    assert not shop.cancellations  # nothing is sent inside the request

    assert send_due() == 1
    command.refresh_from_db()
    assert command.state == CommandState.SENT
    assert shop.cancellations == [(order.external_id, {"reason": "other", "email": False})]
    assert shop.orders[order.external_id]["cancelled_at"]
    assert "accepted the cancellation" in last_note(order).data["text"]


def test_a_cancellation_retried_after_a_lost_answer_is_not_sent_twice(
    shop: FakeShopify,
) -> None:
    order = shopify_paid_order(shop)
    act(order, "cancel", {"reason": "out of stock"})
    send_due()
    command = OutboundCommand.objects.get(order=order)
    OutboundCommand.objects.filter(pk=command.pk).update(
        state="pending", next_attempt_at=timezone.now()
    )

    send_due()

    command.refresh_from_db()
    assert command.state == CommandState.SENT
    assert len(shop.cancellations) == 1


def test_a_partial_refund_names_its_lines_and_money_and_is_sent_once(shop: FakeShopify) -> None:
    order = shopify_paid_order(shop)
    line = order.lines.order_by("position").first()
    assert line is not None
    assert line.quantity == 2

    act(
        order,
        "refund",
        {
            "lines": [{"line": line.external_line_id, "quantity": 1}],
            "reason": "torn",
            "amount": "22.50",
        },
    )

    command = OutboundCommand.objects.get(order=order, kind="refund")
    assert command.payload["lines"] == [
        {"line": line.external_line_id, "quantity": 1, "amount": "22.50"}
    ]
    assert (command.payload["amount"], command.payload["currency"]) == ("22.50", "USD")
    send_due()
    command.refresh_from_db()
    assert command.state == CommandState.SENT, command.last_error
    (made,) = shop.refunds[order.external_id]
    assert made["refund_line_items"] == [
        {"line_item_id": int(line.external_line_id), "quantity": 1, "restock_type": "no_restock"}
    ]
    assert made["transactions"] == [
        {"parent_id": 7001, "amount": "22.50", "kind": "refund", "gateway": "shopify_payments"}
    ]
    assert f"omnioms #{command.pk}" in made["note"]

    # The answer was lost and the command is sent again: the refund is found, not repeated.
    OutboundCommand.objects.filter(pk=command.pk).update(
        state="pending", next_attempt_at=timezone.now()
    )
    send_due()
    assert len(shop.refunds[order.external_id]) == 1


def test_a_refund_the_platform_refuses_fails_visibly_and_can_be_retried(
    shop: FakeShopify, server: ReplayServer
) -> None:
    order = shopify_paid_order(shop)
    act(order, "refund", {"amount": "10.00", "reason": "scratched"})
    index = max(
        i
        for i, r in enumerate(server.routes)
        if r[0] == "POST" and r[1].pattern.endswith("refunds\\.json")
    )
    real = server.routes[index]
    server.routes[index] = (
        real[0],
        real[1],
        lambda request: Reply.json({"errors": {"base": ["Gateway declined the refund"]}}, 422),
    )

    send_due()

    command = OutboundCommand.objects.get(order=order)
    assert command.state == CommandState.FAILED
    assert "422" in command.last_error
    assert "Gateway declined" in command.last_error
    note = last_note(order)
    assert note.data["outbound"]["state"] == "failed"
    assert "was not told of the refund" in note.data["text"]
    assert "Gateway declined" in note.data["text"]
    order.refresh_from_db()
    assert order.status == "refunded"  # what omnioms recorded stays; the person retries

    server.routes[index] = real
    assert retry_commands([command.pk]) == 1
    send_due()
    command.refresh_from_db()
    assert command.state == CommandState.SENT
    (made,) = shop.refunds[order.external_id]
    assert made["transactions"][0]["amount"] == "10.00"
    assert made["note"].startswith("scratched (omnioms #")


def test_a_refund_larger_than_shopify_allows_is_refused_naming_the_limit(
    shop: FakeShopify,
) -> None:
    order = shopify_paid_order(shop)
    act(order, "refund", {"amount": "999.00", "reason": "goodwill"})
    send_due()
    command = OutboundCommand.objects.get(order=order)
    assert command.state == CommandState.FAILED
    assert "Shopify can refund at most 60.50 USD, not 999.00" in command.last_error
    assert order.external_id not in shop.refunds


def test_a_new_address_is_put_on_the_shopify_order(shop: FakeShopify) -> None:
    order = shopify_paid_order(shop)
    address = {
        "name": "Li Lei",
        "phone": "13800000000",
        "address": "1 Nanjing Rd",
        "city": "Shanghai",
        "country": "CN",
        "postal_code": "200000",
    }

    act(order, "change_address", {"address": address, "reason": "buyer moved"})

    command = OutboundCommand.objects.get(order=order)
    assert command.kind == "change_address"
    send_due()
    command.refresh_from_db()
    assert command.state == CommandState.SENT
    ((order_id, sent),) = shop.address_changes
    assert order_id == order.external_id
    assert sent["address1"] == "1 Nanjing Rd"
    assert (sent["name"], sent["city"], sent["zip"]) == ("Li Lei", "Shanghai", "200000")
    assert "accepted the new shipping address" in last_note(order).data["text"]


def test_a_wrong_access_token_is_a_failure_shown_on_the_order(shop: FakeShopify) -> None:
    order = shopify_paid_order(shop)
    ChannelAccount.objects.filter(pk=order.account_id).update(
        api_credentials=shop.credentials(token="shpat_wrong")
    )
    act(order, "cancel", {"reason": "fraud"})
    send_due()
    command = OutboundCommand.objects.get(order=order)
    assert command.state == CommandState.FAILED
    assert "401" in command.last_error
    assert not shop.cancellations


# ----------------------------------------------------------------------------------------------
# WooCommerce

KEY, SECRET = "ck_test", "cs_test"


class FakeWoo:
    """The WooCommerce REST endpoints the write-back calls; Basic auth checked, bodies kept."""

    def __init__(self, server: ReplayServer) -> None:
        self.server = server
        self.requests: list[tuple[str, str, Any]] = []
        self.refunds: list[dict[str, Any]] = []
        api = "/wp-json/wc/v3"
        server.route("POST", rf"{api}/orders/(\d+)/notes", self._record)
        server.route("PUT", rf"{api}/orders/(\d+)", self._record)
        server.route("GET", rf"{api}/orders/(\d+)/refunds", self._list_refunds)
        server.route("POST", rf"{api}/orders/(\d+)/refunds", self._refund)

    def credentials(self) -> dict[str, Any]:
        return {
            "base_url": self.server.url,
            "consumer_key": KEY,
            "consumer_secret": SECRET,
            "backoff": 0.01,
            "max_backoff": 0.05,
        }

    def _denied(self, request: Request) -> Reply | None:
        expected = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return Reply.json({"code": "woocommerce_rest_cannot_view"}, 401)
        return None

    def _record(self, request: Request) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        self.requests.append((request.method, request.path, request.json()))
        return Reply.json({"id": 1})

    def _list_refunds(self, request: Request) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        return Reply.json(self.refunds)

    def _refund(self, request: Request) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        body = request.json()
        if Decimal(body["amount"]) > Decimal("30.00"):
            return Reply.json(
                {"code": "woocommerce_rest_invalid_refund_amount", "message": "Invalid amount"},
                400,
            )
        self.refunds.append(body)
        return Reply.json({"id": len(self.refunds), **body}, 201)


def woo_order(woo: FakeWoo) -> Order:
    acct = account("woo", platform="woocommerce")
    acct.api_credentials = woo.credentials()
    acct.save()
    data = order_json("4711", [("TEE", 2), ("CAP", 1)])
    for number, row in enumerate(data["lines"], start=1):
        row["external_line_id"] = str(500 + number)
    return submit(acct, data)


def test_woocommerce_is_told_of_a_cancellation_refund_and_address(server: ReplayServer) -> None:
    woo = FakeWoo(server)
    order = woo_order(woo)
    act(
        order,
        "change_address",
        {"address": {"name": "Han Meimei", "address": "2 Road"}, "reason": "moved"},
    )
    order.refresh_from_db()
    act(
        order,
        "refund",
        {"lines": [{"line": "501", "quantity": 1}], "reason": "late", "amount": "10.00"},
    )
    order.refresh_from_db()
    act(order, "cancel", {"reason": "buyer asked"})
    assert send_due() == 3

    states = dict(OutboundCommand.objects.values_list("kind", "state"))
    assert states == {"change_address": "sent", "refund": "sent", "cancel_order": "sent"}
    refund_id = OutboundCommand.objects.get(kind="refund").pk
    assert woo.refunds == [
        {
            "amount": "10.00",
            "reason": f"late (omnioms #{refund_id})",
            "line_items": [{"id": 501, "quantity": 1, "refund_total": "10.00"}],
            "api_refund": True,
        }
    ]
    path = "/wp-json/wc/v3/orders/4711"
    assert woo.requests[0][:2] == ("PUT", path)
    assert woo.requests[0][2]["shipping"]["first_name"] == "Han"
    assert woo.requests[0][2]["shipping"]["address_1"] == "2 Road"
    assert woo.requests[1][:2] == ("POST", path + "/notes")
    assert "buyer asked" in woo.requests[1][2]["note"]
    assert woo.requests[2] == ("PUT", path, {"status": "cancelled"})


def test_woocommerce_refusing_a_refund_fails_with_its_message(server: ReplayServer) -> None:
    woo = FakeWoo(server)
    order = woo_order(woo)
    act(order, "refund", {"amount": "45.00", "reason": "goodwill"})
    send_due()
    command = OutboundCommand.objects.get()
    assert command.state == CommandState.FAILED
    assert "400" in command.last_error
    assert "Invalid amount" in command.last_error
    assert not woo.refunds


# ----------------------------------------------------------------------------------------------
# Platforms whose API has no such call


def test_a_platform_without_the_call_gets_no_command_and_the_person_is_told(
    server: ReplayServer,
) -> None:
    tmall = account("tmall", platform="taobao")
    order = submit(tmall, order_json("T-9", [("TEE", 1)]))

    result = act(order, "cancel", {"reason": "buyer asked"})

    assert result.status == "cancelled"
    assert result.results["write_back"] == "manual"
    assert not OutboundCommand.objects.exists()
    event = OrderEvent.objects.filter(order=order, data__has_key="action").order_by("pk").last()
    assert event is not None
    assert any("seller centre" in note for note in event.data["notes"])
    assert json.dumps(event.data)  # the timeline row stays JSON


def test_the_order_page_words_each_kind_of_outbound_note_in_the_readers_language() -> None:
    from django.utils import translation

    from omnioms.web.presenters import _shipping_text

    data = {"account": "shop", "outbound": {"kind": "refund", "state": "failed", "error": "x"}}
    # English stated, not assumed: a test client request in Chinese leaves the thread in it.
    with translation.override("en"):
        assert _shipping_text(data).startswith("shop was not told of the refund: x.")
    data["outbound"] = {"kind": "cancel_order", "state": "sent"}
    with translation.override("zh-hans"):
        assert _shipping_text(data) == "shop 已接受取消订单。"
    data["outbound"] = {"kind": "mark_shipped", "state": "sent"}
    data["tracking_number"] = "SF1"
    with translation.override("en"):
        assert _shipping_text(data) == "shop accepted the shipment with tracking number SF1."
