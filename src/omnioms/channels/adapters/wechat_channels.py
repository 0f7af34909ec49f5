"""WeChat Channels shop (视频号小店) orders: ``/channels/ec/order/get`` and the message push.

Accepted shapes: the ``order/get`` answer (``{"errcode": 0, "errmsg": "ok", "order": {...}}``)
or the bare order; a JSON array of orders goes through the default ``split``.

Pushes are thin. The order events (``channels_ec_order_new``, ``channels_ec_order_pay``,
``channels_ec_order_deliver``, ...) carry ``order_info.order_id`` and a time, never the order;
``order/list/get`` answers carry only ``order_id_list``. ``normalize`` says such a payload names
orders that must be pulled with ``order/get``; :func:`order_ids_to_fetch` lists them. Order ids
are 64-bit JSON numbers in pushes: they are read exactly, as strings.

Push signature: WeChat signs the request URL's query, not the body. In plaintext mode
``signature`` = sha1 of the sorted, concatenated ``[token, timestamp, nonce]``; in safe mode
``msg_signature`` = sha1 of the sorted ``[token, timestamp, nonce, Encrypt]`` (the body's
encrypted message). The account's secret is the push *token*. Because the plaintext-mode
signature does not cover the body, a forged body with a replayed signature could at most name
orders, which are then fetched from WeChat itself. Safe-mode bodies are not decrypted here: such
a push is kept as a dead letter saying so. Dedupe key: ``FromUserName:CreateTime:Event:order_id``
(WeChat resends the same message on retries). JSON pushes only (XML is not read).

Decisions where the platform leaves room (field set summarised from third-party docs):

- Money is integer fen. Order: ``total`` = ``price_info.order_price``, ``shipping`` =
  ``freight``, ``discount`` = ``product_price + freight − order_price`` (coupons, merchant
  discounts and price changes alike), else ``discounted_price + change_down_price`` when
  ``product_price`` is missing. Prices include VAT: tax 0, ``taxes_included``.
- Line (``order_detail.product_infos[]``): ``unit_price`` = ``sale_price``, ``quantity`` =
  ``sku_cnt``, ``total`` = ``real_price`` (what was paid for the line, unverified) else
  ``sale_price × sku_cnt``; ``sku`` = ``out_sku_id``, else ``sku_code``, else None; title =
  ``title [属性:值;...]`` from ``sku_attrs``. A line is a gift when its ``sale_price`` is 0 or a
  marker says so (``is_free_gift`` / ``is_gift``). ``refunded_quantity`` =
  ``finish_aftersale_sku_cnt`` (units whose after-sale finished).
- Status: 10 awaiting payment -> pending_payment; 12 (gift awaiting acceptance, paid) -> paid;
  13 (group forming) -> pending_payment; 20 -> paid; 21 -> partially_shipped; 30 -> shipped;
  100 -> completed; 200 (closed after every item was refunded) -> refunded, every line counted
  as refunded; 250 (cancelled before payment) -> cancelled. A split shipment lists several
  packages in ``delivery_info.delivery_product_info``; the lines stay as ordered.
- Times are Unix seconds. ``paid_at`` = ``pay_info.pay_time``.
- Receiver: ``delivery_info.address_info``. Masked (``*``) or encrypted fields set ``masked``;
  ciphertext is shown as ``***``. A virtual number (``virtual_order_tel_number``) is used as
  the phone when ``use_tel_number`` says so. Buyer: ``openid`` (else ``unionid``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import ValidationError

from omnioms.channels.adapters.base import (
    Adapter,
    AdapterContext,
    NormalizationError,
    Record,
    WebhookMeta,
    any_secret_matches,
    fen,
    identifier,
    ids_named,
    integer,
    iter_list,
    json_object,
    load_json,
    mapped_status,
    object_or_empty,
    parse_unix,
    quantity_of,
    require_filled,
    text,
    truthy,
)
from omnioms.channels.adapters.chinese import MASK, shown, spec_text, title_with_spec
from omnioms.channels.adapters.manual import describe_validation_error
from omnioms.channels.contract import Address, Buyer, Line, NormalizedOrder, Notes
from omnioms.core.choices import OrderStatus

STATUSES: dict[int, OrderStatus] = {
    10: OrderStatus.PENDING_PAYMENT,
    12: OrderStatus.PAID,
    13: OrderStatus.PENDING_PAYMENT,
    20: OrderStatus.PAID,
    21: OrderStatus.PARTIALLY_SHIPPED,
    30: OrderStatus.SHIPPED,
    100: OrderStatus.COMPLETED,
    200: OrderStatus.REFUNDED,
    250: OrderStatus.CANCELLED,
}
ALL_REFUNDED = 200
GIFT_MARKERS = ("is_free_gift", "is_gift")


# ----------------------------------------------------------------------------------------------
# Shapes: orders, thin pushes and id lists


def _named_orders(data: Mapping[str, Any]) -> list[str]:
    """Order ids a push or an ``order/list/get`` answer names (without carrying the order)."""
    ids: list[str] = []
    info = data.get("order_info")
    if isinstance(info, dict) and "order" not in data:
        order_id = identifier(info.get("order_id"), "order_info.order_id")
        if order_id:
            ids.append(order_id)
    for number, value in enumerate(iter_list(data.get("order_id_list"), "order_id_list"), 1):
        order_id = identifier(value, f"order_id_list {number}")
        if order_id:
            ids.append(order_id)
    return list(dict.fromkeys(ids))


def order_ids_to_fetch(raw: bytes) -> list[str]:
    """Ids of the orders a push or an ``order/list/get`` answer names: fetch each with
    ``/channels/ec/order/get`` and normalise the answer. Full orders give ``[]``."""
    data = load_json(Record(raw=raw))
    if not isinstance(data, dict | list):
        raise NormalizationError("expected a WeChat Channels push or order/list/get answer")
    return ids_named(data, _named_orders)


def _order(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise NormalizationError("expected a JSON object holding one WeChat Channels order")
    if "Encrypt" in data and "order" not in data:
        raise NormalizationError(
            "the push is encrypted (safe mode) and is not decrypted here; set the message "
            "push to plaintext mode, or pull the orders with order/list/get"
        )
    errcode = data.get("errcode")
    if errcode not in (None, 0, "0"):
        raise NormalizationError(
            f"WeChat answered with an error, not an order: {errcode} {text(data.get('errmsg'))}"
        )
    named = _named_orders(data)
    if named:
        event = text(data.get("Event")) or "order/list/get answer"
        which = f"order {named[0]}" if len(named) == 1 else f"orders {', '.join(named)}"
        raise NormalizationError(
            f"the {event} names {which} but carries no order; each order must be pulled "
            "with /channels/ec/order/get"
        )
    if isinstance(data.get("order"), dict):
        data = data["order"]
    if "order_detail" not in data and "order_id" not in data:
        raise NormalizationError("expected a WeChat Channels order (no order_id, no order_detail)")
    return data


# ----------------------------------------------------------------------------------------------
# Normalising


def normalize(record: Record, context: AdapterContext) -> NormalizedOrder:
    order = _order(load_json(record))
    external_id = identifier(order.get("order_id"), "order_id")
    if external_id is None:
        raise NormalizationError("is missing", field="order_id")
    code = integer(require_filled(order, "status"), "status")
    status = mapped_status(STATUSES, code, "status")

    detail = object_or_empty(order.get("order_detail"), "order_detail")
    lines = [
        _line(item, index, all_refunded=code == ALL_REFUNDED)
        for index, item in enumerate(
            iter_list(detail.get("product_infos"), "order_detail.product_infos"), start=1
        )
    ]
    price = object_or_empty(detail.get("price_info"), "order_detail.price_info")
    at = "order_detail.price_info."
    total = fen(require_filled(price, "order_price", at), f"{at}order_price")
    freight = fen(price.get("freight"), f"{at}freight")
    if text(price.get("product_price")) is not None:
        goods = fen(price["product_price"], f"{at}product_price")
        discount = goods + freight - total
    else:
        discount = fen(price.get("discounted_price"), f"{at}discounted_price") + fen(
            price.get("change_down_price"), f"{at}change_down_price"
        )
    pay = object_or_empty(detail.get("pay_info"), "order_detail.pay_info")
    ext = object_or_empty(detail.get("ext_info"), "order_detail.ext_info")

    try:
        return NormalizedOrder(
            channel="wechat_channels",
            external_id=external_id,
            status=status,
            raw_status=str(code),
            currency=context.currency,
            created_at=parse_unix(order.get("create_time"), "create_time"),
            paid_at=parse_unix(pay.get("pay_time"), "order_detail.pay_info.pay_time"),
            updated_at=parse_unix(order.get("update_time"), "update_time"),
            buyer=Buyer(channel_buyer_id=text(order.get("openid")) or text(order.get("unionid"))),
            ship_to=_ship_to(detail),
            lines=lines,
            shipping=freight,
            discount=discount,
            tax=Decimal("0.00"),
            taxes_included=True,
            total=total,
            notes=Notes(
                buyer=text(ext.get("customer_notes")), seller=text(ext.get("merchant_notes"))
            ),
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc)) from exc


def _line(item: Any, index: int, *, all_refunded: bool) -> Line:
    where = f"line {index}: "
    product = object_or_empty(item, f"line {index}")
    quantity = quantity_of(require_filled(product, "sku_cnt", where), f"{where}sku_cnt")
    unit_price = fen(require_filled(product, "sale_price", where), f"{where}sale_price")
    if text(product.get("real_price")) is not None:
        total = fen(product["real_price"], f"{where}real_price")
    else:
        total = unit_price * quantity
    refunded = integer(
        product.get("finish_aftersale_sku_cnt") or 0, f"{where}finish_aftersale_sku_cnt"
    )
    spec = spec_text(product.get("sku_attrs"), f"{where}sku_attrs", "attr_key", "attr_value")
    try:
        return Line(
            external_line_id=identifier(product.get("sku_id"), f"{where}sku_id"),
            sku=text(product.get("out_sku_id")) or text(product.get("sku_code")),
            title=title_with_spec(product.get("title"), spec),
            quantity=quantity,
            unit_price=unit_price,
            discount=unit_price * quantity - total,
            total=total,
            is_gift=unit_price == 0 or any(truthy(product.get(k)) for k in GIFT_MARKERS),
            refunded_quantity=quantity if all_refunded else min(max(refunded, 0), quantity),
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc), field=f"line {index}") from exc


# ----------------------------------------------------------------------------------------------
# People


def _ship_to(detail: Mapping[str, Any]) -> Address | None:
    delivery = object_or_empty(detail.get("delivery_info"), "order_detail.delivery_info")
    address = object_or_empty(
        delivery.get("address_info"), "order_detail.delivery_info.address_info"
    )
    if not address:
        return None
    name, name_hidden = shown(address.get("user_name"))
    use_virtual = truthy(address.get("use_tel_number"))
    phone, phone_hidden = shown(
        address.get("virtual_order_tel_number") if use_virtual else address.get("tel_number")
    )
    street, street_hidden = shown(address.get("detail_info"))
    house, house_hidden = shown(address.get("house_number"))
    full_street = "".join(part for part in (street, house) if part and part != MASK) or street
    return Address(
        name=name,
        phone=phone,
        country="CN",
        province=text(address.get("province_name")),
        city=text(address.get("city_name")),
        district=text(address.get("county_name")),
        address=full_street,
        postal_code=text(address.get("postal_code")),
        masked=name_hidden or phone_hidden or street_hidden or house_hidden,
    )


# ----------------------------------------------------------------------------------------------
# Push: signature and metadata


def _sha1_sorted(*parts: str) -> str:
    # SHA-1 is WeChat's choice, not ours.
    return hashlib.sha1("".join(sorted(parts)).encode(), usedforsecurity=False).hexdigest()


def verify_signature(
    body: bytes, headers: Mapping[str, str], secrets: Sequence[str], url: str = ""
) -> bool:
    """The push URL's ``signature`` (plaintext mode) or ``msg_signature`` (safe mode)."""
    query = parse_qs(urlsplit(url).query)
    timestamp = (query.get("timestamp") or [""])[0]
    nonce = (query.get("nonce") or [""])[0]
    if not timestamp or not nonce:
        return False
    data = json_object(body) or {}
    encrypted = data.get("Encrypt") if isinstance(data.get("Encrypt"), str) else None
    if encrypted is not None:
        cipher: str = encrypted
        given = (query.get("msg_signature") or [""])[0]
        return any_secret_matches(
            lambda token: _sha1_sorted(token, timestamp, nonce, cipher), given, secrets
        )
    given = (query.get("signature") or [""])[0]
    return any_secret_matches(lambda token: _sha1_sorted(token, timestamp, nonce), given, secrets)


def webhook_meta(body: bytes, headers: Mapping[str, str]) -> WebhookMeta:
    try:
        data = load_json(Record(raw=body))
    except NormalizationError:
        return WebhookMeta()
    if not isinstance(data, dict):
        return WebhookMeta()
    event = text(data.get("Event"))
    try:
        named = _named_orders(data)
    except NormalizationError:
        named = []
    parts = [text(data.get("FromUserName")), text(data.get("CreateTime")), event, *named]
    known = [part for part in parts if part]
    event_id = ":".join(known) if text(data.get("CreateTime")) and event else None
    return WebhookMeta(event_id=event_id, topic=event)


ADAPTER = Adapter(
    code="wechat_channels",
    normalize=normalize,
    verify_signature=verify_signature,
    webhook_meta=webhook_meta,
)
