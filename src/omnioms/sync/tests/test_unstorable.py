"""One order that cannot be stored never holds up the others: it becomes a dead letter.

Values larger than the order tables hold are refused by the contract, with the field named.
Anything else the database refuses while an order is written (found only when writing) is
isolated: the batch is written again one payload or record at a time, and the one that still
fails is dead-lettered with the database's error, while everything around it is stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client

from omnioms.channels.models import ChannelAccount, DeadLetter, InboundPayload, PayloadOutcome
from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.orders import services as order_services
from omnioms.orders.models import Order
from omnioms.sync.services import import_file, replay_dead_letter
from omnioms.sync.webhooks import accept_webhook, process_received
from omnioms.testing import make_account, make_user, manual_order, signed

pytestmark = pytest.mark.django_db


def deliver(account: ChannelAccount, *orders: dict[str, Any]) -> None:
    for order in orders:
        accept_webhook(account, **signed(order))


def reasons() -> dict[str, str]:
    """Each open dead letter's reason, by the external id in its payload."""
    return {
        json.loads(bytes(letter.payload.body))["external_id"]: letter.reason
        for letter in DeadLetter.objects.select_related("payload").filter(resolved_at=None)
    }


def test_numbers_and_ids_too_large_for_the_tables_are_dead_lettered_naming_the_field() -> None:
    account = make_account("relay")
    too_many = manual_order("Q-1")
    too_many["lines"][0]["quantity"] = 10**20
    deliver(
        account,
        manual_order("OK-1"),
        manual_order("T-1", total="10000000000000000"),
        too_many,
        manual_order("I" * 101),
        manual_order("P-1", buyer={"phone": "1" * 51}),
        manual_order("OK-2"),
    )

    assert process_received() == 6

    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["OK-1", "OK-2"]
    found = reasons()
    assert "total: '10000000000000000' is too large for an amount" in found["T-1"]
    assert "line 1: quantity: Input should be less than or equal to 2147483647" in found["Q-1"]
    assert "external_id: String should have at most 100 characters" in found["I" * 101]
    assert "buyer.phone: String should have at most 50 characters" in found["P-1"]


def test_text_with_nul_and_times_without_a_utc_are_dead_lettered_naming_the_field() -> None:
    # PostgreSQL cannot store NUL (SQLite could, so the same order was stored or not depending
    # on the database); the year 0 and a 16-hour offset have no place in a timestamptz.
    account = make_account("relay")
    nul_title = manual_order("N-2")
    nul_title["lines"][0]["title"] = "T恤\x00"
    deliver(
        account,
        manual_order("N-1", buyer={"name": "王\x00小明"}),
        nul_title,
        manual_order("Y-0", created_at="0001-01-01T00:00:00+08:00"),
        manual_order("Z-16", paid_at="2026-03-01T10:00:00+16:00"),
        manual_order("OK-1"),
    )

    assert process_received() == 5

    assert list(Order.objects.values_list("external_id", flat=True)) == ["OK-1"]
    assert reasons() == {
        "N-1": "buyer.name: must not contain the NUL character",
        "N-2": "line 1: title: must not contain the NUL character",
        "Y-0": "created_at: must be a time between 0001-01-02 and 9999-12-30 (UTC)",
        "Z-16": "paid_at: the UTC offset must be between -15:59 and +15:59",
    }


def test_a_webhook_whose_event_id_holds_nul_is_accepted_and_still_deduplicates(
    client: Client,
) -> None:
    # Some platforms' event ids are read from the body (Youzan's msg_id), where any text can be.
    make_account("youzan-shop", platform="youzan", secret="cid:csecret")
    body = json.dumps({"msg_id": "evt\x001", "type": "trade_TradeCreate", "msg": "{}"}).encode()
    sign = hashlib.md5(b"cid" + body + b"csecret", usedforsecurity=False).hexdigest()

    def post() -> Any:
        return client.post(
            "/api/v1/webhooks/youzan-shop",
            body,
            content_type="application/json",
            headers={"Event-Sign": sign},
        )

    first, again = post(), post()

    assert (first.status_code, again.status_code) == (200, 200)
    stored = list(InboundPayload.objects.order_by("pk").values_list("event_id", "dedupe_key"))
    assert stored[0][0] == "evt\ufffd1"
    assert str(stored[0][1]).startswith("sha256:")
    assert stored[1] == ("evt\ufffd1", None)  # the repeat is kept, as a duplicate


def refuse(external_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make writing the order ``external_id`` fail in the database, as a value it refuses would
    (a real statement, so that PostgreSQL's aborted transaction is part of the test)."""
    upsert = order_services.upsert_orders

    def refusing(account: ChannelAccount, incoming: Sequence[Any], **kwargs: Any) -> list[str]:
        outcomes = upsert(account, incoming, **kwargs)
        if any(item.order.external_id == external_id for item in incoming):
            with connection.cursor() as cursor:  # NOT NULL columns left out: IntegrityError
                cursor.execute("INSERT INTO orders_order (external_id) VALUES (%s)", [external_id])
        return outcomes

    monkeypatch.setattr("omnioms.sync.intake.upsert_orders", refusing)


def test_a_webhook_the_database_refuses_is_dead_lettered_and_the_batch_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = make_account("relay")
    refuse("BAD-1", monkeypatch)
    deliver(account, manual_order("A-1"), manual_order("BAD-1"), manual_order("C-1"))

    assert process_received() == 3

    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["A-1", "C-1"]
    letter = DeadLetter.objects.get()
    assert letter.reason.startswith("could not be stored (IntegrityError: ")
    assert json.loads(bytes(letter.payload.body))["external_id"] == "BAD-1"
    outcomes = list(InboundPayload.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == [PayloadOutcome.CREATED, PayloadOutcome.DEAD_LETTERED, "created"]
    # Nothing is left waiting, and the next delivery is processed as usual.
    deliver(account, manual_order("D-1"))
    assert process_received() == 1
    assert Order.objects.filter(external_id="D-1").exists()


def test_a_record_of_a_file_the_database_refuses_is_dead_lettered_and_the_rest_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = make_account()
    refuse("F-2", monkeypatch)
    raw = json.dumps([manual_order(f"F-{n}") for n in range(5)]).encode()

    summary = import_file(account, raw=raw, filename="orders.json", actor=Actor.system())

    assert (summary.created, summary.dead_lettered) == (4, 1)
    assert summary.problems[0].startswith("item 3: could not be stored (IntegrityError: ")
    assert Order.objects.count() == 4
    letter = DeadLetter.objects.get()
    assert json.loads(bytes(letter.payload.body))["external_id"] == "F-2"
    assert InboundPayload.objects.filter(account=account).count() == 5


def test_a_lost_connection_is_not_blamed_on_the_payloads(monkeypatch: pytest.MonkeyPatch) -> None:
    account = make_account("relay")
    deliver(account, manual_order("A-1"), manual_order("B-1"))

    def unreachable(*args: Any, **kwargs: Any) -> list[str]:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("omnioms.sync.intake.upsert_orders", unreachable)

    with pytest.raises(OperationalError):
        process_received()
    assert not DeadLetter.objects.exists()
    assert set(InboundPayload.objects.values_list("outcome", flat=True)) == {"received"}


def test_an_event_id_longer_than_its_column_still_deduplicates_exactly() -> None:
    # A Douyin push of many messages joins their ids into one event id of any length.
    account = make_account("relay")
    long_id = ",".join(f"7{n:018d}" for n in range(15))  # 299 characters
    same_start = long_id[:250] + ",7999999999999999999"

    first = accept_webhook(
        account, **signed(manual_order("L-1"), **{"X-Omnioms-Event-Id": long_id})
    )
    again = accept_webhook(
        account, **signed(manual_order("L-1"), **{"X-Omnioms-Event-Id": long_id})
    )
    other = accept_webhook(
        account, **signed(manual_order("L-2"), **{"X-Omnioms-Event-Id": same_start})
    )

    assert (first.outcome, again.outcome, other.outcome) == ("received", "duplicate", "received")
    keys = list(
        InboundPayload.objects.exclude(dedupe_key=None).values_list("dedupe_key", flat=True)
    )
    assert len(keys) == 2
    assert all(key is not None and len(key) <= 200 for key in keys)


def test_json_nested_beyond_reason_is_dead_lettered_and_intake_goes_on() -> None:
    account = make_account("relay")
    deep_object = b'{"a":' * 5000 + b"1" + b"}" * 5000
    deep_array = b"[" * 5000 + b"]" * 5000
    accept_webhook(account, **signed(deep_object))
    deliver(account, manual_order("OK-1"))

    assert process_received() == 2
    summary = import_file(account, raw=deep_array, filename="deep.json", actor=Actor.system())

    assert Order.objects.get().external_id == "OK-1"
    found = sorted(DeadLetter.objects.values_list("reason", flat=True))
    assert found == [
        "deep.json: the JSON is nested more than 64 levels deep; no order is",
        "the JSON is nested more than 64 levels deep; no order is",
    ]
    assert summary.dead_lettered == 1


def test_replaying_a_payload_the_database_still_refuses_keeps_it_as_a_dead_letter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = make_account("relay")
    refuse("BAD-1", monkeypatch)
    deliver(account, manual_order("BAD-1"))
    process_received()
    letter = DeadLetter.objects.get()

    assert replay_dead_letter(letter.pk, actor=Actor.system()) == PayloadOutcome.DEAD_LETTERED
    letter.refresh_from_db()
    assert (letter.attempts, letter.resolved_at) == (2, None)
    assert letter.reason.startswith("could not be stored (IntegrityError: ")

    monkeypatch.undo()  # the cause is fixed
    assert replay_dead_letter(letter.pk, actor=Actor.system()) == PayloadOutcome.CREATED
    letter.refresh_from_db()
    assert letter.resolved_at is not None
    assert Order.objects.get().external_id == "BAD-1"


def test_the_largest_amount_accepted_is_one_every_database_reads_back(client: Client) -> None:
    # SQLite keeps a decimal of 18 digits as a float: 99,999,999,999,999.9999 would come back
    # as 10^14, which the amount columns cannot read, and every page showing it would fail.
    account = make_account("relay")
    deliver(
        account,
        manual_order("MAX-1", total="99999999999999", shipping="99999999999999", lines=[]),
        manual_order("OVER-1", total="99999999999999.9999"),
    )

    process_received()

    assert Order.objects.get().total == Decimal("99999999999999")
    assert "is too large for an amount (at most 99999999999999)" in reasons()["OVER-1"]
    client.force_login(make_user(Role.MANAGER))
    assert client.get("/orders/").status_code == 200


def test_a_buyer_name_longer_than_the_columns_is_kept_whole_in_the_snapshot_only() -> None:
    account = make_account("relay")
    name = "王" * 250
    deliver(account, manual_order("N-1", buyer={"name": name, "email": "long@example.com"}))

    process_received()

    order = Order.objects.select_related("customer").get()
    assert order.normalized["buyer"]["name"] == name
    assert order.buyer_name == name[:200]
    assert order.customer is not None
    assert order.customer.name == name[:200]
