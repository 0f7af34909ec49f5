"""Raw bodies made readable, whatever a sender signed: any depth, any size, any bytes."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnioms.channels.bodies import INDENT_DEPTH_LIMIT, body_text, head_of, with_body_head
from omnioms.channels.models import InboundPayload
from omnioms.sync.webhooks import receive_webhook
from omnioms.testing import make_account, signed

scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
json_values = st.recursive(
    scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
# Generation, not the code under test, is what a loaded machine slows down.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_a_body_nested_thousands_of_levels_deep_is_shown_indented_only_so_far() -> None:
    raw = b"[" * 5000 + b"1" + b"]" * 5000

    body = body_text(raw)

    assert body.is_json
    assert not body.truncated
    lines = body.text.split("\n")
    assert max(len(line) - len(line.lstrip(" ")) for line in lines) == 2 * INDENT_DEPTH_LIMIT
    assert "".join(body.text.split()).encode() == raw


def test_a_large_body_is_cut_at_the_limit_saying_how_much_of_it_is_shown() -> None:
    raw = json.dumps([{"sku": f"SKU-{n}", "quantity": n} for n in range(200_000)]).encode()

    body = body_text(raw, limit=10_000)

    assert body.is_json  # what there is of it reads as JSON so far
    assert (body.truncated, body.size) == (True, len(raw))
    assert len(body.text) <= 10_000
    assert 0 < body.shown <= 10_000
    assert body.text.startswith('[\n  {\n    "sku": "SKU-0",\n    "quantity": 0\n  },')


def test_a_deep_body_fills_at_most_the_limit() -> None:
    body = body_text(b"[" * 3_000_000, limit=50_000)

    assert body.is_json
    assert body.truncated
    assert len(body.text) <= 50_000
    assert body.shown <= 50_000


@pytest.mark.parametrize(
    "raw",
    [b'{"a":}', b'{"a" 1}', b"[1,]", b"[1 2]", b"tru", b'"\\x"', b"01", b"[1]]", b'{"a":1}{'],
)
def test_text_that_is_not_json_is_shown_as_it_is(raw: bytes) -> None:
    body = body_text(raw)

    assert (body.is_json, body.text) == (False, raw.decode())


def test_a_body_cut_mid_character_counts_whole_characters() -> None:
    raw = "[茶]".encode()

    body = body_text(raw[:3], size=len(raw))  # "[" and two of the three bytes of 茶

    assert (body.text, body.shown, body.truncated) == ("[", 1, True)


@relaxed
@given(json_values, st.sampled_from([None, 2, 0]))
def test_any_json_is_indented_to_the_same_value(value: object, indent: int | None) -> None:
    raw = json.dumps(value, indent=indent).encode()

    body = body_text(raw, limit=len(raw) * 50 + 100)

    assert body.is_json
    assert json.loads(body.text) == value


@relaxed
@given(st.binary(max_size=300), st.integers(min_value=1, max_value=400))
def test_any_bytes_render_within_the_limit(raw: bytes, limit: int) -> None:
    body = body_text(raw, limit=limit)

    assert len(body.text) <= limit
    assert body.size == len(raw)
    assert body.shown <= min(limit, len(raw))
    assert body.truncated == (body.shown < len(raw))


@relaxed
@given(json_values, st.data())
def test_the_start_of_any_json_reads_as_json(value: object, data: st.DataObject) -> None:
    raw = json.dumps(value, ensure_ascii=False).encode()
    cut = data.draw(st.integers(min_value=1, max_value=len(raw)))

    assert body_text(raw[:cut], size=len(raw)).is_json


@pytest.mark.django_db
def test_only_the_head_of_a_stored_body_is_read_from_the_database() -> None:
    raw = b'{"items": [' + b'"x",' * 100_000 + b'"y"]}'
    receive_webhook(make_account("shop"), **signed(raw))

    payload = with_body_head(InboundPayload.objects.all(), limit=1_000).get()
    body = head_of(payload, 1_000)

    assert "body" in payload.get_deferred_fields()
    assert len(bytes(getattr(payload, "body_head"))) == 1_000  # noqa: B009 (an annotation)
    assert (body.size, body.truncated, body.is_json) == (len(raw), True, True)
