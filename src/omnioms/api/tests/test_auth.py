"""Who the API lets write: a bearer token, or the web session with its CSRF token.

The test client skips CSRF checks unless told otherwise; these tests tell it, as a browser
or a script would meet them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from omnioms.core.roles import Role
from omnioms.orders.models import Order
from omnioms.testing import api_as, make_account, make_user, manual_order

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders"


def post_order(client: Client, **headers: str) -> Any:
    body = {**manual_order("P-1"), "account": "phone-orders"}
    return client.post(ORDERS, json.dumps(body), content_type="application/json", headers=headers)


@pytest.fixture
def browser() -> Client:
    make_account("phone-orders")
    return Client(enforce_csrf_checks=True)


def test_a_write_without_token_or_session_is_401_with_the_error_shape(browser: Client) -> None:
    response = post_order(browser)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "authentication required: send Authorization: Bearer <token>",
        "errors": [],
    }
    assert not Order.objects.exists()


def test_a_write_with_a_session_but_no_csrf_token_is_refused(browser: Client) -> None:
    browser.force_login(make_user(Role.ORDER_CLERK))

    response = post_order(browser)

    assert response.status_code == 403
    assert not Order.objects.exists()


def test_a_write_with_a_session_and_its_csrf_token_is_accepted(browser: Client) -> None:
    browser.force_login(make_user(Role.ORDER_CLERK))
    browser.get("/orders/")  # sets the CSRF cookie, as the page does for htmx

    response = post_order(browser, X_CSRFToken=browser.cookies["csrftoken"].value)

    assert response.status_code == 201, response.content


def test_a_write_with_a_bearer_token_needs_no_csrf_token(browser: Client) -> None:
    api = api_as(browser, Role.ORDER_CLERK)

    response = post_order(browser, **api.headers)

    assert response.status_code == 201
