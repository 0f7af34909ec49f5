"""Priority scores: urgency, the customer's tier and margin, with the planner's weights."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.customers.models import Customer, CustomerTier
from omnioms.inventory.tests.factories import account, order_json, submit
from omnioms.planning.models import PlanningSettings, ProductionOrder
from omnioms.planning.priority import Weights, score, score_open_orders, suggest_tiers
from omnioms.planning.tests.factories import production_order, shop

TODAY = date(2026, 12, 7)


def test_an_urgent_order_of_a_key_customer_with_a_good_margin_scores_highest() -> None:
    weights = Weights()
    urgent, _ = score(
        slack_days=Decimal(0), tier="A", price=Decimal(200), cost=Decimal(100), weights=weights
    )
    relaxed, _ = score(
        slack_days=Decimal(30), tier="C", price=Decimal(200), cost=Decimal(190), weights=weights
    )
    assert urgent == Decimal(100)  # every component full: slack 0, tier A, margin 50 %
    # no urgency; C: 0.2 x 3; a 5 % margin is 0.1 of the full 50 %: 0.1 x 2; of 10 weights
    assert relaxed == Decimal("8.000")


def test_the_reasons_say_how_the_score_was_made_and_add_up_to_it() -> None:
    value, reasons = score(
        slack_days=Decimal(10),
        tier="B",
        price=Decimal(100),
        cost=Decimal(80),
        weights=Weights(urgency=Decimal(1), customer=Decimal(1), margin=Decimal(0)),
    )
    assert reasons["urgency"]["component"] == 0.5  # 10 of 20 days of slack
    assert reasons["customer"] == {"component": 0.6, "weight": 1.0, "points": 30.0, "tier": "B"}
    assert reasons["margin"]["ratio"] == 0.2
    assert reasons["margin"]["points"] == 0.0
    parts = sum(reasons[k]["points"] for k in ("urgency", "customer", "margin"))
    assert parts == pytest.approx(float(value))


@pytest.mark.django_db
def test_open_orders_are_scored_with_the_planners_weights_and_their_customers_tier() -> None:
    shop()
    order = submit(
        account("tmall"),
        order_json("T-1", [("SHIRT", 10)], buyer={"name": "k", "email": "k@example.com"}),
    )
    assert order.customer is not None
    Customer.objects.filter(pk=order.customer.pk).update(tier=CustomerTier.KEY)
    made_to_order = production_order("SHIRT", 30, date(2026, 12, 31), customer_order=order)
    to_stock = production_order("SHIRT", 30, date(2026, 12, 31))
    PlanningSettings.objects.create(
        urgency_weight=0, customer_weight=1, margin_weight=0, urgency_days=5
    )

    assert score_open_orders(TODAY) == 2

    made_to_order.refresh_from_db()
    to_stock.refresh_from_db()
    assert (made_to_order.priority, to_stock.priority) == (Decimal(100), Decimal(0))
    assert made_to_order.priority_reasons["customer"]["tier"] == "A"
    assert made_to_order.priority_reasons["urgency"]["due"] == "2026-12-31"
    assert list(ProductionOrder.objects.order_by("-priority")) == [made_to_order, to_stock]


@pytest.mark.django_db
def test_tiers_are_suggested_from_revenue_and_frequency_but_a_tier_set_by_hand_stays() -> None:
    shop()
    channel = account("tmall")
    big = submit(
        channel,
        order_json("T-1", [("SHIRT", 100)], buyer={"name": "big", "email": "big@example.com"}),
    )
    small = submit(
        channel,
        order_json("T-2", [("SHIRT", 1)], buyer={"name": "small", "email": "small@example.com"}),
    )
    held = submit(
        channel,
        order_json("T-3", [("SHIRT", 1)], buyer={"name": "held", "email": "held@example.com"}),
    )
    assert big.customer
    assert small.customer
    assert held.customer
    Customer.objects.filter(pk=held.customer.pk).update(tier_by_hand=True, tier=CustomerTier.KEY)

    letters = suggest_tiers(TODAY)

    assert letters[big.customer.pk] == "A"
    assert letters[small.customer.pk] == "C"
    tiers = dict(Customer.objects.values_list("pk", "tier"))
    assert tiers[small.customer.pk] == CustomerTier.STANDARD
    assert tiers[held.customer.pk] == CustomerTier.KEY  # by hand: kept
    assert Customer.objects.get(pk=held.customer.pk).suggested_tier == "C"


@pytest.mark.django_db
def test_a_tier_changed_in_the_back_office_is_set_by_hand_and_kept(
    admin_client: Client,
) -> None:
    customer = Customer.objects.create(name="Big buyer", email="big@example.com")

    admin_client.post(
        reverse("admin:customers_customer_change", args=[customer.pk]),
        {
            "name": "Big buyer",
            "email": "big@example.com",
            "phone": "",
            "tier": CustomerTier.KEY,
            "identities-TOTAL_FORMS": "0",
            "identities-INITIAL_FORMS": "0",
        },
    )

    customer.refresh_from_db()
    assert (customer.tier, customer.tier_by_hand) == (CustomerTier.KEY, True)
