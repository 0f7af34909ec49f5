"""An account's secrets never reach an admin page: not for a user who may only view the
account (Django would print every field of a view-only page as text), not in the list, not in
the history, and not in the change form of a user who may replace them."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from omnioms.channels.models import ChannelAccount
from omnioms.core.roles import Role
from omnioms.sync.tests.test_admin_polling import form_data
from omnioms.testing import make_account, make_user

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "hmac-key-never-shown-7f3a"
PREVIOUS_SECRET = "old-hmac-key-never-shown-19c4"
TOKEN = "api-token-never-shown-e2d8"
SECRETS = (WEBHOOK_SECRET, PREVIOUS_SECRET, TOKEN)


@pytest.fixture
def account() -> ChannelAccount:
    account = make_account("shop-a", platform="shopify", secret=WEBHOOK_SECRET)
    account.previous_webhook_secret = PREVIOUS_SECRET
    account.api_credentials = {"base_url": "https://shop.example", "token": TOKEN}
    account.save()
    return account


def staff(role: str) -> User:
    user = make_user(role)
    user.is_staff = True
    user.save()
    return user


def viewer() -> User:
    """Back-office staff who may look at channel accounts and change nothing of them."""
    user = User.objects.create_user("viewer", password="not-used-here-4")
    user.is_staff = True
    user.save()
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="channels", codename="view_channelaccount")
    )
    return user


def url(view: str, *args: object) -> str:
    return reverse(f"admin:channels_channelaccount_{view}", args=args)


def shown_secrets(page: str) -> list[str]:
    return [secret for secret in SECRETS if secret in page]


def row(page: str, field: str) -> str:
    """The HTML of one field's row on an admin change page."""
    start = page.index(f"field-{field}")
    end = page.find('class="form-row', start)
    return page[start : end if end != -1 else None]


def test_a_view_only_user_sees_whether_secrets_are_set_but_not_their_values(
    client: Client, account: ChannelAccount
) -> None:
    client.force_login(viewer())

    response = client.get(url("change", account.pk))

    assert response.status_code == 200
    page = response.content.decode()
    assert shown_secrets(page) == []
    assert "shop.example" not in page  # nothing of the credentials object either
    for label in ("Webhook secret set", "Previous webhook secret set", "API credentials"):
        assert label in page
    assert 'alt="True"' in row(page, "webhook_secret_set")
    assert 'alt="True"' in row(page, "previous_webhook_secret_set")
    assert ">set<" in row(page, "api_credentials_state")
    assert "Secrets are never shown, only whether each is set." in page
    assert 'name="webhook_secret"' not in page  # nothing to type into
    assert client.post(url("change", account.pk), {"webhook_secret": "x"}).status_code == 403


def test_a_view_only_user_sees_an_unset_secret_as_unset(client: Client) -> None:
    bare = make_account("shop-b", platform="manual", secret="")
    client.force_login(viewer())

    page = client.get(url("change", bare.pk)).content.decode()

    assert 'alt="False"' in row(page, "webhook_secret_set")
    assert 'alt="False"' in row(page, "previous_webhook_secret_set")
    assert "not set" in row(page, "api_credentials_state")


def test_the_account_list_shows_no_secret(client: Client, account: ChannelAccount) -> None:
    client.force_login(staff(Role.MANAGER))

    response = client.get(url("changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "shop-a" in page
    assert shown_secrets(page) == []


def test_the_change_form_keeps_write_only_inputs_for_a_user_who_may_change_secrets(
    client: Client, account: ChannelAccount
) -> None:
    client.force_login(make_user(Role.ADMINISTRATOR))

    response = client.get(url("change", account.pk))

    assert response.status_code == 200
    page = response.content.decode()
    assert shown_secrets(page) == []
    assert 'type="password" name="webhook_secret"' in page
    assert 'type="password" name="previous_webhook_secret"' in page
    assert 'name="api_credentials"' in page


def test_the_history_of_a_secret_change_shows_no_secret(
    client: Client, account: ChannelAccount
) -> None:
    client.force_login(make_user(Role.ADMINISTRATOR))
    data = form_data(client.get(url("change", account.pk)))
    new_token = "api-token-replaced-never-shown-0b6e"
    replaced = client.post(
        url("change", account.pk),
        {
            **data,
            "webhook_secret": "hmac-key-replaced-never-shown-5a1d",
            "keep_replaced_secret": "on",
            "api_credentials": json.dumps({"base_url": "https://shop.example", "token": new_token}),
        },
    )
    assert replaced.status_code == 302
    account.refresh_from_db()
    assert account.previous_webhook_secret == WEBHOOK_SECRET  # the change went through

    for user in (staff(Role.MANAGER), make_user(Role.ADMINISTRATOR)):
        client.force_login(user)
        response = client.get(url("history", account.pk))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Webhook secret" in page  # what changed is named
        for secret in (*SECRETS, "hmac-key-replaced-never-shown-5a1d", new_token):
            assert secret not in page
