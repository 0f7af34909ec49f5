"""Pinduoduo (拼多多) orders: ``pdd.order.information.get`` and the order list APIs.

Accepted shapes: the whole ``pdd.order.information.get`` response
(``order_info_get_response.order_info``) or the bare ``order_info``. ``split`` turns a
``pdd.order.list.get`` page (``order_list_get_response.order_list``), a
``pdd.order.number.list.increment.get`` page (``order_sn_increment_get_response.order_sn_list``)
or a JSON array into one record per order.

PDD's message service (``pdd_trade_*`` messages, relayed from its WebSocket) only names an
order (``content`` holds ``{"tid": ...}`` as a JSON string): ``normalize`` says the order must
be pulled, and :func:`order_ids_to_fetch` lists the ``order_sn`` values such a message or a
list of them names. A relay signs what it forwards with omnioms' generic
``X-Omnioms-Signature`` (the default); ``webhook_meta`` dedupes on the message ``id``.

Decisions where PDD leaves room:

- Money is **yuan as JSON numbers** (floats on the wire, strings in some SDKs): every amount
  is read from the wire text into ``Decimal`` (``load_json``), never through a binary float.
- Order: ``total`` = ``pay_amount``; ``shipping`` = ``postage``; ``discount`` =
  ``discount_amount`` (platform + seller + 团长免单, else their sum) plus the seller's price
  change (改价), which PDD takes off ``goods_amount`` (= price × count − price change). Prices
  include VAT: tax 0, ``taxes_included``.
- Lines: ``item_list[]`` with ``unit_price`` = ``goods_price``, ``quantity`` =
  ``goods_count``, ``sku`` = ``outer_id`` (else ``outer_goods_id`` when the goods has a single
  SKU; else None), title = ``goods_name [goods_spec]``. A single-line order carries the price
  change as its line discount. ``gift_list[]`` items are extra lines with ``is_gift``, price 0.
- Bundles: when ``order_depot_info.ware_type`` is 1 (组合货品) on a single-line order, its
  ``ware_sub_info_list`` (``ware_sn`` × ``ware_quantity`` per bundle) become the line's
  components; a sub-ware without ``ware_sn`` is an error (stock could not be taken for it).
- Status: ``confirm_status`` 2 (cancelled) -> cancelled; ``refund_status`` 4 (refunded) ->
  refunded, every line counted as refunded; a deposit order (``trade_type`` 1) whose balance
  is unpaid, an order not yet 成交 (``confirm_status`` 0) or a group still forming
  (``group_status`` 0) -> pending_payment (not to be shipped yet); else ``order_status``
  1 -> paid, 2 -> shipped, 3 -> completed. Refunds in progress (``refund_status`` 2, 3)
  keep the status; ``raw_status`` records ``order_status/refund_status``.
- ``paid_at`` = ``pay_time`` else ``confirm_time``; times are naive Beijing time.
- Receiver: ``receiver_name``, ``receiver_phone``, ``receiver_address`` (and ``address``) are
  ciphertext while the order awaits shipment and empty afterwards. The order shows the masked
  forms (``*_mask``), or ``***`` for ciphertext without one; ciphertext is never copied into
  the order and never decrypted here. Province, city and town (district) are plain.
"""

from __future__ import annotations

import json
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
    as_object,
    error_detail,
    generic_webhook_meta,
    ids_named,
    integer,
    iter_list,
    json_object,
    load_json,
    mapped_status,
    money,
    parse_local,
    quantity_of,
    require_filled,
    split_listed,
    text,
)
from omnioms.channels.adapters.chinese import shown, title_with_spec
from omnioms.channels.adapters.manual import describe_validation_error
from omnioms.channels.contract import Address, Buyer, Component, Line, NormalizedOrder, Notes
from omnioms.core.choices import OrderStatus

SHIPPING_STATUSES: dict[int, OrderStatus] = {
    1: OrderStatus.PAID,
    2: OrderStatus.SHIPPED,
    3: OrderStatus.COMPLETED,
}
REFUNDED = 4
CANCELLED = 2
BALANCE_PAID = 2
"""``step_trade_status`` of a deposit order whose deposit and balance are both paid."""
CENT = Decimal("0.01")
LIST_ROOTS = (
    ("order_list_get_response", "order_list"),
    ("order_sn_increment_get_response", "order_sn_list"),
    ("order_basic_list_get_response", "order_list"),
)


# ----------------------------------------------------------------------------------------------
# Shapes


def _refuse_errors(data: Mapping[str, Any]) -> None:
    error = data.get("error_response")
    if isinstance(error, dict):
        detail = error_detail(error, ("error_code", "error_msg", "sub_code", "sub_msg"))
        raise NormalizationError(f"PDD answered with an error, not an order: {detail}".strip())


def _listed(data: Any) -> list[Any] | None:
    if not isinstance(data, dict):
        return None
    for root, key in LIST_ROOTS:
        page = data.get(root)
        if isinstance(page, dict):
            return list(iter_list(page.get(key), f"{root}.{key}"))
    return None


def _message(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ``message`` of a PDD message-service push, if the payload is one."""
    message = data.get("message")
    if isinstance(message, dict) and str(message.get("type", "")).startswith("pdd_"):
        return message
    if str(data.get("type", "")).startswith("pdd_") and "content" in data:
        return data
    return None


def _message_order(message: Mapping[str, Any]) -> str | None:
    content = message.get("content")
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except json.JSONDecodeError as exc:
            raise NormalizationError(f"not valid JSON ({exc})", field="message.content") from exc
    if isinstance(content, dict):
        return text(content.get("tid")) or text(content.get("order_sn"))
    return None


def _order(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise NormalizationError("expected a JSON object holding one Pinduoduo order")
    _refuse_errors(data)
    message = _message(data)
    if message is not None:
        order_sn = _message_order(message)
        raise NormalizationError(
            f"the {message.get('type')} message names order {order_sn} but carries no order; "
            "the order must be pulled with pdd.order.information.get"
        )
    listed = _listed(data)
    if listed is not None:
        if len(listed) != 1:
            raise NormalizationError(
                f"the page holds {len(listed)} orders: import it as a file so that it is split "
                "into one record per order"
            )
        data = listed[0]
    elif isinstance(data.get("order_info_get_response"), dict):
        data = data["order_info_get_response"]
        if not isinstance(data.get("order_info"), dict):
            raise NormalizationError("is missing", field="order_info_get_response.order_info")
        data = data["order_info"]
    elif isinstance(data.get("order_info"), dict) and "order_sn" not in data:
        data = data["order_info"]
    if not isinstance(data, dict):
        raise NormalizationError("expected an object", field="order_info")
    if text(data.get("order_sn")) is None:
        raise NormalizationError(
            "is missing: expected a pdd.order.information.get response", field="order_sn"
        )
    return data


def split(raw: bytes, name: str = "") -> Iterator[Record]:
    """One record per order of a list page; anything else as JSON files."""
    return split_listed(raw, name, _listed)


def order_ids_to_fetch(raw: bytes) -> list[str]:
    """``order_sn`` values a message-service push (or a JSON array of them) names."""
    return ids_named(load_json(Record(raw=raw)), _named_order)


def _named_order(data: Mapping[str, Any]) -> list[str]:
    message = _message(data)
    order_sn = _message_order(message) if message is not None else None
    return [order_sn] if order_sn else []


def webhook_meta(body: bytes, headers: Mapping[str, str]) -> WebhookMeta:
    data = json_object(body)
    if data is not None and _message(data) is not None:
        message = _message(data) or {}
        return WebhookMeta(
            event_id=text(data.get("id")) or generic_webhook_meta(headers).event_id,
            topic=text(message.get("type")),
        )
    return generic_webhook_meta(headers)


# ----------------------------------------------------------------------------------------------
# Normalising


def normalize(record: Record, context: AdapterContext) -> NormalizedOrder:
    order = _order(load_json(record))
    zone = context.time_zone
    external_id = text(order.get("order_sn"))
    if external_id is None:
        raise NormalizationError("is missing", field="order_sn")

    items = [
        as_object(item, f"line {index}")
        for index, item in enumerate(iter_list(order.get("item_list"), "item_list"), start=1)
    ]
    listed_goods = sum(
        (
            _price(item, f"line {index}: ") * _count(item, f"line {index}: ")
            for index, item in enumerate(items, start=1)
        ),
        Decimal("0.00"),
    )
    if text(order.get("goods_amount")) is not None:
        goods_amount = yuan(order["goods_amount"], "goods_amount")
    else:
        goods_amount = listed_goods
    price_change = listed_goods - goods_amount  # 改价: a seller's cut is positive here
    components = _components(order, single=len(items) == 1)
    status, raw_status = _status(order)
    lines = [
        _line(
            item,
            index,
            price_change=price_change if len(items) == 1 else Decimal("0.00"),
            components=components,
            refunded=status == OrderStatus.REFUNDED,
        )
        for index, item in enumerate(items, start=1)
    ]
    lines += [
        _gift(gift, len(items) + index)
        for index, gift in enumerate(iter_list(order.get("gift_list"), "gift_list"), start=1)
    ]

    if text(order.get("discount_amount")) is not None:
        discount = yuan(order["discount_amount"], "discount_amount")
    else:
        discount = sum(
            (
                yuan(order.get(key), key)
                for key in ("platform_discount", "seller_discount", "capital_free_discount")
            ),
            Decimal("0.00"),
        )
    paid_at = parse_local(order.get("pay_time"), "pay_time", zone) or parse_local(
        order.get("confirm_time"), "confirm_time", zone
    )

    try:
        return NormalizedOrder(
            channel="pinduoduo",
            external_id=external_id,
            status=status,
            raw_status=raw_status,
            currency=context.currency,
            created_at=parse_local(order.get("created_time"), "created_time", zone),
            paid_at=paid_at,
            updated_at=parse_local(order.get("updated_at"), "updated_at", zone),
            shipped_at=parse_local(order.get("shipping_time"), "shipping_time", zone),
            buyer=Buyer(),
            ship_to=_ship_to(order),
            lines=lines,
            shipping=yuan(order.get("postage"), "postage"),
            discount=discount + price_change,
            tax=Decimal("0.00"),
            taxes_included=True,
            total=yuan(require_filled(order, "pay_amount"), "pay_amount"),
            notes=Notes(buyer=text(order.get("buyer_memo")), seller=text(order.get("remark"))),
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc)) from exc


def _status(order: Mapping[str, Any]) -> tuple[OrderStatus, str]:
    code = integer(require_filled(order, "order_status"), "order_status")
    refund = integer(order.get("refund_status", 1), "refund_status")
    raw_status = f"{code}/{refund}"
    shipping_status = mapped_status(SHIPPING_STATUSES, code, "order_status")
    if _code(order, "confirm_status") == CANCELLED:
        return OrderStatus.CANCELLED, raw_status
    if refund == REFUNDED:
        return OrderStatus.REFUNDED, raw_status
    step = order.get("step_order_info")
    deposit_unpaid = (
        _code(order, "trade_type") == 1
        and isinstance(step, dict)
        and _code(step, "step_trade_status", "step_order_info.") != BALANCE_PAID
    )
    if deposit_unpaid or _code(order, "confirm_status") == 0 or _code(order, "group_status") == 0:
        return OrderStatus.PENDING_PAYMENT, raw_status
    return shipping_status, raw_status


def yuan(value: Any, field: str) -> Decimal:
    """Yuan from a JSON number or string, exactly, with at least two decimal places."""
    amount = money(value, field)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        amount = amount.quantize(CENT)
    return amount


def _code(mapping: Mapping[str, Any], key: str, where: str = "") -> int | None:
    value = mapping.get(key)
    if value is None or value == "":
        return None
    return integer(value, f"{where}{key}")


def _price(item: Mapping[str, Any], where: str) -> Decimal:
    return yuan(require_filled(item, "goods_price", where), f"{where}goods_price")


def _count(item: Mapping[str, Any], where: str) -> int:
    return quantity_of(require_filled(item, "goods_count", where), f"{where}goods_count")


def _title(item: Mapping[str, Any]) -> str:
    return title_with_spec(item.get("goods_name"), text(item.get("goods_spec")))


def _line(
    item: Mapping[str, Any],
    index: int,
    *,
    price_change: Decimal,
    components: list[Component],
    refunded: bool,
) -> Line:
    where = f"line {index}: "
    price = _price(item, where)
    quantity = _count(item, where)
    try:
        return Line(
            external_line_id=text(item.get("sku_id")),
            sku=text(item.get("outer_id")) or text(item.get("outer_goods_id")),
            title=_title(item),
            quantity=quantity,
            unit_price=price,
            discount=price_change,
            total=price * quantity - price_change,
            refunded_quantity=quantity if refunded else 0,
            components=components,
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc), field=f"line {index}") from exc


def _gift(value: Any, index: int) -> Line:
    where = f"gift line {index}: "
    gift = as_object(value, where.rstrip(": "))
    quantity = _count(gift, where)
    return Line(
        external_line_id=text(gift.get("sku_id")),
        sku=text(gift.get("outer_id")) or text(gift.get("outer_goods_id")),
        title=_title(gift),
        quantity=quantity,
        unit_price=Decimal("0.00"),
        total=Decimal("0.00"),
        is_gift=True,
    )


def _components(order: Mapping[str, Any], *, single: bool) -> list[Component]:
    depot = order.get("order_depot_info")
    if not single or not isinstance(depot, dict) or _code(depot, "ware_type") != 1:
        return []
    result = []
    for number, part in enumerate(
        iter_list(depot.get("ware_sub_info_list"), "order_depot_info.ware_sub_info_list"),
        start=1,
    ):
        at = f"order_depot_info.ware_sub_info_list {number}: "
        sub = as_object(part, at.rstrip(": "))
        sku = text(sub.get("ware_sn"))
        if sku is None:
            raise NormalizationError(
                "bundle component has no ware code (子货品编码); set it so that stock can be taken",
                field=f"{at}ware_sn",
            )
        quantity = integer(require_filled(sub, "ware_quantity", at), f"{at}ware_quantity")
        if quantity <= 0:
            raise NormalizationError(
                f"{quantity} is not a positive quantity", field=f"{at}ware_quantity"
            )
        result.append(Component(sku=sku, quantity=quantity))
    return result


# ----------------------------------------------------------------------------------------------
# Receiver


def _receiver(order: Mapping[str, Any], *keys: str) -> tuple[str | None, bool]:
    """The masked form (``<key>_mask``) of the first present field, else what may be
    :func:`shown` of it; and whether the value is masked or encrypted."""
    for key in keys:
        masked = text(order.get(f"{key}_mask"))
        if masked is not None:
            return masked, True
    for key in keys:
        if text(order.get(key)) is not None:
            return shown(order.get(key))
    return None, False


def _ship_to(order: Mapping[str, Any]) -> Address | None:
    name, name_hidden = _receiver(order, "receiver_name")
    phone, phone_hidden = _receiver(order, "receiver_phone")
    address, address_hidden = _receiver(order, "receiver_address", "address")
    province, city, district = (text(order.get(k)) for k in ("province", "city", "town"))
    if not any((name, phone, address, province, city, district)):
        return None
    return Address(
        name=name,
        phone=phone,
        country=_country(text(order.get("country"))),
        province=province,
        city=city,
        district=district,
        address=address,
        masked=name_hidden or phone_hidden or address_hidden,
    )


def _country(name: str | None) -> str | None:
    return "CN" if name in (None, "中国", "CN") else name


ADAPTER = Adapter(code="pinduoduo", normalize=normalize, split=split, webhook_meta=webhook_meta)
