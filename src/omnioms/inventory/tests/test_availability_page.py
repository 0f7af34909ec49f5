"""The availability page says when what a channel may sell is not getting through, and why."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from omnioms.core.roles import Role
from omnioms.inventory.availability import push_due
from omnioms.inventory.models import AvailabilityOutbox
from omnioms.inventory.tests.factories import account, receive, warehouse
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db


def page_text(client: Client, account_name: str) -> str:
    client.force_login(make_user(Role.MANAGER))
    response = client.get(reverse("inventory:availability"), {"account": account_name})
    assert response.status_code == 200
    return " ".join(strip_tags(response.content.decode()).split())


def test_a_failing_push_shows_its_reason_how_many_skus_wait_and_since_when(
    client: Client,
) -> None:
    wh = warehouse()
    shop = account("web", platform="shopify", location=wh)
    shop.api_credentials = {"token": "t"}  # the client needs a base_url
    shop.save()
    receive("A", wh, 4)
    receive("B", wh, 4)
    push_due()
    since = min(AvailabilityOutbox.objects.values_list("changed_at", flat=True))

    text = page_text(client, "web")

    assert (
        "Pushes to this channel are failing since "
        f"{timezone.localtime(since).strftime('%Y-%m-%d %H:%M')}; SKUs waiting to be told: 2."
        in text
    )
    assert "Last error: " in text
    assert "base_url" in text
    assert "Changes no longer retried: 2;" in text


def test_an_account_not_connected_says_so_and_nothing_is_pushed(client: Client) -> None:
    wh = warehouse()
    account("web", platform="shopify", location=wh, connected=False)
    receive("A", wh, 4)

    text = page_text(client, "web")

    assert "Not connected: this account has no API credentials" in text
    assert "failing" not in text
    assert not AvailabilityOutbox.objects.exists()


def test_a_connected_account_whose_pushes_go_through_shows_no_warning(client: Client) -> None:
    wh = warehouse()
    account("web", platform="shopify", location=wh)
    receive("A", wh, 4)

    text = page_text(client, "web")

    assert "failing" not in text
    assert "Not connected" not in text
