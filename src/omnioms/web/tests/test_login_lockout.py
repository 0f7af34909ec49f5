"""Login throttling: a username is locked for an address after repeated wrong passwords."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import AnonymousUser
from django.db.models import F
from django.test import Client, RequestFactory
from django.urls import reverse
from pytest_django import Settings

from omnioms.core.roles import Role
from omnioms.testing import Api
from omnioms.web.errors import login_locked_out
from omnioms.web.tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

WEB_LOGIN = reverse("web:login")
ADMIN_LOGIN = reverse("admin:login")
LIMIT = 5


@pytest.fixture(autouse=True)
def _five_tries_then_fifteen_minutes(settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def log_in(client: Client, url: str, password: str, username: str = "wang", **extra: Any) -> Any:
    return client.post(url, {"username": username, "password": password}, **extra)


def fail(client: Client, url: str, times: int, **extra: str) -> None:
    for _ in range(times):
        assert log_in(client, url, "wrong", **extra).status_code == 200


def lock(client: Client, **extra: str) -> None:
    fail(client, WEB_LOGIN, LIMIT - 1, **extra)
    assert log_in(client, WEB_LOGIN, "wrong", **extra).status_code == 429


@pytest.mark.parametrize("url", [WEB_LOGIN, ADMIN_LOGIN])
def test_repeated_wrong_passwords_lock_the_login_and_the_right_one_is_then_refused(
    client: Client, url: str
) -> None:
    make_user("wang", Role.ADMINISTRATOR, is_staff=True)
    fail(client, url, LIMIT - 1)

    locked = log_in(client, url, "wrong")
    refused = log_in(client, url, PASSWORD)

    assert locked.status_code == 429
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    page = refused.content.decode()
    assert "Too many failed log-ins as this user from your address" in page
    assert "Try again in 15 minutes." in page
    assert 'name="password"' in page  # the login page itself, not a bare message
    assert "Please enter a correct" not in page


def test_the_lockout_page_is_translated(client: Client) -> None:
    make_user("wang", Role.ORDER_CLERK)
    lock(client, HTTP_ACCEPT_LANGUAGE="zh-hans")

    response = log_in(client, WEB_LOGIN, PASSWORD, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 429
    assert "登录失败的次数过多" in response.content.decode()


def test_the_lock_holds_only_for_that_username_and_address(client: Client) -> None:
    make_user("wang", Role.ORDER_CLERK)
    make_user("li", Role.ORDER_CLERK)
    lock(client)

    other_address = log_in(Client(), WEB_LOGIN, PASSWORD, REMOTE_ADDR="192.0.2.7")
    other_user = log_in(client, WEB_LOGIN, PASSWORD, username="li")

    assert other_address.status_code == 302
    assert other_user.status_code == 302


def test_a_successful_login_starts_the_count_again(client: Client) -> None:
    make_user("wang", Role.ORDER_CLERK)
    fail(client, WEB_LOGIN, LIMIT - 1)
    assert log_in(client, WEB_LOGIN, PASSWORD).status_code == 302
    client.post(reverse("web:logout"))

    fail(client, WEB_LOGIN, LIMIT - 1)

    assert log_in(client, WEB_LOGIN, PASSWORD).status_code == 302


def test_a_locked_login_does_not_stop_the_users_api_token(client: Client) -> None:
    from omnioms.api.services import create_token

    user = make_user("wang", Role.ORDER_CLERK)
    lock(client)

    response = Api(client, create_token(user)).get("/orders")

    assert response.status_code == 200


def test_the_lock_lifts_when_the_cool_off_has_passed(client: Client) -> None:
    make_user("wang", Role.ORDER_CLERK)
    lock(client)
    assert log_in(client, WEB_LOGIN, PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))

    assert log_in(client, WEB_LOGIN, PASSWORD).status_code == 302


def test_a_lockout_outside_a_login_page_answers_with_the_login_page(rf: RequestFactory) -> None:
    request = rf.post("/elsewhere/")
    request.user = AnonymousUser()

    response = login_locked_out(request, None, {"username": "wang"})

    page = response.content.decode()
    assert response.status_code == 429
    assert "Try again in 15 minutes." in page
    assert 'name="password"' in page
    assert 'value="wang"' in page
