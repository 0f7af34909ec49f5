"""Raw payload bodies made readable: JSON indented exactly as sent, cut at a length.

Used by the pages, the API and the back office that show what a channel sent. A body is
whatever a sender signed, so it may be megabytes long or nested thousands of levels deep:
only its first ``limit`` bytes are ever read here (the callers fetch no more than that from
the database, see :func:`with_body_head`), they are scanned once, left to right, with an
explicit stack and no recursion, and the indentation stops growing after
:data:`INDENT_DEPTH_LIMIT` levels. Time and output are bounded by ``limit`` whatever the body.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import BinaryField, Model, QuerySet
from django.db.models.functions import Length, Substr
from django.http import HttpResponse
from django.utils.http import content_disposition_header

BODY_DISPLAY_LIMIT = 100_000
"""Bytes of a raw body read for a page (and characters shown); the rest is cut with a note."""

INDENT_DEPTH_LIMIT = 20
"""Levels of nesting that get their own indented lines; deeper ones are written on one line,
else a body of 5,000 nested arrays would be shown as 25 million spaces."""

BODY_HEAD = "body_head"
BODY_SIZE = "body_size"

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Body:
    text: str
    is_json: bool
    truncated: bool
    size: int
    """Bytes of the whole stored body."""
    shown: int
    """Bytes of the body that ``text`` shows (all of them unless ``truncated``)."""


def body_text(
    raw: bytes | memoryview,
    limit: int = BODY_DISPLAY_LIMIT,
    *,
    size: int | None = None,
    indent: bool = True,
) -> Body:
    """A raw payload for reading: JSON indented (numbers and escapes kept exactly as sent),
    anything else decoded as text, at most ``limit`` characters of either. Without
    ``indent``, JSON too is only decoded.

    ``raw`` may be only the first bytes of the body, with ``size`` the whole body's length: a
    body that is cut is shown indented when what there is of it reads as JSON so far.
    """
    data = bytes(raw)
    size = max(len(data) if size is None else size, len(data))
    head = data[:limit]
    complete = len(head) == size
    # surrogateescape keeps one character per undecodable byte, so that what is shown can be
    # counted back in bytes; the surrogates are shown as U+FFFD below.
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    text = decoder.decode(head, final=complete)
    rendered = _render_json(text, limit, complete=complete) if indent else None
    if rendered is None:
        shown_text, used = text[:limit], min(len(text), limit)
    else:
        shown_text, used = rendered
    shown = len(text[:used].encode("utf-8", errors="surrogateescape"))
    return Body(
        text=_SURROGATES.sub("\N{REPLACEMENT CHARACTER}", shown_text),
        is_json=rendered is not None,
        truncated=shown < size,
        size=size,
        shown=shown,
    )


def indent_json(text: str, step: int = 2) -> str:
    """Re-indent valid JSON text without parsing values, so ``100.10`` stays ``100.10``.

    Text that is not JSON comes back unchanged.
    """
    most = len(text) * (step * INDENT_DEPTH_LIMIT + 4) + 16  # the most a token can become
    rendered = _render_json(text, most, complete=True, step=step)
    return text if rendered is None else rendered[0]


def with_body_head(
    queryset: QuerySet[M], field: str = "body", limit: int = BODY_DISPLAY_LIMIT
) -> QuerySet[M]:
    """``queryset`` without the body column, annotated with its first ``limit`` bytes
    (``body_head``) and its length (``body_size``): a 20 MB body is never loaded to show a page.

    ``field`` is the path to the body (``payload__body`` from a dead letter).
    """
    return queryset.defer(field).annotate(
        **{
            BODY_HEAD: Substr(field, 1, limit, output_field=BinaryField()),
            BODY_SIZE: Length(field),
        }
    )


def head_of(obj: Any, limit: int = BODY_DISPLAY_LIMIT, *, indent: bool = True) -> Body:
    """The :class:`Body` of a row annotated by :func:`with_body_head`."""
    head, size = getattr(obj, BODY_HEAD) or b"", getattr(obj, BODY_SIZE) or 0
    return body_text(head, limit, size=size, indent=indent)


_SAFE_CONTENT_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+(?:; *charset=[\w.:-]+)?", re.ASCII)
_EXTENSIONS = {"json": ".json", "csv": ".csv", "xml": ".xml", "plain": ".txt"}


def attachment(raw: bytes, content_type: str, name: str) -> HttpResponse:
    """A raw body, byte for byte, as a download named ``name`` plus an extension: never
    rendered by the browser (``attachment``, ``nosniff``), whatever type the sender claimed;
    a type that is not plainly ``type/subtype`` is sent as ``application/octet-stream``."""
    content_type = content_type.strip()
    if not _SAFE_CONTENT_TYPE.fullmatch(content_type):
        content_type = "application/octet-stream"
    subtype = content_type.split(";")[0].split("/")[1].split("+")[-1].lower()
    response = HttpResponse(raw, content_type=content_type)
    filename = name + _EXTENSIONS.get(subtype, ".bin")
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=filename) or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ----------------------------------------------------------------------------------------------
# The scanner

_SURROGATES = re.compile("[\udc80-\udcff]")

# One JSON lexeme after optional whitespace. Strings are matched whole with their escapes
# checked (no control characters, only JSON's escapes); numbers and literals as JSON spells them.
_TOKEN = re.compile(
    r"[ \t\r\n]*(?:"
    r'(?P<string>"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*")'
    r"|(?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<literal>true|false|null)"
    r"|(?P<punct>[][{}:,])"
    r")"
)
# The start of a number, and of a number's fraction or exponent: how a body cut mid-number ends.
_NUMBER_START = re.compile(r"-?(?:0|[1-9][0-9]*)?(?:\.[0-9]*)?(?:[eE][+-]?[0-9]*)?")
_NUMBER_END = re.compile(r"(?:\.[0-9]*)?(?:[eE][+-]?[0-9]*)?")

# What the grammar expects next.
_VALUE, _VALUE_OR_CLOSE, _KEY_OR_CLOSE, _KEY, _COLON, _NEXT, _END = range(7)
_CLOSES = {"{": "}", "[": "]"}


def _render_json(text: str, limit: int, *, complete: bool, step: int = 2) -> tuple[str, int] | None:
    """``text`` indented and cut at ``limit`` characters, with how many characters of ``text``
    that covers; None when ``text`` is not JSON (or, when not ``complete``, not the start of
    JSON). One pass with an explicit stack: any depth, time linear in ``len(text)``."""
    out: list[str] = []
    length = 0
    stack: list[str] = []
    expect = _VALUE
    pending: str | None = None  # the line break after an opening bracket, unless it closes at once
    pos, end = 0, len(text)
    last = ""
    while pos < end:
        match = _TOKEN.match(text, pos)
        start = pos
        if match is None:
            rest = text[pos:].lstrip(" \t\r\n")
            if not rest:
                break
            if complete or not _cut_token(rest, expect, after_number=last == "number"):
                return None
            piece, pending, pos, last = (pending or "") + rest, None, end, "cut"  # as it is
        else:
            start, pos = match.start(), match.end()
            kind = last = match.lastgroup or "punct"
            lexeme = match.group(kind)
            piece = ""
            if pending is not None:
                if lexeme == _CLOSES[stack[-1]]:
                    pending = ""  # an empty {} or []
                piece, pending = pending, None
            depth = len(stack)
            if kind != "punct":
                if expect in (_VALUE, _VALUE_OR_CLOSE):
                    expect = _NEXT if stack else _END
                elif expect in (_KEY_OR_CLOSE, _KEY) and kind == "string":
                    expect = _COLON
                else:
                    return None
                piece += lexeme
            elif lexeme in "{[":
                if expect not in (_VALUE, _VALUE_OR_CLOSE):
                    return None
                stack.append(lexeme)
                expect = _KEY_OR_CLOSE if lexeme == "{" else _VALUE_OR_CLOSE
                pending = _line_break(depth + 1, step)
                piece += lexeme
            elif lexeme in "}]":
                if not stack or lexeme != _CLOSES[stack[-1]]:
                    return None
                if expect == _NEXT:
                    piece += _line_break(depth - 1, step, level=depth)
                elif expect not in (_VALUE_OR_CLOSE, _KEY_OR_CLOSE):
                    return None
                stack.pop()
                expect = _NEXT if stack else _END
                piece += lexeme
            elif lexeme == ",":
                if expect != _NEXT:
                    return None
                expect = _KEY if stack[-1] == "{" else _VALUE
                piece += "," + (_line_break(depth, step) or " ")
            else:  # ":"
                if expect != _COLON:
                    return None
                expect = _VALUE
                piece += ": "
        if length + len(piece) > limit:
            # Cut here; what is shown covers the text before the lexeme being cut.
            out.append(piece[: limit - length])
            return "".join(out), start
        out.append(piece)
        length += len(piece)
    if expect != _END and (complete or not last):
        return None  # unfinished, or (of a body cut off) nothing but white space
    return "".join(out), end


def _cut_token(rest: str, expect: int, *, after_number: bool) -> bool:
    """Whether ``rest``, the end of a body cut off, can be the start of the lexeme expected."""
    if expect in (_KEY_OR_CLOSE, _KEY):
        return rest.startswith('"')
    if after_number:
        return _NUMBER_END.fullmatch(rest) is not None
    if expect not in (_VALUE, _VALUE_OR_CLOSE):
        return False
    return (
        rest.startswith('"')
        or _NUMBER_START.fullmatch(rest) is not None
        or any(literal.startswith(rest) for literal in ("true", "false", "null"))
    )


def _line_break(depth: int, step: int, *, level: int | None = None) -> str:
    """A new line indented for ``depth``; nothing inside a ``level`` too deep to indent."""
    if (depth if level is None else level) > INDENT_DEPTH_LIMIT:
        return ""
    return "\n" + " " * (step * depth)
