"""What every adapter module provides, and the helpers they share.

An adapter is pure: bytes in, :class:`NormalizedOrder` out, no ORM, no settings, no clock. The
intake stores the raw bytes before an adapter ever sees them, so an adapter may raise on
anything it cannot read; it raises :class:`NormalizationError` naming the field and the problem
so that a person reading the dead-letter list knows what to fix.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from omnioms.channels.contract import NormalizedOrder

BEIJING = ZoneInfo("Asia/Shanghai")
UNIT_PLACES = Decimal("0.0001")
"""Places a unit price keeps when a line amount does not divide by its quantity."""

_Key = TypeVar("_Key", bound=Hashable)
_Value = TypeVar("_Value")


class NormalizationError(ValueError):
    """A payload that cannot become a normalised order, with a reason a person can act on.

    ``field`` is a path into the payload as the platform names it (``line 2: unit_price``).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


@dataclass(frozen=True)
class AdapterContext:
    """What an adapter may know about the account a payload came from."""

    time_zone: ZoneInfo = BEIJING
    """Zone of the platform's naive times (Beijing unless the account says otherwise)."""
    currency: str = "CNY"
    """Currency when the payload names none."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """The account's adapter options (``ChannelAccount.options``), e.g. a column mapping."""


@dataclass(frozen=True)
class Record:
    """One order's worth of a payload or file: what intake stores, and what ``normalize`` reads."""

    raw: bytes
    content_type: str = "application/json"
    label: str = ""
    """Where in the file it came from (``item 12``, ``rows 3-5``), for error messages."""


@dataclass(frozen=True)
class WebhookMeta:
    """What a webhook delivery says about itself, read from headers and body before parsing."""

    event_id: str | None = None
    """The platform's id for the event: the same on every retry. Dedupe key."""
    delivery_id: str | None = None
    """Id of this delivery attempt; changes per retry. Kept for support, never a dedupe key."""
    topic: str | None = None
    is_ping: bool = False
    """A verification ping that carries no order (Douyin tag 0)."""
    response: bytes | None = None
    """Body the platform expects in the 2xx answer, when it expects one."""


@dataclass(frozen=True)
class Adapter:
    """The functions a platform module registers. Everything but ``normalize`` has a default."""

    code: str
    normalize: Callable[[Record, AdapterContext], NormalizedOrder]
    split: Callable[[bytes, str], Iterator[Record]] = field(
        default=lambda raw, name: split_json(raw, name)
    )
    verify_signature: Callable[[bytes, Mapping[str, str], Sequence[str], str], bool] = field(
        default=lambda body, headers, secrets, url: verify_generic_hmac(body, headers, secrets)
    )
    webhook_meta: Callable[[bytes, Mapping[str, str]], WebhookMeta] = field(
        default=lambda body, headers: generic_webhook_meta(headers)
    )
    file_types: tuple[str, ...] = ("json",)
    split_with_options: Callable[[bytes, str, AdapterContext], Iterator[Record]] | None = None
    """Splitting that depends on the account (the ``csv`` column mapping says which column
    groups rows into orders); when set, :func:`split_records` calls it instead of ``split``."""


def split_records(
    adapter: Adapter, raw: bytes, filename: str, context: AdapterContext
) -> Iterator[Record]:
    """The records of a payload or file received on an account: what intake and imports split."""
    if adapter.split_with_options is not None:
        return _nested_within_reason(adapter.split_with_options(raw, filename, context), filename)
    return _nested_within_reason(adapter.split(raw, filename), filename)


MAX_JSON_DEPTH = 64
"""How deep JSON may nest: a platform's order is a handful of levels deep. Python's parser
gives up (``RecursionError``) near a thousand levels, and streaming a JSON array of many more
levels with ijson takes memory that grows with the square of the depth."""

TOO_DEEP = f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep; no order is"


def _nested_within_reason(records: Iterator[Record], name: str) -> Iterator[Record]:
    try:
        yield from records
    except RecursionError as exc:
        raise NormalizationError(f"{name or 'payload'}: {TOO_DEEP}") from exc


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(raw: bytes, *, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply the JSON in ``raw`` nests, counted up to ``limit + 1``; strings' contents do
    not count. In C but for one step per bracket."""
    depth = deepest = 0
    for byte in _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS):
        if byte in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


# ----------------------------------------------------------------------------------------------
# Splitting files into records


def split_json(raw: bytes, name: str = "") -> Iterator[Record]:
    """One record per order: a single object, a JSON array, or JSON Lines.

    Array items are re-serialised one by one so that each order keeps its own raw payload; a
    large array is streamed with ijson, not loaded whole. Numbers survive exactly: a float's
    shortest repr is the wire text's value for anything a platform sends (at most 15 digits).
    """
    import ijson  # imported here: only file imports need it

    head = raw.lstrip()[:1]
    if head == b"[":
        if json_depth(raw) > MAX_JSON_DEPTH:
            raise NormalizationError(f"{name or 'file'}: {TOO_DEEP}")
        try:
            for index, item in enumerate(ijson.items(raw, "item", use_float=True), start=1):
                yield Record(raw=dump_json(item), label=f"item {index}")
        except ijson.JSONError as exc:
            # ijson's message goes on with an excerpt of the text over several lines.
            reason = str(exc).splitlines()[0].strip() if str(exc).strip() else type(exc).__name__
            raise NormalizationError(f"{name or 'file'}: not valid JSON ({reason})") from exc
        return
    if head == b"{" and b"\n{" in raw.strip():
        for number, line in enumerate(raw.splitlines(), start=1):
            if line.strip():
                yield Record(raw=line.strip(), label=f"line {number}")
        return
    yield Record(raw=raw, label=name)


def dump_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def load_json(record: Record) -> Any:
    """Parse a record's JSON keeping numbers exact (floats become Decimal, never float)."""
    try:
        return json.loads(record.raw, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NormalizationError(f"not valid JSON ({exc})") from exc


def load_json_text(value: str, field: str) -> Any:
    """A JSON document that a platform sends inside a string field, numbers kept exact."""
    try:
        return json.loads(value, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise NormalizationError(f"not valid JSON ({exc})", field=field) from exc


def json_object(raw: bytes) -> dict[str, Any] | None:
    """The JSON object ``raw`` holds, or None when it is not JSON or not an object.

    For looking at a body before ``normalize`` reads it (splitting a file, webhook metadata):
    numbers are plain floats here, and whatever is unreadable is left for ``normalize`` to
    report with its reason.
    """
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def split_listed(
    raw: bytes,
    name: str,
    listed: Callable[[dict[str, Any]], list[Any] | None],
    noun: str = "order",
) -> Iterator[Record]:
    """One record per entry of a list answer (a search page, ``{"orders": [...]}``), labelled
    ``<name>: <noun> <n>``; anything else as :func:`split_json` splits it.

    ``listed`` gets the top-level JSON object and gives its entries, or None when the object is
    not a list answer (a single order, a push).
    """
    data = json_object(raw) if raw.lstrip()[:1] == b"{" else None
    entries = listed(data) if data is not None else None
    if entries is None:
        yield from split_json(raw, name)
        return
    prefix = f"{name}: " if name else ""
    for index, entry in enumerate(entries, start=1):
        yield Record(raw=dump_json(entry), label=f"{prefix}{noun} {index}")


# ----------------------------------------------------------------------------------------------
# Answers that are not an order


def ids_named(data: Any, named: Callable[[dict[str, Any]], Iterable[str]]) -> list[str]:
    """The order ids that a parsed body names, in order and once each: what ``named`` finds in
    the body's object, or in each object of a JSON array of them (other items name nothing).

    For the thin pushes and id lists that name orders without carrying them: the adapters'
    ``order_ids_to_fetch``.
    """
    items = data if isinstance(data, list) else [data]
    return list(
        dict.fromkeys(
            order_id for item in items if isinstance(item, dict) for order_id in named(item)
        )
    )


def error_detail(error: Mapping[str, Any], keys: Sequence[str]) -> str:
    """The fields ``keys`` of a platform's error answer that have a value, space-separated."""
    return " ".join(str(error[key]) for key in keys if error.get(key))


# ----------------------------------------------------------------------------------------------
# Signatures


def hmac_sha256_base64(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def any_secret_matches(
    expected: Callable[[str], str], given: str | None, secrets: Sequence[str]
) -> bool:
    """Constant-time comparison against each active secret (old and new during rotation)."""
    if not given:
        return False
    matched = False
    for secret in secrets:
        if secret and hmac.compare_digest(expected(secret).encode(), given.strip().encode()):
            matched = True
    return matched


def header(headers: Mapping[str, str], *names: str) -> str | None:
    """Case-insensitive header lookup, trying each name (platforms drop the ``X-`` prefix)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value is not None:
            return value
    return None


GENERIC_SIGNATURE_HEADER = "X-Omnioms-Signature"


def verify_generic_hmac(body: bytes, headers: Mapping[str, str], secrets: Sequence[str]) -> bool:
    """omnioms' own scheme for senders without a platform signature (relays, POS, scripts):
    ``X-Omnioms-Signature: base64(HMAC-SHA256(account secret, raw body))``."""
    given = header(headers, GENERIC_SIGNATURE_HEADER)
    return any_secret_matches(lambda secret: hmac_sha256_base64(secret, body), given, secrets)


def generic_webhook_meta(headers: Mapping[str, str]) -> WebhookMeta:
    return WebhookMeta(
        event_id=header(headers, "X-Omnioms-Event-Id", "Idempotency-Key"),
        topic=header(headers, "X-Omnioms-Topic"),
    )


# ----------------------------------------------------------------------------------------------
# Values


def money(value: Any, field: str) -> Decimal:
    """A major-unit amount from a decimal string or number, exactly; floats go through str()."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0")
    if isinstance(value, bool):
        raise NormalizationError(f"{value!r} is not an amount", field=field)
    text = str(value).strip().replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise NormalizationError(f"{value!r} is not a number", field=field) from None
    if not amount.is_finite():
        raise NormalizationError(f"{value!r} is not a number", field=field)
    return amount


def fen(value: Any, field: str) -> Decimal:
    """Integer minor units (fen, cents) to major units, exactly."""
    if value is None or value == "":
        return Decimal("0")
    amount = money(value, field)
    if amount != amount.to_integral_value():
        raise NormalizationError(f"{value!r} is not a whole number of fen", field=field)
    try:
        return amount.scaleb(-2).quantize(Decimal("0.01"))
    except InvalidOperation:  # more digits than the decimal context holds
        raise NormalizationError(f"{value!r} is too large an amount", field=field) from None


def integer(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise NormalizationError(f"{value!r} is not a whole number", field=field)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise NormalizationError(f"{value!r} is not a whole number", field=field) from None
    # Infinity would escape as OverflowError from int(), sNaN as InvalidOperation from !=.
    if not number.is_finite() or number != number.to_integral_value():
        raise NormalizationError(f"{value!r} is not a whole number", field=field)
    return int(number)


def text(value: Any) -> str | None:
    """A stripped string, or None for missing or blank values."""
    if value is None:
        return None
    result = str(value).strip()
    return result or None


def parse_iso(value: Any, field: str) -> datetime | None:
    """An ISO-8601 time with an offset (``Z`` or ``-05:00``), as UTC."""
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise NormalizationError(f"{value!r} is not an ISO-8601 time", field=field) from None
    if parsed.tzinfo is None:
        raise NormalizationError(f"{value!r} has no time zone", field=field)
    return parsed.astimezone(UTC)


def parse_local(value: Any, field: str, zone: ZoneInfo) -> datetime | None:
    """A naive ``yyyy-MM-dd HH:mm:ss`` in the platform's zone (Beijing by default), as UTC."""
    if value in (None, ""):
        return None
    raw = str(value).strip()
    if raw.startswith("0001-01-01") or raw.startswith("1970-01-01 08:00:00"):
        return None  # platforms' "not yet" sentinels (JD's unpaid payment time, epoch zero)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise NormalizationError(
            f"{value!r} is not a yyyy-MM-dd HH:mm:ss time", field=field
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def parse_unix(value: Any, field: str) -> datetime | None:
    """Unix seconds (or milliseconds, told apart by size) as UTC; 0 means not set."""
    if value in (None, "", 0, "0"):
        return None
    seconds = integer(value, field)
    try:
        if seconds > 10_000_000_000:
            return datetime.fromtimestamp(seconds / 1000, tz=UTC)
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):  # outside the years datetime can hold
        raise NormalizationError(f"{value!r} is not a Unix time", field=field) from None


def require(mapping: Mapping[str, Any], key: str, path: str = "") -> Any:
    if not isinstance(mapping, Mapping):
        raise NormalizationError("expected an object", field=path or None)
    if key not in mapping or mapping[key] is None:
        raise NormalizationError("is missing", field=f"{path}{key}")
    return mapping[key]


def iter_list(value: Any, field: str) -> Iterable[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise NormalizationError("expected a list", field=field)
    return value


# ----------------------------------------------------------------------------------------------
# Objects, ids and flags


def require_filled(mapping: Mapping[str, Any], key: str, where: str = "") -> Any:
    """``mapping[key]``, where a blank string is missing too (unlike :func:`require`)."""
    value = mapping.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise NormalizationError("is missing", field=f"{where}{key}")
    return value


def as_object(value: Any, field: str) -> Mapping[str, Any]:
    """A JSON object the payload must have here."""
    if not isinstance(value, Mapping):
        raise NormalizationError("expected an object", field=field)
    return value


def object_or_empty(value: Any, field: str) -> Mapping[str, Any]:
    """A JSON object, or ``{}`` when the payload has null (or nothing) here."""
    if value is None:
        return {}
    return as_object(value, field)


def truthy(value: Any) -> bool:
    """A platform's flag given as a boolean, ``1``/``0``, ``"true"``, ``"yes"``/``"y"``, ..."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "y"}


def identifier(value: Any, field: str) -> str | None:
    """An id given as a string or a JSON integer (64-bit ids arrive exact from
    :func:`load_json`), as a string; None when absent or blank."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise NormalizationError(f"{value!r} is not an id", field=field)
    return text(value)


def full_name(person: Mapping[str, Any]) -> str | None:
    """``first_name last_name`` of a customer or address, as Shopify and WooCommerce split it."""
    parts = [text(person.get("first_name")), text(person.get("last_name"))]
    return " ".join(part for part in parts if part) or None


def currency_code(code: str, field: str) -> str:
    """``code`` when it looks like an ISO 4217 code (three ASCII letters), else an error."""
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise NormalizationError(f"{code!r} is not a currency code", field=field)
    return code


# ----------------------------------------------------------------------------------------------
# Lines


def quantity_of(value: Any, field: str) -> int:
    """A line's quantity: a whole number of units, not negative."""
    quantity = integer(value, field)
    if quantity < 0:
        raise NormalizationError(f"{quantity} is negative", field=field)
    return quantity


def unit_price_of(line_amount: Decimal, quantity: int) -> Decimal:
    """A line amount divided by its quantity: exact when it divides, else to 4 places."""
    if quantity == 0:
        return line_amount
    unit = line_amount / quantity
    if unit * quantity == line_amount:
        return unit
    return unit.quantize(UNIT_PLACES, rounding=ROUND_HALF_EVEN)


def refunded_units(
    refunded: Mapping[str, int],
    line_id: str | None,
    quantity: int,
    field: str,
    what: str = "refunds",
) -> int:
    """The units of a line that the order's refunds (or returns) count by line id; more units
    than the line has is an error."""
    units = refunded.get(line_id, 0) if line_id else 0
    if units > quantity:
        raise NormalizationError(
            f"{what} count {units} units but the line has {quantity}", field=field
        )
    return units


# ----------------------------------------------------------------------------------------------
# Statuses


def mapped_status(
    statuses: Mapping[_Key, _Value],
    key: _Key,
    field: str,
    *,
    raw: Any = None,
    what: str = "status",
) -> _Value:
    """What a platform status maps to in the adapter's table; one the table does not know is an
    error naming it (as ``raw`` spells it, when the key was normalised from it)."""
    try:
        return statuses[key]
    except KeyError:
        shown = key if raw is None else raw
        raise NormalizationError(f"unknown {what} {shown!r}", field=field) from None
