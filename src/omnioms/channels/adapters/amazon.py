"""Amazon Selling Partner API orders: Orders v0, Orders 2026-01-01, ORDER_CHANGE notifications.

Record shapes ``normalize`` accepts (what the pull client builds from API answers):

- **Orders v0**: an order has no lines until ``getOrderItems`` is called, so one record is::

      {"order": <getOrder answer>,
       "items": <getOrderItems answer>,          # or a list of its pages, or of OrderItem
       "address": <getOrderAddress answer>,      # optional (restricted data)
       "buyer_info": <getOrderBuyerInfo answer>} # optional (restricted data)

  Each part may be the whole answer (``{"payload": {...}}``), the bare payload, or a sandbox
  static response (``{"request": ..., "response": {...}}``); ``"order"`` may also be one element
  of a ``getOrders`` page. Every part must name the same ``AmazonOrderId``. A v0 order without
  ``"items"`` (a bare ``getOrder`` answer or ``getOrders`` entry) raises a
  :class:`NormalizationError` saying the items must be fetched: an order without lines would
  replace a complete one. ``split`` turns a ``getOrders`` page into one record per order (the
  bare order: add its items before normalising).
- **Orders 2026-01-01**: the ``getOrder`` answer ``{"order": {"orderId": ...}}`` or the bare
  order; it carries its items. ``split`` turns a ``searchOrders`` answer into one record per
  order.
- **ORDER_CHANGE notifications** (raw, inside an EventBridge event's ``detail`` or an SNS
  envelope's ``Message``) name an order and carry no money: ``normalize`` raises saying which
  order must be pulled. :func:`order_ids_to_fetch` lists the orders a notification, a v0
  ``getOrders`` page or a bare v0 order names, for the pull client to fetch.

How the fields are read (decisions):

- Currency: v0 ``OrderTotal.CurrencyCode`` (else the first ``ItemPrice``'s, else the
  account's); 2026 ``proceeds.grandTotal.currencyCode`` (else the first unit price's). Amounts
  that make up a line, its tax or shipping must be in that currency, else the record is refused
  naming the field. Ancillary charges (gift wrap, COD fee) in another currency cannot be added
  up: they are left out and ``total_mismatch()`` shows them.
- v0 line: ``ItemPrice`` is the **line total** (unit × quantity), so ``unit_price`` =
  ``ItemPrice / QuantityOrdered`` (four places when it does not divide; the residue stays in
  the line's discount). ``total`` = ``ItemPrice − PromotionDiscount``. ``sku`` = ``SellerSKU``.
- v0 order: ``shipping`` = Σ ``ShippingPrice − ShippingDiscount + GiftWrapPrice + CODFee −
  CODFeeDiscount`` (charges that are neither goods nor tax); ``tax`` = Σ ``ItemTax +
  ShippingTax + GiftWrapTax − PromotionDiscountTax − ShippingDiscountTax``; ``discount`` = Σ
  line discounts; ``total`` = ``OrderTotal`` (computed when Amazon leaves it out, e.g. Pending).
- 2026 line: ``unit_price`` = ``product.price.unitPrice``; the item's ``proceeds.breakdowns``
  give ITEM, SHIPPING, GIFT_WRAP, COD_FEE, OTHER, TAX and DISCOUNT. A DISCOUNT counts towards the
  line unless its ``detailedBreakdowns`` attribute it to shipping, gift wrap or fees (its sign
  is not documented: its size is used). Order-level ``DELIVERY_TIP`` counts as shipping.
- 2026 order: its other breakdowns are the items' added up (Amazon's documentation), but an
  item may list less than the order does (only ITEM, while the order also lists SHIPPING).
  What the order lists of a charge beyond what its items list is taken from the order and
  mapped as on an item (SHIPPING, GIFT_WRAP, COD_FEE, OTHER to shipping, TAX to tax, DISCOUNT
  to the order's discount), so nothing is counted twice and nothing is lost; without item
  proceeds that is all of it. An order-level ITEM adds nothing: lines come from the items.
- ``taxes_included``: False (Amazon states tax beside the prices) unless the platform's total
  equals the amounts *without* tax, which is how VAT-inclusive marketplaces report it.
- ``IsGift`` / ``giftOption`` mean gift-wrapped for someone else, not a free item:
  ``is_gift`` stays False. Amazon has no refunds in the Orders API: ``refunded_quantity`` 0.
- Status: Pending, PendingAvailability -> pending_payment; Unshipped -> paid; PartiallyShipped
  -> partially_shipped; Shipped, InvoiceUnconfirmed -> shipped; Canceled, Unfulfillable ->
  cancelled (2026: the same in UPPER_SNAKE_CASE). ``paid_at`` stays None: Amazon does not say.
- Buyer name and email from ``buyer_info`` / ``BuyerInfo`` / ``buyer``; ship-to from
  ``address`` / ``ShippingAddress`` / ``recipient.deliveryAddress`` (company as the first
  address line). 2026 delivery instructions become the buyer note.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from omnioms.channels.adapters.base import (
    Adapter,
    AdapterContext,
    NormalizationError,
    Record,
    WebhookMeta,
    currency_code,
    error_detail,
    generic_webhook_meta,
    iter_list,
    json_object,
    load_json,
    load_json_text,
    mapped_status,
    money,
    object_or_empty,
    parse_iso,
    quantity_of,
    split_listed,
    text,
    unit_price_of,
)
from omnioms.channels.adapters.manual import describe_validation_error
from omnioms.channels.contract import Address, Buyer, Line, NormalizedOrder, Notes
from omnioms.core.choices import OrderStatus

STATUSES: dict[str, OrderStatus] = {
    "PENDING": OrderStatus.PENDING_PAYMENT,
    "PENDINGAVAILABILITY": OrderStatus.PENDING_PAYMENT,
    "UNSHIPPED": OrderStatus.PAID,
    "PARTIALLYSHIPPED": OrderStatus.PARTIALLY_SHIPPED,
    "SHIPPED": OrderStatus.SHIPPED,
    "INVOICEUNCONFIRMED": OrderStatus.SHIPPED,
    "CANCELED": OrderStatus.CANCELLED,
    "CANCELLED": OrderStatus.CANCELLED,
    "UNFULFILLABLE": OrderStatus.CANCELLED,
}
CHARGES_2026 = ("SHIPPING", "GIFT_WRAP", "COD_FEE", "OTHER")
ANCILLARY_2026 = ("GIFT_WRAP", "COD_FEE", "OTHER")


# ----------------------------------------------------------------------------------------------
# Entry points


def normalize(record: Record, context: AdapterContext) -> NormalizedOrder:
    data = _unwrap_envelope(load_json(record))
    if not isinstance(data, dict):
        raise NormalizationError("expected a JSON object holding one Amazon order")
    _refuse_errors(data, "")
    notification = _notification(data)
    if notification is not None:
        order_id, change = notification
        raise NormalizationError(
            f"the ORDER_CHANGE notification names order {order_id}{change} but carries no "
            "order; the order must be pulled with getOrder and getOrderItems"
        )
    order = data.get("order")
    if isinstance(order, dict) and _is_2026(order) and "items" not in data:
        return _normalize_2026(order, context)
    if _is_2026(data):
        return _normalize_2026(data, context)
    if isinstance(data.get("orders"), list):
        orders = data["orders"]
        if len(orders) == 1 and isinstance(orders[0], dict):
            return _normalize_2026(orders[0], context)
        raise NormalizationError(
            f"holds {len(orders)} orders; import it as a file to split it", field="orders"
        )
    if "order" in data:
        return _normalize_v0(data, context)
    bare = _payload(data, "order")
    if isinstance(bare.get("Orders"), list):
        raise NormalizationError(
            "a getOrders page holds several orders without their items: split it into one "
            "record per order and add each order's getOrderItems answer"
        )
    bare_id = text(bare.get("AmazonOrderId"))
    if bare_id is not None:
        raise NormalizationError(
            f"Amazon order {bare_id} comes without its items: getOrderItems must be fetched "
            'and the record built as {"order": ..., "items": ...}'
        )
    raise NormalizationError("expected an Amazon order (no AmazonOrderId, no orderId)")


def _is_2026(order: Mapping[str, Any]) -> bool:
    return any(key in order for key in ("orderId", "orderItems", "lastUpdatedTime"))


def split(raw: bytes, name: str = "") -> Iterator[Record]:
    """One record per order of a v0 ``getOrders`` page or a 2026 ``searchOrders`` answer."""
    return split_listed(raw, name, _listed_orders)


def _listed_orders(data: Mapping[str, Any]) -> list[Any] | None:
    if isinstance(data.get("orders"), list) and len(data["orders"]) != 1:
        return list(data["orders"])
    if "order" in data or "items" in data:
        return None
    try:
        payload = _payload(data, "page")
    except NormalizationError:
        return None
    if isinstance(payload.get("Orders"), list):
        return list(payload["Orders"])
    return None


def order_ids_to_fetch(raw: bytes) -> list[str]:
    """Orders a payload names but does not carry whole: fetch getOrder + getOrderItems for each.

    An ORDER_CHANGE notification names one; a v0 ``getOrders`` page names each of its orders
    (none has items yet); a bare v0 order names itself. Complete records (v0 with items, 2026
    orders) give ``[]``. An unreadable body raises :class:`NormalizationError`.
    """
    data = _unwrap_envelope(load_json(Record(raw=raw)))
    if not isinstance(data, dict):
        raise NormalizationError("expected an Amazon notification or Orders API answer")
    notification = _notification(data)
    if notification is not None:
        return [notification[0]]
    if _is_2026(data) or "orders" in data or data.get("items") is not None:
        return []
    order = data.get("order")
    if isinstance(order, dict) and _is_2026(order):
        return []
    payload = _payload(order if order is not None else data, "payload")
    if isinstance(payload.get("Orders"), list):
        ids = [text(o.get("AmazonOrderId")) for o in payload["Orders"] if isinstance(o, dict)]
        return list(dict.fromkeys(order_id for order_id in ids if order_id))
    order_id = text(payload.get("AmazonOrderId"))
    return [order_id] if order_id else []


def webhook_meta(body: bytes, headers: Mapping[str, str]) -> WebhookMeta:
    """``NotificationId`` is the dedupe key; relays sign with omnioms' generic scheme."""
    body_data = json_object(body)
    data = _unwrap_envelope(body_data) if body_data is not None else None
    if not isinstance(data, dict):
        return generic_webhook_meta(headers)
    metadata = data.get("NotificationMetadata")
    event_id = text(metadata.get("NotificationId")) if isinstance(metadata, dict) else None
    if event_id is None:
        return generic_webhook_meta(headers)
    return WebhookMeta(event_id=event_id, topic=text(data.get("NotificationType")))


# ----------------------------------------------------------------------------------------------
# Envelopes and answers


def _unwrap_envelope(data: Any) -> Any:
    """The notification inside an EventBridge event (``detail``) or SNS envelope (``Message``)."""
    if isinstance(data, dict) and isinstance(data.get("detail"), dict) and "source" in data:
        return data["detail"]
    if isinstance(data, dict) and data.get("Type") == "Notification" and "Message" in data:
        message = data["Message"]
        return load_json_text(message, "Message") if isinstance(message, str) else message
    return data


def _notification(data: Mapping[str, Any]) -> tuple[str, str] | None:
    if text(data.get("NotificationType")) != "ORDER_CHANGE":
        return None
    payload = data.get("Payload")
    change = payload.get("OrderChangeNotification") if isinstance(payload, dict) else None
    if not isinstance(change, dict) or not text(change.get("AmazonOrderId")):
        raise NormalizationError(
            "is missing", field="Payload.OrderChangeNotification.AmazonOrderId"
        )
    kind = text(change.get("OrderChangeType"))
    return str(text(change.get("AmazonOrderId"))), f" ({kind})" if kind else ""


def _refuse_errors(data: Mapping[str, Any], part: str) -> None:
    errors = data.get("errors")
    if isinstance(errors, list) and errors and not data.get("payload"):
        detail = "; ".join(
            error_detail(e, ("code", "message", "details")) for e in errors if isinstance(e, dict)
        )
        where = f"{part} " if part else ""
        raise NormalizationError(f"Amazon answered {where}with an error, not an order: {detail}")


def _payload(value: Any, part: str) -> Mapping[str, Any]:
    """The payload of an API answer: whole, bare, or a sandbox ``{"request", "response"}``."""
    if isinstance(value, dict) and "response" in value and "request" in value:
        value = value["response"]
    if not isinstance(value, dict):
        raise NormalizationError("expected an object", field=part)
    _refuse_errors(value, part)
    if isinstance(value.get("payload"), dict):
        payload: Mapping[str, Any] = value["payload"]
        return payload
    return value


# ----------------------------------------------------------------------------------------------
# Money


class _Money:
    """Money objects of one order: ``{CurrencyCode, Amount}`` (v0) or ``{currencyCode, amount}``."""

    def __init__(self, currency: str, code_key: str, amount_key: str) -> None:
        self.currency = currency
        self.code_key = code_key
        self.amount_key = amount_key

    def of(self, value: Any, field: str, *, ancillary: bool = False) -> Decimal:
        if value is None:
            return Decimal("0")
        if not isinstance(value, dict):
            raise NormalizationError("expected a money object", field=field)
        code = text(value.get(self.code_key))
        if code is not None and code.upper() != self.currency:
            if ancillary:
                return Decimal("0")  # cannot be added up; total_mismatch() shows it
            raise NormalizationError(
                f"is in {code}, the order in {self.currency}", field=f"{field}.{self.code_key}"
            )
        return money(value.get(self.amount_key), f"{field}.{self.amount_key}")


def _currency_code(value: Any, key: str, context: AdapterContext) -> str | None:
    if isinstance(value, dict):
        code = text(value.get(key))
        if code is not None:
            return currency_code(code.upper(), key)
    return None


def _taxes_included(platform_total: Decimal | None, without_tax: Decimal, tax: Decimal) -> bool:
    return platform_total is not None and tax != 0 and platform_total == without_tax


def _status(raw_status: str, field: str) -> OrderStatus:
    return mapped_status(STATUSES, raw_status.replace("_", "").upper(), field, raw=raw_status)


def _quantity(value: Any, field: str) -> int:
    if value is None:
        raise NormalizationError("is missing", field=field)
    return quantity_of(value, field)


# ----------------------------------------------------------------------------------------------
# Orders v0


def _normalize_v0(data: Mapping[str, Any], context: AdapterContext) -> NormalizedOrder:
    order = _payload(data.get("order"), "order")
    external_id = text(order.get("AmazonOrderId"))
    if external_id is None:
        raise NormalizationError("is missing", field="order.AmazonOrderId")
    if data.get("items") is None:
        raise NormalizationError(
            f"Amazon order {external_id} comes without its items: getOrderItems must be "
            'fetched and the record built as {"order": ..., "items": ...}',
            field="items",
        )
    items = _v0_items(data["items"], external_id)
    address_part = _part(data, "address", external_id)
    buyer_part = _part(data, "buyer_info", external_id)

    currency = (
        _currency_code(order.get("OrderTotal"), "CurrencyCode", context)
        or next(
            (
                code
                for item in items
                if (code := _currency_code(item.get("ItemPrice"), "CurrencyCode", context))
            ),
            None,
        )
        or context.currency
    )
    reader = _Money(currency, "CurrencyCode", "Amount")

    lines: list[Line] = []
    shipping = tax = Decimal("0")
    for number, item in enumerate(items, start=1):
        where = f"item {number}: "
        lines.append(_v0_line(item, number, reader))
        gift = object_or_empty(item.get("BuyerInfo"), f"{where}BuyerInfo")
        shipping += (
            reader.of(item.get("ShippingPrice"), f"{where}ShippingPrice")
            - reader.of(item.get("ShippingDiscount"), f"{where}ShippingDiscount")
            + reader.of(item.get("CODFee"), f"{where}CODFee", ancillary=True)
            - reader.of(item.get("CODFeeDiscount"), f"{where}CODFeeDiscount", ancillary=True)
            + reader.of(
                gift.get("GiftWrapPrice"), f"{where}BuyerInfo.GiftWrapPrice", ancillary=True
            )
        )
        tax += (
            reader.of(item.get("ItemTax"), f"{where}ItemTax")
            + reader.of(item.get("ShippingTax"), f"{where}ShippingTax")
            + reader.of(gift.get("GiftWrapTax"), f"{where}BuyerInfo.GiftWrapTax", ancillary=True)
            - reader.of(item.get("PromotionDiscountTax"), f"{where}PromotionDiscountTax")
            - reader.of(item.get("ShippingDiscountTax"), f"{where}ShippingDiscountTax")
        )
    discount = sum((line.discount for line in lines), Decimal("0"))
    goods = sum((line.total for line in lines), Decimal("0"))
    platform_total = (
        reader.of(order["OrderTotal"], "order.OrderTotal")
        if isinstance(order.get("OrderTotal"), dict)
        else None
    )
    raw_status = text(order.get("OrderStatus"))
    if raw_status is None:
        raise NormalizationError("is missing", field="order.OrderStatus")

    buyer = buyer_part or object_or_empty(order.get("BuyerInfo"), "order.BuyerInfo")
    try:
        return NormalizedOrder(
            channel="amazon",
            external_id=external_id,
            status=_status(raw_status, "order.OrderStatus"),
            raw_status=raw_status,
            currency=currency,
            created_at=parse_iso(order.get("PurchaseDate"), "order.PurchaseDate"),
            updated_at=parse_iso(order.get("LastUpdateDate"), "order.LastUpdateDate"),
            ship_by=parse_iso(order.get("LatestShipDate"), "order.LatestShipDate"),
            buyer=Buyer(
                name=text(buyer.get("BuyerName")),
                email=text(buyer.get("BuyerEmail")),
            ),
            ship_to=_v0_address(
                object_or_empty(
                    address_part.get("ShippingAddress")
                    if address_part
                    else order.get("ShippingAddress"),
                    "ShippingAddress",
                )
            ),
            lines=lines,
            shipping=shipping,
            discount=discount,
            tax=tax,
            taxes_included=_taxes_included(platform_total, goods + shipping, tax),
            total=platform_total if platform_total is not None else goods + shipping + tax,
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc)) from exc


def _part(data: Mapping[str, Any], key: str, external_id: str) -> Mapping[str, Any]:
    if data.get(key) is None:
        return {}
    payload = _payload(data[key], key)
    named = text(payload.get("AmazonOrderId"))
    if named is not None and named != external_id:
        raise NormalizationError(
            f"is for order {named}, not {external_id}", field=f"{key}.AmazonOrderId"
        )
    return payload


def _v0_items(value: Any, external_id: str) -> list[Mapping[str, Any]]:
    """OrderItems from one getOrderItems answer, a list of its pages, or a list of items."""
    pages = value if isinstance(value, list) else [value]
    items: list[Mapping[str, Any]] = []
    for page_number, page in enumerate(pages, start=1):
        if isinstance(page, dict) and "OrderItemId" in page:
            items.append(page)
            continue
        where = "items" if len(pages) == 1 else f"items page {page_number}"
        payload = _payload(page, where)
        named = text(payload.get("AmazonOrderId"))
        if named is not None and named != external_id:
            raise NormalizationError(
                f"is for order {named}, not {external_id}", field=f"{where}.AmazonOrderId"
            )
        if "OrderItems" not in payload:
            raise NormalizationError("is missing", field=f"{where}.OrderItems")
        for number, item in enumerate(
            iter_list(payload["OrderItems"], f"{where}.OrderItems"), start=1
        ):
            if not isinstance(item, dict):
                raise NormalizationError("expected an object", field=f"item {number}")
            items.append(item)
    return items


def _v0_line(item: Mapping[str, Any], number: int, reader: _Money) -> Line:
    where = f"item {number}: "
    quantity = _quantity(item.get("QuantityOrdered"), f"{where}QuantityOrdered")
    line_amount = reader.of(item.get("ItemPrice"), f"{where}ItemPrice")  # unit × quantity
    promotion = reader.of(item.get("PromotionDiscount"), f"{where}PromotionDiscount")
    unit_price = unit_price_of(line_amount, quantity)
    total = line_amount - promotion
    try:
        return Line(
            external_line_id=text(item.get("OrderItemId")),
            sku=text(item.get("SellerSKU")),
            title=text(item.get("Title")) or text(item.get("ASIN")) or "",
            quantity=quantity,
            unit_price=unit_price,
            discount=unit_price * quantity - total,
            total=total,
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc), field=f"item {number}") from exc


def _v0_address(address: Mapping[str, Any]) -> Address | None:
    if not address:
        return None
    street = [text(address.get(key)) for key in ("AddressLine1", "AddressLine2", "AddressLine3")]
    return Address(
        name=text(address.get("Name")),
        phone=text(address.get("Phone")),
        country=text(address.get("CountryCode")),
        province=text(address.get("StateOrRegion")),
        city=text(address.get("City")),
        district=text(address.get("District")) or text(address.get("County")),
        address=", ".join(part for part in street if part) or None,
        postal_code=text(address.get("PostalCode")),
    )


# ----------------------------------------------------------------------------------------------
# Orders 2026-01-01


def _breakdowns(owner: Mapping[str, Any], field: str) -> list[Mapping[str, Any]]:
    proceeds = object_or_empty(owner.get("proceeds"), f"{field}proceeds")
    return [
        object_or_empty(entry, f"{field}proceeds.breakdowns {number}")
        for number, entry in enumerate(
            iter_list(proceeds.get("breakdowns"), f"{field}proceeds.breakdowns"), start=1
        )
    ]


def _normalize_2026(order: Mapping[str, Any], context: AdapterContext) -> NormalizedOrder:
    external_id = text(order.get("orderId"))
    if external_id is None:
        raise NormalizationError("is missing", field="orderId")
    items = [
        object_or_empty(item, f"item {number}")
        for number, item in enumerate(iter_list(order.get("orderItems"), "orderItems"), start=1)
    ]
    proceeds = object_or_empty(order.get("proceeds"), "proceeds")
    currency = (
        _currency_code(proceeds.get("grandTotal"), "currencyCode", context)
        or next(
            (
                code
                for item in items
                if (
                    code := _currency_code(
                        object_or_empty(
                            object_or_empty(item.get("product"), "product").get("price"), "price"
                        ).get("unitPrice"),
                        "currencyCode",
                        context,
                    )
                )
            ),
            None,
        )
        or context.currency
    )
    reader = _Money(currency, "currencyCode", "amount")

    lines: list[Line] = []
    shipping = tax = Decimal("0")
    listed: dict[str, Decimal] = {}  # what the items list, per breakdown type
    for number, item in enumerate(items, start=1):
        line, item_shipping, item_tax, item_listed = _line_2026(item, number, reader)
        lines.append(line)
        shipping += item_shipping
        tax += item_tax
        for kind, amount in item_listed.items():
            listed[kind] = listed.get(kind, Decimal("0")) + amount
    discount = sum((line.discount for line in lines), Decimal("0"))
    for kind, missing in _order_level_2026(order, listed, reader).items():
        if kind == "DELIVERY_TIP" or kind in CHARGES_2026:
            shipping += missing
        elif kind == "TAX":
            tax += missing
        elif kind == "DISCOUNT":
            discount += missing

    goods = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
    platform_total = (
        reader.of(proceeds["grandTotal"], "proceeds.grandTotal")
        if isinstance(proceeds.get("grandTotal"), dict)
        else None
    )
    fulfillment = object_or_empty(order.get("fulfillment"), "fulfillment")
    raw_status = text(fulfillment.get("fulfillmentStatus"))
    if raw_status is None:
        raise NormalizationError("is missing", field="fulfillment.fulfillmentStatus")
    buyer = object_or_empty(order.get("buyer"), "buyer")
    recipient = object_or_empty(order.get("recipient"), "recipient")
    preference = object_or_empty(
        recipient.get("deliveryPreference"), "recipient.deliveryPreference"
    )
    instructions = [
        text(preference.get("dropOffLocation")),
        text(preference.get("addressInstruction")),
    ]
    computed = goods + shipping + tax - discount
    try:
        return NormalizedOrder(
            channel="amazon",
            external_id=external_id,
            status=_status(raw_status, "fulfillment.fulfillmentStatus"),
            raw_status=raw_status,
            currency=currency,
            created_at=parse_iso(order.get("createdTime"), "createdTime"),
            updated_at=parse_iso(order.get("lastUpdatedTime"), "lastUpdatedTime"),
            buyer=Buyer(name=text(buyer.get("buyerName")), email=text(buyer.get("buyerEmail"))),
            ship_to=_address_2026(
                object_or_empty(recipient.get("deliveryAddress"), "recipient.deliveryAddress")
            ),
            lines=lines,
            shipping=shipping,
            discount=discount,
            tax=tax,
            taxes_included=_taxes_included(platform_total, computed - tax, tax),
            total=platform_total if platform_total is not None else computed,
            notes=Notes(buyer="; ".join(part for part in instructions if part) or None),
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc)) from exc


def _order_level_2026(
    order: Mapping[str, Any], listed: Mapping[str, Decimal], reader: _Money
) -> dict[str, Decimal]:
    """Per breakdown type, what the order's proceeds hold beyond what its items list.

    Only the part the items leave out counts: when the items list as much or more (a charge
    split over the items, or an order breakdown Amazon did not bring up to date), nothing is
    added, and a difference shows in ``total_mismatch()``.
    """
    stated: dict[str, Decimal] = {}
    for number, entry in enumerate(_breakdowns(order, ""), start=1):
        kind = (text(entry.get("type")) or "").upper()
        amount = reader.of(
            entry.get("subtotal"),
            f"proceeds.breakdowns {number}.subtotal",
            ancillary=kind in ANCILLARY_2026,
        )
        stated[kind] = stated.get(kind, Decimal("0")) + (
            abs(amount) if kind == "DISCOUNT" else amount
        )
    missing: dict[str, Decimal] = {}
    for kind, amount in stated.items():
        if kind == "DELIVERY_TIP":  # charged to the order, never to an item
            missing[kind] = amount
            continue
        rest = amount - listed.get(kind, Decimal("0"))
        if rest != 0 and (rest > 0) == (amount > 0):
            missing[kind] = rest
    return missing


def _line_2026(
    item: Mapping[str, Any], number: int, reader: _Money
) -> tuple[Line, Decimal, Decimal, dict[str, Decimal]]:
    """The line, the shipping and tax it carries, and its breakdowns' amounts per type."""
    where = f"item {number}: "
    quantity = _quantity(item.get("quantityOrdered"), f"{where}quantityOrdered")
    product = object_or_empty(item.get("product"), f"{where}product")
    price = object_or_empty(product.get("price"), f"{where}product.price")
    parts: dict[str, Decimal] = {}
    line_discount = charge_discount = listed_discount = Decimal("0")
    for b_number, entry in enumerate(_breakdowns(item, where), start=1):
        at = f"{where}proceeds.breakdowns {b_number}"
        kind = (text(entry.get("type")) or "").upper()
        ancillary = kind in ANCILLARY_2026
        amount = reader.of(entry.get("subtotal"), f"{at}.subtotal", ancillary=ancillary)
        if kind != "DISCOUNT":
            parts[kind] = parts.get(kind, Decimal("0")) + amount
            continue
        listed_discount += abs(amount)
        details = list(iter_list(entry.get("detailedBreakdowns"), f"{at}.detailedBreakdowns"))
        if not details:
            line_discount += abs(amount)
        for d_number, detail_item in enumerate(details, start=1):
            detail = object_or_empty(detail_item, f"{at}.detailedBreakdowns {d_number}")
            value = abs(reader.of(detail.get("value"), f"{at}.detailedBreakdowns {d_number}.value"))
            if (text(detail.get("subtype")) or "ITEM").upper() in ("ITEM", "DISCOUNT"):
                line_discount += value
            else:
                charge_discount += value
    if price.get("unitPrice") is not None:
        unit_price = reader.of(price["unitPrice"], f"{where}product.price.unitPrice")
        item_amount = parts.get("ITEM", unit_price * quantity)
    elif "ITEM" in parts:
        item_amount = parts["ITEM"]
        unit_price = unit_price_of(item_amount, quantity)
    else:
        raise NormalizationError("is missing", field=f"{where}product.price.unitPrice")
    total = item_amount - line_discount
    shipping = sum((parts.get(kind, Decimal("0")) for kind in CHARGES_2026), Decimal("0"))
    try:
        line = Line(
            external_line_id=text(item.get("orderItemId")),
            sku=text(product.get("sellerSku")),
            title=text(product.get("title")) or text(product.get("asin")) or "",
            quantity=quantity,
            unit_price=unit_price,
            discount=unit_price * quantity - total,
            total=total,
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc), field=f"item {number}") from exc
    listed = {**parts, "DISCOUNT": listed_discount}
    return line, shipping - charge_discount, parts.get("TAX", Decimal("0")), listed


def _address_2026(address: Mapping[str, Any]) -> Address | None:
    if not address:
        return None
    street = [
        text(address.get(key))
        for key in ("companyName", "addressLine1", "addressLine2", "addressLine3")
    ]
    return Address(
        name=text(address.get("name")),
        phone=text(address.get("phone")),
        country=text(address.get("countryCode")),
        province=text(address.get("stateOrRegion")),
        city=text(address.get("city")) or text(address.get("municipality")),
        district=text(address.get("districtOrCounty")),
        address=", ".join(part for part in street if part) or None,
        postal_code=text(address.get("postalCode")),
    )


ADAPTER = Adapter(code="amazon", normalize=normalize, split=split, webhook_meta=webhook_meta)
