"""The UI in Simplified Chinese: chosen with the language switcher, a cookie or the browser."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from omnioms.web.tests.conftest import Shop
from omnioms.web.tests.factories import order_data, submit


@pytest.mark.django_db
def test_the_language_switcher_turns_the_ui_chinese(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    submit(shop.north_pos, order_data("N-1", status="paid"))

    response = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": reverse("web:order_list")}
    )
    page = client.get(response["Location"]).content.decode()

    assert response["Location"] == reverse("web:order_list")
    assert '<html lang="zh-hans">' in page
    assert ">订单<" in page
    assert ">死信<" in page
    assert 'class="badge status-paid">已付款<' in page
    assert "订单录入员" in page
    assert "退出登录" in page
    assert "手工录入" in page


@pytest.mark.django_db
def test_the_language_cookie_and_the_browsers_language_both_choose_chinese(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    submit(shop.north_pos, order_data("N-1", status="shipped"))

    by_header = client.get(reverse("web:order_list"), headers={"Accept-Language": "zh-CN,zh"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    by_cookie = client.get(reverse("web:order_list"))

    for response in (by_header, by_cookie):
        page = response.content.decode()
        assert "已发货" in page
        assert "下单时间" in page


@pytest.mark.django_db
def test_the_login_page_is_translated(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    page = client.get(reverse("web:login")).content.decode()

    assert "登录" in page
    assert "简体中文" in page
    assert "English" in page


@pytest.mark.django_db
def test_filter_errors_are_translated(client: Client, shop: Shop, order_clerk: object) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    page = client.get(reverse("web:order_list"), {"placed_from": "2024-02-31"}).content.decode()

    assert "<strong>下单日期起</strong>" in page
    assert "输入一个有效的日期。" in page
