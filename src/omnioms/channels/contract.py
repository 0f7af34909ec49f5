"""The normalised order: the one shape every channel's order becomes.

This is the public contract of ``docs/contracts.md``: ``omnioms normalize`` prints it,
``POST /api/v1/orders`` accepts it and the intake upserts it. Adapters build it; nothing
downstream ever looks at a platform's own field names.

Rules the validators enforce so that no adapter can get them wrong quietly:
- amounts are ``Decimal`` (serialised as exact decimal strings), never floats;
- times are timezone-aware and converted to UTC (an offset of 16 hours or more, or a time
  outside 0001-01-02 to 9999-12-30 in UTC, which some zone could not show, is refused);
- text never holds the NUL character, which PostgreSQL cannot store;
- ids from channels are strings;
- nothing is larger than the order tables can hold (amounts up to 99,999,999,999,999,
  quantities up to 2,147,483,647, ids and codes within their columns' lengths), so an order
  that validates is an order that can be stored: one that cannot is refused here, with the
  field named, and becomes a dead letter, instead of failing the transaction that writes it
  and every other order in it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)

from omnioms.core.choices import OrderStatus
from omnioms.core.inputs import no_nul, storable_time
from omnioms.core.money import AMOUNT_DIGITS, AMOUNT_PLACES

AMOUNT_MAX = Decimal(10) ** (AMOUNT_DIGITS - AMOUNT_PLACES) - 1
"""Amounts are stored as ``DecimalField(max_digits=18, decimal_places=4)``: under 10^14. Not
up to 99,999,999,999,999.9999 but a unit less: SQLite keeps such a decimal as a float of about
15 digits, and 99,999,999,999,999.995 comes back as 10^14, which the field cannot read."""
MAX_QUANTITY = 2_147_483_647
"""The largest value of a PostgreSQL ``integer`` (quantities are ``PositiveIntegerField``)."""
MAX_VERSION = 2**63 - 1
"""A ``bigint``: the platform's revision counter."""


def _exact_decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        # A float reaching the contract is a bug in an adapter: converting it here would hide
        # a rounding error. Adapters convert wire floats with ``str()`` first.
        raise ValueError("amount must not be a float; convert the wire value with str() first")
    if isinstance(value, bool):
        raise ValueError("amount must be a number, not a boolean")
    try:
        result = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except ArithmeticError as exc:
        raise ValueError(f"{value!r} is not a number") from exc
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    if abs(result) > AMOUNT_MAX:
        raise ValueError(f"{value!r} is too large for an amount (at most 99999999999999)")
    return result


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")


Amount = Annotated[
    Decimal,
    BeforeValidator(_exact_decimal),
    PlainSerializer(_decimal_text, return_type=str, when_used="json"),
    # What a client should send (the OpenAPI schema of POST /orders): a decimal string or a
    # whole number, never a float, under 10^14.
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^-?\d{1,14}(\.\d{1,4})?$", "examples": ["19.90"]},
                {"type": "integer", "minimum": -int(AMOUNT_MAX), "maximum": int(AMOUNT_MAX)},
            ]
        },
        mode="validation",
    ),
]


def _aware_utc(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError("time must carry a time zone; adapters localise naive platform times")
        return storable_time(value).astimezone(UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return _aware_utc(parsed)
    return value


def _utc_text(value: datetime) -> str:
    """``2026-05-01T08:00:00Z``, with only the fraction digits that are not zero."""
    text = value.astimezone(UTC).isoformat()[:-6]  # drop "+00:00"; no fraction when it is 0
    return (text.rstrip("0") if value.microsecond else text) + "Z"


UtcTime = Annotated[
    datetime,
    BeforeValidator(_aware_utc),
    PlainSerializer(_utc_text, return_type=str, when_used="json"),
]


def _id_text(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("id must be a string")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


ExternalId = Annotated[str, BeforeValidator(_id_text)]
Quantity = Annotated[int, Field(ge=0, le=MAX_QUANTITY)]

# Text no longer than the column it is stored in.
Text50 = Annotated[str, StringConstraints(max_length=50)]
Text100 = Annotated[str, StringConstraints(max_length=100)]
Text200 = Annotated[str, StringConstraints(max_length=200)]
Text254 = Annotated[str, StringConstraints(max_length=254)]
# An id from a channel, or none: a number becomes its text.
OptionalId100 = Annotated[str, StringConstraints(max_length=100), BeforeValidator(_id_text)] | None
OptionalId200 = Annotated[str, StringConstraints(max_length=200), BeforeValidator(_id_text)] | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL's text cannot hold NUL: refused here, naming the field, rather than failing
        # the transaction that stores the order (and only on PostgreSQL).
        return no_nul(value)


class Buyer(_Strict):
    name: str | None = None
    """Shown as it is; the order keeps its first 200 characters."""
    email: Text254 | None = None
    phone: Text50 | None = None
    channel_buyer_id: OptionalId200 = None


class Address(_Strict):
    name: str | None = None
    phone: str | None = None
    country: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    address: str | None = None
    postal_code: str | None = None
    masked: bool = False
    """True when the platform sent the personal fields masked or encrypted."""


class Component(_Strict):
    sku: Text200
    quantity: int = Field(gt=0, le=MAX_QUANTITY)


class Line(_Strict):
    external_line_id: OptionalId100 = None
    sku: Text200 | None = None
    title: str = ""
    """Shown as it is; the order line keeps its first 500 characters."""
    quantity: Quantity
    unit_price: Amount
    discount: Amount = Decimal("0")
    total: Amount
    is_gift: bool = False
    refunded_quantity: Quantity = 0
    components: list[Component] = Field(default_factory=list)

    @field_validator("sku", mode="before")
    @classmethod
    def _blank_sku_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _refund_within_quantity(self) -> Line:
        if self.refunded_quantity > self.quantity:
            raise ValueError(
                f"refunded_quantity {self.refunded_quantity} exceeds quantity {self.quantity}"
            )
        return self


class Notes(_Strict):
    buyer: str | None = None
    seller: str | None = None


OPTIONAL_TIMES = ("ship_by", "shipped_at")
"""Order times added after the contract was first published: left out of the serialised
order when empty."""


class NormalizedOrder(_Strict):
    channel: str
    external_id: ExternalId = Field(min_length=1, max_length=100)
    status: OrderStatus
    raw_status: Text100 | None = None
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    created_at: UtcTime | None = None
    paid_at: UtcTime | None = None
    updated_at: UtcTime | None = None
    version: int | None = Field(default=None, ge=-MAX_VERSION, le=MAX_VERSION)
    """The platform's own revision counter where it has one (Square ``version``)."""
    buyer: Buyer = Field(default_factory=Buyer)
    ship_to: Address | None = None
    lines: list[Line] = Field(default_factory=list)
    shipping: Amount = Decimal("0")
    discount: Amount = Decimal("0")
    tax: Amount = Decimal("0")
    taxes_included: bool = False
    total: Amount
    notes: Notes = Field(default_factory=Notes)
    ship_by: UtcTime | None = None
    """The channel's own deadline for shipping the order (Douyin ``exp_ship_time``, Amazon
    ``LatestShipDate``); the date committed to the customer when present."""
    shipped_at: UtcTime | None = None
    """When the channel says the order left (Taobao and Youzan ``consign_time``, Pinduoduo
    ``shipping_time``, Douyin ``ship_time``): on-time delivery counts from it for an order
    shipped by the marketplace's own process, even when omnioms first hears of it completed."""

    @model_serializer(mode="wrap")
    def _times_only_when_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Left out when empty, so that an order without them serialises (and hashes) as it did
        # before the fields existed: a re-delivered order is still a repeat, not a change.
        data: dict[str, Any] = handler(self)
        for name in OPTIONAL_TIMES:
            if data.get(name, 0) is None:
                del data[name]
        return data

    @model_validator(mode="after")
    def _difference_can_be_stored(self) -> NormalizedOrder:
        # The order keeps the difference between the platform's total and the computed one.
        if abs(self.total_mismatch()) > AMOUNT_MAX:
            raise ValueError(
                f"the lines add up to {format(self.computed_total(), 'f')}, too large to store"
            )
        return self

    def computed_total(self) -> Decimal:
        """What the lines, shipping, tax and discounts add up to.

        ``Σ unit_price × quantity + shipping + tax − discount`` where ``discount`` is the whole
        order's discount (line discounts included). When prices include tax (``taxes_included``,
        the rule on Chinese marketplaces and many Shopify shops) tax is shown but not added.
        """
        goods = sum((line.unit_price * line.quantity for line in self.lines), Decimal("0"))
        tax = Decimal("0") if self.taxes_included else self.tax
        return goods + self.shipping + tax - self.discount

    def total_mismatch(self) -> Decimal:
        """The platform's total minus ours; zero when they agree."""
        return self.total - self.computed_total()


def content_hash(order: NormalizedOrder) -> str:
    """sha256 of the order's JSON; pydantic writes fields in declaration order, so equal orders
    give equal bytes."""
    return content_hash_of(order.model_dump_json())


def content_hash_of(contract_json: str) -> str:
    """:func:`content_hash` of an order whose ``model_dump_json()`` the caller already has."""
    return hashlib.sha256(contract_json.encode()).hexdigest()
