"""JD (京东 POP) orders: ``jingdong.pop.order.get`` and ``jingdong.pop.order.search``.

Accepted shapes: the whole ``get`` response (the key is spelled
``jingdong_pop_order_get_responce``, sic; ``_response`` is accepted too) with the order at
``orderDetailInfo.orderInfo``, the bare ``orderInfo`` that gateways relay, and the same data
from the older API in snake_case (``order_id``, ``item_info_list``, ...; keys are read in
either style). ``split`` turns a ``search`` page (``searchorderinfo_result.orderInfoList``, or
the older ``order_search.order_info_list``) or a JSON array into one record per order.

Money is yuan strings, times naive Beijing time (the account's zone), ids strings.

Decisions where JD leaves room:

- ``paymentConfirmTime`` ``0001-01-01 00:00:00`` is JD's "not paid" sentinel (cash on delivery
  orders keep it until delivery): ``paid_at`` None, never the year 1. Such an order waiting
  for stock-out is still ``paid`` in the contract's sense (to be fulfilled).
- ``orderExt`` and ``sendpayMap`` are JSON documents inside strings (sometimes relayed already
  parsed). ``orderExt`` holds epoch-millisecond times: they are used only when the top-level
  field is missing or the sentinel (``paymentConfirmTime`` / ``payTime`` for ``paid_at``,
  ``modified`` / ``modifyTime`` / ``updateTime`` for ``updated_at``; key names unverified).
  An unreadable one is ignored: it never holds anything the order cannot do without.
- Line: ``unit_price`` = ``jdPrice``, ``quantity`` = ``itemTotal`` (a string), ``sku`` =
  ``outerSkuId`` (not guaranteed: None when absent, never JD's own ``skuId``),
  ``external_line_id`` = ``skuId``, ``title`` = ``skuName`` with HTML entities decoded.
  ``discount`` = the ``couponDetailList`` entries that name the line's ``skuId`` (suit/套装,
  single-item and similar promotions); ``total`` = ``jdPrice × itemTotal − discount``. The
  components of a suit (套装) arrive as lines of their own and stay so.
- ``giftPoint`` is loyalty points, not a gift. A line is a gift when its ``jdPrice`` is 0 or a
  relay marks it (``isGift`` / ``gift`` truthy).
- Order: ``total`` = ``orderPayment`` (what the buyer pays), ``shipping`` = ``freightPrice``,
  ``discount`` = ``orderTotalPrice + freightPrice − orderPayment`` (every discount, seller's and
  JD's, whatever ``couponDetailList`` calls it). ``total_mismatch()`` then shows any gap between
  the lines and ``orderTotalPrice``. Prices include VAT: tax 0, ``taxes_included``.
- Status: WAIT_SELLER_STOCK_OUT, WAIT_SELLER_DELIVERY, WAIT_SEND_CODE -> paid;
  POP_ORDER_PAUSE, PAUSE, LOCKED -> paid too (held by JD but not cancelled; ``raw_status``
  shows the hold); WAIT_GOODS_RECEIVE_CONFIRM -> shipped; FINISHED_L -> completed;
  TRADE_CANCELED and DELIVERY_RETURN -> refunded when the order was paid, else cancelled;
  UN_KNOWN (JD does not know) is an error, so the payload is kept for a replay.
- Receiver: ``consigneeInfo``. JD desensitises (``张*``, ``138****1234``) or encrypts these
  fields; ciphertext is never copied into the order: an encrypted field shows as ``***``
  (the ciphertext stays only in the stored raw payload, never decrypted here), and
  ``masked`` is set either way.
  Buyer: ``open_id_buyer`` (else a plain ``pin``) as ``channel_buyer_id``.
- Signature: JD delivers messages through its own message service, not signed webhooks; a
  relay forwarding them signs with omnioms' generic ``X-Omnioms-Signature`` (the default).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from omnioms.channels.adapters.base import (
    Adapter,
    AdapterContext,
    NormalizationError,
    Record,
    error_detail,
    identifier,
    iter_list,
    load_json,
    mapped_status,
    money,
    object_or_empty,
    parse_local,
    parse_unix,
    quantity_of,
    require_filled,
    split_listed,
    text,
    truthy,
)
from omnioms.channels.adapters.chinese import is_cipher, plain, shown
from omnioms.channels.adapters.manual import describe_validation_error
from omnioms.channels.contract import Address, Buyer, Line, NormalizedOrder, Notes
from omnioms.core.choices import OrderStatus

STATUSES: dict[str, OrderStatus] = {
    "WAIT_SELLER_STOCK_OUT": OrderStatus.PAID,
    "WAIT_SELLER_DELIVERY": OrderStatus.PAID,
    "WAIT_SEND_CODE": OrderStatus.PAID,
    "POP_ORDER_PAUSE": OrderStatus.PAID,
    "PAUSE": OrderStatus.PAID,
    "LOCKED": OrderStatus.PAID,
    "WAIT_GOODS_RECEIVE_CONFIRM": OrderStatus.SHIPPED,
    "FINISHED_L": OrderStatus.COMPLETED,
}
CLOSED = frozenset({"TRADE_CANCELED", "DELIVERY_RETURN"})
SENTINEL = "0001-01-01"
PAID_KEYS = ("paymentConfirmTime", "payTime", "paymentTime")
UPDATED_KEYS = ("modified", "modifyTime", "updateTime")
GIFT_MARKERS = ("isGift", "gift")
_SNAKE = re.compile(r"_([a-z0-9])")


# ----------------------------------------------------------------------------------------------
# Shapes


def _camel(key: str) -> str:
    return _SNAKE.sub(lambda match: match.group(1).upper(), key)


def camel_keys(value: Any) -> Any:
    """The older API's snake_case keys in the current camelCase (``order_id`` -> ``orderId``)."""
    if isinstance(value, dict):
        return {_camel(str(key)): camel_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel_keys(item) for item in value]
    return value


def _response_body(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The object under a ``*_responce`` / ``*_response`` root key, if there is one."""
    for key, value in data.items():
        if isinstance(value, dict) and (key.endswith("_responce") or key.endswith("_response")):
            return value
    return None


def _refuse_errors(data: Mapping[str, Any]) -> None:
    error = data.get("errorResponse") or data.get("error_response")
    if isinstance(error, dict):
        detail = error_detail(error, ("code", "zh_desc", "zhDesc", "en_desc", "enDesc", "msg"))
        raise NormalizationError(f"JD answered with an error, not an order: {detail}".strip())


def _api_result(container: Mapping[str, Any]) -> None:
    result = container.get("apiResult")
    if isinstance(result, dict) and result.get("success") is False:
        detail = error_detail(result, ("numberCode", "chineseErrCode", "englishErrCode"))
        raise NormalizationError(f"JD answered with an error, not an order: {detail}".strip())


def _orders_of(data: Any) -> list[Any] | None:
    """The orders of a search page, or None when the payload is not one."""
    if not isinstance(data, dict):
        return None
    body = _response_body(data)
    if body is None:
        return None
    body = camel_keys(body)
    for key in ("searchorderinfoResult", "orderSearch"):
        page = body.get(key)
        if isinstance(page, dict):
            _api_result(page)
            orders = page.get("orderInfoList")
            return list(iter_list(orders, f"{key}.orderInfoList"))
    return None


def _order(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise NormalizationError("expected a JSON object holding one JD order")
    _refuse_errors(data)
    body = _response_body(data)
    if body is not None:
        data = camel_keys(body)
        orders = _orders_of({"_response": body})
        if orders is not None:
            if len(orders) != 1:
                raise NormalizationError(
                    f"a search page holds {len(orders)} orders: import it as a file so that it "
                    "is split into one record per order"
                )
            data = orders[0]
        else:
            for key in ("orderDetailInfo", "order"):
                inner = data.get(key)
                if isinstance(inner, dict):
                    _api_result(inner)
                    data = inner
                    break
    data = camel_keys(data)
    if isinstance(data.get("orderInfo"), dict):
        data = data["orderInfo"]
    if not isinstance(data, dict) or ("orderId" not in data and "itemInfoList" not in data):
        raise NormalizationError(
            "expected a jingdong.pop.order.get response or its orderInfo (no orderId)"
        )
    return data


def split(raw: bytes, name: str = "") -> Iterator[Record]:
    """One record per order of a search page; anything else as JSON files."""
    return split_listed(raw, name, _orders_of)


# ----------------------------------------------------------------------------------------------
# Normalising


def normalize(record: Record, context: AdapterContext) -> NormalizedOrder:
    order = _order(load_json(record))
    zone = context.time_zone
    external_id = _id(order.get("orderId"), "orderId")
    if external_id is None:
        raise NormalizationError("is missing", field="orderId")
    raw_status = text(order.get("orderState"))
    if raw_status is None:
        raise NormalizationError("is missing", field="orderState")

    ext = _json_document(order.get("orderExt"))
    paid_at = _time(order, "paymentConfirmTime", zone) or _ext_time(ext, PAID_KEYS, "orderExt")
    updated_at = _time(order, "modified", zone) or _ext_time(ext, UPDATED_KEYS, "orderExt")
    status = _status(raw_status, paid=paid_at is not None)

    line_discounts = _sku_discounts(order)
    lines = [
        _line(item, index, line_discounts)
        for index, item in enumerate(iter_list(order.get("itemInfoList"), "itemInfoList"), 1)
    ]
    payment = money(require_filled(order, "orderPayment"), "orderPayment")
    freight = money(order.get("freightPrice"), "freightPrice")
    if text(order.get("orderTotalPrice")) is not None:
        goods = money(order["orderTotalPrice"], "orderTotalPrice")
    else:
        goods = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))

    try:
        return NormalizedOrder(
            channel="jd",
            external_id=external_id,
            status=status,
            raw_status=raw_status,
            currency=context.currency,
            created_at=_time(order, "orderStartTime", zone),
            paid_at=paid_at,
            updated_at=updated_at,
            buyer=_buyer(order),
            ship_to=_ship_to(order),
            lines=lines,
            shipping=freight,
            discount=goods + freight - payment,
            tax=Decimal("0.00"),
            taxes_included=True,
            total=payment,
            notes=Notes(
                buyer=text(order.get("orderRemark")), seller=text(order.get("venderRemark"))
            ),
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc)) from exc


def _status(raw_status: str, *, paid: bool) -> OrderStatus:
    if raw_status in CLOSED:
        return OrderStatus.REFUNDED if paid else OrderStatus.CANCELLED
    if raw_status == "UN_KNOWN":
        raise NormalizationError(
            "JD reports the order state as UN_KNOWN; replay the payload once JD knows it",
            field="orderState",
        )
    return mapped_status(STATUSES, raw_status, "orderState", what="order state")


def _time(order: Mapping[str, Any], key: str, zone: Any) -> datetime | None:
    value = text(order.get(key))
    if value is None or value.startswith(SENTINEL):
        return None
    return parse_local(value, key, zone)


def _json_document(value: Any) -> Mapping[str, Any]:
    """A JSON object held in a string (or already parsed); {} when absent or unreadable."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = json.loads(value, parse_float=Decimal)
        except json.JSONDecodeError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _ext_time(ext: Mapping[str, Any], keys: tuple[str, ...], field: str) -> datetime | None:
    for key in keys:
        value = ext.get(key)
        if value not in (None, "", 0, "0"):
            return parse_unix(value, f"{field}.{key}")
    return None


def _sku_discounts(order: Mapping[str, Any]) -> dict[str, Decimal]:
    discounts: dict[str, Decimal] = {}
    for number, item in enumerate(
        iter_list(order.get("couponDetailList"), "couponDetailList"), start=1
    ):
        coupon = object_or_empty(item, f"couponDetailList {number}")
        sku_id = _id(coupon.get("skuId"), f"couponDetailList {number}: skuId")
        if sku_id is None:
            continue  # an order-level coupon: part of the order discount
        amount = money(coupon.get("couponPrice"), f"couponDetailList {number}: couponPrice")
        discounts[sku_id] = discounts.get(sku_id, Decimal("0.00")) + amount
    return discounts


def _line(item: Any, index: int, discounts: Mapping[str, Decimal]) -> Line:
    where = f"line {index}: "
    line = object_or_empty(item, f"line {index}")
    quantity = quantity_of(require_filled(line, "itemTotal", where), f"{where}itemTotal")
    price = money(require_filled(line, "jdPrice", where), f"{where}jdPrice")
    sku_id = _id(line.get("skuId"), f"{where}skuId")
    discount = discounts.get(sku_id, Decimal("0.00")) if sku_id else Decimal("0.00")
    gift = price == 0 or any(truthy(line.get(key)) for key in GIFT_MARKERS)
    try:
        return Line(
            external_line_id=sku_id,
            sku=text(line.get("outerSkuId")),
            title=html.unescape(text(line.get("skuName")) or ""),
            quantity=quantity,
            unit_price=price,
            discount=discount,
            total=price * quantity - discount,
            is_gift=gift,
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc), field=f"line {index}") from exc


# ----------------------------------------------------------------------------------------------
# People


def _buyer(order: Mapping[str, Any]) -> Buyer:
    pin = plain(order.get("pin"))
    return Buyer(
        name=pin,
        channel_buyer_id=text(order.get("openIdBuyer")) or text(order.get("openId")) or pin,
    )


def _ship_to(order: Mapping[str, Any]) -> Address | None:
    consignee = object_or_empty(order.get("consigneeInfo"), "consigneeInfo")
    if not consignee:
        return None
    raw = [consignee.get(key) for key in ("fullname", "mobile", "telephone", "fullAddress")]
    name, _ = shown(consignee.get("fullname"))
    phone = shown(consignee.get("mobile"))[0] or shown(consignee.get("telephone"))[0]
    address, _ = shown(consignee.get("fullAddress"))
    hidden = any(is_cipher(value) for value in raw) or any(
        "*" in value for value in (name, phone, address) if value
    )
    return Address(
        name=name,
        phone=phone,
        country="CN",
        province=text(consignee.get("province")),
        city=text(consignee.get("city")),
        district=text(consignee.get("county")),
        address=address,
        postal_code=text(consignee.get("postCode")),
        masked=hidden,
    )


# ----------------------------------------------------------------------------------------------
# Helpers


def _id(value: Any, field: str) -> str | None:
    """An id; unlike other platforms' ids, a JSON boolean here counts as absent."""
    return None if isinstance(value, bool) else identifier(value, field)


ADAPTER = Adapter(code="jd", normalize=normalize, split=split)
