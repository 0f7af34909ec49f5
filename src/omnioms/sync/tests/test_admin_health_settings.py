"""The back office edits what the channel health page judges an account by, as the product's
account settings do: a fixed silence threshold and the opening hours."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.core.roles import Role
from omnioms.sync.health import AccountHealth, assess
from omnioms.sync.tests.test_admin_polling import form_data
from omnioms.testing import make_account, make_user

pytestmark = pytest.mark.django_db


def test_an_administrator_sets_an_accounts_threshold_and_hours_in_the_admin(
    client: Client,
) -> None:
    account = make_account("till", platform="pos_csv")
    account.options = {"column_mapping": {"kept": True}}
    account.save()
    client.force_login(make_user(Role.ADMINISTRATOR))
    url = reverse("admin:channels_channelaccount_change", args=[account.pk])
    data = form_data(client.get(url))

    response = client.post(
        url,
        {
            **data,
            "silence_after_hours": "30",
            "opens": "08:30",
            "closes": "01:00",
            "open_days": ["5", "6"],
        },
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.options == {
        "column_mapping": {"kept": True},
        "health": {
            "silence_after_hours": 30.0,
            "opening_hours": {"opens": "08:30", "closes": "01:00", "days": [5, 6]},
        },
    }
    item = AccountHealth(account=account)
    assess(item, account.created_at)
    assert item.opening_hours is not None
    assert item.opening_hours.text() == "08:30–01:00 (Sat, Sun)"
    page = client.get(url).content.decode()
    assert 'value="08:30"' in page
    assert 'value="30.0"' in page


def test_half_given_opening_hours_are_refused_in_the_admin(client: Client) -> None:
    account = make_account("till", platform="pos_csv")
    client.force_login(make_user(Role.ADMINISTRATOR))
    url = reverse("admin:channels_channelaccount_change", args=[account.pk])

    response = client.post(url, {**form_data(client.get(url)), "opens": "08:30", "closes": ""})

    assert response.status_code == 200
    assert "Enter both the opening and the closing time, or neither." in response.content.decode()
    account.refresh_from_db()
    assert account.options == {}
