"""Taobao and Tmall trades: TOP ``taobao.trade.fullinfo.get`` and ``taobao.trades.sold.get``.

Accepted shapes: the whole fullinfo response (``trade_fullinfo_get_response.trade``) or the
bare trade object. ``split`` also turns a ``trades_sold_get_response`` page or a JSON array
into one record per trade. Times are naive Beijing time (the account's zone), money is yuan
strings, ids come from ``tid_str`` / ``oid_str`` (the numeric ``tid`` / ``oid`` exceed 2^53 and
are read exactly when the string form is absent).

Decisions where TOP leaves room:

- ``adjust_fee`` is signed: TOP defines a line's ``payment = price × num + adjust_fee −
  discount_fee``, so a seller's price cut arrives negative and counts as discount; a price
  raise arrives positive and reduces it. The trade's own ``adjust_fee`` repeats the single
  line's value (and is 0 for several lines), so it is never added on top of the lines.
- Line total is ``divide_order_fee`` (the line's share of what the buyer paid after every
  discount, postage excluded). Without it, a line's ``payment`` is used, except on a
  single-line trade where TOP puts postage into that line's ``payment``: there the line
  total is the trade's ``payment − post_fee``.
- Line discount is ``price × num − line total``: ``discount_fee − adjust_fee`` plus, when the
  line total already carries it, the line's share of order-level discounts
  (``part_mjz_discount``). So ``unit_price × quantity − discount == total`` on every line.
- Order discount is the sum of line discounts, plus the trade's ``discount_fee`` (its
  order-level discount) only when no line carries its share, i.e. a multi-line trade without
  ``divide_order_fee``. With consistent data ``computed_total()`` equals ``payment``.
- Gift lines: TOP has no documented gift flag on ``orders.order[]``. A line is a gift when a
  relay or newer API marks it (``is_gift``, ``gift`` or ``is_free_gift`` truthy), when its
  ``price`` is 0, or when its own discount covers its whole price (the "payment 0" gift
  that some gift tools create). Order-level coupons or refunds never make a line a gift.
- ``TRADE_CLOSED`` means refunded when the trade has a ``pay_time`` and cancelled when not.
- ``receiver_zip`` ``000000`` is TOP's "no postal code" placeholder and becomes None. The
  address is ``masked`` when the platform desensitised name, phone or address (``*``).
- Chinese consumer prices include VAT and domestic trades carry no tax: tax 0,
  ``taxes_included``.
- Signature: Taobao pushes through TMC, which has no webhook signature; a relay forwarding
  TMC messages signs with omnioms' generic ``X-Omnioms-Signature`` (the base default).
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
    dump_json,
    error_detail,
    iter_list,
    json_object,
    load_json,
    mapped_status,
    money,
    parse_local,
    quantity_of,
    require,
    split_json,
    text,
    truthy,
)
from omnioms.channels.adapters.chinese import title_with_spec
from omnioms.channels.adapters.manual import describe_validation_error
from omnioms.channels.contract import Address, Buyer, Line, NormalizedOrder, Notes
from omnioms.core.choices import OrderStatus

STATUSES: dict[str, OrderStatus] = {
    "TRADE_NO_CREATE_PAY": OrderStatus.PENDING_PAYMENT,
    "WAIT_BUYER_PAY": OrderStatus.PENDING_PAYMENT,
    "PAY_PENDING": OrderStatus.PENDING_PAYMENT,
    # Zero-deposit "pre-authorisation" trades: the buyer has not paid yet.
    "WAIT_PRE_AUTH_CONFIRM": OrderStatus.PENDING_PAYMENT,
    "WAIT_SELLER_SEND_GOODS": OrderStatus.PAID,
    # Paid group-buy or consignment-controlled trades: paid, shipping held by the platform.
    "PAID_FORBID_CONSIGN": OrderStatus.PAID,
    "SELLER_CONSIGNED_PART": OrderStatus.PARTIALLY_SHIPPED,
    "WAIT_BUYER_CONFIRM_GOODS": OrderStatus.SHIPPED,
    "TRADE_BUYER_SIGNED": OrderStatus.COMPLETED,
    "TRADE_FINISHED": OrderStatus.COMPLETED,
    "TRADE_CLOSED_BY_TAOBAO": OrderStatus.CANCELLED,
}
GIFT_MARKERS = ("is_gift", "gift", "is_free_gift")
NO_POSTAL_CODE = "000000"


# ----------------------------------------------------------------------------------------------
# Splitting


def split(raw: bytes, name: str = "") -> Iterator[Record]:
    """One record per trade: a fullinfo response, a bare trade, a sold.get page or an array."""
    if raw.lstrip()[:1] != b"{":
        yield from split_json(raw, name)
        return
    data = json_object(raw)
    if data is None:
        # JSON Lines, or something normalize will report as unreadable with its own reason.
        yield from split_json(raw, name)
        return
    if "trades_sold_get_response" not in data:
        yield Record(raw=raw, label=name)
        return
    prefix = f"{name}: " if name else ""
    for index, trade in enumerate(_sold_trades(data), start=1):
        yield Record(raw=dump_json(trade), label=f"{prefix}trade {index}")


def _sold_trades(data: Mapping[str, Any]) -> list[Any]:
    page = data["trades_sold_get_response"]
    if not isinstance(page, dict):
        raise NormalizationError("expected an object", field="trades_sold_get_response")
    trades = page.get("trades")
    if trades is None:
        return []  # an empty page: TOP leaves out "trades" when total_results is 0
    if isinstance(trades, dict):
        trades = trades.get("trade")
    return list(iter_list(trades, "trades_sold_get_response.trades.trade"))


# ----------------------------------------------------------------------------------------------
# Normalising


def normalize(record: Record, context: AdapterContext) -> NormalizedOrder:
    trade = _trade(load_json(record))
    zone = context.time_zone

    external_id = _id(trade, "tid_str", "tid")
    if external_id is None:
        raise NormalizationError("is missing", field="tid_str")
    raw_status = text(require(trade, "status"))
    if raw_status is None:
        raise NormalizationError("is missing", field="status")
    paid_at = parse_local(trade.get("pay_time"), "pay_time", zone)
    status = _status(raw_status, paid=paid_at is not None)

    payment = money(require(trade, "payment"), "payment")
    post_fee = money(trade.get("post_fee"), "post_fee")
    orders = _orders(trade)
    lines = [
        _line(order, index, single=len(orders) == 1, trade_payment=payment, post_fee=post_fee)
        for index, order in enumerate(orders, start=1)
    ]
    discount = sum((line.discount for line in lines), Decimal("0"))
    if len(orders) != 1 and not any(_has(order, "divide_order_fee") for order in orders):
        discount += money(trade.get("discount_fee"), "discount_fee")

    try:
        return NormalizedOrder(
            channel="taobao",
            external_id=external_id,
            status=status,
            raw_status=raw_status,
            currency=context.currency,
            created_at=parse_local(trade.get("created"), "created", zone),
            paid_at=paid_at,
            updated_at=parse_local(trade.get("modified"), "modified", zone),
            shipped_at=parse_local(trade.get("consign_time"), "consign_time", zone),
            buyer=Buyer(
                name=text(trade.get("buyer_nick")),
                channel_buyer_id=text(trade.get("buyer_open_uid")),
            ),
            ship_to=_ship_to(trade),
            lines=lines,
            shipping=post_fee,
            discount=discount,
            tax=Decimal("0.00"),
            taxes_included=True,
            total=payment,
            notes=Notes(
                buyer=text(trade.get("buyer_message")), seller=text(trade.get("seller_memo"))
            ),
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc)) from exc


def _trade(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise NormalizationError("expected a JSON object holding one Taobao trade")
    if "error_response" in data:
        error = data["error_response"] if isinstance(data["error_response"], dict) else {}
        detail = error_detail(error, ("code", "msg", "sub_code", "sub_msg"))
        raise NormalizationError(f"TOP answered with an error, not a trade: {detail}".strip())
    if "trades_sold_get_response" in data:
        raise NormalizationError(
            "a taobao.trades.sold.get page holds several trades: import it as a file so that "
            "it is split into one record per trade"
        )
    if "trade_fullinfo_get_response" in data:
        response = data["trade_fullinfo_get_response"]
        if not isinstance(response, dict):
            raise NormalizationError("expected an object", field="trade_fullinfo_get_response")
        data = require(response, "trade", "trade_fullinfo_get_response.")
    elif isinstance(data.get("trade"), dict) and "tid" not in data and "tid_str" not in data:
        data = data["trade"]
    if not isinstance(data, dict):
        raise NormalizationError("expected an object", field="trade")
    return data


def _status(raw_status: str, *, paid: bool) -> OrderStatus:
    if raw_status == "TRADE_CLOSED":
        return OrderStatus.REFUNDED if paid else OrderStatus.CANCELLED
    return mapped_status(STATUSES, raw_status, "status", what="trade status")


def _orders(trade: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    orders = trade.get("orders")
    if isinstance(orders, dict):
        orders = orders.get("order")
    result: list[Mapping[str, Any]] = []
    for index, order in enumerate(iter_list(orders, "orders.order"), start=1):
        if not isinstance(order, dict):
            raise NormalizationError("expected an object", field=f"line {index}")
        result.append(order)
    return result


def _line(
    order: Mapping[str, Any],
    index: int,
    *,
    single: bool,
    trade_payment: Decimal,
    post_fee: Decimal,
) -> Line:
    where = f"line {index}: "
    quantity = quantity_of(require(order, "num", where), f"{where}num")
    price = money(require(order, "price", where), f"{where}price")
    own_discount = money(order.get("discount_fee"), f"{where}discount_fee") - money(
        order.get("adjust_fee"), f"{where}adjust_fee"
    )
    if _has(order, "divide_order_fee"):
        total = money(order["divide_order_fee"], f"{where}divide_order_fee")
    elif single:
        total = trade_payment - post_fee
    else:
        total = money(require(order, "payment", where), f"{where}payment")
    spec = text(order.get("sku_properties_name"))
    refunded = text(order.get("refund_status")) == "SUCCESS"
    return Line(
        external_line_id=_id(order, "oid_str", "oid"),
        sku=text(order.get("outer_sku_id")) or text(order.get("outer_iid")),
        title=title_with_spec(order.get("title"), spec),
        quantity=quantity,
        unit_price=price,
        discount=price * quantity - total,
        total=total,
        is_gift=_is_gift(order, price, quantity, own_discount),
        refunded_quantity=quantity if refunded else 0,
    )


def _is_gift(
    order: Mapping[str, Any], price: Decimal, quantity: int, own_discount: Decimal
) -> bool:
    if any(truthy(order.get(key)) for key in GIFT_MARKERS):
        return True
    if price == 0:
        return True
    return quantity > 0 and own_discount >= price * quantity


def _ship_to(trade: Mapping[str, Any]) -> Address | None:
    name = text(trade.get("receiver_name"))
    phone = text(trade.get("receiver_mobile")) or text(trade.get("receiver_phone"))
    province = text(trade.get("receiver_state"))
    city = text(trade.get("receiver_city"))
    district = text(trade.get("receiver_district"))
    town = text(trade.get("receiver_town"))
    street = text(trade.get("receiver_address"))
    if town and street and not street.startswith(town):
        street = town + street
    address = street or town
    postal_code = text(trade.get("receiver_zip"))
    if postal_code == NO_POSTAL_CODE:
        postal_code = None
    if not any((name, phone, province, city, district, address, postal_code)):
        return None
    return Address(
        name=name,
        phone=phone,
        country="CN",
        province=province,
        city=city,
        district=district,
        address=address,
        postal_code=postal_code,
        masked=any("*" in value for value in (name, phone, address) if value),
    )


def _id(mapping: Mapping[str, Any], string_key: str, number_key: str) -> str | None:
    """The string id field, else the number one (read exactly: load_json keeps big ints)."""
    value = text(mapping.get(string_key))
    if value is None:
        number = mapping.get(number_key)
        value = None if isinstance(number, bool) else text(number)
    return value


def _has(mapping: Mapping[str, Any], key: str) -> bool:
    return text(mapping.get(key)) is not None


ADAPTER = Adapter(code="taobao", normalize=normalize, split=split)
