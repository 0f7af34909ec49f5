"""Every message of the planning app, its models' names included, has a Simplified Chinese
translation with the same placeholders; the schedule pages read in Chinese."""

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
    PACKAGE,
    catalogue,
)
from omnioms.testing import make_user


def messages_of(app: Path) -> set[str]:
    found: set[str] = set()
    for path in app.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for _line, _func, message, _comments in extract_python(
            io.BytesIO(path.read_bytes()), _KEYWORDS, [], {}
        ):
            parts = message if isinstance(message, tuple) else (message,)
            found.update(str(m) for m in parts if m)
    for path in (app / "templates").rglob("*.html"):
        found.update(
            ast.literal_eval(m) for m in _TEMPLATE_CALL.findall(templatize(path.read_text()))
        )
    return found


@pytest.mark.parametrize("app", ["planning", "customers"])
def test_every_message_of_the_app_has_a_chinese_translation(app: str) -> None:
    messages = messages_of(PACKAGE / app)
    translated = catalogue()

    assert messages
    assert sorted(messages - set(translated)) == []
    for message in messages:
        assert sorted(_PLACEHOLDER.findall(message)) == sorted(
            _PLACEHOLDER.findall(translated[message])
        ), message


@pytest.mark.django_db
def test_the_plans_rush_and_weights_pages_read_in_chinese(client: Client) -> None:
    from omnioms.planning.tests.factories import shop

    shop()
    client.force_login(make_user(Role.PLANNER))
    plans = client.get(reverse("planning:plans"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    rush = client.get(
        reverse("planning:rush_list"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    weights = client.get(
        reverse("planning:weights"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()

    assert "排产计划" in plans
    assert "插单" in rush
    assert "需要日期" in rush
    # sentences of {% translate %} tags, looked up as the page has them
    assert "百分之五十为满分" in weights
    assert "百分之七十" in weights
