"""Platform clients over real HTTP against the local replay server: retries, limits, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import AdapterContext
from omnioms.channels.clients import AvailabilityItem, ClientError, NotSupported, Shipment
from omnioms.channels.clients import get_client as get_platform_client
from omnioms.channels.clients.base import BaseClient
from omnioms.channels.clients.http import TokenBucket, Transport, TransportSettings
from omnioms.channels.clients.shopify import ShopifyClient
from omnioms.channels.clients.taobao import TaobaoClient
from omnioms.channels.models import ChannelAccount
from omnioms.channels.tests.replay_server import (
    FakeShopify,
    FakeTaobao,
    ReplayServer,
    Reply,
    Request,
    shopify_order,
    taobao_trade,
)

T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as running:
        yield running


def account(platform: str, credentials: dict, name: str = "") -> ChannelAccount:
    """An unsaved account: clients read only its name, platform, zone and credentials."""
    return ChannelAccount(
        name=name or f"{platform}-test-{id(credentials)}",
        platform=platform,
        api_credentials=credentials,
    )


def transport(server: ReplayServer, name: str, **settings: float) -> Transport:
    values = {"backoff": 0.01, "max_backoff": 0.02, "rate_per_second": 1000.0, "burst": 1000}
    values.update(settings)
    return Transport(TransportSettings(base_url=server.url, **values), account=name)  # type: ignore[arg-type]


def answer_ok(server: ReplayServer) -> None:
    server.route("GET", "/ok", lambda request: Reply.json({"fine": True}))
    server.route("POST", "/ok", lambda request: Reply.json({"fine": True}))


# ----------------------------------------------------------------------------------------------
# The transport


def test_429_with_retry_after_is_retried_and_then_answered(server: ReplayServer) -> None:
    answer_ok(server)
    server.inject("/ok", status=429, retry_after="0", times=2)
    with transport(server, "t-429") as http:
        assert http.request("GET", "/ok").data == {"fine": True}
    assert len(server.calls("/ok")) == 3


def test_server_errors_and_timeouts_and_dropped_connections_are_retried(
    server: ReplayServer,
) -> None:
    answer_ok(server)
    server.inject("/ok", status=503)
    server.inject("/ok", fault="timeout", delay=1.0)
    server.inject("/ok", fault="drop")
    with transport(server, "t-5xx", timeout=0.2, max_attempts=4) as http:
        assert http.request("GET", "/ok").data == {"fine": True}
    assert len(server.calls("/ok")) == 4


def test_malformed_body_is_retried_then_reported_clearly(server: ReplayServer) -> None:
    answer_ok(server)
    server.inject("/ok", fault="malformed")
    with transport(server, "t-bad") as http:
        assert http.request("GET", "/ok").data == {"fine": True}
        server.inject("/ok", fault="malformed", times=5)
        with pytest.raises(ClientError) as caught:
            http.request("GET", "/ok", idempotent=True)
    error = caught.value
    assert error.retryable
    assert "not JSON" in str(error)
    assert "gave up after 5 attempts" in str(error)
    assert '{"orders"' in str(error)  # the first bytes received, for whoever reads the log


def test_attempts_are_bounded_and_the_last_error_is_retryable(server: ReplayServer) -> None:
    server.inject("/ok", status=500, times=10)
    with transport(server, "t-bounded", max_attempts=3) as http, pytest.raises(ClientError) as e:
        http.request("GET", "/ok")
    assert (e.value.retryable, e.value.status) == (True, 500)
    assert len(server.calls("/ok")) == 3


def test_refused_credentials_are_not_retried(server: ReplayServer) -> None:
    server.route("GET", "/ok", lambda request: Reply.json({"errors": "bad token"}, 401))
    with transport(server, "t-401") as http, pytest.raises(ClientError) as caught:
        http.request("GET", "/ok")
    assert not caught.value.retryable
    assert caught.value.status == 401
    assert "credentials were refused" in str(caught.value)
    assert len(server.calls("/ok")) == 1


def test_a_change_is_not_sent_twice_after_a_server_error(server: ReplayServer) -> None:
    answer_ok(server)
    server.inject("/ok", status=502)
    with transport(server, "t-post") as http, pytest.raises(ClientError) as caught:
        http.request("POST", "/ok", json_body={"ship": 1})
    # The platform may have acted: the caller's queue decides when to try again.
    assert caught.value.retryable
    assert len(server.calls("/ok")) == 1


def test_a_change_refused_with_429_is_sent_again(server: ReplayServer) -> None:
    answer_ok(server)
    server.inject("/ok", status=429, retry_after="0")
    with transport(server, "t-post-429") as http:
        assert http.request("POST", "/ok", json_body={"ship": 1}).data == {"fine": True}
    assert len(server.calls("/ok")) == 2


def test_a_retry_after_longer_than_allowed_gives_up_at_once(server: ReplayServer) -> None:
    server.inject("/ok", status=429, retry_after="3600")
    with transport(server, "t-long") as http, pytest.raises(ClientError) as caught:
        http.request("GET", "/ok")
    assert caught.value.retryable
    assert "wait 3600 s" in str(caught.value)
    assert len(server.calls("/ok")) == 1


def test_token_bucket_allows_a_burst_then_spaces_requests() -> None:
    now = [100.0]
    bucket = TokenBucket(rate=2.0, burst=3, clock=lambda: now[0])
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.reserve() == pytest.approx(0.5)
    assert bucket.reserve() == pytest.approx(1.0)
    now[0] += 10
    assert bucket.reserve() == 0.0


def test_the_rate_limit_makes_the_transport_wait(server: ReplayServer) -> None:
    answer_ok(server)
    waits: list[float] = []
    settings = TransportSettings(base_url=server.url, rate_per_second=1.0, burst=1)
    with Transport(settings, account="t-rate", sleep=waits.append) as http:
        http.request("GET", "/ok")
        http.request("GET", "/ok")
    assert len(waits) == 1
    assert 0 < waits[0] <= 1.0


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ({}, "api_credentials.base_url must be an http(s) URL"),
        ({"base_url": "ftp://x"}, "api_credentials.base_url must be an http(s) URL"),
        ({"base_url": "http://x", "timeout": "soon"}, "api_credentials.timeout must be a number"),
        ({"base_url": "http://x", "burst": 0}, "api_credentials.burst must be positive"),
        ({"base_url": "http://x"}, "api_credentials.token is missing"),
        ({"base_url": "http://x", "token": "t", "page_size": 900}, "page_size must be"),
    ],
)
def test_bad_credentials_are_named(credentials: dict, message: str) -> None:
    with pytest.raises(ClientError) as caught:
        ShopifyClient(account("shopify", credentials))
    assert message in str(caught.value)
    assert not caught.value.retryable


@pytest.mark.parametrize("platform", ["pos_csv", "manual", "csv"])
def test_platforms_without_an_api_have_no_client(platform: str) -> None:
    with pytest.raises(NotSupported):
        get_platform_client(account(platform, {}))


# ----------------------------------------------------------------------------------------------
# Shopify


@pytest.fixture
def shop(server: ReplayServer) -> FakeShopify:
    return FakeShopify(server)


def shopify(shop: FakeShopify, **extra: object) -> ShopifyClient:
    client = get_platform_client(account("shopify", shop.credentials(**extra)))
    assert isinstance(client, ShopifyClient)
    return client


def test_shopify_pages_through_a_window_and_each_record_normalises(shop: FakeShopify) -> None:
    for n in range(7):
        shop.add(shopify_order(n, updated_at=T0 + timedelta(minutes=n)))
    shop.add(shopify_order(99, updated_at=T0 + timedelta(days=3)))  # outside the window
    client = shopify(shop, page_size=3)
    ids: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = client.fetch_updated(T0, T0 + timedelta(hours=1), cursor)
        pages += 1
        adapter = get_adapter("shopify")
        ids += [adapter.normalize(r, AdapterContext()).external_id for r in page.records]
        if (cursor := page.next_cursor) is None:
            break
    assert pages == 3
    assert ids == [str(9007199254740993 + n) for n in range(7)]


def test_shopify_fetch_order_keeps_the_platforms_bytes(shop: FakeShopify) -> None:
    order = shopify_order(3, updated_at=T0)
    shop.add(order)
    record = shopify(shop).fetch_order(str(order["id"]))
    assert json.loads(record.raw) == {"order": order}
    with pytest.raises(ClientError) as caught:
        shopify(shop).fetch_order("123")
    assert caught.value.status == 404


def test_shopify_ships_the_whole_order_once_and_a_retry_is_harmless(shop: FakeShopify) -> None:
    order = shopify_order(4, updated_at=T0)
    shop.add(order)
    client = shopify(shop)
    shipment = Shipment(str(order["id"]), "UPS", "1Z999", shipped_at=T0)
    client.mark_shipped(shipment)
    assert shop.fulfillments[0]["tracking_info"] == {"number": "1Z999", "company": "UPS"}
    client.mark_shipped(shipment)  # the answer to the first was lost: nothing left to do
    assert len(shop.fulfillments) == 1


def test_shopify_partial_shipment_names_lines(shop: FakeShopify) -> None:
    order = shopify_order(5, updated_at=T0)
    shop.add(order)
    first_line = order["line_items"][0]
    client = shopify(shop)
    client.mark_shipped(
        Shipment(str(order["id"]), "UPS", "1Z1", shipped_at=T0, lines=[(str(first_line["id"]), 1)])
    )
    sent = shop.fulfillments[0]["line_items_by_fulfillment_order"][0]
    assert sent["fulfillment_order_line_items"] == [{"id": first_line["id"] * 10, "quantity": 1}]
    with pytest.raises(ClientError) as caught:
        client.mark_shipped(
            Shipment(str(order["id"]), "UPS", "1Z2", shipped_at=T0, lines=[("42", 1)])
        )
    assert "nothing left to fulfil for line(s) 42" in str(caught.value)


def test_shopify_push_sets_available_and_names_unknown_skus(shop: FakeShopify) -> None:
    shop.add_variant("TEE-BLK-M", 701)
    shop.add_variant('MUG "01"', 702)
    client = shopify(shop)
    client.push_availability(
        [AvailabilityItem("TEE-BLK-M", 12, "TEE"), AvailabilityItem('MUG "01"', 0)]
    )
    assert (shop.available("TEE-BLK-M"), shop.available('MUG "01"')) == (12, 0)
    with pytest.raises(ClientError) as caught:
        client.push_availability([AvailabilityItem("NOPE", 1), AvailabilityItem("TEE-BLK-M", 7)])
    assert "no variant with SKU NOPE" in str(caught.value)
    assert not caught.value.retryable
    assert shop.available("TEE-BLK-M") == 7


def test_shopify_graphql_throttling_is_retried(shop: FakeShopify, server: ReplayServer) -> None:
    shop.add_variant("TEE-BLK-M", 701)
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}
    calls = {"n": 0}
    real = server.routes[-1]

    def once_throttled(request: Request) -> Reply:
        calls["n"] += 1
        return Reply.json(throttled) if calls["n"] == 1 else real[2](request)

    server.routes[-1] = (real[0], real[1], once_throttled)
    shopify(shop).push_availability([AvailabilityItem("TEE-BLK-M", 3)])
    assert shop.available("TEE-BLK-M") == 3


def test_shopify_client_is_a_base_client(shop: FakeShopify) -> None:
    with shopify(shop) as client:
        assert isinstance(client, BaseClient)


# ----------------------------------------------------------------------------------------------
# Taobao


@pytest.fixture
def top(server: ReplayServer) -> FakeTaobao:
    return FakeTaobao(server)


def taobao(top: FakeTaobao, **extra: object) -> TaobaoClient:
    client = get_platform_client(account("taobao", top.credentials(**extra)))
    assert isinstance(client, TaobaoClient)
    return client


@pytest.mark.parametrize("sign_method", ["hmac-sha256", "md5", "hmac"])
def test_taobao_reads_days_and_pages_and_every_call_is_signed(
    top: FakeTaobao, sign_method: str
) -> None:
    # 2026-03-01 01:00 UTC is 09:00 in Beijing: the window crosses Beijing's midnight.
    times = [T0 + timedelta(hours=h) for h in (0, 1, 2, 3, 14, 15, 16, 17, 18)]
    for n, moment in enumerate(times):
        top.add(taobao_trade(n, modified=moment))
    client = taobao(top, page_size=2, sign_method=sign_method)
    seen: list[str] = []
    cursor = None
    while True:
        page = client.fetch_updated(T0, T0 + timedelta(days=1), cursor)
        seen += [json.loads(r.raw)["tid_str"] for r in page.records]
        if (cursor := page.next_cursor) is None:
            break
    # TOP's end_modified is inclusive: a trade at Beijing midnight is read in both days.
    assert set(seen) == {str(3712845069123456789 + n * 1000) for n in range(9)}
    calls = [r.form for r in top.server.calls("/router/rest")]
    assert all(c["sign_method"] == sign_method for c in calls)
    starts = {c["start_modified"][:10] for c in calls}
    assert starts == {"2026-03-01", "2026-03-02"}


def test_taobao_fetch_order_and_errors(top: FakeTaobao, server: ReplayServer) -> None:
    trade = taobao_trade(1, modified=T0)
    top.add(trade)
    client = taobao(top)
    record = client.fetch_order(trade["tid_str"])
    order = get_adapter("taobao").normalize(record, AdapterContext())
    assert order.external_id == trade["tid_str"]
    with pytest.raises(ClientError) as caught:
        client.fetch_order("1")
    assert "isv.trade-not-exist" in str(caught.value)
    assert not caught.value.retryable


def test_taobao_call_limit_is_retried(top: FakeTaobao, server: ReplayServer) -> None:
    trade = taobao_trade(2, modified=T0)
    top.add(trade)
    gateway = server.routes[-1]
    calls = {"n": 0}

    def limited_once(request: Request) -> Reply:
        calls["n"] += 1
        if calls["n"] == 1:
            return Reply.json({"error_response": {"code": 7, "msg": "App Call Limited"}})
        return gateway[2](request)

    server.routes[-1] = (gateway[0], gateway[1], limited_once)
    assert taobao(top).fetch_order(trade["tid_str"]).label == f"trade {trade['tid_str']}"
    assert calls["n"] == 2


def test_taobao_wrong_secret_is_not_retried(top: FakeTaobao) -> None:
    with pytest.raises(ClientError) as caught:
        taobao(top, app_secret="wrong").fetch_order("1")
    assert "Invalid signature" in str(caught.value)
    assert len(top.server.calls()) == 1


def test_taobao_ships_whole_and_split(top: FakeTaobao) -> None:
    trade = taobao_trade(3, modified=T0)
    top.add(trade)
    client = taobao(top)
    client.mark_shipped(Shipment(trade["tid_str"], "YTO", "YT100", shipped_at=T0))
    oid = trade["orders"]["order"][0]["oid_str"]
    client.mark_shipped(Shipment(trade["tid_str"], "SF", "SF200", shipped_at=T0, lines=[(oid, 1)]))
    first, second = top.shipments
    assert (first["out_sid"], first["company_code"], "is_split" in first) == ("YT100", "YTO", False)
    assert (second["is_split"], second["sub_tid"]) == ("1", oid)


def test_taobao_push_by_merchant_code_and_by_item_ids(top: FakeTaobao) -> None:
    top.add_sku("QH-TEA-LJ-250", "600100", "5001")
    taobao(top).push_availability(
        [AvailabilityItem("QH-TEA-LJ-250", 30), AvailabilityItem("600200:5002", 4)]
    )
    assert top.quantities == {("600100", "5001"): 30, ("600200", "5002"): 4}
    with pytest.raises(ClientError) as caught:
        taobao(top).push_availability([AvailabilityItem("NO-SUCH", 1)])
    assert "no SKU with merchant code NO-SUCH" in str(caught.value)
