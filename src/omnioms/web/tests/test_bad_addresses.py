"""An address holding the NUL character is a 400 with the site's message on every page.

PostgreSQL cannot compare text with NUL, so a page that put such a filter or path segment in a
query (the stock detail's SKU, the admin's list filters) was a 500 there; on SQLite it found
nothing. Forms' text fields refuse NUL themselves (Django's CharField).
"""

from __future__ import annotations

import pytest
from django.test import Client

from omnioms.core.roles import Role
from omnioms.web.tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/inventory/A%00/wh-1/",
        "/admin/orders/order/?status=%00",
        "/admin/catalog/sku/?q=A%00",
        "/orders/?q=%E7%8E%8B%00",
        "/dead-letters/?state=open%00",
        "/inventory/?sku=A%00",
        "/inventory/availability/?account=shop%00",
        "/orders/?cursor=x&%00=1",
    ],
)
def test_nul_in_a_pages_address_is_400_with_the_sites_message(client: Client, url: str) -> None:
    client.raise_request_exception = False
    client.force_login(make_user("admin", Role.ADMINISTRATOR))

    response = client.get(url)

    assert response.status_code == 400
    assert response.content.decode() == (
        "The address contains the NUL character, which no page accepts."
    )


def test_an_api_address_with_nul_is_left_to_the_api_which_names_the_parameter(
    client: Client,
) -> None:
    client.force_login(make_user("admin", Role.ADMINISTRATOR))

    response = client.get("/api/v1/inventory", {"sku": "A\x00"})

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "sku", "message": "must not contain the NUL character"}
    ]
