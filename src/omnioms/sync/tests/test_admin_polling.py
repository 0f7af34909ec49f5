"""Setting an account up for polling in the admin: its API credentials and its polling switch."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django import forms
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from omnioms.channels.models import ChannelAccount, SyncState
from omnioms.core.roles import Role
from omnioms.sync.pull import pull_due
from omnioms.testing import make_account, make_user

pytestmark = pytest.mark.django_db

TOKEN = "shpat-do-not-show-51c2"
GOOD = {"base_url": "https://shop.example", "token": TOKEN}


def form_data(response: Any) -> dict[str, Any]:
    """What a browser posts back from an admin change page, unchanged (inlines included)."""
    forms_on_page = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms_on_page += [inline.formset.management_form, *inline.formset.forms]
    data: dict[str, Any] = {}
    for form in forms_on_page:
        for field in form:
            value, widget = field.value(), field.field.widget
            if isinstance(widget, forms.CheckboxInput):
                if value:
                    data[field.html_name] = "on"
            else:
                data[field.html_name] = "" if value is None else field.field.prepare_value(value)
    return data


@pytest.fixture
def administrator(client: Client) -> User:
    user = make_user(Role.ADMINISTRATOR)
    client.force_login(user)
    return user


def change_url(account: ChannelAccount) -> str:
    return reverse("admin:channels_channelaccount_change", args=[account.pk])


def post(client: Client, account: ChannelAccount, **changes: Any) -> Any:
    data = form_data(client.get(change_url(account)))
    return client.post(change_url(account), {**data, **changes})


def errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 200, "the form was accepted"
    return {
        name: list(messages) for name, messages in response.context["adminform"].form.errors.items()
    }


@pytest.mark.usefixtures("administrator")
def test_api_credentials_are_entered_as_json_and_never_shown(client: Client) -> None:
    account = make_account("shop", platform="shopify", currency="USD")

    response = post(client, account, api_credentials=json.dumps(GOOD))

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.api_credentials == GOOD
    page = client.get(change_url(account)).content.decode()
    assert TOKEN not in page
    # saved again with the field left empty: the stored credentials stay
    assert post(client, account, display_name="Shop").status_code == 302
    account.refresh_from_db()
    assert (account.display_name, account.api_credentials) == ("Shop", GOOD)


@pytest.mark.usefixtures("administrator")
@pytest.mark.parametrize(
    ("platform", "text", "message"),
    [
        ("shopify", "{base_url: 1}", "Not valid JSON: Expecting property name"),
        ("shopify", '["token"]', "Enter a JSON object of keys and values"),
        ("shopify", '{"base_url": "https://shop.example"}', "api_credentials.token is missing"),
        ("shopify", '{"token": "t"}', "api_credentials.base_url must be an http(s) URL"),
        ("pos_csv", json.dumps(GOOD), "pos_csv has no platform API"),
    ],
)
def test_unusable_credentials_are_refused_naming_what_is_wrong(
    client: Client, platform: str, text: str, message: str
) -> None:
    account = make_account("shop", platform=platform, currency="USD")

    response = post(client, account, api_credentials=text)

    (problem,) = errors(response)["api_credentials"]
    assert message in problem
    assert TOKEN not in response.content.decode()  # not even the value just posted
    account.refresh_from_db()
    assert account.api_credentials == {}


@pytest.mark.usefixtures("administrator")
def test_api_credentials_can_be_cleared_but_not_entered_and_cleared_at_once(
    client: Client,
) -> None:
    account = make_account("shop", platform="shopify", currency="USD")
    ChannelAccount.objects.filter(pk=account.pk).update(api_credentials=GOOD)

    both = post(client, account, api_credentials=json.dumps(GOOD), clear_api_credentials="on")
    assert "not both" in errors(both)["clear_api_credentials"][0]

    assert post(client, account, clear_api_credentials="on").status_code == 302
    account.refresh_from_db()
    assert account.api_credentials == {}


@pytest.mark.usefixtures("administrator")
def test_polling_can_be_switched_off_on_the_account_page_before_the_first_poll(
    client: Client,
) -> None:
    account = make_account("shop", platform="shopify", currency="USD")
    data = form_data(client.get(change_url(account)))
    assert data["sync_state-0-pull_enabled"] == "on"
    del data["sync_state-0-pull_enabled"]

    response = client.post(change_url(account), {**data, "api_credentials": json.dumps(GOOD)})

    assert response.status_code == 302
    state = SyncState.objects.get(account=account)
    assert state.pull_enabled is False
    assert pull_due() == 0  # credentials, but switched off: no request is made
    state.refresh_from_db()
    assert state.last_poll_started_at is None


@pytest.mark.usefixtures("administrator")
def test_an_unchanged_polling_section_creates_nothing(client: Client) -> None:
    account = make_account("shop", platform="shopify", currency="USD")
    assert post(client, account, display_name="Shop").status_code == 302
    assert not SyncState.objects.exists()


@pytest.mark.usefixtures("administrator")
def test_saving_polling_settings_keeps_the_cursor_the_worker_moved_meanwhile(
    client: Client,
) -> None:
    account = make_account("shop", platform="shopify", currency="USD")
    SyncState.objects.create(account=account, cursor=datetime(2026, 3, 1, tzinfo=UTC))
    pages = [
        reverse("admin:channels_syncstate_change", args=[account.pk]),
        change_url(account),
    ]
    for number, page in enumerate(pages):
        data = form_data(client.get(page))
        moved = datetime(2026, 3, 2 + number, tzinfo=UTC)
        SyncState.objects.filter(pk=account.pk).update(cursor=moved)  # a poll finished
        field = "poll_interval_seconds" if number == 0 else "sync_state-0-poll_interval_seconds"

        response = client.post(page, {**data, field: str(600 + number)})

        assert response.status_code == 302
        state = SyncState.objects.get(pk=account.pk)
        assert (state.cursor, state.poll_interval_seconds) == (moved, 600 + number)
