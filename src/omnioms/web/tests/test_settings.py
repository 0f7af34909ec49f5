"""The settings a manager owns: channel accounts, their stock rules and staff users, each page
permission-checked, its forms saving valid input and refusing bad input with field errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from omnioms.channels.models import ChannelAccount
from omnioms.core.models import LocationKind
from omnioms.core.roles import Role
from omnioms.inventory.models import AvailabilityOutbox, ChannelStockRule
from omnioms.inventory.rules import routing_config
from omnioms.inventory.tests.factories import receive
from omnioms.web.tests.conftest import LoginAs, Shop
from omnioms.web.tests.factories import PASSWORD, SECRET, make_location, make_user

pytestmark = pytest.mark.django_db

TOKEN = "api-token-never-shown-3c9e"


def can_log_in(username: str, password: str) -> bool:
    """Through the login page, as a person does (django-axes needs the request)."""
    browser = Client()
    browser.post(reverse("web:login"), {"username": username, "password": password})
    return bool(browser.get(reverse("web:home")).wsgi_request.user.is_authenticated)


def pages(shop: Shop, admin: User) -> list[str]:
    return [
        reverse("web:settings"),
        reverse("web:settings_accounts"),
        reverse("web:settings_account_new"),
        reverse("web:settings_account", args=[shop.web_shop.name]),
        reverse("web:settings_stock_rule", args=[shop.web_shop.name]),
        reverse("web:settings_users"),
        reverse("web:settings_user_new"),
        reverse("web:settings_user_password", args=[make_user("li", Role.ORDER_CLERK).pk]),
    ]


@pytest.fixture
def admin(shop: Shop) -> User:
    return make_user("root", Role.ADMINISTRATOR)


def account_form(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "jd-main",
        "display_name": "JD main store",
        "platform": "jd",
        "location": "",
        "time_zone": "Asia/Shanghai",
        "default_currency": "cny",
        "webhook_secret": "",
        "api_credentials": "",
        "silence_after_hours": "",
        "opens": "",
        "closes": "",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


# ----------------------------------------------------------------------------------------------
# Who may open them


@pytest.mark.parametrize("role", [Role.ORDER_CLERK, Role.CUSTOMER_SERVICE, Role.STORE_CLERK])
def test_roles_without_settings_are_refused_every_page(
    client: Client, shop: Shop, admin: User, login_as: LoginAs, role: str
) -> None:
    urls = pages(shop, admin)
    login_as(role, store=shop.north if role == Role.STORE_CLERK else None)

    assert {url: client.get(url).status_code for url in urls} == {url: 403 for url in urls}
    assert client.post(reverse("web:settings_account_new"), account_form()).status_code == 403
    assert not ChannelAccount.objects.filter(name="jd-main").exists()
    assert reverse("web:settings") not in client.get(reverse("web:order_list")).content.decode()


def test_a_manager_opens_every_settings_page_from_the_menu(
    client: Client, shop: Shop, admin: User, login_as: LoginAs
) -> None:
    urls = pages(shop, admin)
    login_as(Role.MANAGER)

    statuses = {url: client.get(url, follow=True).status_code for url in urls}

    assert statuses == {url: 200 for url in urls}
    assert reverse("web:settings") in client.get(reverse("web:order_list")).content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client: Client, shop: Shop, admin: User) -> None:
    for url in pages(shop, admin):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))


# ----------------------------------------------------------------------------------------------
# Channel accounts


def test_a_manager_creates_an_account_with_its_secrets_hours_and_threshold(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    login_as(Role.MANAGER)
    credentials = {
        "base_url": "https://api.jd.example",
        "app_key": "k",
        "app_secret": "s",
        "access_token": TOKEN,
    }

    response = client.post(
        reverse("web:settings_account_new"),
        account_form(
            location=shop.north.pk,
            webhook_secret="whsec-9",
            api_credentials=json.dumps(credentials),
            silence_after_hours="12",
            opens="09:00",
            closes="21:30",
            open_days=["0", "1", "2", "3", "4"],
        ),
    )

    assert response.status_code == 302, response.context["form"].errors
    account = ChannelAccount.objects.get(name="jd-main")
    assert (account.platform, account.location, account.default_currency) == (
        "jd",
        shop.north,
        "CNY",
    )
    assert account.webhook_secret == "whsec-9"
    assert account.api_credentials == credentials
    assert account.options == {
        "health": {
            "silence_after_hours": 12.0,
            "opening_hours": {"opens": "09:00", "closes": "21:30", "days": [0, 1, 2, 3, 4]},
        }
    }
    page = client.get(response["Location"]).content.decode()
    assert "/api/v1/webhooks/jd-main" in page
    assert TOKEN not in page


def test_a_new_account_that_is_not_valid_is_refused_with_its_fields_named(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    login_as(Role.MANAGER)

    response = client.post(
        reverse("web:settings_account_new"),
        account_form(
            name=shop.web_shop.name,
            time_zone="Mars/Olympus",
            api_credentials="{not json",
            opens="09:00",
        ),
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"name", "time_zone", "api_credentials", "closes"}
    assert "Mars/Olympus is not an IANA time zone" in errors["time_zone"][0]
    assert ChannelAccount.objects.count() == 3


def test_editing_an_account_keeps_its_secret_and_never_shows_it(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    shop.web_shop.api_credentials = {"base_url": "https://shop.example", "token": TOKEN}
    shop.web_shop.options = {"column_mapping": {"kept": True}}
    shop.web_shop.save()
    login_as(Role.MANAGER)
    url = reverse("web:settings_account", args=[shop.web_shop.name])

    page = client.get(url).content.decode()
    response = client.post(
        url,
        account_form(
            name="renamed",
            platform="manual",
            display_name="Web shop (global)",
            default_currency="USD",
            is_active="on",
            silence_after_hours="48",
        ),
    )

    assert SECRET not in page
    assert TOKEN not in page
    assert "API credentials are set." in page
    assert response.status_code == 302
    shop.web_shop.refresh_from_db()
    assert (shop.web_shop.name, shop.web_shop.platform) == ("webshop", "shopify")  # fixed
    assert shop.web_shop.display_name == "Web shop (global)"
    assert shop.web_shop.webhook_secret == SECRET
    assert shop.web_shop.api_credentials["token"] == TOKEN
    assert shop.web_shop.options == {
        "column_mapping": {"kept": True},
        "health": {"silence_after_hours": 48.0},
    }


def test_bad_health_settings_are_refused_and_change_nothing(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    login_as(Role.MANAGER)

    response = client.post(
        reverse("web:settings_account", args=[shop.north_pos.name]),
        account_form(
            name="north-pos",
            platform="manual",
            is_active="on",
            silence_after_hours="-1",
            opens="10:00",
            closes="22:00",
        ),
    )

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"silence_after_hours", "open_days"}
    shop.north_pos.refresh_from_db()
    assert shop.north_pos.options == {}


def test_connecting_an_account_sends_it_every_figure(
    client: Client,
    shop: Shop,
    login_as: LoginAs,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    warehouse = make_location("wh", kind=LocationKind.WAREHOUSE)
    shop.web_shop.location = warehouse
    shop.web_shop.save()
    receive("A", warehouse, 5)
    receive("B", warehouse, 5)
    assert not AvailabilityOutbox.objects.exists()  # not connected: nothing queued
    login_as(Role.MANAGER)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("web:settings_account", args=[shop.web_shop.name]),
            account_form(
                name="webshop",
                platform="shopify",
                location=warehouse.pk,
                is_active="on",
                api_credentials=json.dumps({"base_url": "https://shop.example", "token": "t"}),
            ),
        )

    assert response.status_code == 302
    assert AvailabilityOutbox.objects.filter(account=shop.web_shop).count() == 2


# ----------------------------------------------------------------------------------------------
# Stock rules


def rule_form(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reserve_on": "created",
        "buffer": "2",
        "share_percent": "80",
        "cap": "",
        "push_enabled": "on",
        "locations-TOTAL_FORMS": "2",
        "locations-INITIAL_FORMS": "0",
        "locations-MIN_NUM_FORMS": "0",
        "locations-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


def test_a_manager_gives_an_account_its_stock_rule(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    login_as(Role.MANAGER)
    url = reverse("web:settings_stock_rule", args=[shop.web_shop.name])

    response = client.post(
        url,
        rule_form(
            nearest_by_province="on",
            split_allowed="on",
            cap="20",
            **{
                "locations-0-location": shop.south.pk,
                "locations-0-priority": "1",
                "locations-1-location": shop.north.pk,
                "locations-1-priority": "2",
            },
        ),
    )

    assert response.status_code == 302
    rule = ChannelStockRule.objects.get(account=shop.web_shop)
    assert (rule.reserve_on, rule.buffer, rule.share_percent, rule.cap) == ("created", 2, 80, 20)
    assert (rule.nearest_by_province, rule.split_allowed, rule.push_enabled) == (True, True, True)
    assert routing_config().rule(shop.web_shop.pk).locations == (shop.south.pk, shop.north.pk)
    page = client.get(url).content.decode()
    assert 'value="80"' in page


def test_a_bad_stock_rule_is_refused_with_its_fields_named(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    login_as(Role.MANAGER)

    response = client.post(
        reverse("web:settings_stock_rule", args=[shop.web_shop.name]),
        rule_form(
            share_percent="150",
            buffer="-1",
            **{
                "locations-0-location": shop.north.pk,
                "locations-0-priority": "1",
                "locations-1-location": shop.north.pk,
                "locations-1-priority": "2",
            },
        ),
    )

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"share_percent", "buffer"}
    assert "at most 100" in response.context["form"].errors["share_percent"][0]
    assert not ChannelStockRule.objects.exists()


# ----------------------------------------------------------------------------------------------
# Users


def user_form(**fields: Any) -> dict[str, Any]:
    data = {
        "username": "mei",
        "first_name": "Mei",
        "role": Role.STORE_CLERK,
        "store": "",
        "password": "a-long-unusual-9",
        "password_again": "a-long-unusual-9",
    }
    data.update(fields)
    return data


def test_a_manager_creates_a_store_clerk_who_logs_in(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    login_as(Role.MANAGER)

    response = client.post(reverse("web:settings_user_new"), user_form(store=shop.north.pk))

    assert response.status_code == 302
    mei = User.objects.get(username="mei")
    assert list(mei.groups.values_list("name", flat=True)) == [Role.STORE_CLERK]
    assert mei.staff_profile.store == shop.north
    assert mei.first_name == "Mei"
    fresh = Client()
    logged_in = fresh.post(
        reverse("web:login"), {"username": "mei", "password": "a-long-unusual-9"}
    )
    assert logged_in.status_code == 302
    assert fresh.get(reverse("web:order_list")).wsgi_request.user.username == "mei"


def test_a_new_user_that_is_not_valid_is_refused_with_its_fields_named(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    login_as(Role.MANAGER)

    response = client.post(
        reverse("web:settings_user_new"),
        user_form(username="bad name", password_again="something-else-7"),
    )
    no_store = client.post(reverse("web:settings_user_new"), user_form())

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"username", "store", "password_again"}
    assert no_store.status_code == 400
    assert no_store.context["form"].errors["store"] == ["A store clerk needs a store."]
    assert not User.objects.filter(username__in=["mei", "bad name"]).exists()


def test_a_manager_cannot_make_an_administrator(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    login_as(Role.MANAGER)

    page = client.get(reverse("web:settings_user_new")).content.decode()
    response = client.post(reverse("web:settings_user_new"), user_form(role=Role.ADMINISTRATOR))

    assert f'value="{Role.ADMINISTRATOR}"' not in page
    assert response.status_code == 400
    assert "role" in response.context["form"].errors
    assert not User.objects.filter(username="mei").exists()


def test_an_administrator_may_make_an_administrator(
    client: Client, shop: Shop, admin: User
) -> None:
    client.force_login(admin)

    response = client.post(reverse("web:settings_user_new"), user_form(role=Role.ADMINISTRATOR))

    assert response.status_code == 302
    assert User.objects.get(username="mei").is_staff


def test_a_manager_deactivates_and_reactivates_a_user_in_place(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    clerk = make_user("wang", Role.ORDER_CLERK)
    login_as(Role.MANAGER)
    url = reverse("web:settings_user_active", args=[clerk.pk])

    row = client.post(url, {"active": "0"}, headers={"HX-Request": "true"})

    assert row.status_code == 200
    assert row.content.decode().lstrip().startswith(f'<tr id="user-{clerk.pk}" class="inactive"')
    assert "Reactivate" in row.content.decode()
    clerk.refresh_from_db()
    assert not clerk.is_active
    assert not can_log_in("wang", PASSWORD)
    assert client.post(url, {"active": "1"}).status_code == 302
    clerk.refresh_from_db()
    assert clerk.is_active


def test_a_manager_resets_a_password_and_the_old_one_stops_working(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    clerk = make_user("wang", Role.ORDER_CLERK)
    login_as(Role.MANAGER)
    url = reverse("web:settings_user_password", args=[clerk.pk])

    mismatch = client.post(
        url, {"new_password1": "fresh-start-2027", "new_password2": "other-start-2027"}
    )
    response = client.post(
        url, {"new_password1": "fresh-start-2027", "new_password2": "fresh-start-2027"}
    )

    assert mismatch.status_code == 400
    assert "new_password2" in mismatch.context["form"].errors
    assert response.status_code == 302
    assert can_log_in("wang", "fresh-start-2027")
    assert not can_log_in("wang", PASSWORD)


def test_a_manager_cannot_touch_an_administrator_or_lock_themselves_out(
    client: Client, shop: Shop, admin: User, login_as: LoginAs
) -> None:
    manager = login_as(Role.MANAGER)

    listing = client.get(reverse("web:settings_users")).content.decode()
    deactivate = client.post(reverse("web:settings_user_active", args=[admin.pk]), {"active": "0"})
    password = client.post(
        reverse("web:settings_user_password", args=[admin.pk]),
        {"new_password1": "taken-over-2027", "new_password2": "taken-over-2027"},
    )
    myself = client.post(reverse("web:settings_user_active", args=[manager.pk]), {"active": "0"})

    admin_row = listing.split(f'id="user-{admin.pk}"')[1].split("</tr>")[0]
    assert "Deactivate" not in admin_row
    assert (deactivate.status_code, password.status_code, myself.status_code) == (403, 403, 403)
    admin.refresh_from_db()
    manager.refresh_from_db()
    assert admin.is_active
    assert manager.is_active
    assert admin.check_password(PASSWORD)


# ----------------------------------------------------------------------------------------------
# In Chinese


def test_the_settings_pages_are_in_chinese(client: Client, shop: Shop, login_as: LoginAs) -> None:
    login_as(Role.MANAGER)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    accounts = client.get(reverse("web:settings_accounts")).content.decode()
    form = client.get(reverse("web:settings_account", args=[shop.north_pos.name])).content.decode()
    rule = client.get(reverse("web:settings_stock_rule", args=[shop.north_pos.name])).content
    users = client.get(reverse("web:settings_users")).content.decode()

    assert "渠道账号" in accounts
    assert "营业时间" in form
    assert "库存规则" in rule.decode()
    assert "停用" in users
    for page in (accounts, form, rule.decode(), users):
        assert "Channel accounts" not in page
