"""Every message of the service app, its models' names included, has a Simplified Chinese
translation with the same placeholders; the agent's screen reads in Chinese."""

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
from omnioms.production.tests.test_translations import (
    _KEYWORDS,
    _PLACEHOLDER,
    _TEMPLATE_CALL,
    catalogue,
)
from omnioms.service.tests.factories import customer_mail, logged_in

APP = Path(__file__).resolve().parents[1]


def messages_of_the_app() -> set[str]:
    found: set[str] = set()
    for path in APP.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for _line, _func, message, _comments in extract_python(
            io.BytesIO(path.read_bytes()), _KEYWORDS, [], {}
        ):
            parts = message if isinstance(message, tuple) else (message,)
            found.update(str(m) for m in parts if m)
    for path in (APP / "templates").rglob("*.html"):
        found.update(
            ast.literal_eval(m) for m in _TEMPLATE_CALL.findall(templatize(path.read_text()))
        )
    return found


def test_every_message_of_the_service_app_has_a_chinese_translation() -> None:
    messages = messages_of_the_app()
    translated = catalogue()

    assert len(messages) > 150
    assert sorted(messages - set(translated)) == []
    for message in messages:
        assert sorted(_PLACEHOLDER.findall(message)) == sorted(
            _PLACEHOLDER.findall(translated[message])
        ), message


@pytest.mark.django_db
def test_the_agents_screen_reads_in_chinese(client: Client) -> None:
    ticket = customer_mail("我的包裹在哪里？")
    logged_in(client, Role.CUSTOMER_SERVICE)

    page = client.get(
        reverse("service:ticket", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()

    for text in ("对话", "回复", "内部备注（不发送）", "以前的工单", "剩余时间"):
        assert text in page
