"""WooCommerce: REST API v3 ``Order`` objects and the signed ``order.*`` webhooks.

Accepted shapes: the bare order object that ``GET /wp-json/wc/v3/orders/<id>`` answers and the
``order.created`` / ``order.updated`` / ... webhooks send, and for file imports the list that
``GET /wc/v3/orders`` answers (a JSON array: the default ``split`` gives one record per order).

How the fields are read (decisions, so that every WooCommerce order adds up the same way):

- Times come from the ``*_gmt`` fields (UTC written without ``Z``); the plain ``date_created``
  is the site's local time with no offset and is only used when a ``_gmt`` field is missing,
  localised in the account's zone. ``paid_at`` = ``date_paid_gmt`` (null for orders nobody
  marked paid, even when completed: it is left null rather than guessed).
- WooCommerce stores every line and order amount *excluding* tax, whatever
  ``prices_include_tax`` says (that flag only tells how prices were typed in), so
  ``taxes_included`` is always False and ``tax`` = ``total_tax`` (cart + shipping tax).
- Line: ``unit_price`` = ``subtotal / quantity`` (before coupons). The number ``price`` is *not*
  used: WooCommerce computes it as ``total / quantity``, i.e. after coupons, and as a float.
  ``total`` = the line's ``total`` (after coupons); ``discount`` = ``unit_price × quantity −
  total``. A subtotal that does not divide evenly keeps four decimal places in ``unit_price``
  and the rounding stays inside the line's discount, so every line still adds up.
- ``title`` = ``name`` with HTML entities decoded (WooCommerce stores ``&ndash;``, ``&amp;``
  ...); an empty ``sku`` is None (matched later by title or a mapping rule).
- Order: ``discount`` = ``discount_total`` (coupons, excluding tax) plus any negative fee lines
  (how many plugins grant discounts). ``shipping`` = ``shipping_total`` plus positive fee lines
  (surcharges such as gift wrap: the contract has no other place for a charge that is neither
  goods nor tax). ``total`` = ``total`` (the platform's own figure, never recomputed).
- Refunds: the order object lists ``refunds[]`` with amounts only, which cannot be attributed
  to lines, so ``refunded_quantity`` stays 0 and a partial refund never changes the status.
  A record that carries full refund objects (``GET /orders/<id>/refunds``: ``line_items`` whose
  ``meta_data`` names ``_refunded_item_id`` and whose ``quantity`` is negative) gets per-line
  refunded quantities.
- Status: pending, on-hold, failed -> pending_payment (not paid yet: on-hold waits for a bank
  transfer, failed can still be paid); processing -> paid; completed -> completed;
  cancelled, trash -> cancelled; refunded -> refunded; checkout-draft -> draft. Statuses that
  common shipment plugins add: shipped -> shipped, partial-shipped / partially-shipped ->
  partially_shipped, delivered -> completed. Any other (custom) status is an error naming it.
- Buyer: billing name, email and phone; ``channel_buyer_id`` = ``customer_id`` (0 = guest ->
  None). Ship-to from ``shipping``, its company as the first address line. Buyer note =
  ``customer_note``.

Webhooks: ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(secret, raw body)). WooCommerce has
no event id (``X-WC-Webhook-Delivery-ID`` is new per delivery), so deliveries are not deduped
by id; a repeated body upserts as ``unchanged``. When a webhook is saved, WooCommerce sends an
unsigned ping whose whole body is ``webhook_id=<n>``: it is accepted without a signature (the
body cannot carry data) and marked as a ping.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from omnioms.channels.adapters.base import (
    Adapter,
    AdapterContext,
    NormalizationError,
    Record,
    WebhookMeta,
    any_secret_matches,
    currency_code,
    full_name,
    header,
    hmac_sha256_base64,
    identifier,
    integer,
    iter_list,
    load_json,
    mapped_status,
    money,
    object_or_empty,
    parse_iso,
    parse_local,
    quantity_of,
    refunded_units,
    require,
    require_filled,
    text,
    unit_price_of,
)
from omnioms.channels.adapters.manual import describe_validation_error
from omnioms.channels.contract import Address, Buyer, Line, NormalizedOrder, Notes
from omnioms.core.choices import OrderStatus

STATUSES: dict[str, OrderStatus] = {
    "pending": OrderStatus.PENDING_PAYMENT,
    "on-hold": OrderStatus.PENDING_PAYMENT,
    "failed": OrderStatus.PENDING_PAYMENT,
    "processing": OrderStatus.PAID,
    "completed": OrderStatus.COMPLETED,
    "cancelled": OrderStatus.CANCELLED,
    "trash": OrderStatus.CANCELLED,
    "refunded": OrderStatus.REFUNDED,
    "checkout-draft": OrderStatus.DRAFT,
    # Statuses added by common shipment-tracking plugins.
    "shipped": OrderStatus.SHIPPED,
    "partial-shipped": OrderStatus.PARTIALLY_SHIPPED,
    "partially-shipped": OrderStatus.PARTIALLY_SHIPPED,
    "delivered": OrderStatus.COMPLETED,
}
SIGNATURE_HEADER = "X-WC-Webhook-Signature"
PING = re.compile(rb"\s*webhook_id=\d+\s*")


def normalize(record: Record, context: AdapterContext) -> NormalizedOrder:
    order = _order(load_json(record))
    external_id = identifier(order.get("id"), "id")
    if external_id is None:
        raise NormalizationError("is missing", field="id")
    raw_status = str(require_filled(order, "status")).strip()
    status = _status(raw_status)
    zone = context.time_zone

    refunded = _refunded_quantities(order)
    lines = [
        _line(item, index, refunded)
        for index, item in enumerate(iter_list(order.get("line_items"), "line_items"), start=1)
    ]
    surcharges, fee_discounts = _fees(order)
    shipping = money(order.get("shipping_total"), "shipping_total") + surcharges
    discount = money(order.get("discount_total"), "discount_total") + fee_discounts

    try:
        return NormalizedOrder(
            channel="woocommerce",
            external_id=external_id,
            status=status,
            raw_status=raw_status,
            currency=_currency(order, context),
            created_at=_time(order, "date_created", zone),
            paid_at=_time(order, "date_paid", zone),
            updated_at=_time(order, "date_modified", zone),
            buyer=_buyer(order),
            ship_to=_ship_to(order),
            lines=lines,
            shipping=shipping,
            discount=discount,
            tax=money(order.get("total_tax"), "total_tax"),
            taxes_included=False,
            total=money(require_filled(order, "total"), "total"),
            notes=Notes(buyer=text(order.get("customer_note"))),
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc)) from exc


# ----------------------------------------------------------------------------------------------
# Shape


def _order(data: Any) -> Mapping[str, Any]:
    if isinstance(data, list):
        if len(data) != 1:
            raise NormalizationError(
                f"holds {len(data)} orders; import it as a file to split it", field="orders"
            )
        data = data[0]
    if not isinstance(data, dict):
        raise NormalizationError("expected a WooCommerce order object", field="order")
    if "line_items" not in data and "status" not in data:
        order_id = identifier(data.get("id"), "id")
        if order_id is not None:
            raise NormalizationError(
                f"the webhook names order {order_id} without its data (order.deleted or an "
                "action hook); there is no order to import"
            )
        raise NormalizationError("expected a WooCommerce order (no id, no line_items)")
    return data


def _obj(value: Any, field: str) -> Mapping[str, Any]:
    """An object, or ``{}`` for null and for ``[]`` (PHP serialises an empty object as ``[]``)."""
    if value == []:
        return {}
    return object_or_empty(value, field)


def _currency(order: Mapping[str, Any], context: AdapterContext) -> str:
    return currency_code((text(order.get("currency")) or context.currency).upper(), "currency")


def _time(order: Mapping[str, Any], key: str, zone: ZoneInfo) -> datetime | None:
    """``<key>_gmt`` (UTC without an offset), else site-local ``<key>`` in the account's zone."""
    gmt = text(order.get(f"{key}_gmt"))
    if gmt is not None:
        if not gmt.endswith("Z") and "+" not in gmt[10:] and "-" not in gmt[10:]:
            gmt += "+00:00"
        return parse_iso(gmt, f"{key}_gmt")
    local = text(order.get(key))
    if local is None:
        return None
    if local.endswith("Z") or "+" in local[10:] or "-" in local[10:]:
        return parse_iso(local, key)
    return parse_local(local.replace("T", " "), key, zone)


def _status(raw_status: str) -> OrderStatus:
    key = raw_status.lower().removeprefix("wc-")
    return mapped_status(STATUSES, key, "status", raw=raw_status)


# ----------------------------------------------------------------------------------------------
# Lines and money


def _line(item: Any, number: int, refunded: Mapping[str, int]) -> Line:
    where = f"line {number}: "
    line = _obj(item, f"line {number}")
    line_id = identifier(line.get("id"), f"{where}id")
    quantity = quantity_of(require(line, "quantity", where), f"{where}quantity")
    total = money(require_filled(line, "total", where), f"{where}total")
    if text(line.get("subtotal")) is not None:
        subtotal = money(line["subtotal"], f"{where}subtotal")
    else:
        subtotal = total
    unit_price = unit_price_of(subtotal, quantity)
    refunded_quantity = refunded_units(refunded, line_id, quantity, f"{where}refunds")
    try:
        return Line(
            external_line_id=line_id,
            sku=text(line.get("sku")),
            title=html.unescape(text(line.get("name")) or ""),
            quantity=quantity,
            unit_price=unit_price,
            discount=unit_price * quantity - total,
            total=total,
            refunded_quantity=refunded_quantity,
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc), field=f"line {number}") from exc


def _fees(order: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """Positive fee lines (surcharges) and negative ones (discounts, as a positive amount)."""
    surcharges = Decimal("0")
    discounts = Decimal("0")
    for number, item in enumerate(iter_list(order.get("fee_lines"), "fee_lines"), start=1):
        fee = _obj(item, f"fee line {number}")
        amount = money(fee.get("total"), f"fee line {number}: total")
        if amount >= 0:
            surcharges += amount
        else:
            discounts -= amount
    return surcharges, discounts


def _refunded_quantities(order: Mapping[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r_number, item in enumerate(iter_list(order.get("refunds"), "refunds"), start=1):
        refund = _obj(item, f"refund {r_number}")
        for i_number, part in enumerate(
            iter_list(refund.get("line_items"), f"refund {r_number}: line_items"), start=1
        ):
            where = f"refund {r_number}: line_items {i_number}"
            refund_line = _obj(part, where)
            line_id = _refunded_item_id(refund_line, where)
            if line_id is None:
                continue
            quantity = abs(integer(refund_line.get("quantity", 0), f"{where}: quantity"))
            counts[line_id] = counts.get(line_id, 0) + quantity
    return counts


def _refunded_item_id(refund_line: Mapping[str, Any], where: str) -> str | None:
    for number, meta in enumerate(
        iter_list(refund_line.get("meta_data"), f"{where}: meta_data"), start=1
    ):
        entry = _obj(meta, f"{where}: meta_data {number}")
        if entry.get("key") == "_refunded_item_id":
            return identifier(entry.get("value"), f"{where}: _refunded_item_id")
    return None


# ----------------------------------------------------------------------------------------------
# People


def _buyer(order: Mapping[str, Any]) -> Buyer:
    billing = _obj(order.get("billing"), "billing")
    customer_id = identifier(order.get("customer_id"), "customer_id")
    return Buyer(
        name=full_name(billing),
        email=text(billing.get("email")),
        phone=text(billing.get("phone")),
        channel_buyer_id=None if customer_id in (None, "0") else customer_id,
    )


def _ship_to(order: Mapping[str, Any]) -> Address | None:
    shipping = _obj(order.get("shipping"), "shipping")
    street = [
        text(shipping.get("company")),
        text(shipping.get("address_1")),
        text(shipping.get("address_2")),
    ]
    address = ", ".join(part for part in street if part) or None
    name = full_name(shipping)
    fields = (
        name,
        address,
        text(shipping.get("city")),
        text(shipping.get("postcode")),
        text(shipping.get("country")),
    )
    if not any(fields):
        return None  # a virtual or pickup order: nothing to ship
    return Address(
        name=name,
        phone=text(shipping.get("phone")),
        country=text(shipping.get("country")),
        province=text(shipping.get("state")),
        city=text(shipping.get("city")),
        address=address,
        postal_code=text(shipping.get("postcode")),
    )


# ----------------------------------------------------------------------------------------------
# Webhooks


def is_ping(body: bytes) -> bool:
    return PING.fullmatch(body) is not None


def verify_signature(
    body: bytes, headers: Mapping[str, str], secrets: Sequence[str], url: str = ""
) -> bool:
    """base64(HMAC-SHA256(webhook secret, raw body)); the unsigned save-time ping passes."""
    if is_ping(body):
        return True
    given = header(headers, SIGNATURE_HEADER)
    return any_secret_matches(lambda secret: hmac_sha256_base64(secret, body), given, secrets)


def webhook_meta(body: bytes, headers: Mapping[str, str]) -> WebhookMeta:
    return WebhookMeta(
        event_id=None,  # WooCommerce has none; the delivery id changes per delivery
        delivery_id=text(header(headers, "X-WC-Webhook-Delivery-ID")),
        topic=text(header(headers, "X-WC-Webhook-Topic")),
        is_ping=is_ping(body),
    )


ADAPTER = Adapter(
    code="woocommerce",
    normalize=normalize,
    verify_signature=verify_signature,
    webhook_meta=webhook_meta,
)
