"""Every message of the sales app and of the order list's bulk actions has a Simplified
Chinese translation with the same placeholders; the counter reads in Chinese."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest
from django.test import Client

from omnioms.production.tests.test_translations import (
    _KEYWORDS,
    _PLACEHOLDER,
    _TEMPLATE_CALL,
    PACKAGE,
    catalogue,
    extract_python,
    templatize,
)
from omnioms.sales.tests.conftest import Shop
from omnioms.testing import make_user

SALES = PACKAGE / "sales"
ORDER_LIST = [
    PACKAGE / "web" / "templates" / "web" / "_order_results.html",
    PACKAGE / "web" / "templates" / "web" / "order_bulk_ship.html",
]


def _messages(python: list[Path], templates: list[Path]) -> set[str]:
    found: set[str] = set()
    for path in python:
        for _line, _func, message, _comments in extract_python(
            io.BytesIO(path.read_bytes()), _KEYWORDS, [], {}
        ):
            parts = message if isinstance(message, tuple) else (message,)
            found.update(str(m) for m in parts if m)
    for path in templates:
        found.update(
            ast.literal_eval(m) for m in _TEMPLATE_CALL.findall(templatize(path.read_text()))
        )
    return found


def _assert_translated(messages: set[str]) -> None:
    translated = catalogue()
    assert sorted(messages - set(translated)) == []
    for message in messages:
        assert sorted(_PLACEHOLDER.findall(message)) == sorted(
            _PLACEHOLDER.findall(translated[message])
        ), message


def test_every_message_of_the_sales_app_has_a_chinese_translation() -> None:
    python = [
        path
        for path in SALES.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    ]
    messages = _messages(python, list((SALES / "templates").rglob("*.html")))
    assert len(messages) > 200
    _assert_translated(messages)


def test_the_order_lists_bulk_actions_and_filters_are_translated() -> None:
    messages = _messages([PACKAGE / "web" / "forms.py", PACKAGE / "web" / "views.py"], ORDER_LIST)
    assert "Pick list (PDF)" in messages
    _assert_translated(messages)


@pytest.mark.django_db
def test_the_counter_reads_in_chinese(client: Client, shop: Shop) -> None:
    client.force_login(make_user("store_clerk", store="sh-01"))
    client.post("/sales/counter/scan/", {"code": "TS-BLK-L"})
    page = client.get("/sales/counter/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for text in ("门店收银", "扫码或搜索 SKU", "本店 2", "完成销售", "当场交付", "发票抬头"):
        assert text in page
