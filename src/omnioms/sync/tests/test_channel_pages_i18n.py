"""The channel pages in Simplified Chinese, from the project's catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from omnioms.channels.models import WebhookRejectionReason
from omnioms.core.roles import Role
from omnioms.sync.forms import column_field
from omnioms.sync.rejections import record_webhook_rejection
from omnioms.web.tests.factories import make_account, make_user, post_webhook

SAMPLE = Path(__file__).parents[2] / "channels" / "tests" / "fixtures" / "csv" / "shop_cn_fen.csv"


@pytest.fixture
def chinese(client: Client, settings: Settings) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"


@pytest.mark.django_db
@pytest.mark.usefixtures("chinese")
def test_the_health_page_reads_in_chinese(client: Client) -> None:
    shop = make_account("north-pos", display_name="North POS")
    post_webhook(shop, b"not json")
    record_webhook_rejection("north-pos", WebhookRejectionReason.BAD_SIGNATURE, None)
    client.force_login(make_user("wang", Role.SUPERVISOR))

    page = client.get(reverse("channels:health")).content.decode()

    assert "<h1>渠道健康</h1>" in page
    assert ">渠道健康</a>" in page  # the navigation link
    assert "未配置拉取" in page
    assert "最近 24 小时拒收了 1 次 Webhook 推送（其中 1 次签名错误）" in page
    assert "1 条推送内容未能生成订单：请查看死信。" in page
    assert "Channel health" not in page


@pytest.mark.django_db
@pytest.mark.usefixtures("chinese")
def test_the_mapping_page_and_its_errors_read_in_chinese(client: Client) -> None:
    sheet = make_account("shop-sheet", platform="csv", display_name="表格店")
    client.force_login(make_user("li", Role.MANAGER))
    url = reverse("channels:column_mapping", args=[sheet.name])
    client.post(url, {"action": "upload", "file": SimpleUploadedFile("s.csv", SAMPLE.read_bytes())})

    page = client.get(url).content.decode()
    response = client.post(
        url,
        {
            "action": "preview",
            column_field("title"): "商品名称",
            column_field("unit_price"): "单价(分)",
            "money_unit": "minor",
            "date_format": "auto",
            "default_status": "paid",
            "order_values": "first",
        },
    )

    assert "表格店 的列映射" in page
    assert "订单号（按它把行归为订单）" in page
    assert "尚未保存映射" in page
    assert "请选择存放订单号的列。" in response.content.decode()
