"""The order's actions through the REST API, on the three preset flows: what a caller may do
now, taking it, and each refusal with its status code."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from omnioms.channels.models import OutboundCommand
from omnioms.core.roles import Role
from omnioms.flows.services import take_action
from omnioms.inventory.models import StockBalance
from omnioms.inventory.tests.factories import account, order_json, receive, submit, warehouse
from omnioms.orders.models import Order, OrderEventKind
from omnioms.testing import api_as, make_user

pytestmark = pytest.mark.django_db


def _stock(code: str = "TEE", location: str = "wh-flow") -> tuple[int, int]:
    balance = StockBalance.objects.get(sku__code=code, location__code=location)
    return balance.on_hand, balance.reserved


def _marketplace_order(quantity: int = 3, **fields: Any) -> Order:
    wh = warehouse("wh-flow")
    receive("TEE", wh, 10)
    receive("CAP", wh, 10)
    shop = account("tmall", platform="taobao", location=wh)
    return submit(
        shop,
        order_json(
            "T-1",
            [("TEE", quantity), ("CAP", 1)],
            buyer={"name": "买家", "email": "b@example.com"},
            **fields,
        ),
    )


def _names(response: object) -> list[str]:
    return [item["action"] for item in response.json()]  # type: ignore[attr-defined]


def test_a_paid_marketplace_order_offers_the_clerk_its_stage_actions(client: Client) -> None:
    order = _marketplace_order()
    assert (order.stage, order.status) == ("to_pick", "paid")

    response = api_as(client, Role.ORDER_CLERK).get(f"/orders/{order.pk}/actions")

    assert response.status_code == 200
    names = _names(response)
    assert {"pick", "hold", "ship", "cancel", "change_address", "split", "refund"} <= set(names)
    assert "resolve_conflict" not in names  # its guard: no conflict is open
    ship = next(item for item in response.json() if item["action"] == "ship")
    assert ship["label"] == "Ship"
    assert [f["name"] for f in ship["fields"]] == ["carrier", "tracking_number", "lines"]


def test_partial_shipments_each_with_their_tracking_number_reach_the_channel(
    client: Client,
) -> None:
    order = _marketplace_order()
    api = api_as(client, Role.ORDER_CLERK)

    first = api.post(
        f"/orders/{order.pk}/actions/ship",
        {"carrier": "SF", "tracking_number": "SF1", "lines": [{"line": "#1", "quantity": 2}]},
    )
    assert first.status_code == 200, first.content
    assert first.json()["stage"] == "partially_shipped"
    assert first.json()["status"] == "partially_shipped"
    assert _stock() == (8, 1)  # the two units left; the third stays reserved
    second = api.post(
        f"/orders/{order.pk}/actions/ship", {"carrier": "YTO", "tracking_number": "YT2"}
    )
    assert second.status_code == 200, second.content
    assert (second.json()["stage"], second.json()["status"]) == ("shipped", "shipped")

    commands = list(OutboundCommand.objects.filter(order=order).order_by("pk"))
    assert [c.payload["tracking_number"] for c in commands] == ["SF1", "YT2"]
    assert commands[0].payload["lines"] == [["#1", 2]]
    assert second.json()["command_id"] == commands[1].pk
    lines = list(order.lines.order_by("position").values_list("shipped_quantity", flat=True))
    assert lines == [3, 1]
    assert _stock() == (7, 0)


def test_shipping_more_than_is_left_is_refused_naming_the_line(client: Client) -> None:
    order = _marketplace_order()

    response = api_as(client, Role.ORDER_CLERK).post(
        f"/orders/{order.pk}/actions/ship",
        {"carrier": "SF", "tracking_number": "SF1", "lines": [{"line": "#1", "quantity": 4}]},
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "lines"
    assert "3 units left" in response.json()["errors"][0]["message"]
    order.refresh_from_db()
    assert order.stage == "to_pick"


def test_a_missing_field_is_a_400_naming_it(client: Client) -> None:
    order = _marketplace_order()

    response = api_as(client, Role.ORDER_CLERK).post(f"/orders/{order.pk}/actions/cancel", {})

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "reason", "message": "is required"}]


def test_an_action_the_flow_does_not_have_is_a_404(client: Client) -> None:
    order = _marketplace_order()

    response = api_as(client, Role.ORDER_CLERK).post(f"/orders/{order.pk}/actions/teleport", {})

    assert response.status_code == 404


def test_a_role_the_action_does_not_name_gets_a_403(client: Client) -> None:
    wh = warehouse("wh-flow")
    receive("TEE", wh, 10)
    counter = account("counter", platform="pos_csv", location=wh)
    order = submit(counter, order_json("C-1", [("TEE", 1)]))
    assert order.stage == "paid"

    response = api_as(client, Role.ORDER_CLERK).post(
        f"/orders/{order.pk}/actions/refund", {"amount": "10", "reason": "broken"}
    )

    assert response.status_code == 403
    assert "refund" not in _names(
        api_as(client, Role.ORDER_CLERK).get(f"/orders/{order.pk}/actions")
    )
    manager = api_as(client, Role.MANAGER)
    assert "refund" in _names(manager.get(f"/orders/{order.pk}/actions"))


def test_a_guard_that_fails_is_a_409_with_its_reason(client: Client) -> None:
    wh = warehouse("wh-flow")
    receive("TEE", wh, 1)
    shop = account("tmall", platform="taobao", location=wh)
    order = submit(shop, order_json("T-9", [("TEE", 5)]))  # backordered: nothing reserved

    api = api_as(client, Role.ORDER_CLERK)
    response = api.post(f"/orders/{order.pk}/actions/pick", {})

    assert response.status_code == 409
    assert "not reserved" in response.json()["detail"]
    assert "pick" not in _names(api.get(f"/orders/{order.pk}/actions"))


def test_an_action_on_a_stage_the_order_has_left_changes_nothing() -> None:
    order = _marketplace_order()
    clerk = make_user(Role.ORDER_CLERK)
    seen = Order.objects.get(pk=order.pk)  # the page one clerk has open
    take_action(order, "hold", {"reason": "address check"}, clerk)

    from omnioms.flows.services import ActionRefused

    with pytest.raises(ActionRefused, match="moved on"):
        take_action(seen, "pick", {}, clerk)
    order.refresh_from_db()
    assert order.stage == "on_hold"


def test_cancelling_with_a_reason_frees_the_stock_and_records_the_reason(client: Client) -> None:
    order = _marketplace_order()
    assert _stock() == (10, 3)

    response = api_as(client, Role.ORDER_CLERK).post(
        f"/orders/{order.pk}/actions/cancel", {"reason": "buyer asked"}
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert _stock() == (10, 0)
    event = order.events.filter(kind=OrderEventKind.ACTION).get()
    assert event.data["fields"] == {"reason": "buyer asked"}
    assert order.events.filter(kind="status_changed", data__reason="buyer asked").exists()


def test_refund_and_return_per_line_put_sellable_units_back_and_the_rest_in_quarantine(
    client: Client,
) -> None:
    order = _marketplace_order()
    api = api_as(client, Role.ORDER_CLERK)
    assert (
        api.post(
            f"/orders/{order.pk}/actions/ship", {"carrier": "SF", "tracking_number": "SF1"}
        ).status_code
        == 200
    )
    assert _stock() == (7, 0)

    refund = api.post(
        f"/orders/{order.pk}/actions/refund",
        {"lines": [{"line": "#1", "quantity": 2}], "amount": "20.00", "reason": "too small"},
    )
    assert refund.status_code == 200, refund.content
    assert refund.json()["stage"] == "shipped"  # in part: the order stays where it was
    back = api.post(
        f"/orders/{order.pk}/actions/receive_return",
        {"lines": [{"line": "#1", "quantity": 1}], "inspection": "sellable", "reason": "ok"},
    )
    assert back.status_code == 200, back.content
    bad = api.post(
        f"/orders/{order.pk}/actions/receive_return",
        {"lines": [{"line": "#1", "quantity": 1}], "inspection": "quarantine", "reason": "torn"},
    )
    assert bad.status_code == 200, bad.content

    assert _stock() == (8, 0)
    assert _stock(location="quarantine") == (1, 0)
    line = order.lines.get(position=1)
    assert (line.refunded_quantity, line.returned_quantity) == (2, 2)
    too_many = api.post(
        f"/orders/{order.pk}/actions/receive_return",
        {"lines": [{"line": "#1", "quantity": 2}], "inspection": "sellable", "reason": "x"},
    )
    assert too_many.status_code == 400


def test_an_address_change_before_shipping_is_kept_with_what_it_replaced(client: Client) -> None:
    order = _marketplace_order(province="浙江省")
    new = {"name": "王", "address": "西湖路 1 号", "city": "杭州", "province": "浙江省"}

    response = api_as(client, Role.ORDER_CLERK).post(
        f"/orders/{order.pk}/actions/change_address", {"address": new, "reason": "buyer called"}
    )

    assert response.status_code == 200, response.content
    order.refresh_from_db()
    assert order.ship_to == new
    event = order.events.filter(kind=OrderEventKind.ACTION).get()
    assert event.data["changes"]["ship_to"][1] == new


def test_splitting_an_order_moves_units_and_their_reservation_to_a_new_order(
    client: Client,
) -> None:
    order = _marketplace_order()

    response = api_as(client, Role.ORDER_CLERK).post(
        f"/orders/{order.pk}/actions/split",
        {
            "lines": [{"line": "#1", "quantity": 1}, {"line": "#2", "quantity": 1}],
            "reason": "two parcels",
        },
    )

    assert response.status_code == 200, response.content
    split = Order.objects.get(pk=response.json()["split_order_id"])
    assert split.external_id == "T-1~2"
    assert (split.stage, split.flow_version_id) == (order.stage, order.flow_version_id)
    assert [(line.sku_code, line.quantity) for line in order.lines.order_by("position")] == [
        ("TEE", 2)
    ]
    assert [(line.sku_code, line.quantity) for line in split.lines.all()] == [
        ("TEE", 1),
        ("CAP", 1),
    ]
    assert _stock() == (10, 3)
    assert _stock("CAP") == (10, 1)
