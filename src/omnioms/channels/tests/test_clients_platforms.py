"""WooCommerce, Square, Amazon, JD and Pinduoduo clients over real HTTP: each answer the replay
server gives from the fixtures becomes records the platform's adapter normalises."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import AdapterContext, Record
from omnioms.channels.clients import AvailabilityItem, ClientError, Shipment, get_client
from omnioms.channels.clients import jd as jd_client
from omnioms.channels.clients import pinduoduo as pdd_client
from omnioms.channels.models import ChannelAccount
from omnioms.channels.tests.replay_server import FIXTURES, ReplayServer, Reply, Request

T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
FAST = {"backoff": 0.01, "max_backoff": 0.02, "rate_per_second": 1000, "burst": 1000}


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as running:
        yield running


def client_for(platform: str, **credentials: Any) -> Any:
    account = ChannelAccount(
        name=f"{platform}-{id(credentials)}",
        platform=platform,
        api_credentials={**FAST, **credentials},
        default_currency="USD",
    )
    return get_client(account)


def read_all(client: Any, since: datetime, until: datetime) -> list[Record]:
    records: list[Record] = []
    cursor = None
    while True:
        page = client.fetch_updated(since, until, cursor)
        records += page.records
        if (cursor := page.next_cursor) is None:
            return records


def normalised_ids(platform: str, records: list[Record]) -> list[str]:
    adapter = get_adapter(platform)
    context = AdapterContext(currency="USD")
    return [adapter.normalize(record, context).external_id for record in records]


def published_json(published_payload: Callable[[str], bytes], relative: str) -> Any:
    return json.loads(published_payload(relative))


# ----------------------------------------------------------------------------------------------
# WooCommerce


def test_woocommerce_pages_fetches_ships_and_sets_stock(
    server: ReplayServer, published_payload: Callable[[str], bytes]
) -> None:
    template = published_json(published_payload, "woocommerce/order_727_retrieve_wp-api-v3.json")
    orders = []
    for n in range(5):
        order = copy.deepcopy(template)
        order["id"] = 1000 + n
        orders.append(order)
    expected_auth = "Basic " + base64.b64encode(b"ck_1:cs_2").decode()
    puts: list[tuple[str, Any]] = []
    notes: list[Any] = []

    def listing(request: Request) -> Reply:
        assert request.headers["Authorization"] == expected_auth
        assert request.query["dates_are_gmt"] == "true"
        page, size = int(request.query["page"]), int(request.query["per_page"])
        chunk = orders[(page - 1) * size : page * size]
        return Reply.json(chunk, **{"X-WP-Total": str(len(orders))})

    def one(request: Request) -> Reply:
        order_id = int(request.path.rsplit("/", 1)[1])
        if request.method == "PUT":
            puts.append((request.path, request.json()))
            return Reply.json({"id": order_id})
        return Reply.json(next(o for o in orders if o["id"] == order_id))

    def note(request: Request) -> Reply:
        notes.append(request.json())
        return Reply.json({"id": 1}, 201)

    def products(request: Request) -> Reply:
        sku = request.query["sku"]
        known = {
            "TEE-M": {"id": 31, "sku": "TEE-M", "parent_id": 30},
            "MUG": {"id": 40, "sku": "MUG"},
        }
        return Reply.json([known[sku]] if sku in known else [])

    def product_put(request: Request) -> Reply:
        puts.append((request.path, request.json()))
        return Reply.json({})

    api = "/wp-json/wc/v3"
    server.route("GET", f"{api}/orders", listing)
    server.route("GET", rf"{api}/orders/\d+", one)
    server.route("PUT", rf"{api}/orders/\d+", one)
    server.route("POST", rf"{api}/orders/\d+/notes", note)
    server.route("GET", f"{api}/products", products)
    server.route("PUT", rf"{api}/products/.+", product_put)
    client = client_for(
        "woocommerce",
        base_url=server.url,
        consumer_key="ck_1",
        consumer_secret="cs_2",
        page_size=2,
    )

    records = read_all(client, T0, T0 + timedelta(hours=1))
    assert sorted(normalised_ids("woocommerce", records)) == [str(1000 + n) for n in range(5)]
    assert [c.query["page"] for c in server.calls(f"{api}/orders")] == ["1", "3", "2", "1"]
    assert normalised_ids("woocommerce", [client.fetch_order("1003")]) == ["1003"]

    client.mark_shipped(Shipment("1003", "DHL", "JD0001", shipped_at=T0))
    assert "JD0001" in notes[0]["note"]
    assert notes[0]["customer_note"] is True
    assert puts[-1] == (f"{api}/orders/1003", {"status": "completed"})

    with pytest.raises(ClientError) as caught:
        client.push_availability(
            [AvailabilityItem("TEE-M", 4), AvailabilityItem("MUG", 0), AvailabilityItem("NO", 1)]
        )
    assert "no product with SKU NO" in str(caught.value)
    assert (f"{api}/products/30/variations/31", {"manage_stock": True, "stock_quantity": 4}) in puts
    assert (f"{api}/products/40", {"manage_stock": True, "stock_quantity": 0}) in puts


# ----------------------------------------------------------------------------------------------
# Square


def test_square_searches_by_cursor_fetches_and_completes_the_fulfilment(
    server: ReplayServer,
) -> None:
    fixture = json.loads(
        (FIXTURES / "square" / "order_paid_shipped_partial_refund.json").read_text()
    )
    base = fixture.get("order", fixture)
    orders = []
    for n in range(3):
        order = copy.deepcopy(base)
        order["id"] = f"SQ{n}ORDER"
        order["fulfillments"] = [{"uid": f"F{n}", "type": "SHIPMENT", "state": "PROPOSED"}]
        orders.append(order)
    updates: list[Any] = []
    counts: list[Any] = []

    def search(request: Request) -> Reply:
        assert request.headers["Authorization"] == "Bearer sq-token"
        body = request.json()
        assert body["query"]["sort"]["sort_field"] == "UPDATED_AT"
        start = int(body.get("cursor") or 0)
        page = orders[start : start + 2]
        answer: dict[str, Any] = {"orders": page}
        if start + 2 < len(orders):
            answer["cursor"] = str(start + 2)
        return Reply.json(answer)

    def retrieve(request: Request) -> Reply:
        order_id = request.path.rsplit("/", 1)[1]
        order = next(o for o in orders if o["id"] == order_id)
        if request.method == "PUT":
            updates.append(request.json())
            order["fulfillments"][0]["state"] = "COMPLETED"
        return Reply.json({"order": order})

    def batch(request: Request) -> Reply:
        counts.append(request.json())
        return Reply.json({"counts": []})

    server.route("POST", "/v2/orders/search", search)
    server.route("GET", r"/v2/orders/\w+", retrieve)
    server.route("PUT", r"/v2/orders/\w+", retrieve)
    server.route("POST", "/v2/inventory/changes/batch-create", batch)
    client = client_for("square", base_url=server.url, token="sq-token", location_ids="L1,L2")

    records = read_all(client, T0, T0 + timedelta(hours=1))
    assert normalised_ids("square", records) == ["SQ0ORDER", "SQ1ORDER", "SQ2ORDER"]
    assert normalised_ids("square", [client.fetch_order("SQ1ORDER")]) == ["SQ1ORDER"]

    shipment = Shipment("SQ1ORDER", "UPS", "1Z9", shipped_at=T0)
    client.mark_shipped(shipment)
    client.mark_shipped(shipment)  # already completed: not sent again
    assert len(updates) == 1
    fulfilment = updates[0]["order"]["fulfillments"][0]
    assert fulfilment["shipment_details"]["tracking_number"] == "1Z9"
    assert fulfilment["state"] == "COMPLETED"

    client.push_availability([AvailabilityItem("VAR1", 7)])
    change = counts[0]["changes"][0]["physical_count"]
    assert (change["catalog_object_id"], change["quantity"], change["location_id"]) == (
        "VAR1",
        "7",
        "L1",
    )


def test_square_rate_limit_error_in_the_body_is_retried(server: ReplayServer) -> None:
    calls = {"n": 0}

    def limited_once(request: Request) -> Reply:
        calls["n"] += 1
        if calls["n"] == 1:
            return Reply.json(
                {"errors": [{"category": "RATE_LIMIT_ERROR", "code": "RATE_LIMITED"}]}
            )
        return Reply.json({"orders": []})

    server.route("POST", "/v2/orders/search", limited_once)
    client = client_for("square", base_url=server.url, token="t", location_ids=["L1"])
    assert client.fetch_updated(T0, T0 + timedelta(hours=1), None).records == []
    assert calls["n"] == 2


# ----------------------------------------------------------------------------------------------
# Amazon


def test_amazon_builds_order_and_items_records_with_a_fresh_token(
    server: ReplayServer, published_payload: Callable[[str], bytes]
) -> None:
    orders_page = published_json(published_payload, "amazon/ordersV0_getOrders_200_example.json")
    items = published_json(published_payload, "amazon/ordersV0_getOrderItems_200_example.json")
    listed = orders_page["payload"]["Orders"]
    tokens: list[dict[str, str]] = []
    confirmations: list[Any] = []

    def lwa(request: Request) -> Reply:
        tokens.append(request.form)
        return Reply.json({"access_token": "Atza|fresh", "expires_in": 3600})

    def get_orders(request: Request) -> Reply:
        assert request.headers["x-amz-access-token"] == "Atza|fresh"
        if request.query.get("NextToken"):
            return Reply.json({"payload": {"Orders": listed[1:]}})
        return Reply.json({"payload": {"Orders": listed[:1], "NextToken": "more"}})

    def get_items(request: Request) -> Reply:
        order_id = request.path.split("/")[-2]
        answer = copy.deepcopy(items)
        answer["payload"]["AmazonOrderId"] = order_id
        answer["payload"].pop("NextToken", None)
        return Reply.json(answer)

    def get_order(request: Request) -> Reply:
        order_id = request.path.rsplit("/", 1)[1]
        return Reply.json({"payload": next(o for o in listed if o["AmazonOrderId"] == order_id)})

    def confirm(request: Request) -> Reply:
        confirmations.append(request.json())
        return Reply(204)

    server.route("POST", "/auth/o2/token", lwa)
    server.route("GET", "/orders/v0/orders", get_orders)
    server.route("GET", r"/orders/v0/orders/[\w-]+/orderItems", get_items)
    server.route("GET", r"/orders/v0/orders/[\w-]+", get_order)
    server.route("POST", r"/orders/v0/orders/[\w-]+/shipmentConfirmation", confirm)
    client = client_for(
        "amazon",
        base_url=server.url,
        lwa_url=f"{server.url}/auth/o2/token",
        refresh_token="Atzr|r",
        client_id="amzn1.app",
        client_secret="s",
        marketplace_ids=["ATVPDKIKX0DER"],
        name="amazon-bench",
    )

    records = read_all(client, T0, T0 + timedelta(hours=1))
    assert len(records) == len(listed)
    for record in records:
        composite = json.loads(record.raw)
        assert set(composite) == {"order", "items"}
    ids = normalised_ids("amazon", records)
    assert ids == [o["AmazonOrderId"] for o in listed]
    assert tokens[0]["grant_type"] == "refresh_token"
    assert len(tokens) == 1  # kept until it expires

    stamps = client.list_updated(T0, T0 + timedelta(hours=1), None)
    assert [s.external_id for s in stamps.stamps] == [listed[0]["AmazonOrderId"]]
    assert stamps.next_cursor == "more"

    order_id = listed[0]["AmazonOrderId"]
    assert normalised_ids("amazon", [client.fetch_order(order_id)]) == [order_id]
    client.mark_shipped(Shipment(order_id, "UPS", "1Z7", shipped_at=T0))
    package = confirmations[0]["packageDetail"]
    assert (package["trackingNumber"], package["carrierCode"]) == ("1Z7", "UPS")
    assert package["orderItems"]


# ----------------------------------------------------------------------------------------------
# JD and Pinduoduo: signed gateways


def test_jd_signs_searches_by_day_and_fetches(server: ReplayServer) -> None:
    whole = json.loads((FIXTURES / "jd" / "order_get_paid_suit_gift.json").read_text())
    info = whole["jingdong_pop_order_get_responce"]["orderDetailInfo"]["orderInfo"]
    orders = []
    for n in range(3):
        order = copy.deepcopy(info)
        order["orderId"] = str(296745123456 + n)
        orders.append(order)
    shipped: list[Any] = []

    def gateway(request: Request) -> Reply:
        form = request.form
        assert form["sign"] == jd_client.sign(form, "jd-secret")
        params = json.loads(form["360buy_param_json"])
        method = form["method"]
        if method == "jingdong.pop.order.search":
            page, size = int(params["page"]), int(params["page_size"])
            result = {"orderInfoList": orders[(page - 1) * size : page * size], "orderTotal": 3}
            return Reply.json(
                {"jingdong_pop_order_search_responce": {"searchorderinfo_result": result}}
            )
        if method == "jingdong.pop.order.get":
            order = next(o for o in orders if o["orderId"] == params["order_id"])
            return Reply.json(
                {"jingdong_pop_order_get_responce": {"orderDetailInfo": {"orderInfo": order}}}
            )
        if method == "jingdong.pop.order.shipment":
            shipped.append(params)
            return Reply.json(
                {"jingdong_pop_order_shipment_responce": {"sopjosshipment_result": {}}}
            )
        return Reply.json({"error_response": {"code": "67", "zh_desc": "方法不存在"}})

    server.route("POST", "/routerjson", gateway)
    client = client_for(
        "jd",
        base_url=f"{server.url}/routerjson",
        app_key="k",
        app_secret="jd-secret",
        access_token="tok",
        page_size=2,
    )
    records = read_all(client, T0, T0 + timedelta(hours=1))
    assert sorted(normalised_ids("jd", records)) == [o["orderId"] for o in orders]
    assert normalised_ids("jd", [client.fetch_order(orders[1]["orderId"])]) == [
        orders[1]["orderId"]
    ]
    client.mark_shipped(Shipment(orders[0]["orderId"], "2087", "JDV001", shipped_at=T0))
    assert shipped == [{"order_id": orders[0]["orderId"], "logiCoprId": "2087", "logiNo": "JDV001"}]
    with pytest.raises(ClientError) as caught:
        client.push_availability([AvailabilityItem("123", 1)])
    assert "方法不存在" in str(caught.value)
    assert not caught.value.retryable


def test_pinduoduo_reads_half_hour_windows(server: ReplayServer) -> None:
    whole = json.loads((FIXTURES / "pinduoduo" / "order_info_awaiting_shipment.json").read_text())
    info = whole["order_info_get_response"]["order_info"]
    windows: list[tuple[int, int]] = []

    def gateway(request: Request) -> Reply:
        form = request.form
        assert form["sign"] == pdd_client.sign(form, "pdd-secret")
        if form["type"] == "pdd.order.number.list.increment.get":
            windows.append((int(form["start_updated_at"]), int(form["end_updated_at"])))
            order = copy.deepcopy(info)
            order["order_sn"] = f"260301-{len(windows):06d}"
            body = {"total_count": 1, "order_sn_list": [order]}
            return Reply.json({"order_sn_increment_get_response": body})
        if form["type"] == "pdd.order.information.get":
            order = copy.deepcopy(info)
            order["order_sn"] = form["order_sn"]
            return Reply.json({"order_info_get_response": {"order_info": order}})
        return Reply.json({"error_response": {"error_code": 70031, "error_msg": "调用过于频繁"}})

    server.route("POST", "/api/router", gateway)
    client = client_for(
        "pinduoduo",
        base_url=f"{server.url}/api/router",
        client_id="c",
        client_secret="pdd-secret",
        access_token="t",
    )
    records = read_all(client, T0, T0 + timedelta(hours=2))
    assert len(windows) == 4
    assert all(end - start <= 1800 for start, end in windows)
    assert normalised_ids("pinduoduo", records) == [f"260301-{n:06d}" for n in range(1, 5)]
    assert normalised_ids("pinduoduo", [client.fetch_order("260301-9")]) == ["260301-9"]


def test_every_platform_with_an_api_has_a_client() -> None:
    from omnioms.channels.clients.registry import client_platforms
    from omnioms.core.choices import Platform

    without_api = {"pos_csv", "manual", "csv"}
    adapters_present = {
        code
        for code in Platform.values
        if (Path(__file__).parents[1] / "adapters" / f"{code}.py").exists()
    }
    assert adapters_present - without_api <= set(client_platforms())


# ----------------------------------------------------------------------------------------------
# Youzan and WeChat Channels


def test_youzan_pages_fetches_and_ships(server: ReplayServer) -> None:
    whole = json.loads((FIXTURES / "youzan" / "trade_get_paid_split_shipment.json").read_text())
    info = whole["data"]["full_order_info"]
    trades = []
    for n in range(3):
        trade = copy.deepcopy(info)
        trade["order_info"]["tid"] = f"E2026030100000{n}"
        trades.append(trade)
    confirmed: list[Any] = []

    def sold(request: Request) -> Reply:
        assert request.query["access_token"] == "yz-token"
        params = request.json()
        page, size = params["page_no"], params["page_size"]
        entries = [{"full_order_info": t} for t in trades[(page - 1) * size : page * size]]
        data = {"full_order_info_list": entries, "total_results": len(trades)}
        return Reply.json({"success": True, "code": 200, "data": data})

    def get(request: Request) -> Reply:
        tid = request.json()["tid"]
        found = next(t for t in trades if t["order_info"]["tid"] == tid)
        data = {"full_order_info": found, "refund_order": [], "delivery_order": []}
        return Reply.json({"success": True, "code": 200, "data": data})

    def confirm(request: Request) -> Reply:
        confirmed.append(request.json())
        return Reply.json({"success": False, "code": 4000, "message": "调用过于频繁"})

    server.route("POST", "/api/youzan.trades.sold.get/4.0.4", sold)
    server.route("POST", "/api/youzan.trade.get/4.0.0", get)
    server.route("POST", "/api/youzan.logistics.online.confirm/3.0.0", confirm)
    client = client_for("youzan", base_url=server.url, access_token="yz-token", page_size=2)

    records = read_all(client, T0, T0 + timedelta(hours=1))
    assert sorted(normalised_ids("youzan", records)) == [f"E2026030100000{n}" for n in range(3)]
    tid = trades[1]["order_info"]["tid"]
    assert normalised_ids("youzan", [client.fetch_order(tid)]) == [tid]
    with pytest.raises(ClientError) as caught:
        client.mark_shipped(Shipment(tid, "1", "YT1", shipped_at=T0))
    # Rate limited, but a change is not repeated at once: the outbound queue retries later.
    assert caught.value.retryable
    assert len(confirmed) == 1
    assert confirmed[0]["out_sid"] == "YT1"


def test_wechat_channels_lists_ids_fetches_each_and_renews_its_token(server: ReplayServer) -> None:
    whole = json.loads((FIXTURES / "wechat_channels" / "order_get_partly_shipped.json").read_text())
    ids = ["3705115058471208928", "3705115058471208929", "3705115058471208930"]
    issued: list[str] = []

    def token(request: Request) -> Reply:
        issued.append(f"tok-{len(issued)}")
        return Reply.json({"access_token": issued[-1], "expires_in": 7200})

    def listing(request: Request) -> Reply:
        if request.query["access_token"] == "tok-0":
            return Reply.json({"errcode": 42001, "errmsg": "access_token expired"})
        body = request.json()
        start = int(body.get("next_key") or 0)
        more = start + 2 < len(ids)
        answer = {"errcode": 0, "order_id_list": ids[start : start + 2], "has_more": more}
        if more:
            answer["next_key"] = str(start + 2)
        return Reply.json(answer)

    def get(request: Request) -> Reply:
        order = copy.deepcopy(whole)
        order["order"]["order_id"] = request.json()["order_id"]
        return Reply.json(order)

    server.route("GET", "/cgi-bin/token", token)
    server.route("POST", "/channels/ec/order/list/get", listing)
    server.route("POST", "/channels/ec/order/get", get)
    client = client_for("wechat_channels", base_url=server.url, appid="wx1", secret="s", name="wc")

    records = read_all(client, T0, T0 + timedelta(hours=1))
    assert normalised_ids("wechat_channels", records) == ids
    assert issued == ["tok-0", "tok-1"]  # the expired one was replaced once
    stamps = client.list_updated(T0, T0 + timedelta(hours=1), None)
    assert [s.external_id for s in stamps.stamps] == ids[:2]
    assert all(s.updated_at is None for s in stamps.stamps)
