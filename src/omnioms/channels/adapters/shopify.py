"""Shopify: REST Admin ``Order`` objects and the ``orders/*`` webhooks.

Accepted shapes: the REST answer ``{"order": {...}}``, the bare order object that the
``orders/create``, ``orders/updated``, ``orders/paid`` and ``orders/cancelled`` webhooks send,
and for file imports a JSON array of either or ``{"orders": [...]}`` (one record per order).

How the fields are read (decisions, so that every Shopify order adds up the same way):

- Currency: the shop's ``currency``. Every amount is read from its ``*_set.shop_money.amount``
  where the payload has one, else from the plain field (which Shopify also gives in shop money;
  2008-era payloads have no ``*_set`` fields). ``presentment_money`` is never used: intake,
  stock valuation and accounting work in the shop's currency.
- Line: ``unit_price`` = ``price``; ``quantity`` = the ordered ``quantity`` (refunds show in
  ``refunded_quantity``, so ``current_quantity`` is not used); ``discount`` = the sum of the
  line's ``discount_allocations[].amount``, or the deprecated ``total_discount`` on payloads that
  predate discount allocations; ``title`` = ``name`` (product title with the variant, which tells
  SKU-less variants apart), else ``title``. Shopify has no free-gift flag (``gift_card`` means
  the product *is* a gift card), so ``is_gift`` stays False; bundles have no components here.
- ``refunded_quantity`` = ``refunds[].refund_line_items[].quantity`` summed per ``line_item_id``.
- Shipping = the sum of ``shipping_lines[].price`` minus each line's ``discount_allocations``
  (what the buyer pays for shipping). Tax = ``total_tax``; ``taxes_included`` as given.
  Total = ``total_price`` (the platform's own figure, never recomputed).
- Order discount = ``total_discounts`` minus the discounts allocated to shipping lines. Shopify's
  ``total_discounts`` is the sum of *all* allocations, shipping ones included; those are already
  taken off ``shipping`` above, and subtracting them again would count a free-shipping code
  twice. What remains is the whole discount on goods, line discounts included, as the contract
  wants, so ``computed_total()`` matches ``total_price`` on a consistent order.
- Status, from ``financial_status``, ``fulfillment_status`` and ``cancelled_at``:
  ``refunded`` -> refunded (cancelled or not: money came and went back); ``voided``/``expired``
  -> cancelled (the authorisation was never captured); otherwise a ``cancelled_at`` -> cancelled
  (closed, nothing more will ship; a refund still to come arrives as a later update);
  otherwise ``fulfilled`` -> shipped and ``partial`` -> partially_shipped whatever the payment
  (an order already on its way, e.g. on payment terms, must not be fulfilled twice); otherwise
  pending/authorized/partially_paid (or no financial status) -> pending_payment, and paid or
  partially_refunded -> paid. A partial refund never changes the status.
- ``raw_status`` = ``"<financial_status>/<fulfillment_status>"`` with a null fulfilment status
  written ``unfulfilled`` (Shopify's own word for it), plus ``"/cancelled"`` when
  ``cancelled_at`` is set: e.g. ``paid/partial``, ``partially_refunded/unfulfilled``,
  ``voided/unfulfilled/cancelled``.
- Times: ``created_at``, ``updated_at``; ``paid_at`` = ``processed_at`` when the financial status
  says the money was captured (paid, partially_refunded, refunded). All converted to UTC.
- Buyer: ``customer`` first and last name (else the billing address name), ``customer.email``
  (else the order's ``email``/``contact_email``), ``customer.phone`` (else the order's ``phone``),
  ``channel_buyer_id`` = ``customer.id``. Ship-to from ``shipping_address``. Buyer note = ``note``.

Ids are read from the raw bytes with ``load_json``, which keeps 64-bit integers exact.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from omnioms.channels.adapters.base import (
    Adapter,
    AdapterContext,
    NormalizationError,
    Record,
    WebhookMeta,
    any_secret_matches,
    currency_code,
    dump_json,
    full_name,
    header,
    hmac_sha256_base64,
    identifier,
    integer,
    iter_list,
    load_json,
    money,
    object_or_empty,
    parse_iso,
    quantity_of,
    refunded_units,
    require,
    split_json,
    text,
)
from omnioms.channels.adapters.manual import describe_validation_error
from omnioms.channels.contract import Address, Buyer, Line, NormalizedOrder, Notes
from omnioms.core.choices import OrderStatus

CAPTURED = frozenset({"paid", "partially_refunded", "refunded"})
UNPAID = frozenset({"pending", "authorized", "partially_paid", "unpaid"})
NEVER_CAPTURED = frozenset({"voided", "expired"})
NOT_SHIPPED = frozenset({"unfulfilled", "unshipped", "restocked"})
SHIPPED = frozenset({"fulfilled", "shipped"})


def normalize(record: Record, context: AdapterContext) -> NormalizedOrder:
    order = _unwrap(load_json(record))
    external_id = _order_id(order)
    currency = _currency(order, context)

    refunded = _refunded_quantities(order)
    lines = [
        _line(item, index, refunded)
        for index, item in enumerate(iter_list(order.get("line_items"), "line_items"), start=1)
    ]

    shipping, shipping_discount = _shipping(order)
    financial = _status_text(order, "financial_status")
    fulfillment = _status_text(order, "fulfillment_status")
    cancelled_at = parse_iso(order.get("cancelled_at"), "cancelled_at")
    status = _status(financial, fulfillment, cancelled=cancelled_at is not None)
    raw_status = f"{financial or ''}/{fulfillment or 'unfulfilled'}"
    if cancelled_at is not None:
        raw_status += "/cancelled"

    try:
        return NormalizedOrder(
            channel="shopify",
            external_id=external_id,
            status=status,
            raw_status=raw_status,
            currency=currency,
            created_at=parse_iso(order.get("created_at"), "created_at"),
            paid_at=(
                parse_iso(order.get("processed_at"), "processed_at")
                if financial in CAPTURED
                else None
            ),
            updated_at=parse_iso(order.get("updated_at"), "updated_at"),
            buyer=_buyer(order),
            ship_to=_ship_to(order),
            lines=lines,
            shipping=shipping,
            discount=_shop_amount(order, "total_discounts", "total_discounts") - shipping_discount,
            tax=_shop_amount(order, "total_tax", "total_tax"),
            taxes_included=_flag(order.get("taxes_included"), "taxes_included"),
            total=_shop_amount(order, "total_price", "total_price", required=True),
            notes=Notes(buyer=text(order.get("note"))),
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc)) from exc


# ----------------------------------------------------------------------------------------------
# Shape


def _unwrap(data: Any) -> dict[str, Any]:
    if isinstance(data, dict) and isinstance(data.get("order"), dict):
        data = data["order"]
    elif isinstance(data, dict) and isinstance(data.get("orders"), list):
        orders = data["orders"]
        if len(orders) != 1:
            raise NormalizationError(
                f"holds {len(orders)} orders; import it as a file to split it", field="orders"
            )
        return _unwrap(orders[0])
    if not isinstance(data, dict):
        raise NormalizationError("expected a Shopify order object", field="order")
    if "line_items" not in data and "id" not in data:
        raise NormalizationError("expected a Shopify order (no id, no line_items)", field="order")
    return data


def _order_id(order: Mapping[str, Any]) -> str:
    external_id = identifier(order.get("id"), "id")
    if external_id is None:
        gid = text(order.get("admin_graphql_api_id"))
        if gid and gid.rsplit("/", 1)[-1].isdigit():
            external_id = gid.rsplit("/", 1)[-1]
    if external_id is None:
        raise NormalizationError("is missing", field="id")
    return external_id


def _currency(order: Mapping[str, Any], context: AdapterContext) -> str:
    total_set = object_or_empty(order.get("total_price_set"), "total_price_set")
    shop_money = object_or_empty(total_set.get("shop_money"), "total_price_set.shop_money")
    code = text(order.get("currency")) or text(shop_money.get("currency_code")) or context.currency
    return currency_code(code.upper(), "currency")


def _flag(value: Any, field: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    lowered = str(value).strip().lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no", ""}:
        return False
    raise NormalizationError(f"{value!r} is not true or false", field=field)


# ----------------------------------------------------------------------------------------------
# Money


def _shop_amount(
    obj: Mapping[str, Any], key: str, field: str, *, required: bool = False
) -> Decimal:
    """``<key>_set.shop_money.amount`` when present, else the plain ``<key>`` field."""
    money_set = object_or_empty(obj.get(f"{key}_set"), f"{field}_set")
    shop_money = object_or_empty(money_set.get("shop_money"), f"{field}_set.shop_money")
    if shop_money.get("amount") not in (None, ""):
        return money(shop_money["amount"], f"{field}_set.shop_money.amount")
    value = obj.get(key)
    if required and (value is None or (isinstance(value, str) and not value.strip())):
        raise NormalizationError("is missing", field=field)
    return money(value, field)


def _allocations(owner: Mapping[str, Any], field: str) -> Decimal:
    total = Decimal("0")
    for number, allocation in enumerate(
        iter_list(owner.get("discount_allocations"), f"{field}discount_allocations"), start=1
    ):
        where = f"{field}discount_allocations {number}: "
        allocated = object_or_empty(allocation, where.rstrip(": "))
        total += _shop_amount(allocated, "amount", f"{where}amount")
    return total


def _shipping(order: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """Shipping the buyer pays, and the discounts already taken off it."""
    price = Decimal("0")
    discount = Decimal("0")
    for number, item in enumerate(
        iter_list(order.get("shipping_lines"), "shipping_lines"), start=1
    ):
        where = f"shipping line {number}: "
        shipping_line = object_or_empty(item, where.rstrip(": "))
        price += _shop_amount(shipping_line, "price", f"{where}price")
        discount += _allocations(shipping_line, where)
    return price - discount, discount


# ----------------------------------------------------------------------------------------------
# Lines


def _refunded_quantities(order: Mapping[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r_number, refund in enumerate(iter_list(order.get("refunds"), "refunds"), start=1):
        refund_obj = object_or_empty(refund, f"refund {r_number}")
        items = iter_list(
            refund_obj.get("refund_line_items"), f"refund {r_number}: refund_line_items"
        )
        for i_number, item in enumerate(items, start=1):
            where = f"refund {r_number}: refund_line_items {i_number}"
            refund_line = object_or_empty(item, where)
            line_id = identifier(refund_line.get("line_item_id"), f"{where}: line_item_id")
            if line_id is None:
                # Nothing to attribute it to; the refund's money is in the financial status.
                continue
            quantity = integer(refund_line.get("quantity", 0), f"{where}: quantity")
            counts[line_id] = counts.get(line_id, 0) + quantity
    return counts


def _line(item: Any, number: int, refunded: Mapping[str, int]) -> Line:
    where = f"line {number}: "
    line = object_or_empty(item, f"line {number}")
    line_id = identifier(line.get("id"), f"{where}id")
    quantity = quantity_of(require(line, "quantity", where), f"{where}quantity")
    unit_price = _shop_amount(line, "price", f"{where}price", required=True)
    if "discount_allocations" in line:
        discount = _allocations(line, where)
    else:
        discount = _shop_amount(line, "total_discount", f"{where}total_discount")
    refunded_quantity = refunded_units(refunded, line_id, quantity, f"{where}refund_line_items")
    try:
        return Line(
            external_line_id=line_id,
            sku=text(line.get("sku")),
            title=text(line.get("name")) or text(line.get("title")) or "",
            quantity=quantity,
            unit_price=unit_price,
            discount=discount,
            total=unit_price * quantity - discount,
            refunded_quantity=refunded_quantity,
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc), field=f"line {number}") from exc


# ----------------------------------------------------------------------------------------------
# Status


def _status_text(order: Mapping[str, Any], key: str) -> str | None:
    value = text(order.get(key))
    return value.lower() if value else None


def _status(financial: str | None, fulfillment: str | None, *, cancelled: bool) -> OrderStatus:
    if financial is not None and financial not in CAPTURED | UNPAID | NEVER_CAPTURED:
        raise NormalizationError(f"unknown status {financial!r}", field="financial_status")
    if fulfillment is not None and fulfillment not in SHIPPED | NOT_SHIPPED | {"partial"}:
        raise NormalizationError(f"unknown status {fulfillment!r}", field="fulfillment_status")
    if financial == "refunded":
        return OrderStatus.REFUNDED
    if financial in NEVER_CAPTURED or cancelled:
        return OrderStatus.CANCELLED
    if fulfillment in SHIPPED:
        return OrderStatus.SHIPPED
    if fulfillment == "partial":
        return OrderStatus.PARTIALLY_SHIPPED
    if financial in CAPTURED:
        return OrderStatus.PAID
    return OrderStatus.PENDING_PAYMENT


# ----------------------------------------------------------------------------------------------
# People


def _buyer(order: Mapping[str, Any]) -> Buyer:
    customer = object_or_empty(order.get("customer"), "customer")
    billing = object_or_empty(order.get("billing_address"), "billing_address")
    return Buyer(
        name=full_name(customer) or text(billing.get("name")) or full_name(billing),
        email=(
            text(customer.get("email"))
            or text(order.get("email"))
            or text(order.get("contact_email"))
        ),
        phone=text(customer.get("phone")) or text(order.get("phone")),
        channel_buyer_id=identifier(customer.get("id"), "customer.id"),
    )


def _ship_to(order: Mapping[str, Any]) -> Address | None:
    address = object_or_empty(order.get("shipping_address"), "shipping_address")
    if not address:
        return None
    street = [text(address.get("address1")), text(address.get("address2"))]
    return Address(
        name=text(address.get("name")) or full_name(address),
        phone=text(address.get("phone")),
        country=text(address.get("country_code")) or text(address.get("country")),
        province=text(address.get("province")),
        city=text(address.get("city")),
        address=", ".join(part for part in street if part) or None,
        postal_code=text(address.get("zip")),
    )


# ----------------------------------------------------------------------------------------------
# Files and webhooks


def split(raw: bytes, name: str = "") -> Iterator[Record]:
    """``{"orders": [...]}`` gives one record per order; anything else goes to ``split_json``."""
    if _is_orders_list(raw):
        import ijson

        try:
            items = ijson.items(raw, "orders.item", use_float=True)
            for index, item in enumerate(items, start=1):
                yield Record(raw=dump_json(item), label=f"order {index}")
        except ijson.JSONError as exc:
            raise NormalizationError(f"{name or 'file'}: not valid JSON ({exc})") from exc
        return
    yield from split_json(raw, name)


def _is_orders_list(raw: bytes) -> bool:
    """Whether the top-level object has an ``orders`` array, read without loading the file."""
    if raw.lstrip()[:1] != b"{" or b'"orders"' not in raw:
        return False
    import ijson

    try:
        for prefix, event, _value in ijson.parse(raw):
            if prefix == "orders" and event == "start_array":
                return True
            if prefix == "" and event == "end_map":
                return False
    except ijson.JSONError:
        # JSON Lines or a broken file: split_json handles (and reports) those.
        return False
    return False


SIGNATURE_HEADERS = ("X-Shopify-Hmac-Sha256", "Shopify-Hmac-Sha256")


def verify_signature(
    body: bytes, headers: Mapping[str, str], secrets: Sequence[str], url: str = ""
) -> bool:
    """base64(HMAC-SHA256(app secret, raw body)), against every active secret."""
    given = header(headers, *SIGNATURE_HEADERS)
    return any_secret_matches(lambda secret: hmac_sha256_base64(secret, body), given, secrets)


def webhook_meta(body: bytes, headers: Mapping[str, str]) -> WebhookMeta:
    event_id = text(header(headers, "X-Shopify-Event-Id", "Shopify-Event-Id"))
    delivery_id = text(header(headers, "X-Shopify-Webhook-Id", "Shopify-Webhook-Id"))
    return WebhookMeta(
        event_id=event_id or delivery_id,
        delivery_id=delivery_id,
        topic=text(header(headers, "X-Shopify-Topic", "Shopify-Topic")),
    )


ADAPTER = Adapter(
    code="shopify",
    normalize=normalize,
    split=split,
    verify_signature=verify_signature,
    webhook_meta=webhook_meta,
)
