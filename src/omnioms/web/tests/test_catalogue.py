"""The Simplified Chinese catalogue is complete, and the compiled file matches it."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

FOLDER = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[-+ #0]*[sdr]|%%|%[sd]|\{[a-z_]*\}")


def _entries() -> list[tuple[str, str, bool]]:
    """(source, translation, fuzzy) of every message; each plural form counts as one. A
    message with a context (``pgettext``) is ``context|source``."""
    with (FOLDER / "django.po").open("rb") as handle:
        catalog = read_po(handle)
    entries = []
    for m in catalog:
        if not m.id:
            continue
        sources = m.id if isinstance(m.id, tuple) else (m.id,)
        texts = m.string if isinstance(m.string, tuple) else (m.string,)
        # Chinese has one plural form: it must carry the placeholders of the plural source.
        entries.append((_key(m.context, sources[-1]), str(texts[0] or ""), m.fuzzy))
    return entries


def _key(context: str | None, source: object) -> str:
    return f"{context}|{source}" if context else str(source)


def test_every_message_is_translated_with_its_placeholders_and_none_is_fuzzy() -> None:
    entries = _entries()

    assert len(entries) > 650
    assert [source for source, text, _ in entries if not text] == []
    assert [source for source, _, fuzzy in entries if fuzzy] == []
    assert [
        source
        for source, text, _ in entries
        if sorted(_PLACEHOLDER.findall(source)) != sorted(_PLACEHOLDER.findall(text))
    ] == []


def test_the_compiled_catalogue_is_the_current_one() -> None:
    with (FOLDER / "django.mo").open("rb") as handle:
        compiled = {
            _key(m.context, m.id[-1] if isinstance(m.id, (tuple, list)) else m.id): str(
                m.string[0] if isinstance(m.string, (tuple, list)) else m.string
            )
            for m in read_mo(handle)
            if m.id
        }

    stale = [source for source, text, _ in _entries() if compiled.get(source) != text]
    assert stale == [], "run `make messages` to compile the catalogue"
