"""A person's movement above the ceiling (``OMNIOMS_STOCK_MOVEMENT_CEILING``) is recorded only
once they confirm the figure: until then nothing changes, not the ledger, not a channel's
figure. The document records the ceiling and who confirmed."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import reverse

from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.inventory.domain import STOCK_LIMIT
from omnioms.inventory.models import AvailabilityOutbox, StockBalance, StockDocument, StockMovement
from omnioms.inventory.services import count_stock, receive_stock
from omnioms.inventory.tests.factories import account, receive, sku, warehouse
from omnioms.testing import api_as, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked() -> None:
    """10 of A at wh-1 and at wh-2, each sold on a channel with an API (availability rows)."""
    for code in ("wh-1", "wh-2"):
        wh = warehouse(code)
        receive("A", wh, 10)
        account(f"web-{code}", platform="shopify", location=wh)


@pytest.fixture
def manager() -> User:
    return make_user(Role.MANAGER, username="li.na")


def records() -> tuple[int, int, int, list[tuple[str, int]]]:
    """Documents, ledger rows, availability rows and on hand: what a refusal leaves alone."""
    return (
        StockDocument.objects.count(),
        StockMovement.objects.count(),
        AvailabilityOutbox.objects.count(),
        sorted(StockBalance.objects.values_list("location__code", "on_hand")),
    )


def on_hand(location: str = "wh-1") -> int:
    return StockBalance.objects.get(location__code=location).on_hand


def test_a_count_of_the_largest_figure_is_refused_until_confirmed_then_recorded_with_who(
    client: Client, stocked: None, manager: User
) -> None:
    api = api_as(client, manager)
    count = {"sku": "A", "location": "wh-1", "counted": STOCK_LIMIT, "reason": "count"}
    before = records()

    refused = api.post("/inventory/counts", count)

    assert refused.status_code == 409
    [error] = refused.json()["errors"]
    assert error["field"] == "counted"
    assert "2147483647" in error["message"]
    assert "100000" in error["message"]
    assert '"confirm": true' in error["message"]
    assert records() == before

    confirmed = api.post("/inventory/counts", {**count, "confirm": True})

    assert confirmed.status_code == 200, confirmed.content
    assert on_hand() == STOCK_LIMIT
    document = StockDocument.objects.latest("pk")
    assert (document.ceiling, document.confirmed_by, document.confirmed_by_user) == (
        100_000,
        "li.na",
        manager,
    )
    assert AvailabilityOutbox.objects.count() > before[2]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/inventory/receipts", {"sku": "A", "location": "wh-1", "quantity": 6}, "quantity"),
        (
            "/inventory/adjustments",
            {"sku": "A", "location": "wh-1", "quantity_delta": 6, "reason": "found"},
            "quantity_delta",
        ),
        (
            "/inventory/adjustments",
            {"sku": "A", "location": "wh-1", "quantity_delta": -6, "reason": "lost"},
            "quantity_delta",
        ),
        (
            "/inventory/transfers",
            {"sku": "A", "from_location": "wh-1", "to_location": "wh-2", "quantity": 6},
            "quantity",
        ),
        (
            "/inventory/counts",
            {"sku": "A", "location": "wh-1", "counted": 3},  # 10 -> 3: a movement of -7
            "counted",
        ),
    ],
)
@override_settings(OMNIOMS_STOCK_MOVEMENT_CEILING=5)
def test_every_kind_of_movement_above_the_ceiling_needs_the_confirmation(
    client: Client, stocked: None, manager: User, path: str, body: dict[str, Any], field: str
) -> None:
    api = api_as(client, manager)
    before = records()

    refused = api.post(path, body)

    assert refused.status_code == 409
    assert [error["field"] for error in refused.json()["errors"]] == [field]
    assert records() == before
    assert api.post(path, {**body, "confirm": True}).status_code in (200, 201)
    document = StockDocument.objects.latest("pk")
    assert (document.ceiling, document.confirmed_by) == (5, "li.na")
    assert records() != before


@override_settings(OMNIOMS_STOCK_MOVEMENT_CEILING=5)
def test_a_movement_within_the_ceiling_records_the_ceiling_and_no_confirmation(
    client: Client, stocked: None, manager: User
) -> None:
    api = api_as(client, manager)

    response = api.post(
        "/inventory/receipts", {"sku": "A", "location": "wh-1", "quantity": 5, "confirm": True}
    )

    assert response.status_code == 201
    document = StockDocument.objects.latest("pk")
    assert (document.ceiling, document.confirmed_by, document.confirmed_by_user) == (5, "", None)


@override_settings(OMNIOMS_STOCK_MOVEMENT_CEILING=5)
def test_a_count_is_measured_by_the_change_it_makes_not_by_the_figure(manager: User) -> None:
    wh = warehouse("wh-1")
    receive("A", wh, 1000)

    movement = count_stock(
        sku="A", location=wh, counted=1003, reason="", actor=Actor.for_user(manager)
    )

    assert movement is not None
    assert movement.quantity == 3
    assert StockDocument.objects.latest("pk").confirmed_by == ""


@pytest.mark.parametrize("ceiling", [0, STOCK_LIMIT])
def test_the_ceiling_is_off_at_zero_or_at_the_limit(ceiling: int, manager: User) -> None:
    wh = warehouse("wh-1")

    with override_settings(OMNIOMS_STOCK_MOVEMENT_CEILING=ceiling):
        receive_stock(
            sku=sku("A"), location=wh, quantity=10**6, unit_cost=None, actor=Actor.for_user(manager)
        )

    assert StockDocument.objects.get().ceiling is None
    assert on_hand() == 10**6


def test_the_systems_own_movements_have_no_ceiling() -> None:
    receive("A", warehouse("wh-1"), 10**6)  # the demo loader, the bench, jobs

    assert on_hand() == 10**6
    assert StockDocument.objects.get().ceiling is None


def test_the_count_form_asks_for_confirmation_showing_what_the_figure_does(
    client: Client, stocked: None, manager: User
) -> None:
    client.force_login(manager)
    url = reverse("inventory:adjust")
    form = {"sku": "A", "location": "wh-1", "mode": "count", "quantity": str(STOCK_LIMIT)}
    form["reason"] = "shelf count"
    before = records()

    asked = client.post(url, form)

    assert asked.status_code == 409
    page = asked.content.decode()
    assert "2147483637" in page
    assert "100000" in page
    assert "10 → 2147483647" in page  # on hand, and available (nothing reserved)
    assert 'name="confirm"' in page
    assert f'name="confirm_figure" value="{STOCK_LIMIT}"' in page
    assert records() == before

    done = client.post(url, {**form, "confirm": "on", "confirm_figure": str(STOCK_LIMIT)})

    assert done.status_code == 302
    assert on_hand() == STOCK_LIMIT
    assert StockDocument.objects.latest("pk").confirmed_by == "li.na"
    ledger = client.get(reverse("inventory:stock_detail", args=["A", "wh-1"]))
    assert "above the ceiling of 100000, confirmed by li.na" in ledger.content.decode()


def test_a_figure_changed_on_the_confirmation_page_is_asked_about_again(
    client: Client, stocked: None, manager: User
) -> None:
    client.force_login(manager)
    form = {"sku": "A", "location": "wh-1", "quantity": "500000", "confirm": "on"}
    before = records()

    response = client.post(reverse("inventory:receive"), {**form, "confirm_figure": "200000"})

    assert response.status_code == 409
    assert 'name="confirm_figure" value="500000"' in response.content.decode()
    assert records() == before


@override_settings(OMNIOMS_STOCK_MOVEMENT_CEILING=5)
def test_the_transfer_form_shows_both_locations_before_and_after(
    client: Client, stocked: None, manager: User
) -> None:
    client.force_login(manager)
    form = {"sku": "A", "from_location": "wh-1", "to_location": "wh-2", "quantity": "8"}

    asked = client.post(reverse("inventory:transfer"), form)

    assert asked.status_code == 409
    effects = [(e.location, e.on_hand, e.available) for e in asked.context["confirmation"].effects]
    assert effects == [("wh-1", (10, 2), (10, 2)), ("wh-2", (10, 18), (10, 18))]
    assert (
        client.post(
            reverse("inventory:transfer"), {**form, "confirm": "on", "confirm_figure": "8"}
        ).status_code
        == 302
    )
    assert (on_hand("wh-1"), on_hand("wh-2")) == (2, 18)
