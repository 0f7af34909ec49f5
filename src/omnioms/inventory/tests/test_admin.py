"""The stock back office: every page opens, the ledger stays read-only, edits go through
the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from omnioms.core.models import Location
from omnioms.core.roles import Role
from omnioms.inventory.models import (
    AvailabilityOutbox,
    StockBalance,
    StockMovement,
)
from omnioms.inventory.tests.factories import account, one_of_each, receive, warehouse
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db


def url(model: type[Any], view: str, *args: Any) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


@pytest.fixture
def back_office(client: Client) -> Client:
    client.force_login(make_user(Role.ADMINISTRATOR))
    return client


def test_every_stock_admin_page_opens(back_office: Client) -> None:
    one_of_each()

    models = [m for m in admin.site._registry if m._meta.app_label == "inventory"]
    assert len(models) == 11  # every inventory model but RuleLocation (edited inline)
    models.append(Location)  # core's, edited by whoever keeps the stock
    for model in models:
        name = model._meta.label
        assert back_office.get(url(model, "changelist")).status_code == 200, name
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"make a {name} in this test"
        assert back_office.get(url(model, "change", obj.pk)).status_code == 200, name


def test_the_ledger_cannot_be_changed_in_the_admin(back_office: Client) -> None:
    receive("A", warehouse(), 3)
    movement = StockMovement.objects.get()

    response = back_office.post(url(StockMovement, "change", movement.pk), {"quantity": 300})

    assert response.status_code == 403
    assert StockMovement.objects.get().quantity == 3
    with pytest.raises(ValueError, match="append-only"):
        movement.save()


def test_safety_stock_edited_in_the_admin_moves_the_channel_figure(back_office: Client) -> None:
    wh = warehouse()
    account("web", platform="shopify", location=wh)
    receive("A", wh, 10)
    balance = StockBalance.objects.get()
    queued = AvailabilityOutbox.objects.count()

    response = back_office.post(
        url(StockBalance, "change", balance.pk), {"safety_stock": 4, "reorder_point": 6}
    )

    assert response.status_code == 302
    balance.refresh_from_db()
    assert (balance.on_hand, balance.safety_stock, balance.reorder_point) == (10, 4, 6)
    assert AvailabilityOutbox.objects.count() == queued + 1
