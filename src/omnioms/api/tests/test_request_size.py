"""A body beyond DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 that names the limit, not Django's 400
page: the API's error shape under /api/ (webhooks too), a short text on the web pages.

The limit is lowered to 1 kB here so that the tests do not send 20 MB.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from omnioms.channels.models import InboundPayload
from omnioms.core.roles import Role
from omnioms.orders.models import Order
from omnioms.testing import api_as, make_account, make_user, manual_order, signed

pytestmark = pytest.mark.django_db

LIMIT = 1024
MESSAGE = "The request body is larger than the limit of 1.0\xa0KB (1024 bytes)."


@pytest.fixture(autouse=True)
def small_limit(settings: Any, client: Client) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    client.raise_request_exception = False


def _big_order() -> dict[str, object]:
    return {**manual_order("BIG-1", notes={"buyer": "x" * 2 * LIMIT}), "account": "phone"}


def test_an_api_body_over_the_limit_is_413_in_the_error_shape(client: Client) -> None:
    make_account("phone")

    response = api_as(client, Role.ORDER_CLERK).post("/orders", _big_order())

    assert response.status_code == 413
    assert response.json() == {"detail": MESSAGE, "errors": []}
    assert not Order.objects.exists()


def test_a_body_just_within_the_limit_is_read(client: Client) -> None:
    make_account("phone")
    body = {**manual_order("OK-1", notes={"buyer": ""}), "account": "phone"}
    body["notes"]["buyer"] = "x" * (LIMIT - len(json.dumps(body)))  # as Api.post sends it
    assert len(json.dumps(body)) == LIMIT

    response = api_as(client, Role.ORDER_CLERK).post("/orders", body)

    assert response.status_code == 201, response.content


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data; boundary=b"])
def test_a_webhook_over_the_limit_is_413_and_stores_nothing(
    client: Client, content_type: str
) -> None:
    make_account("relay")
    request = signed(manual_order("BIG-1", notes={"buyer": "x" * 2 * LIMIT}))

    response = client.post(
        "/api/v1/webhooks/relay",
        request["body"],
        content_type=content_type,
        headers={k: v for k, v in request["headers"].items() if k != "Content-Type"},
    )

    assert response.status_code == 413
    assert response.json() == {"detail": MESSAGE, "errors": []}
    assert not InboundPayload.objects.exists()


def test_a_web_form_over_the_limit_is_413_with_the_sites_message(client: Client) -> None:
    client.force_login(make_user(Role.ORDER_CLERK))

    urlencoded = client.post(
        "/orders/1/notes/",
        "text=" + "x" * 2 * LIMIT,
        content_type="application/x-www-form-urlencoded",
    )
    multipart = client.post("/orders/1/notes/", {"text": "x" * 2 * LIMIT})

    for response in (urlencoded, multipart):
        assert response.status_code == 413
        assert response.content.decode() == MESSAGE


def test_a_file_upload_larger_than_the_limit_is_not_refused_for_its_size(client: Client) -> None:
    client.force_login(make_user(Role.ORDER_CLERK))
    upload = SimpleUploadedFile("orders.csv", b"x" * 4 * LIMIT, content_type="text/csv")

    response = client.post("/orders/1/notes/", {"text": "hello", "file": upload})

    assert response.status_code == 404  # the order does not exist: the view read the form


def test_the_message_is_in_the_readers_language(client: Client) -> None:
    make_account("phone")

    api = api_as(client, Role.ORDER_CLERK)
    response = api.client.post(
        "/api/v1/orders",
        json.dumps(_big_order()),
        content_type="application/json",
        headers={**api.headers, "Accept-Language": "zh-hans"},
    )

    assert response.status_code == 413
    assert "1024" in response.json()["detail"]
    assert response.json()["detail"] != MESSAGE
