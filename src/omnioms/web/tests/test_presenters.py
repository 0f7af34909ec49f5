"""What the pages print for stored rows: raw bodies, changed values, timeline entries."""

from __future__ import annotations

from datetime import UTC, datetime

from omnioms.channels.bodies import body_text, indent_json
from omnioms.orders.models import OrderEvent, OrderEventKind
from omnioms.web.presenters import timeline_entry, value_text


def test_json_bodies_are_indented_without_changing_how_numbers_or_escapes_were_sent() -> None:
    body = body_text(b'{"total":100.10,"name":"\\u5f20\\"x\\"","lines":[{},[]],"ok":true}')

    assert body.is_json
    assert body.text == (
        "{\n"
        '  "total": 100.10,\n'
        '  "name": "\\u5f20\\"x\\"",\n'
        '  "lines": [\n'
        "    {},\n"
        "    []\n"
        "  ],\n"
        '  "ok": true\n'
        "}"
    )


def test_a_body_that_is_not_json_is_shown_as_text_and_cut_when_long() -> None:
    csv = body_text("order,sku\n1,茶\n".encode())
    binary = body_text(b"\xff\xfe broken")
    long = body_text(b"x" * 50, limit=10)

    assert (csv.is_json, csv.text) == (False, "order,sku\n1,茶\n")
    assert binary.text.endswith(" broken")
    assert (long.text, long.truncated, long.size) == ("x" * 10, True, 50)


def test_indenting_keeps_commas_and_brackets_inside_strings() -> None:
    assert indent_json('["a,b", "[c]"]') == '[\n  "a,b",\n  "[c]"\n]'


def test_changed_values_read_as_short_text() -> None:
    assert value_text("status", "partially_shipped") == "Partially shipped"
    assert value_text("paid_at", "2024-03-01T16:05:00Z") == "2024-03-02 00:05"
    assert value_text("buyer", {"name": "Li", "email": None, "phone": "138"}) == (
        "name: Li, phone: 138"
    )
    assert value_text("ship_to", {"city": "杭州市", "masked": True}) == "city: 杭州市, masked: ✓"
    assert value_text("lines", ["2 × TEA", "1 × CUP"]) == "2 × TEA, 1 × CUP"
    assert value_text("notes", None) == "—"


def test_a_stale_version_on_the_timeline_says_when_the_channel_sent_it_and_its_status() -> None:
    event = OrderEvent(
        at=datetime(2024, 3, 1, tzinfo=UTC),
        kind=OrderEventKind.STALE_IGNORED,
        actor_kind="channel",
        actor_label="north-pos",
        data={"channel_updated_at": "2024-02-29T23:00:00Z", "status": "paid", "payload": 7},
    )

    entry = timeline_entry(event)

    assert entry.kind_label == "Older version ignored"
    assert [(d.label, d.new) for d in entry.details] == [
        ("Updated on channel", "2024-03-01 07:00"),
        ("Status", "Paid"),
    ]
    assert entry.payload_id == 7


def test_a_status_change_with_a_reason_shows_both_labels_and_the_reason() -> None:
    event = OrderEvent(
        at=datetime(2024, 3, 1, tzinfo=UTC),
        kind=OrderEventKind.STATUS_CHANGED,
        actor_kind="user",
        actor_label="mei",
        data={"from": "paid", "to": "refunded", "reason": "buyer returned everything"},
    )

    entry = timeline_entry(event)

    assert (entry.status_from, entry.status_to) == ("Paid", "Refunded")
    assert [(d.label, d.new) for d in entry.details] == [("Reason", "buyer returned everything")]
