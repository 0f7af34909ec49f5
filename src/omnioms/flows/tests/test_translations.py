"""Every message of the flows app, and of the order page's actions, has a Simplified Chinese
translation with the same placeholders; the preset flows read in Chinese."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_python
from django.test import Client
from django.urls import reverse
from django.utils.translation.template import templatize

from omnioms.core.roles import Role
from omnioms.inventory.tests.factories import account, order_json, submit
from omnioms.production.tests.test_translations import (
    _KEYWORDS,
    _PLACEHOLDER,
    _TEMPLATE_CALL,
    PACKAGE,
    catalogue,
)
from omnioms.testing import make_user

FILES = [
    *(
        path
        for path in (PACKAGE / "flows").rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    ),
    PACKAGE / "web" / "order_actions.py",
]
TEMPLATES = [
    *(PACKAGE / "flows" / "templates").rglob("*.html"),
    PACKAGE / "web" / "templates" / "web" / "order_detail.html",
]


def _messages(files: list[Path], templates: list[Path]) -> set[str]:
    found: set[str] = set()
    keywords = {**_KEYWORDS, "gettext_noop": None}
    for path in files:
        for _line, _func, message, _comments in extract_python(
            io.BytesIO(path.read_bytes()), keywords, [], {}
        ):
            parts = message if isinstance(message, tuple) else (message,)
            found.update(str(m) for m in parts if m)
    for path in templates:
        found.update(
            ast.literal_eval(m) for m in _TEMPLATE_CALL.findall(templatize(path.read_text()))
        )
    return found


def test_every_message_of_the_flows_app_has_a_chinese_translation() -> None:
    messages = _messages(FILES, list(TEMPLATES))
    translated = catalogue()

    assert len(messages) > 150
    assert sorted(messages - set(translated)) == []
    for message in messages:
        assert sorted(_PLACEHOLDER.findall(message)) == sorted(
            _PLACEHOLDER.findall(translated[message])
        ), message


@pytest.mark.django_db
def test_an_order_s_actions_and_stage_read_in_chinese(client: Client) -> None:
    order = submit(account("tmall", platform="taobao"), order_json("Z-1"))
    client.force_login(make_user(Role.ORDER_CLERK))

    page = client.get(
        reverse("web:order_detail", args=[order.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()

    for text in ("待拣货", "电商平台", "暂停", "发货", "拆分订单"):
        assert text in page
