"""Douyin shop (抖店) orders: ``order.orderDetail`` and the message push.

Accepted shapes: the whole API response (``{"code": 10000, "msg": "success", "data":
{"shop_order_detail": {...}}}``), the bare ``shop_order_detail`` object, and a push message
(or a one-message push array) whose ``data`` carries a full detail. Money is integer fen,
times are Unix seconds, order ids are strings.

Push signature: Douyin signs with ``event-sign = md5(app_key + raw body + app_secret)`` as
lowercase hex, so it needs two values where other platforms need one. Each configured secret
of the account is therefore the string ``"<app_key>:<app_secret>"`` (split at the first
colon); several such strings may be active during a rotation. A secret without a colon
never matches.

Push messages are ``[{"tag": "...", "msg_id": "...", "data": "<JSON string>"}]``. Tag ``0``
is the verification ping. Douyin's order messages name the order (``p_id``, ``s_ids``) and
nothing more: such a message cannot become an order, and ``normalize`` says the full detail
must be fetched with ``order.orderDetail``. ``split`` yields one record per non-ping message,
so a message carrying a full ``shop_order_detail`` (as relays send it) is normalised and an
id-only one is dead-lettered with that reason instead of vanishing.

Decisions where the platform leaves room:

- Status comes from ``main_status`` (``order_status`` when a payload lacks it); ``raw_status``
  is ``main_status_desc``, else the code.
- Line: ``unit_price = origin_amount``, ``total = pay_amount``, ``discount = sum_amount −
  pay_amount`` (``sum_amount`` defaults to ``origin_amount × item_num``). Order: ``total =
  pay_amount``, ``shipping = post_amount``, ``discount = promotion_amount`` (shop + platform +
  talent), ``tax = tax_amount`` with ``taxes_included`` (Chinese prices include tax). Price
  changes by the seller (``modify_amount``) and payment-channel discounts
  (``promotion_pay_amount``) are not folded in: their semantics are undocumented, and
  ``total_mismatch()`` shows them.
- A sub-order is refunded in full when its ``after_sale_info.refund_status`` is 3 (refund
  succeeded) or its own ``main_status`` is 21, 22 or 39.
- Ship-to is always ``masked``: name and phone come from ``mask_post_receiver`` /
  ``mask_post_tel``, never from the ``encrypt_*`` ciphertext; a ``post_addr.detail`` that is
  ciphertext is replaced by the masked detail. The street (街道) is prefixed to the address.
- A bundle component without a merchant ``code`` raises: stock cannot be taken for it, and a
  clear dead letter is better than a bundle that silently reserves nothing.
"""

from __future__ import annotations

import json
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
    as_object,
    dump_json,
    error_detail,
    fen,
    header,
    integer,
    iter_list,
    load_json,
    load_json_text,
    mapped_status,
    parse_unix,
    quantity_of,
    require,
    split_json,
    text,
)
from omnioms.channels.adapters.chinese import (
    md5_key_secret_matches,
    plain,
    spec_text,
    title_with_spec,
)
from omnioms.channels.adapters.manual import describe_validation_error
from omnioms.channels.contract import Address, Buyer, Component, Line, NormalizedOrder, Notes
from omnioms.core.choices import OrderStatus

SUCCESS_CODE = 10000
PING_TAG = "0"
PUSH_RESPONSE = b'{"code":0,"msg":"success"}'
SIGNATURE_HEADER = "event-sign"

STATUSES: dict[int, OrderStatus] = {
    1: OrderStatus.PENDING_PAYMENT,
    103: OrderStatus.PENDING_PAYMENT,  # partly paid (deposit presale): the balance is still due
    105: OrderStatus.PAID,
    2: OrderStatus.PAID,
    101: OrderStatus.PARTIALLY_SHIPPED,
    3: OrderStatus.SHIPPED,
    5: OrderStatus.COMPLETED,
    4: OrderStatus.CANCELLED,
    21: OrderStatus.REFUNDED,
    22: OrderStatus.REFUNDED,
    39: OrderStatus.REFUNDED,
}
REFUNDED_STATUSES = {21, 22, 39}
REFUND_SUCCEEDED = 3
BUYER_ID_FIELDS = ("doudian_open_id", "open_id", "user_id")


# ----------------------------------------------------------------------------------------------
# Push: signature, metadata, splitting


def verify_signature(
    body: bytes, headers: Mapping[str, str], secrets: Sequence[str], url: str
) -> bool:
    """md5(app_key + raw body + app_secret); each secret is ``app_key:app_secret``."""
    return md5_key_secret_matches(body, header(headers, SIGNATURE_HEADER), secrets)


def webhook_meta(body: bytes, headers: Mapping[str, str]) -> WebhookMeta:
    """Event id and topic from the push array; an unreadable body still gets Douyin's answer."""
    try:
        messages = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return WebhookMeta(response=PUSH_RESPONSE)
    if isinstance(messages, dict):
        messages = [messages]
    if not isinstance(messages, list):
        return WebhookMeta(response=PUSH_RESPONSE)
    ids: list[str] = []
    tags: list[str] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        msg_id = text(message.get("msg_id"))
        tag = text(message.get("tag"))
        if msg_id and msg_id not in ids:
            ids.append(msg_id)
        if tag and tag not in tags:
            tags.append(tag)
    return WebhookMeta(
        event_id=",".join(ids) or None,
        topic=",".join(tags) or None,
        is_ping=bool(tags) and all(tag == PING_TAG for tag in tags),
        response=PUSH_RESPONSE,
    )


def split(raw: bytes, name: str = "") -> Iterator[Record]:
    """A push array becomes one record per order message (pings dropped); else as JSON files."""
    if raw.lstrip()[:1] == b"[":
        try:
            items = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            items = None
        if items and all(_is_message(item) for item in items):
            prefix = f"{name}: " if name else ""
            for index, message in enumerate(items, start=1):
                if not _is_ping(message):
                    label = f"{prefix}message {index} ({text(message.get('msg_id'))})"
                    yield Record(raw=dump_json(message), label=label)
            return
    yield from split_json(raw, name)


def _is_message(value: Any) -> bool:
    return isinstance(value, dict) and "tag" in value and "msg_id" in value


def _is_ping(message: Mapping[str, Any]) -> bool:
    return text(message.get("tag")) == PING_TAG


# ----------------------------------------------------------------------------------------------
# Normalising


def normalize(record: Record, context: AdapterContext) -> NormalizedOrder:
    detail = _detail(load_json(record))

    external_id = text(require(detail, "order_id"))
    if external_id is None:
        raise NormalizationError("is missing", field="order_id")
    status_field = "main_status" if text(detail.get("main_status")) else "order_status"
    code = integer(require(detail, status_field), status_field)
    status = mapped_status(STATUSES, code, status_field)
    description = text(detail.get(f"{status_field}_desc"))

    items = [
        as_object(item, f"line {index}")
        for index, item in enumerate(iter_list(detail.get("sku_order_list"), "sku_order_list"), 1)
    ]
    lines = [_line(item, index) for index, item in enumerate(items, start=1)]
    if _has(detail, "tax_amount"):
        tax = fen(detail["tax_amount"], "tax_amount")
    else:
        tax = sum(
            (
                fen(item.get("tax_amount"), f"line {i}: tax_amount")
                for i, item in enumerate(items, 1)
            ),
            Decimal("0.00"),
        )
    if _has(detail, "promotion_amount"):
        discount = fen(detail["promotion_amount"], "promotion_amount")
    else:
        discount = sum(
            (
                fen(detail.get(key), key)
                for key in (
                    "promotion_shop_amount",
                    "promotion_platform_amount",
                    "promotion_talent_amount",
                )
            ),
            Decimal("0.00"),
        )

    try:
        return NormalizedOrder(
            channel="douyin",
            external_id=external_id,
            status=status,
            raw_status=description or str(code),
            currency=context.currency,
            created_at=parse_unix(detail.get("create_time"), "create_time"),
            paid_at=parse_unix(detail.get("pay_time"), "pay_time"),
            updated_at=parse_unix(detail.get("update_time"), "update_time"),
            ship_by=parse_unix(detail.get("exp_ship_time"), "exp_ship_time"),
            shipped_at=parse_unix(detail.get("ship_time"), "ship_time"),
            buyer=Buyer(channel_buyer_id=_first(detail, BUYER_ID_FIELDS)),
            ship_to=_ship_to(detail),
            lines=lines,
            shipping=fen(detail.get("post_amount"), "post_amount"),
            discount=discount,
            tax=tax,
            taxes_included=True,
            total=fen(require(detail, "pay_amount"), "pay_amount"),
            notes=Notes(
                buyer=text(detail.get("buyer_words")), seller=text(detail.get("seller_words"))
            ),
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc)) from exc


def _detail(data: Any) -> Mapping[str, Any]:
    """The shop_order_detail inside whatever wrapper the payload came in."""
    if isinstance(data, list):
        messages = [item for item in data if not (_is_message(item) and _is_ping(item))]
        if not messages:
            raise NormalizationError("a verification ping (tag 0) carries no order")
        if len(messages) > 1:
            raise NormalizationError(
                f"the push holds {len(messages)} messages: import it as a file so that it is "
                "split into one record per message"
            )
        data = messages[0]
    if not isinstance(data, dict):
        raise NormalizationError("expected a JSON object holding one Douyin order")
    if _is_message(data):
        if _is_ping(data):
            raise NormalizationError("a verification ping (tag 0) carries no order")
        data = _message_data(data)
    is_response = "code" in data and ("msg" in data or "data" in data)
    if is_response and "sku_order_list" not in data and "shop_order_detail" not in data:
        if integer(data["code"], "code") != SUCCESS_CODE:
            reason = error_detail(data, ("code", "msg", "sub_code", "sub_msg"))
            raise NormalizationError(f"Douyin answered with an error, not an order: {reason}")
        data = as_object(data.get("data"), "data")
    if "shop_order_detail" in data:
        data = as_object(data["shop_order_detail"], "shop_order_detail")
    if "sku_order_list" in data:
        return data
    order_id = _first(data, ("p_id", "order_id", "shop_order_id"))
    if order_id is not None:
        raise NormalizationError(
            f"the push message names order {order_id} but carries no order detail; the full "
            "detail must be fetched with order.orderDetail"
        )
    raise NormalizationError("expected a Douyin order.orderDetail response or shop_order_detail")


def _message_data(message: Mapping[str, Any]) -> Mapping[str, Any]:
    payload = message.get("data")
    if isinstance(payload, str):
        payload = load_json_text(payload, "data")
    return as_object(payload, "data")


def _line(item: Mapping[str, Any], index: int) -> Line:
    where = f"line {index}: "
    quantity = quantity_of(require(item, "item_num", where), f"{where}item_num")
    unit_price = fen(require(item, "origin_amount", where), f"{where}origin_amount")
    if _has(item, "sum_amount"):
        gross = fen(item["sum_amount"], f"{where}sum_amount")
    else:
        gross = unit_price * quantity
    total = fen(require(item, "pay_amount", where), f"{where}pay_amount")
    spec = spec_text(item.get("spec"), f"{where}spec", "name", "value")
    return Line(
        external_line_id=text(item.get("order_id")),
        sku=text(item.get("code")) or text(item.get("out_sku_id")),
        title=title_with_spec(item.get("product_name"), spec),
        quantity=quantity,
        unit_price=unit_price,
        discount=gross - total,
        total=total,
        is_gift=(text(item.get("given_product_type")) or "").upper() == "FREE",
        refunded_quantity=quantity if _refunded(item, where) else 0,
        components=_components(item.get("bundle_sku_info"), where),
    )


def _refunded(item: Mapping[str, Any], where: str) -> bool:
    after_sale = item.get("after_sale_info")
    if isinstance(after_sale, dict) and _has(after_sale, "refund_status"):
        refund = integer(after_sale["refund_status"], f"{where}after_sale_info.refund_status")
        if refund == REFUND_SUCCEEDED:
            return True
    if _has(item, "main_status"):
        return integer(item["main_status"], f"{where}main_status") in REFUNDED_STATUSES
    return False


def _components(value: Any, where: str) -> list[Component]:
    components = []
    for number, part in enumerate(iter_list(value, f"{where}bundle_sku_info"), start=1):
        at = f"{where}bundle_sku_info {number}: "
        part = as_object(part, at.rstrip(": "))
        sku = text(part.get("code")) or text(part.get("out_sku_id"))
        if sku is None:
            raise NormalizationError(
                "bundle component has no merchant code (组套子商品编码); set it in the shop "
                "backend so that stock can be taken",
                field=f"{at}code",
            )
        quantity = integer(require(part, "item_num", at), f"{at}item_num")
        if quantity <= 0:
            raise NormalizationError(
                f"{quantity} is not a positive quantity", field=f"{at}item_num"
            )
        components.append(Component(sku=sku, quantity=quantity))
    return components


def _ship_to(detail: Mapping[str, Any]) -> Address | None:
    addr = detail.get("post_addr")
    addr = addr if isinstance(addr, dict) else {}
    masked_addr = detail.get("mask_post_addr")
    masked_addr = masked_addr if isinstance(masked_addr, dict) else {}

    def region(key: str) -> str | None:
        return _region(addr.get(key)) or _region(masked_addr.get(key))

    street = region("street")
    detail_text = plain(addr.get("detail")) or plain(masked_addr.get("detail"))
    if street and detail_text and detail_text.startswith(street):
        street = None
    address = "".join(part for part in (street, detail_text) if part) or None
    name = plain(detail.get("mask_post_receiver"))
    phone = plain(detail.get("mask_post_tel"))
    province, city, district = region("province"), region("city"), region("town")
    if not any((name, phone, province, city, district, address)):
        return None
    return Address(
        name=name,
        phone=phone,
        country="CN",
        province=province,
        city=city,
        district=district,
        address=address,
        masked=True,
    )


def _region(value: Any) -> str | None:
    if isinstance(value, dict):
        return text(value.get("name"))
    return None


def _first(mapping: Mapping[str, Any], keys: Sequence[str]) -> str | None:
    for key in keys:
        value = mapping.get(key)
        if not isinstance(value, bool) and text(value) not in (None, "0"):
            return text(value)
    return None


def _has(mapping: Mapping[str, Any], key: str) -> bool:
    return text(mapping.get(key)) is not None


ADAPTER = Adapter(
    code="douyin",
    normalize=normalize,
    split=split,
    verify_signature=verify_signature,
    webhook_meta=webhook_meta,
)
