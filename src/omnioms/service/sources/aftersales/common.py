"""Helpers the after-sales adapters share: reading JSON exactly, ids, times, money."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from omnioms.channels.adapters.base import (
    BEIJING,
    NormalizationError,
    Record,
    load_json,
    parse_local,
    parse_unix,
)


def load(body: bytes) -> Any:
    return load_json(Record(raw=body))


def inner_json(value: Any, field: str) -> dict[str, Any]:
    """A JSON object sent inside a string field (TMC's and PDD's ``content``, Douyin's
    ``data``), or already parsed by a relay."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise NormalizationError("is missing or not a JSON string", field=field)
    try:
        parsed = json.loads(value, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise NormalizationError(f"not valid JSON ({exc})", field=field) from exc
    if not isinstance(parsed, dict):
        raise NormalizationError("not a JSON object", field=field)
    return parsed


def ident(data: Mapping[str, Any], *names: str, required: bool = True) -> str:
    """The first present of ``names`` as a string id (ints kept exact: read with Decimal)."""
    for name in names:
        value = data.get(name)
        if value not in (None, ""):
            if isinstance(value, Decimal):
                value = int(value)
            return str(value)
    if required:
        raise NormalizationError("is missing", field=names[0])
    return ""


def amount(value: Any, field: str, *, fen: bool = False) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise NormalizationError(f"{value!r} is not a number", field=field) from exc
    return (number / 100).quantize(Decimal("0.01")) if fen else number


def beijing(value: Any, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | Decimal) or (isinstance(value, str) and value.isdigit()):
        return parse_unix(int(value), field)
    return parse_local(str(value), field, BEIJING)


def quantity(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError as exc:
        raise NormalizationError(f"{value!r} is not a whole number", field=field) from exc
