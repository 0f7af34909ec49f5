"""``bulk_insert`` stores exactly what Django's ``bulk_create`` stores, value by value."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, models

from omnioms.channels.models import ChannelAccount, InboundPayload, PayloadOutcome, PayloadSource
from omnioms.core.bulk import JsonText, bulk_insert, bulk_set
from omnioms.core.choices import OrderStatus
from omnioms.customers.models import Customer
from omnioms.orders.models import Order, OrderEvent, OrderEventKind
from omnioms.testing import make_account, make_location

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def stored(obj: models.Model) -> dict[str, Any]:
    """The row as the database holds it, without its id; JSON columns parsed."""
    opts = obj._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {connection.ops.quote_name(opts.db_table)} WHERE id = %s",  # noqa: S608
            [obj.pk],
        )
        names = [column[0] for column in cursor.description]
        row = dict(zip(names, cursor.fetchone(), strict=True))
    row.pop("id")
    for field in opts.concrete_fields:
        value = row.get(field.column)
        if isinstance(field, models.JSONField) and isinstance(value, str):
            row[field.column] = json.loads(value)
        if isinstance(value, memoryview):
            row[field.column] = bytes(value)
    return row


def order(customer: Customer | None = None, **values: Any) -> Order:
    account = ChannelAccount.objects.filter(name="bulk-shop").first() or make_account(
        "bulk-shop", location_code=make_location("bulk-store").code
    )
    fields: dict[str, Any] = {
        "account": account,
        "channel": account.platform,
        "external_id": "E-1",
        "status": OrderStatus.PAID,  # an enum member, as the services set it
        "raw_status": "WAIT_SELLER_SEND_GOODS",
        "currency": "CNY",
        "placed_at": datetime(2026, 3, 1, 10, 30, tzinfo=SHANGHAI),
        "paid_at": datetime(2026, 3, 1, 2, 31, 5, 120000, tzinfo=UTC),
        "source_updated_at": None,
        "source_version": 7,
        "normalized": {"external_id": "E-1", "note": '张三 "quoted"'},
        "content_hash": "ab" * 32,
        "customer": customer,
        "buyer_name": "张三",
        "ship_to": {"city": "杭州市", "line1": "文一西路 969 号"},
        "shipping": Decimal("8.00"),
        "discount": Decimal("10.5"),
        "total": Decimal("1234.56"),
        "location": account.location,
        "ingested_at": datetime(2026, 3, 1, 2, 31, 6, tzinfo=UTC),
        "modified_at": datetime(2026, 3, 1, 2, 31, 6, tzinfo=UTC),
    }
    return Order(**{**fields, **values})


def test_an_order_row_is_stored_as_bulk_create_stores_it() -> None:
    ours = bulk_insert([order()])[0]
    django = Order.objects.bulk_create([order(external_id="E-2")])[0]

    mine, theirs = stored(ours), stored(django)
    assert (mine.pop("external_id"), theirs.pop("external_id")) == ("E-1", "E-2")
    assert mine == theirs
    assert ours.pk is not None
    assert not ours._state.adding


def test_several_rows_in_one_statement_are_stored_as_bulk_create_stores_them() -> None:
    # On PostgreSQL several rows go as one array per column: a column that is NULL in every
    # row, small and large integers, text with quotes, backslashes and braces (array syntax),
    # and JSON given as text or as a value must all come out as bulk_create writes them.
    variants: list[dict[str, Any]] = [
        {"source_version": 7, "buyer_name": '王 "小明" \\ {x}', "paid_at": None},
        {"source_version": 2**40, "buyer_name": "", "discount": Decimal("-0.0001")},
        {
            "source_version": None,
            "buyer_name": "NULL",
            "normalized": JsonText('{"note": "a \\"b\\" \\\\ {c}", "n": null}'),
            "ship_to": None,
        },
    ]

    def rows(prefix: str) -> list[Order]:
        return [order(external_id=f"{prefix}-{n}", **v) for n, v in enumerate(variants)]

    ours = bulk_insert(rows("M"))
    django_rows = rows("D")
    django_rows[2].normalized = json.loads(django_rows[2].normalized)  # JsonText is ours alone
    django = Order.objects.bulk_create(django_rows)

    for mine, theirs in zip(ours, django, strict=True):
        a, b = stored(mine), stored(theirs)
        assert a.pop("external_id")[1:] == b.pop("external_id")[1:]  # M-0 and D-0, ...
        assert a == b
    assert [o.pk for o in ours] == sorted(o.pk for o in ours)
    assert Order.objects.get(pk=ours[2].pk).normalized == {"note": 'a "b" \\ {c}', "n": None}

    def payload(n: int, body: bytes) -> InboundPayload:
        return InboundPayload(
            account=ours[0].account,
            source=PayloadSource.FILE,
            received_at=datetime(2026, 3, 1, 2, 30, tzinfo=UTC),
            body=body,
            sha256=f"{n:064d}",
            record_label=f'row {n} "{{}}"',
            outcome=PayloadOutcome.CREATED,
        )

    bodies = [b'\x00\\{}"', "T恤,2,¥198.00".encode("gb18030"), b""]
    mine_p = bulk_insert([payload(n, body) for n, body in enumerate(bodies)])
    theirs_p = InboundPayload.objects.bulk_create(
        [payload(n, body) for n, body in enumerate(bodies)]
    )
    assert [stored(p) for p in mine_p] == [stored(p) for p in theirs_p]
    assert [bytes(InboundPayload.objects.get(pk=p.pk).body) for p in mine_p] == bodies


def test_a_foreign_key_to_an_object_saved_after_it_was_assigned_takes_its_id() -> None:
    customer = Customer(name="张三")
    row = order(customer=customer)
    customer.save()

    bulk_insert([row])

    assert Order.objects.get(pk=row.pk).customer_id == customer.pk


def test_json_text_is_stored_as_the_json_it_holds() -> None:
    text = json.dumps({"external_id": "E-1", "lines": [{"title": "T恤", "total": "99.00"}]})

    row = bulk_insert([order(normalized=JsonText(text))])[0]

    assert Order.objects.get(pk=row.pk).normalized == json.loads(text)


def test_times_in_any_zone_are_stored_as_the_same_instant() -> None:
    instants = [
        datetime(2026, 3, 1, 10, 30, tzinfo=SHANGHAI),
        datetime(2026, 3, 1, 2, 30, tzinfo=UTC),
        datetime(2026, 3, 1, 2, 30, 0, 5, tzinfo=UTC),
    ]
    rows = bulk_insert([order(external_id=f"T-{i}", placed_at=t) for i, t in enumerate(instants)])

    read = [Order.objects.get(pk=row.pk).placed_at for row in rows]
    assert read == instants
    assert all(t.utcoffset() == timedelta(0) for t in read)


def test_payload_and_event_rows_match_bulk_create() -> None:
    account = make_account("bulk-hooks")

    def payload(event_id: str) -> InboundPayload:
        return InboundPayload(
            account=account,
            source=PayloadSource.WEBHOOK,
            received_at=datetime(2026, 3, 1, 2, 30, tzinfo=UTC),
            headers={"X-Shopify-Topic": "orders/create"},
            body=b'{"id": 1}\xe4\xb8\xad',
            sha256="cd" * 32,
            event_id=event_id,
            dedupe_key=None,
            outcome=PayloadOutcome.RECEIVED,
        )

    ours = bulk_insert([payload("e-1")])[0]
    django = InboundPayload.objects.bulk_create([payload("e-2")])[0]
    mine, theirs = stored(ours), stored(django)
    assert (mine.pop("event_id"), theirs.pop("event_id")) == ("e-1", "e-2")
    assert mine == theirs

    target = bulk_insert([order()])[0]

    def event() -> OrderEvent:
        return OrderEvent(
            order=target,
            at=datetime(2026, 3, 1, 2, 30, tzinfo=UTC),
            kind=OrderEventKind.CREATED,
            actor_kind="channel",
            actor_label="bulk-hooks",
            data={"status": "paid", "payload": ours.pk},
        )

    assert stored(bulk_insert([event()])[0]) == stored(OrderEvent.objects.bulk_create([event()])[0])


def test_bulk_set_writes_the_fields_it_names_and_no_other() -> None:
    first, second = bulk_insert([order(external_id="S-1"), order(external_id="S-2")])
    first.status, first.total = OrderStatus.SHIPPED, Decimal("1.10")
    second.status, second.total = OrderStatus.CANCELLED, Decimal("0")
    first.buyer_name = "not written"

    bulk_set([first, second], ["status", "total"])

    read = {o.external_id: o for o in Order.objects.filter(pk__in=[first.pk, second.pk])}
    assert (read["S-1"].status, read["S-1"].total) == ("shipped", Decimal("1.10"))
    assert (read["S-2"].status, read["S-2"].total) == ("cancelled", Decimal("0"))
    assert read["S-1"].buyer_name == "张三"
