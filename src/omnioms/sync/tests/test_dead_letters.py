"""Dead letters through the API and the back office: bodies of any size and depth."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.channels.models import REASON_LIMIT, DeadLetter, InboundPayload
from omnioms.core.roles import Role
from omnioms.sync.api import API_BODY_LIMIT
from omnioms.sync.webhooks import receive_webhook
from omnioms.testing import api_as, make_account, make_user, signed

pytestmark = pytest.mark.django_db

DEEP = b"[" * 5000 + b"]" * 5000


def dead_letter(body: bytes, **headers: str) -> DeadLetter:
    receive_webhook(make_account(f"shop-{DeadLetter.objects.count()}"), **signed(body, **headers))
    return DeadLetter.objects.latest("pk")


def test_a_payload_with_thousands_of_problems_keeps_a_bounded_reason() -> None:
    letter = dead_letter(json.dumps({"lines": [{"sku": f"S-{n}"} for n in range(20_000)]}).encode())

    assert len(letter.reason) <= REASON_LIMIT
    assert letter.reason.startswith("external_id: Field required; status: Field required;")
    assert letter.reason.endswith(" more characters)")


def test_the_api_lists_a_large_body_cut_with_its_size_and_the_address_of_the_whole(
    client: Client,
) -> None:
    raw = json.dumps({"lines": ["x" * 100] * 20_000}).encode()
    letter = dead_letter(raw)
    api = api_as(client, Role.ORDER_CLERK)

    (item,) = api.get("/dead-letters").json()["items"]
    single = api.get(f"/dead-letters/{letter.pk}").json()
    whole = client.get(item["body_url"], headers=api.headers)

    assert item == single
    assert (item["body_size"], item["body_truncated"]) == (len(raw), True)
    assert item["body_shown"] == len(item["body"]) <= API_BODY_LIMIT
    assert raw.decode().startswith(item["body"])
    assert item["body_url"] == f"http://testserver/api/v1/dead-letters/{letter.pk}/body"
    assert whole.status_code == 200
    assert whole.content == raw
    assert whole["Content-Type"] == "application/json"
    assert whole["Content-Disposition"] == f'attachment; filename="dead-letter-{letter.pk}.json"'


def test_a_deep_body_is_listed_by_the_api_as_it_was_sent(client: Client) -> None:
    dead_letter(DEEP)

    (item,) = api_as(client, Role.ORDER_CLERK).get("/dead-letters").json()["items"]

    assert (item["body"], item["body_truncated"]) == (DEEP.decode(), False)


def test_only_those_who_see_dead_letters_read_their_bodies(client: Client) -> None:
    letter = dead_letter(b"not json")

    assert client.get(f"/api/v1/dead-letters/{letter.pk}/body").status_code == 401
    service = api_as(client, Role.CUSTOMER_SERVICE)
    assert service.get(f"/dead-letters/{letter.pk}/body").status_code == 403
    assert service.get(f"/dead-letters/{letter.pk}").status_code == 403
    clerk = api_as(client, Role.ORDER_CLERK)
    assert clerk.get(f"/dead-letters/{letter.pk + 1}/body").status_code == 404
    assert clerk.get(f"/dead-letters/{letter.pk + 1}").status_code == 404


def test_the_openapi_schema_describes_the_body_download(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()

    download = schema["paths"]["/api/v1/dead-letters/{letter_id}/body"]["get"]
    assert download["responses"]["200"]["content"]["*/*"]["schema"]["format"] == "binary"
    letter = schema["components"]["schemas"]["DeadLetterOut"]["properties"]
    assert {"body_size", "body_shown", "body_truncated", "body_url"} <= set(letter)


@pytest.mark.parametrize(
    "body", [DEEP, json.dumps({"lines": ["x" * 100] * 20_000}).encode()], ids=["deep", "large"]
)
def test_the_back_office_shows_any_stored_body(client: Client, body: bytes) -> None:
    letter = dead_letter(body)
    client.force_login(make_user(Role.ADMINISTRATOR))

    pages = [
        client.get(reverse("admin:channels_deadletter_changelist")),
        client.get(reverse("admin:channels_deadletter_change", args=[letter.pk])),
        client.get(reverse("admin:channels_inboundpayload_changelist")),
        client.get(reverse("admin:channels_inboundpayload_change", args=[letter.payload_id])),
    ]

    assert [page.status_code for page in pages] == [200] * 4
    assert all(len(page.content) < 400_000 for page in pages)
    assert reverse("web:dead_letter_body", args=[letter.pk]) in pages[1].content.decode()
    assert InboundPayload.objects.get().pk == letter.payload_id
