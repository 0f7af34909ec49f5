"""Every message of the simulation app has a Simplified Chinese translation with the same
placeholders; the runs page reads in Chinese."""

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
from omnioms.testing import make_user

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
        if path.name == "report_page.html":  # the offline report is a file, not a page
            continue
        found.update(
            ast.literal_eval(m) for m in _TEMPLATE_CALL.findall(templatize(path.read_text()))
        )
    return found


def test_every_message_of_the_simulation_app_has_a_chinese_translation() -> None:
    messages = messages_of_the_app()
    translated = catalogue()

    assert len(messages) > 30
    assert sorted(messages - set(translated)) == []
    for message in messages:
        assert sorted(_PLACEHOLDER.findall(message)) == sorted(
            _PLACEHOLDER.findall(translated[message])
        ), message


@pytest.mark.django_db
def test_the_runs_page_reads_in_chinese(client: Client) -> None:
    client.force_login(make_user(Role.PLANNER))
    page = client.get(reverse("simulation:runs"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for text in ("模拟", "运行模拟", "需求变化"):
        assert text in page
