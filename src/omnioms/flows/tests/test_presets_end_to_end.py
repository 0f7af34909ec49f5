"""Each preset flow end to end through the API, the self-approval rule, and a channel's fact
against a staff move: followed, ignored, or shown to a person as a conflict."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from omnioms.core.roles import Role
from omnioms.inventory.models import StockBalance
from omnioms.inventory.tests.factories import (
    account,
    order_json,
    receive,
    store,
    submit,
    warehouse,
)
from omnioms.orders.models import Order, OrderEventKind
from omnioms.testing import Api, api_as, make_user

pytestmark = pytest.mark.django_db


def _take(api: Api, order: Order, action: str, fields: dict[str, Any] | None = None) -> Any:
    response = api.post(f"/orders/{order.pk}/actions/{action}", fields or {})
    assert response.status_code == 200, (action, response.content)
    return response.json()


def _stock(code: str, location: str) -> tuple[int, int]:
    balance = StockBalance.objects.get(sku__code=code, location__code=location)
    return balance.on_hand, balance.reserved


def test_marketplace_paid_picked_shipped_completed(client: Client) -> None:
    wh = warehouse("wh-e2e")
    receive("TEE", wh, 5)
    order = submit(account("jd", platform="jd", location=wh), order_json("M-1", [("TEE", 2)]))
    clerk = api_as(client, Role.ORDER_CLERK)

    assert _take(clerk, order, "pick")["stage"] == "picked"
    shipped = _take(clerk, order, "ship", {"carrier": "JD", "tracking_number": "JD1"})
    assert (shipped["stage"], shipped["status"]) == ("shipped", "shipped")
    assert shipped["command_id"] is not None  # told to JD through the outbound queue
    assert _take(clerk, order, "complete")["status"] == "completed"
    assert _stock("TEE", "wh-e2e") == (3, 0)


def test_store_counter_paid_invoiced_handed_over(client: Client) -> None:
    shop = store("store-e2e")
    receive("MUG", shop, 4)
    counter = account("counter", platform="pos_csv", location=shop)
    order = submit(counter, order_json("S-1", [("MUG", 1)]))
    assert order.stage == "paid"
    clerk = api_as(client, Role.STORE_CLERK, store="store-e2e")

    names = [a["action"] for a in clerk.get(f"/orders/{order.pk}/actions").json()]
    assert {"issue_invoice", "hand_over", "ship", "cancel"} <= set(names)
    assert _take(clerk, order, "issue_invoice")["stage"] == "invoiced"
    invoice = order.events.get(kind=OrderEventKind.ACTION, data__action="issue_invoice")
    assert invoice.data["marks"] == {"invoice_issued": True}
    done = _take(clerk, order, "hand_over")
    assert (done["stage"], done["status"]) == ("handed_over", "completed")
    assert _stock("MUG", "store-e2e") == (3, 0)  # sold at the counter


def test_social_selling_inquiry_quote_approval_order(client: Client) -> None:
    wh = warehouse("wh-social")
    receive("VASE", wh, 3)
    wechat = account("wechat", platform="manual", location=wh)
    order = submit(wechat, order_json("Q-1", [("VASE", 2)], status="draft"))
    assert (order.stage, order.status) == ("inquiry", "draft")
    sales = api_as(client, Role.ORDER_CLERK)
    boss = make_user(Role.MANAGER)
    other_boss = api_as(client, Role.MANAGER)

    _take(sales, order, "send_quote", {"note": "2 vases, 10% off"})
    _take(api_as(client, boss), order, "request_approval", {"reason": "15% off for a repeat buyer"})
    own = api_as(client, boss).post(f"/orders/{order.pk}/actions/approve", {})
    assert own.status_code == 409
    assert "someone else" in own.json()["detail"]
    assert "approve" not in [
        a["action"] for a in api_as(client, boss).get(f"/orders/{order.pk}/actions").json()
    ]
    assert _take(other_boss, order, "approve")["stage"] == "quote_sent"
    early = sales.post(f"/orders/{order.pk}/actions/take_payment", {"amount": "90"})
    assert early.status_code == 409  # not accepted yet: the stage has no such action
    accepted = _take(sales, order, "accept")
    assert (accepted["stage"], accepted["status"]) == ("accepted", "pending_payment")
    assert _take(sales, order, "take_payment", {"amount": "90.00"})["status"] == "paid"
    assert _stock("VASE", "wh-social") == (3, 2)
    _take(
        api_as(client, Role.ORDER_CLERK), order, "ship", {"carrier": "SF", "tracking_number": "S9"}
    )
    assert _stock("VASE", "wh-social") == (1, 0)


def test_the_quote_accepted_guard_stops_payment_until_the_customer_accepted(
    client: Client,
) -> None:
    wechat = account("wechat", platform="manual")
    order = submit(wechat, order_json("Q-2", [("VASE", 1)], status="pending_payment"))
    assert order.stage == "accepted"  # the channel said so; nobody recorded an acceptance

    response = api_as(client, Role.ORDER_CLERK).post(
        f"/orders/{order.pk}/actions/take_payment", {"amount": "10"}
    )

    assert response.status_code == 409
    assert "not accepted the quote" in response.json()["detail"]


def _shipped_by_staff(client: Client) -> Order:
    wh = warehouse("wh-conflict")
    receive("TEE", wh, 5)
    shop = account("tmall", platform="taobao", location=wh)
    order = submit(shop, order_json("C-1", [("TEE", 1)], version=0))
    _take(
        api_as(client, Role.ORDER_CLERK), order, "ship", {"carrier": "SF", "tracking_number": "1"}
    )
    return order


def test_the_channel_cancelling_what_staff_shipped_is_a_conflict_not_an_overwrite(
    client: Client,
) -> None:
    order = _shipped_by_staff(client)

    submit(order.account, order_json("C-1", [("TEE", 1)], status="cancelled", version=60))

    order.refresh_from_db()
    assert (order.stage, order.status, order.channel_status) == ("shipped", "shipped", "cancelled")
    assert order.conflict is not None
    assert order.conflict["reported"] == "cancelled"
    assert order.events.filter(kind=OrderEventKind.CONFLICT).count() == 1
    clerk = api_as(client, Role.ORDER_CLERK)
    names = [a["action"] for a in clerk.get(f"/orders/{order.pk}/actions").json()]
    assert "resolve_conflict" in names
    assert "complete" in names
    kept = _take(clerk, order, "resolve_conflict", {"resolution": "ours", "note": "parcel left"})
    assert kept["stage"] == "shipped"
    order.refresh_from_db()
    assert order.conflict is None


def test_following_the_channel_when_resolving_a_conflict_moves_the_order(client: Client) -> None:
    order = _shipped_by_staff(client)
    submit(order.account, order_json("C-1", [("TEE", 1)], status="cancelled", version=60))

    moved = _take(
        api_as(client, Role.ORDER_CLERK), order, "resolve_conflict", {"resolution": "channel"}
    )

    assert (moved["stage"], moved["status"]) == ("cancelled", "cancelled")


def test_the_order_follows_the_channel_ahead_and_ignores_it_lagging_behind(
    client: Client,
) -> None:
    wh = warehouse("wh-follow")
    receive("TEE", wh, 5)
    shop = account("tmall", platform="taobao", location=wh)
    order = submit(shop, order_json("F-1", [("TEE", 1)], status="pending_payment", version=0))
    assert order.stage == "awaiting_payment"

    submit(shop, order_json("F-1", [("TEE", 1)], status="paid", version=10))
    order.refresh_from_db()
    assert order.stage == "to_pick"
    _take(api_as(client, Role.ORDER_CLERK), order, "pick")
    submit(shop, order_json("F-1", [("TEE", 1)], status="paid", version=20, buyer={"name": "新"}))
    order.refresh_from_db()
    assert order.stage == "picked"  # the channel said nothing new about the status
    submit(shop, order_json("F-1", [("TEE", 1)], status="shipped", version=30))
    order.refresh_from_db()
    assert (order.stage, order.status) == ("shipped", "shipped")
    assert order.conflict is None
