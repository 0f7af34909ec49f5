"""The fields a person fills to take an action: read from JSON (the API) or a form (the page)
into plain values, each error naming its field."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from pydantic import ValidationError

from omnioms.channels.contract import Address
from omnioms.core.inputs import NUL
from omnioms.flows.registry import FIELDS, FieldSpec
from omnioms.orders.models import OrderLine
from omnioms.orders.services import line_key

MAX_TEXT = 1000
MAX_AMOUNT = Decimal("99999999999999")
MAX_UNITS = 2_147_483_647


@dataclass(frozen=True)
class LineUnits:
    line: str
    """:func:`omnioms.orders.services.line_key`: the channel's line id, or ``#`` + position."""
    quantity: int


class FieldErrors(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


def parse_fields(names: tuple[str, ...], data: Any) -> dict[str, Any]:
    """The values of the fields ``names`` from ``data`` (a JSON object), or :class:`FieldErrors`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FieldErrors({"": _("the fields must be a JSON object")})
    errors: dict[str, str] = {}
    for extra in sorted(set(data) - set(names)):
        errors[str(extra)[:50]] = _("this action has no such field")
    values: dict[str, Any] = {}
    for name in names:
        spec = FIELDS[name]
        raw = data.get(name)
        if raw is None or raw == "" or raw == []:
            if spec.required:
                errors[name] = _("is required")
            continue
        try:
            values[name] = _parse(spec, raw)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise FieldErrors(errors)
    return values


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError(_("must be text"))
    if NUL in raw:
        raise ValueError(_("must not contain the NUL character"))
    text = raw.strip()
    if len(text) > MAX_TEXT:
        raise ValueError(_("must be at most %(n)s characters") % {"n": MAX_TEXT})
    return text


def _parse(spec: FieldSpec, raw: Any) -> Any:
    if spec.kind == "text":
        text = _text(raw)
        if not text and spec.required:
            raise ValueError(_("is required"))
        return text
    if spec.kind == "choice":
        if raw not in {value for value, _label in spec.choices}:
            allowed = ", ".join(value for value, _label in spec.choices)
            raise ValueError(_("must be one of: %(choices)s") % {"choices": allowed})
        return raw
    if spec.kind == "amount":
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise ValueError(_("must be an amount such as 12.50"))
        try:
            amount = Decimal(str(raw))
        except InvalidOperation:
            raise ValueError(_("must be an amount such as 12.50")) from None
        if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
            raise ValueError(_("must be between 0 and %(max)s") % {"max": MAX_AMOUNT})
        return amount
    if spec.kind == "address":
        if not isinstance(raw, dict):
            raise ValueError(_("must be an address (name, phone, address, city, ...)"))
        try:
            address = Address.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"{where}: {first['msg']}") from None
        if not (address.address or "").strip():
            raise ValueError(_("address: is required"))
        return address.model_dump(mode="json", exclude_defaults=True)
    if spec.kind == "lines":
        return _lines(raw)
    raise ValueError(f"unknown field kind {spec.kind!r}")


def _lines(raw: Any) -> list[LineUnits]:
    if not isinstance(raw, list):
        raise ValueError(_('must be a list of {"line": ..., "quantity": ...}'))
    found: dict[str, int] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) - {"line", "quantity"}:
            raise ValueError(_('item %(i)s must be {"line": ..., "quantity": ...}') % {"i": i})
        line, quantity = item.get("line"), item.get("quantity")
        if isinstance(line, int) and not isinstance(line, bool):
            line = str(line)
        if not isinstance(line, str) or not line or NUL in line or len(line) > 100:
            raise ValueError(_("item %(i)s: line must name a line of the order") % {"i": i})
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ValueError(_("item %(i)s: quantity must be a whole number") % {"i": i})
        if not 0 < quantity <= MAX_UNITS:
            raise ValueError(_("item %(i)s: quantity must be positive") % {"i": i})
        found[line] = found.get(line, 0) + quantity
        if found[line] > MAX_UNITS:
            raise ValueError(_("item %(i)s: quantity must be positive") % {"i": i})
    return [LineUnits(line, quantity) for line, quantity in found.items()]


def as_json(values: dict[str, Any]) -> dict[str, Any]:
    """The values as the timeline stores them."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, Decimal):
            out[name] = str(value)
        elif isinstance(value, list):
            out[name] = [[item.line, item.quantity] for item in value]
        else:
            out[name] = value
    return out


ADDRESS_PARTS = ("name", "phone", "province", "city", "district", "address", "postal_code")
"""The parts of an address form, each an input named ``<field>-<part>``."""


def from_form(post: Any, names: tuple[str, ...], lines: list[OrderLine]) -> dict[str, Any]:
    """The JSON object :func:`parse_fields` takes, from a page's form: ``<field>-<line key>``
    inputs for quantities per line, ``<field>-<part>`` for an address, ``<field>`` otherwise.
    The order page and the agent's screen post the same names."""
    data: dict[str, Any] = {}
    for name in names:
        spec = FIELDS[name]
        if spec.kind == "lines":
            chosen = []
            for line in lines:
                raw = str(post.get(f"{name}-{line_key(line)}") or "").strip()
                if raw and raw != "0":
                    # a number as a number; anything else as typed, for the parser to name
                    chosen.append({"line": line_key(line), "quantity": _whole(raw)})
            if chosen:
                data[name] = chosen
        elif spec.kind == "address":
            parts = {p: str(post.get(f"{name}-{p}", "")).strip() for p in ADDRESS_PARTS}
            if any(parts.values()):
                data[name] = {p: v for p, v in parts.items() if v}
        else:
            value = str(post.get(name, ""))
            if value != "":
                data[name] = value
    return data


def _whole(raw: str) -> int | str:
    try:
        return int(raw)
    except ValueError:
        return raw
