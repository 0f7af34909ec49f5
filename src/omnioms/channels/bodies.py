"""Raw payload bodies made readable: JSON indented exactly as sent, cut at a length.

Used by the pages and the back office that show what a channel sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

BODY_DISPLAY_LIMIT = 100_000
"""Characters of a raw body shown in a page; the rest is cut with a note."""


@dataclass(frozen=True)
class Body:
    text: str
    is_json: bool
    truncated: bool
    size: int


def body_text(raw: bytes | memoryview, limit: int = BODY_DISPLAY_LIMIT) -> Body:
    """A raw payload for reading: JSON indented (numbers and escapes kept exactly as sent),
    anything else decoded as text."""
    data = bytes(raw)
    text = data.decode("utf-8", errors="replace")
    is_json = False
    try:
        json.loads(data)
    except (UnicodeDecodeError, ValueError):
        pass
    else:
        text, is_json = indent_json(text), True
    truncated = len(text) > limit
    return Body(text[:limit] if truncated else text, is_json, truncated, len(data))


def indent_json(text: str, step: int = 2) -> str:
    """Re-indent valid JSON text without parsing values, so ``100.10`` stays ``100.10``."""
    out: list[str] = []
    depth = 0
    in_string = escaped = False
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif char in "{[":
            after = index + 1
            while after < length and text[after] in " \t\r\n":
                after += 1
            if after < length and text[after] in "}]":
                out.append(char + text[after])
                index = after + 1
                continue
            depth += 1
            out.append(char + "\n" + " " * step * depth)
        elif char in "}]":
            depth -= 1
            out.append("\n" + " " * step * depth + char)
        elif char == ",":
            out.append(",\n" + " " * step * depth)
        elif char == ":":
            out.append(": ")
        elif char not in " \t\r\n":
            out.append(char)
        index += 1
    return "".join(out)
