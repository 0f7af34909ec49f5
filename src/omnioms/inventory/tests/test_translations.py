"""Every message of the stock app has a Simplified Chinese translation, placeholders intact."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path
from typing import Any

from babel.messages.extract import DEFAULT_KEYWORDS, extract_python
from babel.messages.pofile import read_po
from django.utils.translation.template import templatize

PACKAGE = Path(__file__).resolve().parents[2]
APP = PACKAGE / "inventory"
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
    translated: dict[str, str] = {}
    for path in (PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po",):
        with path.open("rb") as handle:
            for m in read_po(handle):
                if m.id and m.string and isinstance(m.id, str) and isinstance(m.string, str):
                    translated[m.id] = m.string
    return translated


def test_every_message_has_a_chinese_translation_with_the_same_placeholders() -> None:
    messages = messages_of_the_app()
    translated = catalogue()

    assert len(messages) > 150
    assert sorted(messages - set(translated)) == []
    for message in messages:
        assert sorted(_PLACEHOLDER.findall(message)) == sorted(
            _PLACEHOLDER.findall(translated[message])
        ), message
