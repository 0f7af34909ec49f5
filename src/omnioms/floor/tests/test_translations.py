"""Every message of the floor app, its models' names included, has a Simplified Chinese
translation with the same placeholders; the tablet page reads in Chinese."""

from __future__ import annotations

import ast
import io
from typing import Any

import pytest
from babel.messages.extract import extract_python
from django.test import Client
from django.urls import reverse
from django.utils.translation.template import templatize

from omnioms.core.roles import Role
from omnioms.production.tests import test_translations as production
from omnioms.testing import make_user

APP = production.PACKAGE / "floor"


def messages_of_the_app() -> set[str]:
    found: set[str] = set()
    for path in APP.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        keywords: dict[str, Any] = production._KEYWORDS
        for _line, _func, message, _comments in extract_python(
            io.BytesIO(path.read_bytes()), keywords, [], {}
        ):
            parts = message if isinstance(message, tuple) else (message,)
            found.update(str(m) for m in parts if m)
    for path in (APP / "templates").rglob("*.html"):
        found.update(
            ast.literal_eval(m)
            for m in production._TEMPLATE_CALL.findall(templatize(path.read_text()))
        )
    return found


def test_every_message_of_the_floor_app_has_a_chinese_translation() -> None:
    messages = messages_of_the_app()
    translated = production.catalogue()

    assert len(messages) > 200
    assert sorted(messages - set(translated)) == []
    for message in messages:
        assert sorted(production._PLACEHOLDER.findall(message)) == sorted(
            production._PLACEHOLDER.findall(translated[message])
        ), message


@pytest.mark.django_db
def test_the_tablet_page_reads_in_chinese(client: Client) -> None:
    client.force_login(make_user(Role.SUPERVISOR))
    page = client.get(reverse("floor:tablet"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for text in ("哪个工作中心", "扫描工单", "作业编号"):
        assert text in page
