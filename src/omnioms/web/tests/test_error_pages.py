"""403, 404 and 500 pages in the site's layout with a way back; the API's stay JSON."""

from __future__ import annotations

import logging

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from omnioms.core.roles import Role
from omnioms.testing import api_as
from omnioms.web import errors
from omnioms.web.tests.conftest import LoginAs

ORDERS = reverse("web:order_list")
LOGIN = reverse("web:login")
ENGLISH_AND_CHINESE = [
    pytest.param("en", id="en"),
    pytest.param("zh-hans", id="zh-hans"),
]
NOT_FOUND = {"en": "Page not found", "zh-hans": "页面不存在"}
NOT_ALLOWED = {"en": "Not allowed", "zh-hans": "无权访问"}
BACK_TO_ORDERS = {"en": "Back to the orders", "zh-hans": "返回订单列表"}
LOG_IN = {"en": "Log in", "zh-hans": "登录"}
WENT_WRONG = {"en": "Something went wrong", "zh-hans": "出错了"}


def in_layout(page: str) -> bool:
    return 'class="topbar"' in page and "web/omnioms.css" in page


@pytest.mark.django_db
@pytest.mark.parametrize("language", ENGLISH_AND_CHINESE)
def test_a_missing_page_has_the_menu_and_leads_back_to_the_orders(
    client: Client, order_clerk: object, language: str
) -> None:
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language)

    page = response.content.decode()
    assert response.status_code == 404
    assert in_layout(page)
    assert NOT_FOUND[language] in page
    assert 'class="mainnav"' in page
    assert f'href="{ORDERS}">{BACK_TO_ORDERS[language]}' in page


@pytest.mark.django_db
@pytest.mark.parametrize("language", ENGLISH_AND_CHINESE)
def test_a_missing_page_leads_an_anonymous_visitor_to_the_login_page(
    client: Client, language: str
) -> None:
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language)

    page = response.content.decode()
    assert response.status_code == 404
    assert in_layout(page)
    assert 'class="mainnav"' not in page
    assert f'href="{LOGIN}">{LOG_IN[language]}' in page


@pytest.mark.django_db
@pytest.mark.parametrize("language", ENGLISH_AND_CHINESE)
def test_a_page_the_role_may_not_open_says_so_in_the_layout(
    client: Client, login_as: LoginAs, language: str
) -> None:
    login_as(Role.CUSTOMER_SERVICE)  # no dead letters for customer service

    response = client.get(reverse("web:dead_letter_list"), HTTP_ACCEPT_LANGUAGE=language)

    page = response.content.decode()
    assert response.status_code == 403
    assert in_layout(page)
    assert NOT_ALLOWED[language] in page
    assert f'href="{ORDERS}">{BACK_TO_ORDERS[language]}' in page


@pytest.mark.django_db
def test_a_refused_page_is_one_warning_line_not_a_traceback(
    client: Client, login_as: LoginAs, caplog: pytest.LogCaptureFixture
) -> None:
    login_as(Role.CUSTOMER_SERVICE)

    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get(reverse("web:dead_letter_list"))

    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "Forbidden (Permission denied): /dead-letters/"
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("language", ENGLISH_AND_CHINESE)
def test_the_server_error_page_needs_no_database_and_no_user(
    rf: RequestFactory, language: str
) -> None:
    request = rf.get("/orders/")  # no user, no session: the middleware may not have run
    # Without the django_db mark a query fails the test.
    with translation.override(language):
        response = errors.server_error(request)

    page = response.content.decode()
    assert response.status_code == 500
    assert in_layout(page)
    assert WENT_WRONG[language] in page
    assert f'href="{reverse("web:home")}"' in page


@pytest.mark.django_db
def test_an_error_in_a_page_shows_the_server_error_page(
    client: Client, order_clerk: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("omnioms.web.selectors.order_list_page", broken)
    client.raise_request_exception = False

    response = client.get(ORDERS)

    assert response.status_code == 500
    assert WENT_WRONG["en"] in response.content.decode()


@pytest.mark.django_db
def test_the_api_keeps_json_errors(client: Client) -> None:
    missing = client.get("/api/v1/no-such-thing")

    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found", "errors": []}


@pytest.mark.django_db
def test_an_error_in_the_api_is_json_too(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("omnioms.orders.api.visible_orders", broken)
    client.raise_request_exception = False

    response = api_as(client, Role.ORDER_CLERK).get("/orders")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error", "errors": []}
