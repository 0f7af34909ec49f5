"""Durable intake: signatures, storage, deduplication, ordering, dead letters and replay."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnioms.catalog.models import ChannelSkuMapping, Sku
from omnioms.catalog.services import create_product
from omnioms.channels.contract import NormalizedOrder, content_hash
from omnioms.channels.models import (
    ChannelAccount,
    DeadLetter,
    InboundPayload,
    PayloadOutcome,
    WebhookRejectionCount,
)
from omnioms.core.actor import Actor
from omnioms.core.choices import OrderStatus
from omnioms.orders.domain import snapshot_key, version_key
from omnioms.orders.models import Order, OrderEvent
from omnioms.sync.intake import process_payloads
from omnioms.sync.services import import_file, replay_dead_letter
from omnioms.sync.webhooks import accept_webhook, process_received, receive_webhook
from omnioms.testing import make_account, manual_order, signed

pytestmark = pytest.mark.django_db


def post_webhook(client: Client, account: str, body: bytes, headers: dict[str, str]):
    return client.post(
        f"/api/v1/webhooks/{account}",
        data=body,
        content_type="application/json",
        headers={k: v for k, v in headers.items() if k != "Content-Type"},
    )


def test_signed_webhook_is_stored_at_once_and_becomes_an_order_in_the_worker(
    client: Client,
) -> None:
    make_account("shop")
    request = signed(manual_order("A-1"))
    response = post_webhook(client, "shop", request["body"], request["headers"])
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "received"
    payload = InboundPayload.objects.get()
    assert bytes(payload.body) == request["body"]
    assert not Order.objects.exists()

    assert process_received() == 1
    order = Order.objects.get(external_id="A-1")
    assert order.total == Decimal("196.00")
    payload.refresh_from_db()
    assert (payload.outcome, payload.order_id) == (PayloadOutcome.CREATED, order.pk)
    assert process_received() == 0


def test_worker_batch_mixes_new_orders_versions_and_bad_payloads(client: Client) -> None:
    make_account("shop")
    deliveries = [
        signed(manual_order("B-1", status="paid", updated_at="2026-03-01T00:00:00Z")),
        signed(manual_order("B-1", status="shipped", updated_at="2026-03-02T00:00:00Z")),
        signed(b"{broken"),
        signed(manual_order("B-2")),
        signed(manual_order("B-1", status="paid", updated_at="2026-03-01T00:00:00Z")),
    ]
    for request in deliveries:
        post_webhook(client, "shop", request["body"], request["headers"])
    assert process_received() == 5
    outcomes = list(InboundPayload.objects.order_by("pk").values_list("outcome", flat=True))
    # The last is the first version again: older than the stored one, so stale.
    assert outcomes == ["created", "updated", "dead_lettered", "created", "stale"]
    assert Order.objects.get(external_id="B-1").status == "shipped"
    assert DeadLetter.objects.get().reason.startswith("not valid JSON")


def test_repeated_event_over_http_is_answered_as_duplicate_and_never_processed(
    client: Client,
) -> None:
    make_account("shop")
    request = signed(manual_order("D-1"), **{"X-Omnioms-Event-Id": "evt-9"})
    first = post_webhook(client, "shop", request["body"], request["headers"])
    again = post_webhook(client, "shop", request["body"], request["headers"])
    assert (first.json()["outcome"], again.json()["outcome"]) == ("received", "duplicate")
    assert process_received() == 1
    assert Order.objects.count() == 1


@pytest.mark.parametrize("signature", [None, "", "not-base64", "AAAA"])
def test_wrong_or_missing_signature_is_401_and_nothing_is_stored(
    client: Client, signature: str | None
) -> None:
    make_account("shop")
    request = signed(manual_order("A-1"))
    headers = {"X-Omnioms-Signature": signature} if signature is not None else {}
    response = post_webhook(client, "shop", request["body"], headers)
    assert response.status_code == 401
    assert "signature" in response.json()["detail"]
    assert not InboundPayload.objects.exists()
    assert not Order.objects.exists()


def test_body_changed_after_signing_is_rejected(client: Client) -> None:
    make_account("shop")
    request = signed(manual_order("A-1", total="196.00"))
    tampered = request["body"].replace(b"196.00", b"1.00")
    assert post_webhook(client, "shop", tampered, request["headers"]).status_code == 401
    assert not InboundPayload.objects.exists()


def test_previous_secret_still_verifies_during_rotation() -> None:
    account = make_account("shop", secret="new-secret")
    account.previous_webhook_secret = "old-secret"
    account.save()
    result = receive_webhook(account, **signed(manual_order("A-1"), secret="old-secret"))
    assert result.outcome == PayloadOutcome.CREATED


def test_unknown_account_is_401_and_nothing_is_stored(client: Client) -> None:
    request = signed(manual_order("A-1"))
    assert post_webhook(client, "nobody", request["body"], request["headers"]).status_code == 401
    assert not InboundPayload.objects.exists()


def test_an_unknown_account_and_a_bad_signature_get_the_same_answer(client: Client) -> None:
    make_account("shop")
    make_account("closed-shop")
    ChannelAccount.objects.filter(name="closed-shop").update(is_active=False)
    forged = signed(manual_order("A-1"), secret="guessed")

    answers = [
        post_webhook(client, name, forged["body"], forged["headers"])
        for name in ("shop", "nobody", "closed-shop")
    ]

    def answer(response: Any) -> tuple[int, bytes, list[tuple[str, str]]]:
        return response.status_code, response.content, sorted(response.headers.items())

    assert answer(answers[0]) == answer(answers[1]) == answer(answers[2])
    assert answers[0].status_code == 401
    assert answers[0].json()["errors"][0]["field"] == "signature"
    assert "shop" not in answers[0].content.decode()
    reasons = dict(WebhookRejectionCount.objects.values_list("account_name", "reason").order_by())
    assert reasons == {
        "shop": "bad_signature",
        "nobody": "unknown_account",
        "closed-shop": "unknown_account",
    }


def test_the_webhook_answers_no_404_in_its_openapi_description(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()

    responses = schema["paths"]["/api/v1/webhooks/{account}"]["post"]["responses"]
    assert "404" not in responses  # an unknown account is a 401 like a bad signature
    assert {"200", "401"} <= set(responses)


def test_second_delivery_of_same_event_changes_nothing() -> None:
    account = make_account()
    delivery = signed(manual_order("A-1"), **{"X-Omnioms-Event-Id": "evt-1"})
    first = receive_webhook(account, **delivery)
    second = receive_webhook(account, **delivery)
    assert (first.outcome, second.outcome) == (PayloadOutcome.CREATED, PayloadOutcome.DUPLICATE)
    assert Order.objects.count() == 1
    assert OrderEvent.objects.count() == 1
    # The repeat is kept, so support can see the platform retried.
    assert InboundPayload.objects.filter(outcome=PayloadOutcome.DUPLICATE).count() == 1


def test_same_order_with_a_new_event_id_but_same_content_is_unchanged() -> None:
    account = make_account()
    receive_webhook(account, **signed(manual_order("A-1"), **{"X-Omnioms-Event-Id": "e1"}))
    again = receive_webhook(account, **signed(manual_order("A-1"), **{"X-Omnioms-Event-Id": "e2"}))
    assert again.outcome == PayloadOutcome.UNCHANGED
    assert OrderEvent.objects.count() == 1


def test_older_version_arriving_late_is_recorded_as_stale_and_ignored() -> None:
    account = make_account()
    shipped = manual_order("A-1", status="shipped", updated_at="2026-03-02T00:00:00Z")
    paid = manual_order("A-1", status="paid", updated_at="2026-03-01T00:00:00Z")
    assert receive_webhook(account, **signed(shipped)).outcome == PayloadOutcome.CREATED
    assert receive_webhook(account, **signed(paid)).outcome == PayloadOutcome.STALE
    order = Order.objects.get()
    assert order.status == "shipped"
    assert list(order.events.values_list("kind", flat=True)) == ["created", "stale_ignored"]


def test_newer_version_updates_order_and_timeline_names_what_changed() -> None:
    account = make_account()
    receive_webhook(account, **signed(manual_order("A-1")))
    newer = manual_order(
        "A-1", status="shipped", updated_at="2026-03-03T00:00:00Z", notes={"seller": "SF 顺丰"}
    )
    assert receive_webhook(account, **signed(newer)).outcome == PayloadOutcome.UPDATED
    order = Order.objects.get()
    assert order.status == "shipped"
    assert order.notes_seller == "SF 顺丰"
    update, status = order.events.filter(kind__in=["updated", "status_changed"]).order_by("id")
    assert update.data["changes"]["status"] == ["paid", "shipped"]
    assert update.data["changes"]["notes"][1]["seller"] == "SF 顺丰"
    assert status.data["from"] == "paid"
    assert status.data["to"] == "shipped"  # and the flow stage it followed to
    assert status.actor_kind == "channel"


def unversioned(external_id: str, **fields: object) -> dict[str, object]:
    """An order as staff key it in: no update time, no revision."""
    order = manual_order(external_id, **fields)
    del order["updated_at"]
    return order


def test_without_update_times_the_later_of_two_different_versions_is_the_correction() -> None:
    account = make_account()
    first = unversioned("A-1", notes={"seller": "first"})
    second = unversioned("A-1", notes={"seller": "corrected"})

    assert receive_webhook(account, **signed(first)).outcome == PayloadOutcome.CREATED
    assert receive_webhook(account, **signed(second)).outcome == PayloadOutcome.UPDATED
    assert Order.objects.get().notes_seller == "corrected"
    assert receive_webhook(account, **signed(second)).outcome == PayloadOutcome.UNCHANGED
    # The first version sent again is, again, the latest word.
    assert receive_webhook(account, **signed(first)).outcome == PayloadOutcome.UPDATED
    assert Order.objects.get().notes_seller == "first"


def test_without_update_times_a_version_received_earlier_but_processed_later_is_stale() -> None:
    # A dead letter replayed after a newer correction, or a delivery another worker took late:
    # what omnioms received first does not replace what it received after.
    account = make_account()
    older = accept_webhook(account, **signed(unversioned("A-1", notes={"seller": "older"})))
    newer = accept_webhook(account, **signed(unversioned("A-1", notes={"seller": "newer"})))
    by_pk = InboundPayload.objects.in_bulk([older.payload_id, newer.payload_id])

    with transaction.atomic():
        process_payloads([by_pk[newer.payload_id]])
    with transaction.atomic():
        process_payloads([by_pk[older.payload_id]])

    assert by_pk[older.payload_id].outcome == PayloadOutcome.STALE
    assert Order.objects.get().notes_seller == "newer"


def test_a_changed_order_time_and_tax_rule_are_named_in_the_timeline() -> None:
    account = make_account()
    receive_webhook(account, **signed(manual_order("A-1")))
    newer = manual_order(
        "A-1",
        created_at="2026-02-28T23:00:00Z",
        taxes_included=True,
        updated_at="2026-03-03T00:00:00Z",
    )

    assert receive_webhook(account, **signed(newer)).outcome == PayloadOutcome.UPDATED

    update = Order.objects.get().events.get(kind="updated")
    assert update.data["changes"]["created_at"] == ["2026-03-01T02:00:00Z", "2026-02-28T23:00:00Z"]
    assert update.data["changes"]["taxes_included"] == [False, True]


VERSIONS = [
    manual_order("X", status="pending_payment", updated_at="2026-03-01T00:00:00Z"),
    manual_order("X", status="paid", updated_at="2026-03-01T00:05:00Z"),
    manual_order("X", status="paid", updated_at="2026-03-01T00:05:00Z", notes={"buyer": "快点"}),
    manual_order("X", status="shipped", updated_at="2026-03-02T00:00:00Z"),
    manual_order("X", status="completed", updated_at="2026-03-09T00:00:00Z"),
]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    deliveries=st.lists(
        st.tuples(st.integers(0, len(VERSIONS) - 1), st.booleans()), min_size=1, max_size=12
    ),
    data=st.data(),
)
def test_any_order_of_any_repeated_deliveries_converges_to_the_same_order(
    deliveries: list[tuple[int, bool]], data: st.DataObject
) -> None:
    account = make_account()
    for index, reuse_event_id in deliveries:
        extra = {"X-Omnioms-Event-Id": f"evt-{index}"} if reuse_event_id else {}
        receive_webhook(account, **signed(VERSIONS[index], **extra))
    sent = {index for index, _ in deliveries}
    # The winner is the newest version sent; equal times break ties the same way every time.
    expected = {i: receive_expected(i) for i in sent}
    newest = max(sent, key=lambda i: expected[i])
    order = Order.objects.get(account=account)
    assert order.normalized == normalized_of(VERSIONS[newest])
    assert order.status == VERSIONS[newest]["status"]
    assert order.events.filter(kind="created").count() == 1
    assert InboundPayload.objects.filter(account=account).count() == len(deliveries)


def normalized_of(raw: dict[str, object]) -> dict[str, object]:
    return NormalizedOrder.model_validate({"channel": "manual", **raw}).model_dump(mode="json")


def receive_expected(index: int) -> tuple[object, ...]:
    order = NormalizedOrder.model_validate({"channel": "manual", **VERSIONS[index]})
    return snapshot_key(order.model_dump(mode="json"), content_hash(order))


def test_malformed_payload_is_answered_2xx_then_dead_lettered_with_a_reason(
    client: Client,
) -> None:
    make_account("shop")
    bad = manual_order("A-1")
    bad["lines"] = [bad["lines"][0], {**bad["lines"][0], "unit_price": "abc"}]
    request = signed(bad)
    response = post_webhook(client, "shop", request["body"], request["headers"])
    assert response.status_code == 200
    process_received()
    letter = DeadLetter.objects.get()
    assert letter.reason == "line 2: unit_price: 'abc' is not a number"
    assert bytes(letter.payload.body) == request["body"]
    assert not Order.objects.exists()


def test_body_that_is_not_json_is_dead_lettered_not_lost() -> None:
    account = make_account()
    result = receive_webhook(account, **signed(b"{not json"))
    assert result.outcome == PayloadOutcome.DEAD_LETTERED
    assert DeadLetter.objects.get().reason.startswith("not valid JSON")


def test_dead_letter_replays_after_the_account_is_fixed() -> None:
    account = make_account(currency="CNY")
    ChannelAccount.objects.filter(pk=account.pk).update(default_currency="rmb")
    account.refresh_from_db()
    order = manual_order("A-1")
    del order["currency"]
    receive_webhook(account, **signed(order))
    letter = DeadLetter.objects.get()
    assert "currency" in letter.reason

    assert replay_dead_letter(letter.pk, actor=Actor.system()) == PayloadOutcome.DEAD_LETTERED
    letter.refresh_from_db()
    assert (letter.attempts, letter.resolved_at) == (2, None)

    ChannelAccount.objects.filter(pk=account.pk).update(default_currency="CNY")
    clerk = Actor(kind="user", label="li.clerk")
    assert replay_dead_letter(letter.pk, actor=clerk) == PayloadOutcome.CREATED
    letter.refresh_from_db()
    assert letter.resolved_at is not None
    replayed = Order.objects.get()
    assert replayed.currency == "CNY"
    # The timeline says who replayed it.
    assert replayed.events.get(kind="created").actor_label == "li.clerk"


def test_file_import_keeps_good_orders_and_dead_letters_the_bad_one() -> None:
    account = make_account()
    orders = [manual_order(f"F-{n}") for n in range(5)]
    orders[2]["lines"][0]["quantity"] = "two"
    raw = json.dumps(orders).encode()
    summary = import_file(account, raw=raw, filename="orders.json", actor=Actor.system())
    assert (summary.created, summary.dead_lettered) == (4, 1)
    assert summary.problems == [
        "item 3: line 1: quantity: Input should be a valid integer, "
        "unable to parse string as an integer"
    ]
    again = import_file(account, raw=raw, filename="orders.json", actor=Actor.system())
    assert (again.created, again.unchanged, again.dead_lettered) == (0, 4, 1)
    assert Order.objects.count() == 4


def test_file_that_cannot_be_read_is_kept_whole_as_one_dead_letter() -> None:
    account = make_account()
    summary = import_file(account, raw=b'[{"a": 1},', filename="broken.json", actor=Actor.system())
    assert summary.dead_lettered == 1
    letter = DeadLetter.objects.get()
    assert letter.reason.startswith("broken.json")
    assert bytes(letter.payload.body) == b'[{"a": 1},'


def test_lines_map_to_catalog_skus_with_the_account_mapping_winning() -> None:
    account = make_account()
    create_product(sku="QH-TS-BLK-L", name="T恤 黑 L")
    create_product(sku="OURS-2", name="另一个")
    ChannelSkuMapping.objects.create(
        account=account, external_sku="QH-TS-BLK-L", sku=Sku.objects.get(code="OURS-2")
    )
    order = manual_order("S-1")
    order["lines"].append({**order["lines"][0], "sku": None, "title": "赠品"})
    receive_webhook(account, **signed(order))
    mapped, unmapped = Order.objects.get().lines.order_by("position")
    assert mapped.sku_code == "QH-TS-BLK-L"
    assert mapped.sku == Sku.objects.get(code="OURS-2")
    assert (unmapped.sku_code, unmapped.sku_id) == ("", None)


POS_HEADER = (
    "Date,Time,Time Zone,Item,Qty,SKU,Gross Sales,Discounts,Net Sales,Tax,Transaction ID,"
    "Event Type\n"
)


def test_a_return_in_a_later_pos_file_keeps_the_sale_and_adds_a_return_order() -> None:
    account = make_account(platform="pos_csv")
    sale = (
        POS_HEADER + "2026-03-01,10:00:00,Asia/Shanghai,T恤,2,TS-1,¥198.00,¥0.00,¥198.00,¥0.00,"
        "T1,Payment\n2026-03-01,10:00:00,Asia/Shanghai,袜子,1,SK-1,¥19.00,¥0.00,¥19.00,¥0.00,"
        "T1,Payment\n"
    )
    later = (
        POS_HEADER
        + "2026-03-03,15:30:00,Asia/Shanghai,T恤,1,TS-1,¥99.00,¥0.00,¥99.00,¥0.00,T1,Refund\n"
    )
    import_file(account, raw=sale.encode(), filename="0301.csv", actor=Actor.system())
    summary = import_file(account, raw=later.encode(), filename="0303.csv", actor=Actor.system())
    assert summary.created == 1
    sale_order = Order.objects.get(external_id="T1")
    assert (sale_order.status, sale_order.total, sale_order.lines.count()) == (
        "completed",
        Decimal("217.00"),
        2,
    )
    returned = Order.objects.get(external_id="T1/return/20260303T073000")
    assert (returned.status, returned.total) == ("refunded", Decimal("99.00"))


def test_a_new_secret_applies_to_the_next_webhook(client: Client) -> None:
    account = make_account("shop", secret="first")
    request = signed(manual_order("R-1"), secret="first")
    assert post_webhook(client, "shop", request["body"], request["headers"]).status_code == 200
    account.webhook_secret = "second"
    account.save()
    assert post_webhook(client, "shop", request["body"], request["headers"]).status_code == 401


@given(
    updated=st.one_of(
        st.none(),
        st.datetimes(
            min_value=datetime(2000, 1, 1),
            max_value=datetime(2100, 1, 1),
            timezones=st.sampled_from([UTC, ZoneInfo("Asia/Shanghai"), ZoneInfo("America/Lima")]),
        ),
    ),
    version=st.one_of(st.none(), st.integers(0, 2**40)),
    status=st.sampled_from(OrderStatus.values),
)
def test_an_incoming_order_ranks_as_its_stored_snapshot_will(
    updated: datetime | None, version: int | None, status: str
) -> None:
    # Incoming versions are ranked off the order, stored ones off their JSON: the two must agree.
    raw = manual_order(
        "K-1", status=status, version=version, updated_at=updated.isoformat() if updated else None
    )
    order = NormalizedOrder.model_validate({"channel": "manual", **raw})
    digest = content_hash(order)

    assert version_key(order, digest) == snapshot_key(order.model_dump(mode="json"), digest)
