"""Every message of the production app, its models' names included, has a Simplified Chinese
translation with the same placeholders; the pages read in Chinese."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_python
from babel.messages.pofile import read_po
from django.test import Client
from django.urls import reverse
from django.utils.translation.template import templatize

from omnioms.core.roles import Role
from omnioms.production.models import Bom
from omnioms.production.tests.factories import one_of_each_master
from omnioms.production.tests.pages import login

PACKAGE = Path(__file__).resolve().parents[2]
APP = PACKAGE / "production"
_KEYWORDS: dict[str, Any] = {**DEFAULT_KEYWORDS, "gettext_lazy": None}
_TEMPLATE_CALL = re.compile(r"""\bn?gettext\((u'(?:[^'\\]|\\.)*'|u"(?:[^"\\]|\\.)*")""")
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[-+ #0]*[sdr]|%%")


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


def catalogue() -> dict[str, str]:
    """Each source text (both forms of a plural) and its translation."""
    translated: dict[str, str] = {}
    with (PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").open("rb") as handle:
        for m in read_po(handle):
            if not (m.id and m.string):
                continue
            text = m.string if isinstance(m.string, str) else m.string[0]
            for source in (m.id,) if isinstance(m.id, str) else m.id:
                translated[str(source)] = str(text)
    return translated


def test_every_message_of_the_production_app_has_a_chinese_translation() -> None:
    messages = messages_of_the_app()
    translated = catalogue()

    assert len(messages) > 250
    assert sorted(messages - set(translated)) == []
    for message in messages:
        assert sorted(_PLACEHOLDER.findall(message)) == sorted(
            _PLACEHOLDER.findall(translated[message])
        ), message


@pytest.mark.django_db
def test_a_bom_page_reads_in_chinese(client: Client) -> None:
    one_of_each_master()
    login(client, Role.PLANNER)

    page = client.get(
        reverse("production:bom", args=[Bom.objects.get().pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()

    for text in ("SHIRT 的物料清单，版本 1", "单位用量", "损耗率", "100 件所需物料", "生效日期"):
        assert text in page
