"""The customer admin shows a store clerk the customers of the orders they may see, and no
other store's buyer; whoever sees every order sees every customer."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from omnioms.core.roles import Role
from omnioms.customers.models import Customer
from omnioms.inventory.rules import forget_rules
from omnioms.inventory.tests.factories import account, order_json, store, submit
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers() -> dict[str, Customer]:
    forget_rules()
    north, south = store("north"), store("south")
    found = {}
    for name, till, buyer in [
        ("north", account("north-till", location=north), "Li Northbuyer"),
        ("south", account("south-till", location=south), "Zhang Southbuyer"),
    ]:
        phone = "13800000001" if name == "north" else "13900000002"
        order = submit(till, order_json(buyer=({"name": buyer, "phone": phone})))
        assert order.customer is not None
        found[name] = order.customer
    forget_rules()
    return found


def staff(client: Client, role: str, store_code: str | None = None) -> User:
    user = make_user(role, store=store_code)
    user.is_staff = True
    user.save()
    client.force_login(user)
    return user


def change_url(customer: Customer) -> str:
    return reverse("admin:customers_customer_change", args=[customer.pk])


def test_a_store_clerk_sees_only_the_customers_of_their_stores_orders(
    client: Client, customers: dict[str, Customer]
) -> None:
    staff(client, Role.STORE_CLERK, store_code="north")

    response = client.get(reverse("admin:customers_customer_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Li Northbuyer" in page
    assert "Zhang Southbuyer" not in page
    assert client.get(change_url(customers["north"])).status_code == 200
    other = client.get(change_url(customers["south"]))
    assert other.status_code == 302  # as for a customer that does not exist
    assert "Southbuyer" not in client.get(other["Location"]).content.decode()
    history = reverse("admin:customers_customer_history", args=[customers["south"].pk])
    assert client.get(history).status_code == 302


def test_a_store_clerk_finds_no_other_stores_customer_by_search_or_autocomplete(
    client: Client, customers: dict[str, Customer]
) -> None:
    staff(client, Role.STORE_CLERK, store_code="north")

    found = client.get(reverse("admin:customers_customer_changelist"), {"q": "13900000002"})
    assert change_url(customers["south"]) not in found.content.decode()
    suggested = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "customers",
            "model_name": "customer",
            "field_name": "merged_into",
            "term": "Zhang",
        },
    )
    assert suggested.status_code == 200
    assert json.loads(suggested.content)["results"] == []


def test_a_user_who_sees_every_order_sees_every_customer(
    client: Client, customers: dict[str, Customer]
) -> None:
    staff(client, Role.CUSTOMER_SERVICE)

    page = client.get(reverse("admin:customers_customer_changelist")).content.decode()

    assert "Li Northbuyer" in page
    assert "Zhang Southbuyer" in page
    assert client.get(change_url(customers["south"])).status_code == 200
