"""Square: Orders API orders, and the thin ``order.*`` webhooks that only name an order.

Record shapes ``normalize`` accepts (what the pull client hands over):

- ``RetrieveOrder``'s answer ``{"order": {...}}`` or the bare ``Order`` object;
- ``BatchRetrieveOrders`` / ``SearchOrders`` answers ``{"orders": [...]}`` holding one order.
  With several orders they go through ``split`` first, which gives one record per order.

Square webhooks are *thin*: ``order.created``, ``order.updated`` and
``order.fulfillment.updated`` carry the order's id, state and version, never its lines or
money. They cannot become an order: ``normalize`` raises a :class:`NormalizationError` saying
which order the push names and that it must be pulled (``RetrieveOrder``), so the delivery is
kept as a dead letter with that reason instead of vanishing. The pull side calls
:func:`order_ids_to_fetch` on a webhook body (or a ``SearchOrders`` answer made with
``return_entries``) to learn which orders to fetch, then normalises the fetched orders.

How the fields are read (decisions):

- Money is ``{"amount": <integer minor units>, "currency": "USD"}``. Minor units follow the
  currency: cents for USD/EUR/GBP/CAD/AUD, none for JPY (``500`` JPY is 500 yen), three places
  for the dinar currencies. Every amount must be in the order's currency.
- ``quantity`` is a decimal string; a fractional quantity (items sold by weight) cannot be a
  contract line and is an error naming the line.
- Line: ``unit_price`` = ``gross_sales_money / quantity`` (base price plus modifiers), else
  ``base_price_money`` plus each modifier's ``base_price_money × quantity``. ``discount`` =
  ``total_discount_money`` (else the sum of ``applied_discounts``); ``total`` = ``unit_price ×
  quantity − discount`` (Square's own line ``total_money`` adds additive tax and service
  charges, which the contract keeps at order level). ``sku`` = ``catalog_object_id``: Square
  orders do not carry the variation's SKU code, and the catalog object id is the stable key a
  mapping rule can map; custom-amount lines have none and keep ``sku`` None. ``title`` =
  ``name`` plus `` (variation_name)``.
- ``refunded_quantity`` = the ``returns[].return_line_items[].quantity`` per
  ``source_line_item_uid``, for returns that name this order (a pull client may merge them
  in). Square records a return as an order of its own whose ``returns`` name the sale; such
  a return order (no ``line_items``) is refused rather than imported as a sale.
- Order: ``discount`` = ``total_discount_money``; ``tax`` = ``total_tax_money``, with
  ``taxes_included`` when every listed tax is ``INCLUSIVE``; with a mix, ``tax`` keeps only the
  additive part (the inclusive part is already in the prices). ``shipping`` =
  ``total_service_charge_money + total_tip_money`` (delivery fees, service charges and tips:
  the contract's only place for charges that are neither goods nor tax). ``total`` =
  ``total_money``. ``version`` = Square's ``version``.
- Status from ``state``: DRAFT -> draft; CANCELED -> cancelled; COMPLETED -> completed;
  OPEN -> pending_payment until a tender (payment) exists or ``net_amount_due_money`` is 0 on
  a non-zero order, then paid, or shipped / partially_shipped by the COMPLETED states of
  its SHIPMENT and DELIVERY fulfilments. Whatever the state, completed refunds covering the
  whole total -> refunded. An order without ``state`` (Square's own examples omit it) is read
  as OPEN and keeps ``raw_status`` None.
- ``paid_at`` = the earliest tender ``created_at``. Buyer and ship-to come from the first
  fulfilment's recipient (shipment, delivery or pickup details); ``channel_buyer_id`` =
  ``customer_id``; the buyer note from the fulfilment's note.

Signature: ``x-square-hmacsha256-signature`` = base64(HMAC-SHA256(signature key, notification
URL + raw body)). The URL must be the exact notification URL configured in Square; without it
nothing verifies. Deduplication uses the body's ``event_id``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
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
    as_object,
    currency_code,
    dump_json,
    error_detail,
    header,
    hmac_sha256_base64,
    ids_named,
    iter_list,
    json_object,
    load_json,
    money,
    parse_iso,
    refunded_units,
    split_json,
    text,
)
from omnioms.channels.adapters.manual import describe_validation_error
from omnioms.channels.contract import Address, Buyer, Line, NormalizedOrder, Notes
from omnioms.core.choices import OrderStatus

SIGNATURE_HEADER = "x-square-hmacsha256-signature"
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
     "VUV", "XAF", "XOF", "XPF"}
)  # fmt: skip
THREE_DECIMAL = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
THIN_OBJECTS = ("order_created", "order_updated", "order_fulfillment_updated")


def normalize(record: Record, context: AdapterContext) -> NormalizedOrder:
    order = _order(load_json(record))
    external_id = text(order.get("id"))
    if external_id is None:
        raise NormalizationError("is missing", field="id")
    _refuse_return_order(order, external_id)
    currency = _currency(order, context)
    reader = _Money(currency)

    refunded = _returned_quantities(order, external_id)
    lines = [
        _line(item, index, reader, refunded)
        for index, item in enumerate(iter_list(order.get("line_items"), "line_items"), start=1)
    ]
    total = reader.amount(order, "total_money", required=True)
    tax, taxes_included = _tax(order, reader)
    raw_state = text(order.get("state"))
    status = _status(order, raw_state or "OPEN", total, reader)

    try:
        return NormalizedOrder(
            channel="square",
            external_id=external_id,
            status=status,
            raw_status=raw_state,
            currency=currency,
            created_at=parse_iso(order.get("created_at"), "created_at"),
            paid_at=_paid_at(order),
            updated_at=parse_iso(order.get("updated_at"), "updated_at"),
            version=_version(order),
            buyer=_buyer(order),
            ship_to=_ship_to(order),
            lines=lines,
            shipping=(
                reader.amount(order, "total_service_charge_money")
                + reader.amount(order, "total_tip_money")
            ),
            discount=reader.amount(order, "total_discount_money"),
            tax=tax,
            taxes_included=taxes_included,
            total=total,
            notes=Notes(buyer=_note(order)),
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc)) from exc


# ----------------------------------------------------------------------------------------------
# Shapes: orders, lists, thin webhooks


def _order(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise NormalizationError("expected a JSON object holding one Square order")
    if data.get("errors") and not data.get("order") and not data.get("orders"):
        details = "; ".join(
            error_detail(e, ("category", "code", "detail"))
            for e in data["errors"]
            if isinstance(e, dict)
        )
        raise NormalizationError(f"Square answered with an error, not an order: {details}")
    if isinstance(data.get("order"), dict):
        return data["order"]
    if isinstance(data.get("orders"), list):
        orders = data["orders"]
        if len(orders) != 1:
            raise NormalizationError(
                f"holds {len(orders)} orders; import it as a file to split it", field="orders"
            )
        if not isinstance(orders[0], dict):
            raise NormalizationError("expected an object", field="orders")
        return orders[0]
    named = _named_orders(data)
    if named:
        order_id, how = named[0]
        raise NormalizationError(
            f"the {how} names order {order_id} but carries no order; the order must be "
            "pulled with RetrieveOrder"
        )
    if "line_items" not in data and "total_money" not in data:
        raise NormalizationError("expected a Square order (no line_items, no total_money)")
    return data


def _named_orders(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(order id, what named it) for a thin webhook event or a SearchOrders entries answer."""
    found: list[tuple[str, str]] = []
    event_type = text(data.get("type"))
    payload = data.get("data")
    if event_type and isinstance(payload, dict):
        obj = payload.get("object")
        order_id = None
        if isinstance(obj, dict):
            for key in THIN_OBJECTS:
                inner = obj.get(key)
                if isinstance(inner, dict):
                    order_id = text(inner.get("order_id"))
            if order_id is None and isinstance(obj.get("order"), dict):
                return []  # a full order inside an event: not thin
        order_id = order_id or text(payload.get("id"))
        if order_id:
            found.append((order_id, f"{event_type} push"))
    for entry in data.get("order_entries") or []:
        if isinstance(entry, dict) and text(entry.get("order_id")):
            found.append((str(text(entry.get("order_id"))), "SearchOrders entry"))
    return found


def order_ids_to_fetch(raw: bytes) -> list[str]:
    """Ids of the orders a thin webhook body (or a SearchOrders entries answer) names.

    These payloads carry no order: fetch each id with RetrieveOrder (or BatchRetrieveOrders)
    and normalise the answer. A body that already holds full orders gives ``[]``; an unreadable
    body raises :class:`NormalizationError`.
    """
    data = load_json(Record(raw=raw))
    if not isinstance(data, dict | list):
        raise NormalizationError("expected a Square webhook event or SearchOrders answer")
    return ids_named(data, lambda item: [order_id for order_id, _ in _named_orders(item)])


def split(raw: bytes, name: str = "") -> Iterator[Record]:
    """One record per order of a ``{"orders": [...]}`` answer, per entry of a ``SearchOrders``
    entries answer (each then says it must be pulled); anything else as JSON files."""
    if raw.lstrip()[:1] == b"{":
        data = json_object(raw)  # Square sends no JSON floats: amounts are integers
        if data is not None:
            prefix = f"{name}: " if name else ""
            if isinstance(data.get("orders"), list) and len(data["orders"]) != 1:
                for index, order in enumerate(data["orders"], start=1):
                    yield Record(raw=dump_json(order), label=f"{prefix}order {index}")
                return
            entries = data.get("order_entries")
            if isinstance(entries, list) and "orders" not in data:
                for index, entry in enumerate(entries, start=1):
                    yield Record(
                        raw=dump_json({"order_entries": [entry]}), label=f"{prefix}entry {index}"
                    )
                return
    yield from split_json(raw, name)


# ----------------------------------------------------------------------------------------------
# Money


class _Money:
    """Reads ``Money`` objects of one order, in its currency."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.places = 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2

    def amount(
        self, owner: Mapping[str, Any], key: str, field: str = "", *, required: bool = False
    ) -> Decimal:
        where = f"{field}{key}"
        value = owner.get(key)
        if value is None:
            if required:
                raise NormalizationError("is missing", field=where)
            return Decimal("0")
        if not isinstance(value, dict):
            raise NormalizationError("expected a Money object", field=where)
        currency = text(value.get("currency"))
        if currency is not None and currency.upper() != self.currency:
            raise NormalizationError(
                f"is in {currency}, the order in {self.currency}", field=f"{where}.currency"
            )
        raw = value.get("amount")
        if raw is None:
            if required:
                raise NormalizationError("is missing", field=f"{where}.amount")
            return Decimal("0")
        amount = money(raw, f"{where}.amount")
        if amount != amount.to_integral_value():
            raise NormalizationError(
                f"{raw!r} is not a whole number of minor units", field=f"{where}.amount"
            )
        return amount.scaleb(-self.places)


def _currency(order: Mapping[str, Any], context: AdapterContext) -> str:
    for key in ("total_money", "net_amount_due_money"):
        value = order.get(key)
        if isinstance(value, dict) and text(value.get("currency")):
            code = str(text(value.get("currency"))).upper()
            break
    else:
        code = context.currency
    return currency_code(code, "total_money.currency")


def _tax(order: Mapping[str, Any], reader: _Money) -> tuple[Decimal, bool]:
    total_tax = reader.amount(order, "total_tax_money")
    inclusive = Decimal("0")
    additive = False
    for number, item in enumerate(iter_list(order.get("taxes"), "taxes"), start=1):
        tax = as_object(item, f"tax {number}")
        kind = (text(tax.get("type")) or "ADDITIVE").upper()
        if kind == "INCLUSIVE":
            inclusive += reader.amount(tax, "applied_money", f"tax {number}: ")
        else:
            additive = True
    if inclusive and not additive:
        return total_tax, True
    return total_tax - inclusive, False


# ----------------------------------------------------------------------------------------------
# Lines


def _line(item: Any, number: int, reader: _Money, returned: Mapping[str, int]) -> Line:
    where = f"line {number}: "
    line = as_object(item, f"line {number}")
    quantity = _quantity(line.get("quantity"), f"{where}quantity")
    gross = line.get("gross_sales_money")
    if isinstance(gross, dict) and gross.get("amount") is not None and quantity:
        unit_price = reader.amount(line, "gross_sales_money", where) / quantity
    else:
        unit_price = reader.amount(line, "base_price_money", where)
        for m_number, modifier in enumerate(
            iter_list(line.get("modifiers"), f"{where}modifiers"), start=1
        ):
            at = f"{where}modifier {m_number}: "
            part = as_object(modifier, at.rstrip(": "))
            count = _quantity(part.get("quantity", "1"), f"{at}quantity")
            unit_price += reader.amount(part, "base_price_money", at) * count
    if "total_discount_money" in line:
        discount = reader.amount(line, "total_discount_money", where)
    else:
        discount = sum(
            (
                reader.amount(
                    as_object(applied, f"{where}applied_discounts"), "applied_money", where
                )
                for applied in iter_list(line.get("applied_discounts"), f"{where}applied_discounts")
            ),
            Decimal("0"),
        )
    uid = text(line.get("uid"))
    title = text(line.get("name")) or ""
    variation = text(line.get("variation_name"))
    if variation and variation != title:
        title = f"{title} ({variation})" if title else variation
    refunded_quantity = refunded_units(returned, uid, quantity, f"{where}returns", "returns")
    try:
        return Line(
            external_line_id=uid,
            sku=text(line.get("catalog_object_id")),
            title=title,
            quantity=quantity,
            unit_price=unit_price,
            discount=discount,
            total=unit_price * quantity - discount,
            refunded_quantity=refunded_quantity,
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc), field=f"line {number}") from exc


def _quantity(value: Any, field: str) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise NormalizationError("is missing", field=field)
    amount = money(value, field)
    if amount != amount.to_integral_value():
        raise NormalizationError(
            f"{value!r} is a fractional quantity (sold by weight or measure); an order line "
            "needs whole units",
            field=field,
        )
    if amount < 0:
        raise NormalizationError(f"{value!r} is negative", field=field)
    return int(amount)


def _refuse_return_order(order: Mapping[str, Any], external_id: str) -> None:
    """Square records a return as its own order whose ``returns`` name the sale order."""
    if order.get("line_items"):
        return  # a sale, or an exchange that also sells
    for item in iter_list(order.get("returns"), "returns"):
        source = text(item.get("source_order_id")) if isinstance(item, dict) else None
        if source and source != external_id:
            raise NormalizationError(
                f"order {external_id} is Square's record of a return from order {source}, "
                "not a sale; the refund shows on that order"
            )


def _returned_quantities(order: Mapping[str, Any], external_id: str) -> dict[str, int]:
    """Returned units per line uid, from returns that name this order (or no order)."""
    counts: dict[str, int] = {}
    for r_number, item in enumerate(iter_list(order.get("returns"), "returns"), start=1):
        ret = as_object(item, f"return {r_number}")
        if text(ret.get("source_order_id")) not in (None, external_id):
            continue
        for i_number, part in enumerate(
            iter_list(ret.get("return_line_items"), f"return {r_number}: return_line_items"),
            start=1,
        ):
            where = f"return {r_number}: return_line_items {i_number}"
            line = as_object(part, where)
            uid = text(line.get("source_line_item_uid"))
            if uid is None:
                continue  # an unlinked return: its money shows in the refunds
            counts[uid] = counts.get(uid, 0) + _quantity(line.get("quantity"), f"{where}: quantity")
    return counts


# ----------------------------------------------------------------------------------------------
# Status and times


def _status(order: Mapping[str, Any], state: str, total: Decimal, reader: _Money) -> OrderStatus:
    state = state.upper()
    refunded = Decimal("0")
    for number, item in enumerate(iter_list(order.get("refunds"), "refunds"), start=1):
        refund = as_object(item, f"refund {number}")
        if (text(refund.get("status")) or "").upper() == "COMPLETED":
            refunded += reader.amount(refund, "amount_money", f"refund {number}: ")
    if total > 0 and refunded >= total:
        return OrderStatus.REFUNDED
    if state == "DRAFT":
        return OrderStatus.DRAFT
    if state in ("CANCELED", "CANCELLED"):
        return OrderStatus.CANCELLED
    if state == "COMPLETED":
        return OrderStatus.COMPLETED
    if state != "OPEN":
        raise NormalizationError(f"unknown state {state!r}", field="state")
    tenders = list(iter_list(order.get("tenders"), "tenders"))
    due = order.get("net_amount_due_money")
    settled = (
        isinstance(due, dict) and total > 0 and reader.amount(order, "net_amount_due_money") == 0
    )
    if not tenders and not settled:
        return OrderStatus.PENDING_PAYMENT
    shipments = [
        (text(f.get("state")) or "").upper()
        for f in iter_list(order.get("fulfillments"), "fulfillments")
        if isinstance(f, dict) and (text(f.get("type")) or "").upper() in ("SHIPMENT", "DELIVERY")
    ]
    done = [shipment == "COMPLETED" for shipment in shipments]
    if done and all(done):
        return OrderStatus.SHIPPED
    if any(done):
        return OrderStatus.PARTIALLY_SHIPPED
    return OrderStatus.PAID


def _paid_at(order: Mapping[str, Any]) -> datetime | None:
    times = [
        parse_iso(tender.get("created_at"), f"tender {number}: created_at")
        for number, tender in enumerate(iter_list(order.get("tenders"), "tenders"), start=1)
        if isinstance(tender, dict)
    ]
    known = [time for time in times if time is not None]
    return min(known) if known else None


def _version(order: Mapping[str, Any]) -> int | None:
    value = order.get("version")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise NormalizationError(f"{value!r} is not a whole number", field="version")
    return value


# ----------------------------------------------------------------------------------------------
# People


def _fulfillment_details(order: Mapping[str, Any]) -> Mapping[str, Any]:
    for number, item in enumerate(iter_list(order.get("fulfillments"), "fulfillments"), start=1):
        fulfillment = as_object(item, f"fulfillment {number}")
        for key in ("shipment_details", "delivery_details", "pickup_details"):
            details = fulfillment.get(key)
            if isinstance(details, dict):
                return details
    return {}


def _recipient(order: Mapping[str, Any]) -> Mapping[str, Any]:
    recipient = _fulfillment_details(order).get("recipient")
    return recipient if isinstance(recipient, dict) else {}


def _buyer(order: Mapping[str, Any]) -> Buyer:
    recipient = _recipient(order)
    return Buyer(
        name=text(recipient.get("display_name")),
        email=text(recipient.get("email_address")),
        phone=text(recipient.get("phone_number")),
        channel_buyer_id=text(order.get("customer_id")) or text(recipient.get("customer_id")),
    )


def _ship_to(order: Mapping[str, Any]) -> Address | None:
    recipient = _recipient(order)
    address = recipient.get("address")
    if not isinstance(address, dict):
        return None
    street = [
        text(address.get(key)) for key in ("address_line_1", "address_line_2", "address_line_3")
    ]
    return Address(
        name=text(recipient.get("display_name")),
        phone=text(recipient.get("phone_number")),
        country=text(address.get("country")),
        province=text(address.get("administrative_district_level_1")),
        city=text(address.get("locality")),
        district=text(address.get("sublocality")),
        address=", ".join(part for part in street if part) or None,
        postal_code=text(address.get("postal_code")),
    )


def _note(order: Mapping[str, Any]) -> str | None:
    details = _fulfillment_details(order)
    return text(details.get("shipping_note")) or text(details.get("note"))


# ----------------------------------------------------------------------------------------------
# Webhooks


def verify_signature(
    body: bytes, headers: Mapping[str, str], secrets: Sequence[str], url: str = ""
) -> bool:
    """base64(HMAC-SHA256(signature key, notification URL + raw body))."""
    if not url:
        return False
    given = header(headers, SIGNATURE_HEADER)
    message = url.encode() + body
    return any_secret_matches(lambda secret: hmac_sha256_base64(secret, message), given, secrets)


def webhook_meta(body: bytes, headers: Mapping[str, str]) -> WebhookMeta:
    data = json_object(body)
    if data is None:
        return WebhookMeta()
    return WebhookMeta(event_id=text(data.get("event_id")), topic=text(data.get("type")))


ADAPTER = Adapter(
    code="square",
    normalize=normalize,
    split=split,
    verify_signature=verify_signature,
    webhook_meta=webhook_meta,
)
