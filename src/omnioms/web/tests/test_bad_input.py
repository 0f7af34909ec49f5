"""Extreme or crafted input to the order list: a field error on the page, never a 500."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.web.tests.conftest import Shop
from omnioms.web.tests.factories import order_data, submit


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field", "fragment"),
    [
        # "to" includes its own day: the end of 9999-12-31 would be midnight of the year 10000
        ({"placed_to": "9999-12-31"}, "Placed to", "less than or equal to 9999-12-30"),
        # midnight of 0001-01-01 in Beijing is still the year 0 in UTC
        ({"placed_from": "0001-01-01"}, "Placed from", "greater than or equal to 1900-01-01"),
        ({"placed_from": "1899-12-31"}, "Placed from", "greater than or equal to 1900-01-01"),
        (
            {"cursor": _cursor('["next", "2026-01-01T00:00:00+00:00", 1e400]')},
            "Page",
            "start again from the first page",
        ),
        (
            {"cursor": _cursor('["prev", "0001-01-01T00:00:00+08:00", 7]')},
            "Page",
            "start again from the first page",
        ),
    ],
)
def test_extreme_dates_and_crafted_cursors_are_field_errors(
    client: Client,
    shop: Shop,
    order_clerk: object,
    params: dict[str, str],
    field: str,
    fragment: str,
) -> None:
    client.raise_request_exception = False  # a 500 is an answer to assert on
    submit(shop.north_pos, order_data("N-1"))

    response = client.get(reverse("web:order_list"), params)

    assert response.status_code == 200
    page = response.content.decode()
    assert f"<strong>{field}</strong>:" in page
    assert fragment in page
    assert response.context["page"] is None


@pytest.mark.django_db
def test_the_widest_date_range_still_lists_the_orders(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    submit(shop.north_pos, order_data("N-1"))

    response = client.get(
        reverse("web:order_list"), {"placed_from": "1900-01-01", "placed_to": "9999-12-30"}
    )

    assert response.status_code == 200
    assert [order.external_id for order in response.context["page"].items] == ["N-1"]
