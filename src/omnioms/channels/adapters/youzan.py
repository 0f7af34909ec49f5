"""Youzan (有赞) orders: ``youzan.trade.get`` / ``youzan.trades.sold.get`` and the message push.

Accepted shapes: the whole ``youzan.trade.get`` answer (``{"success": true, "data":
{"full_order_info": ..., "refund_order": [...], "delivery_order": [...]}}``, or the older
``{"response": {...}}``), its ``data`` object, the bare ``full_order_info``, and a push whose
``msg`` carries a ``full_order_info``. ``split`` turns a ``youzan.trades.sold.get`` page
(``full_order_info_list``) or a JSON array into one record per order.

Push (message) delivery: ``Event-Sign`` = md5(client_id + raw body + client_secret), lowercase
hex. It needs two values, so each configured secret of the account is the string
``"<client_id>:<client_secret>"`` (split at the first colon). The body is ``{"id": <tid>,
"type": "trade_TradePaid", "msg": "<URL-encoded JSON>", "version": ..., "sendCount": ...,
"test": false, ...}``; ``id`` + ``type`` + ``version`` identify the event across retries
(``sendCount`` counts deliveries), ``test: true`` is the verification ping, and Youzan expects
``{"code":0,"msg":"success"}`` back. A message whose ``msg`` only names the trade cannot become
an order: ``normalize`` says it must be pulled, and :func:`order_ids_to_fetch` lists the
``tid`` values such pushes name. (The push details are unverified; the code is tolerant:
``msg`` may also arrive as plain or already-parsed JSON.)

Decisions where Youzan leaves room:

- Money is yuan strings. Order: ``total`` = ``pay_info.payment``, ``shipping`` =
  ``pay_info.post_fee``, ``discount`` = ``pay_info.total_fee + post_fee − payment`` (every
  discount, coupons and price changes alike; ``total_mismatch()`` then shows any gap between
  the lines and ``total_fee``). Prices include VAT: tax 0, ``taxes_included``.
- Line: ``unit_price`` = ``price``, ``quantity`` = ``num``, ``total`` = the line's ``payment``
  (after its share of discounts), ``discount`` = ``price × num − payment``. ``sku`` =
  ``outer_sku_id``, else ``sku_no``, else None. ``sku_properties_name`` is a JSON list of
  ``{"k": "颜色", "v": "黑色"}`` inside a string; the title becomes ``title [颜色:黑色;尺码:L]``.
  ``is_present`` marks a gift (赠品).
- Shipments: ``delivery_order[]`` lists packages with the ``oids`` they hold. While the trade
  still waits for shipment, some lines in a package -> partially_shipped, all -> shipped.
- Refunds: a successful ``refund_order[]`` entry (``refund_state`` / ``status`` SUCCESS) whose
  ``refund_fee`` covers the payment of the lines it names counts those lines' units as
  refunded (an explicit ``refund_num`` is used when given); a smaller refund changes no
  quantity. A partial refund keeps the status; a trade closed after payment is refunded.
- Status: WAIT_BUYER_PAY -> pending_payment; TRADE_PAID, WAIT_SELLER_SEND_GOODS -> paid (or
  partially_shipped / shipped by packages); WAIT_BUYER_CONFIRM_GOODS -> shipped; TRADE_SUCCESS
  -> completed; TRADE_CLOSE -> refunded when paid, else cancelled.
- Times are naive Beijing time; ``confirm_time`` may be ``""`` (None).
- Personal data arrives encrypted (``$…$1$``): receiver name, phone and street. It stays so:
  ciphertext is never copied into the order nor decrypted here; the order shows ``***`` (or a
  masked form when the payload has one) with ``masked``. The buyer's searchable fields get no
  ciphertext either: ``channel_buyer_id`` = ``yz_open_id``, name = ``fans_nickname`` (HTML
  entities decoded).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import unquote_plus

from pydantic import ValidationError

from omnioms.channels.adapters.base import (
    Adapter,
    AdapterContext,
    NormalizationError,
    Record,
    WebhookMeta,
    error_detail,
    header,
    integer,
    iter_list,
    json_object,
    load_json,
    load_json_text,
    mapped_status,
    money,
    object_or_empty,
    parse_local,
    quantity_of,
    require_filled,
    split_listed,
    text,
    truthy,
)
from omnioms.channels.adapters.chinese import (
    is_cipher,
    md5_key_secret_matches,
    plain,
    shown,
    spec_text,
    title_with_spec,
)
from omnioms.channels.adapters.manual import describe_validation_error
from omnioms.channels.contract import Address, Buyer, Line, NormalizedOrder, Notes
from omnioms.core.choices import OrderStatus

STATUSES: dict[str, OrderStatus] = {
    "WAIT_BUYER_PAY": OrderStatus.PENDING_PAYMENT,
    "TRADE_PAID": OrderStatus.PAID,
    "WAIT_SELLER_SEND_GOODS": OrderStatus.PAID,
    "WAIT_BUYER_CONFIRM_GOODS": OrderStatus.SHIPPED,
    "TRADE_SUCCESS": OrderStatus.COMPLETED,
}
CLOSED = frozenset({"TRADE_CLOSE", "TRADE_CLOSED"})
AWAITING_SHIPMENT = frozenset({"TRADE_PAID", "WAIT_SELLER_SEND_GOODS"})
REFUND_SUCCESS = frozenset({"SUCCESS", "REFUND_SUCCESS"})
SIGNATURE_HEADER = "Event-Sign"
PUSH_RESPONSE = b'{"code":0,"msg":"success"}'


# ----------------------------------------------------------------------------------------------
# Shapes


def _decode_msg(value: Any) -> Any:
    """A push's ``msg``: URL-encoded JSON (or plain JSON text, or already an object)."""
    if not isinstance(value, str):
        return value
    raw = value.strip()
    if not raw.startswith(("{", "[")):
        raw = unquote_plus(raw)
    return load_json_text(raw, "msg")


def _is_push(data: Mapping[str, Any]) -> bool:
    return "msg" in data and ("type" in data or "client_id" in data)


def _refuse_errors(data: Mapping[str, Any]) -> None:
    error = data.get("error_response")
    if isinstance(error, dict):
        detail = error_detail(error, ("code", "msg", "message"))
        raise NormalizationError(f"Youzan answered with an error, not an order: {detail}")
    if data.get("success") is False:
        detail = error_detail(data, ("code", "message", "msg"))
        raise NormalizationError(f"Youzan answered with an error, not an order: {detail}")


def _unwrap(data: Any) -> Any:
    """The object holding ``full_order_info`` (and its refund/delivery lists)."""
    if isinstance(data, dict):
        _refuse_errors(data)
        if _is_push(data):
            return _unwrap(_decode_msg(data["msg"]))
        for key in ("data", "response"):
            inner = data.get(key)
            if isinstance(inner, dict) and "full_order_info" not in data:
                return _unwrap(inner)
    return data


def _listed(data: Any) -> list[Any] | None:
    data = _unwrap(data)
    if isinstance(data, dict) and isinstance(data.get("full_order_info_list"), list):
        return list(data["full_order_info_list"])
    return None


def _trade(data: Any) -> Mapping[str, Any]:
    """The object with ``full_order_info``: the answer's data, a list entry or a push msg."""
    if isinstance(data, dict) and _is_push(data) and not data.get("test"):
        named = _push_order(data)
        inner = _unwrap(data)
        if not (isinstance(inner, dict) and "full_order_info" in inner):
            raise NormalizationError(
                f"the {text(data.get('type')) or 'push'} message names trade {named} but "
                "carries no order; the order must be pulled with youzan.trade.get"
            )
    if isinstance(data, dict) and _is_push(data) and data.get("test"):
        raise NormalizationError("a test push (test: true) carries no order")
    listed = _listed(data)
    if listed is not None:
        if len(listed) != 1:
            raise NormalizationError(
                f"the page holds {len(listed)} trades: import it as a file so that it is split "
                "into one record per trade"
            )
        data = listed[0]
    data = _unwrap(data)
    if not isinstance(data, dict):
        raise NormalizationError("expected a JSON object holding one Youzan trade")
    if "full_order_info" in data:
        return data
    if "order_info" in data:
        return {"full_order_info": data}
    raise NormalizationError("expected a youzan.trade.get answer (no full_order_info)")


def _push_order(data: Mapping[str, Any]) -> str | None:
    inner = _decode_msg(data.get("msg"))
    if isinstance(inner, dict):
        info = _unwrap(inner)
        if isinstance(info, dict) and isinstance(info.get("full_order_info"), dict):
            order_info = info["full_order_info"].get("order_info")
            if isinstance(order_info, dict) and text(order_info.get("tid")):
                return text(order_info.get("tid"))
        if text(inner.get("tid")):
            return text(inner.get("tid"))
    return text(data.get("id"))


def split(raw: bytes, name: str = "") -> Iterator[Record]:
    """One record per trade of a ``youzan.trades.sold.get`` page; else as JSON files."""
    return split_listed(raw, name, _sold_page, noun="trade")


def _sold_page(data: Mapping[str, Any]) -> list[Any] | None:
    if _is_push(data):
        return None
    try:
        return _listed(data)
    except NormalizationError:
        return None  # normalize reports it with its reason


def order_ids_to_fetch(raw: bytes) -> list[str]:
    """The ``tid`` a push names when its ``msg`` does not carry the full order; else ``[]``."""
    data = load_json(Record(raw=raw))
    if not isinstance(data, dict) or not _is_push(data) or data.get("test"):
        return []
    inner = _unwrap(data)
    if isinstance(inner, dict) and "full_order_info" in inner:
        return []
    named = _push_order(data)
    return [named] if named else []


# ----------------------------------------------------------------------------------------------
# Push: signature and metadata


def verify_signature(
    body: bytes, headers: Mapping[str, str], secrets: Sequence[str], url: str = ""
) -> bool:
    """md5(client_id + raw body + client_secret); each secret is ``client_id:client_secret``."""
    return md5_key_secret_matches(body, header(headers, SIGNATURE_HEADER), secrets)


def webhook_meta(body: bytes, headers: Mapping[str, str]) -> WebhookMeta:
    topic = text(header(headers, "Event-Type"))
    data = json_object(body)
    if data is None:
        return WebhookMeta(topic=topic, response=PUSH_RESPONSE)
    kind = text(data.get("type")) or topic
    business_id = text(data.get("id"))
    version = text(data.get("version"))
    event_id = text(data.get("msg_id"))
    if event_id is None and business_id is not None:
        event_id = ":".join(part for part in (kind, business_id, version) if part)
    send_count = text(data.get("sendCount"))
    return WebhookMeta(
        event_id=event_id,
        delivery_id=f"{event_id}#{send_count}" if event_id and send_count else None,
        topic=kind,
        is_ping=data.get("test") is True or text(data.get("test")) == "true",
        response=PUSH_RESPONSE,
    )


# ----------------------------------------------------------------------------------------------
# Normalising


def normalize(record: Record, context: AdapterContext) -> NormalizedOrder:
    trade = _trade(load_json(record))
    full = object_or_empty(trade.get("full_order_info"), "full_order_info")
    info = object_or_empty(full.get("order_info"), "order_info")
    zone = context.time_zone

    external_id = text(info.get("tid"))
    if external_id is None:
        raise NormalizationError("is missing", field="order_info.tid")
    raw_status = text(info.get("status"))
    if raw_status is None:
        raise NormalizationError("is missing", field="order_info.status")
    paid_at = parse_local(info.get("pay_time"), "order_info.pay_time", zone)

    items = [
        object_or_empty(item, f"line {index}")
        for index, item in enumerate(iter_list(full.get("orders"), "orders"), start=1)
    ]
    closed_after_payment = raw_status in CLOSED and paid_at is not None
    refunded = _refunded_units(trade, items)
    lines = [
        _line(item, index, refunded, all_refunded=closed_after_payment)
        for index, item in enumerate(items, start=1)
    ]
    status = _status(raw_status, paid=paid_at is not None, shipped=_shipped(trade, items))

    pay = object_or_empty(full.get("pay_info"), "pay_info")
    payment = money(require_filled(pay, "payment", "pay_info."), "pay_info.payment")
    post_fee = money(pay.get("post_fee"), "pay_info.post_fee")
    if text(pay.get("total_fee")) is not None:
        goods = money(pay["total_fee"], "pay_info.total_fee")
    else:
        goods = sum((line.unit_price * line.quantity for line in lines), Decimal("0.00"))
    remark = object_or_empty(full.get("remark_info"), "remark_info")

    try:
        return NormalizedOrder(
            channel="youzan",
            external_id=external_id,
            status=status,
            raw_status=raw_status,
            currency=context.currency,
            created_at=parse_local(info.get("created"), "order_info.created", zone),
            paid_at=paid_at,
            updated_at=parse_local(info.get("update_time"), "order_info.update_time", zone),
            shipped_at=parse_local(info.get("consign_time"), "order_info.consign_time", zone),
            buyer=_buyer(full),
            ship_to=_ship_to(full),
            lines=lines,
            shipping=post_fee,
            discount=goods + post_fee - payment,
            tax=Decimal("0.00"),
            taxes_included=True,
            total=payment,
            notes=Notes(
                buyer=text(remark.get("buyer_message")), seller=text(remark.get("trade_memo"))
            ),
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc)) from exc


def _status(raw_status: str, *, paid: bool, shipped: tuple[int, int]) -> OrderStatus:
    if raw_status in CLOSED:
        return OrderStatus.REFUNDED if paid else OrderStatus.CANCELLED
    status = mapped_status(STATUSES, raw_status, "order_info.status")
    in_packages, shippable = shipped
    if raw_status in AWAITING_SHIPMENT and in_packages:
        return OrderStatus.SHIPPED if in_packages >= shippable else OrderStatus.PARTIALLY_SHIPPED
    return status


def _oids(entry: Mapping[str, Any], field: str) -> list[str]:
    """The ``oids`` a package or refund names: ``[{"oid": ...}]``, ``["..."]`` or ``oid``."""
    found: list[str] = []
    for item in iter_list(entry.get("oids"), f"{field}.oids"):
        oid = text(item.get("oid")) if isinstance(item, dict) else text(item)
        if oid:
            found.append(oid)
    if not found and text(entry.get("oid")):
        found.append(str(text(entry.get("oid"))))
    return found


def _shipped(trade: Mapping[str, Any], items: list[Mapping[str, Any]]) -> tuple[int, int]:
    """How many of the trade's lines sit in a shipped package, and how many lines there are."""
    shipped: set[str] = set()
    for number, entry in enumerate(
        iter_list(trade.get("delivery_order"), "delivery_order"), start=1
    ):
        package = object_or_empty(entry, f"delivery_order {number}")
        state = package.get("express_state")
        if state is not None and integer(state, f"delivery_order {number}.express_state") == 0:
            continue  # a package created but not handed to the carrier
        shipped.update(_oids(package, f"delivery_order {number}"))
    oids = {text(item.get("oid")) for item in items} - {None}
    return len(oids & shipped), len(oids)


def _refunded_units(trade: Mapping[str, Any], items: list[Mapping[str, Any]]) -> dict[str, int]:
    by_oid = {str(text(item.get("oid"))): item for item in items if text(item.get("oid"))}
    units: dict[str, int] = {}
    for number, entry in enumerate(iter_list(trade.get("refund_order"), "refund_order"), 1):
        where = f"refund_order {number}"
        refund = object_or_empty(entry, where)
        state = text(refund.get("refund_state")) or text(refund.get("status"))
        if (state or "").upper() not in REFUND_SUCCESS:
            continue
        oids = [oid for oid in _oids(refund, where) if oid in by_oid]
        if not oids:
            continue
        if len(oids) == 1 and text(refund.get("refund_num")) is not None:
            units[oids[0]] = units.get(oids[0], 0) + integer(
                refund["refund_num"], f"{where}.refund_num"
            )
            continue
        fee = money(refund.get("refund_fee"), f"{where}.refund_fee")
        paid = sum((_line_payment(by_oid[oid], where) for oid in oids), Decimal("0"))
        if fee >= paid:
            for oid in oids:
                units[oid] = _quantity(by_oid[oid], f"{where}: line")
    return units


def _line_payment(item: Mapping[str, Any], where: str) -> Decimal:
    if text(item.get("payment")) is not None:
        return money(item["payment"], f"{where}: payment")
    return money(item.get("price"), f"{where}: price") * _quantity(item, where)


def _quantity(item: Mapping[str, Any], where: str) -> int:
    return quantity_of(require_filled(item, "num", where), f"{where}num")


def _line(
    item: Mapping[str, Any], index: int, refunded: Mapping[str, int], *, all_refunded: bool
) -> Line:
    where = f"line {index}: "
    quantity = _quantity(item, where)
    price = money(require_filled(item, "price", where), f"{where}price")
    if text(item.get("payment")) is not None:
        total = money(item["payment"], f"{where}payment")
    else:
        total = price * quantity
    oid = text(item.get("oid"))
    refunded_quantity = quantity if all_refunded else min(refunded.get(oid or "", 0), quantity)
    spec = _spec(item.get("sku_properties_name"), f"{where}sku_properties_name")
    try:
        return Line(
            external_line_id=oid,
            sku=text(item.get("outer_sku_id")) or text(item.get("sku_no")),
            title=title_with_spec(item.get("title"), spec),
            quantity=quantity,
            unit_price=price,
            discount=price * quantity - total,
            total=total,
            is_gift=truthy(item.get("is_present")),
            refunded_quantity=refunded_quantity,
        )
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc), field=f"line {index}") from exc


def _spec(value: Any, field: str) -> str | None:
    """``[{"k": "颜色", "v": "黑色"}, ...]`` (a JSON string or list) as ``颜色:黑色;...``; plain
    ``颜色:黑色;尺码:L`` text is kept as it is."""
    if isinstance(value, str):
        raw = value.strip()
        if not raw:
            return None
        if not raw.startswith("["):
            return raw
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise NormalizationError(f"not valid JSON ({exc})", field=field) from exc
    return spec_text(value, field, "k", "v")


# ----------------------------------------------------------------------------------------------
# People


def _receiver(mapping: Mapping[str, Any], key: str) -> tuple[str | None, bool]:
    """A masked form of the field when the payload has one, else what may be :func:`shown`."""
    for masked_key in (f"{key}_mask", f"mask_{key}", f"{key}_desensitized"):
        masked = plain(mapping.get(masked_key))
        if masked is not None:
            return masked, True
    return shown(mapping.get(key))


def _buyer(full: Mapping[str, Any]) -> Buyer:
    buyer = object_or_empty(full.get("buyer_info"), "buyer_info")
    phone = text(buyer.get("buyer_phone"))
    nickname = plain(buyer.get("fans_nickname"))
    return Buyer(
        name=None if nickname is None else html.unescape(nickname),
        phone=None if phone is None or is_cipher(phone) or "*" in phone else phone,
        channel_buyer_id=text(buyer.get("yz_open_id")) or text(buyer.get("outer_user_id")),
    )


def _ship_to(full: Mapping[str, Any]) -> Address | None:
    address = object_or_empty(full.get("address_info"), "address_info")
    name, name_hidden = _receiver(address, "receiver_name")
    phone, phone_hidden = _receiver(address, "receiver_tel")
    street, street_hidden = _receiver(address, "delivery_address")
    province = text(address.get("delivery_province"))
    city = text(address.get("delivery_city"))
    district = text(address.get("delivery_district"))
    if not any((name, phone, street, province, city, district)):
        return None  # picked up in store, or a virtual good
    postal_code = text(address.get("delivery_postal_code"))
    return Address(
        name=name,
        phone=phone,
        country="CN",
        province=province,
        city=city,
        district=district,
        address=street,
        postal_code=None if postal_code == "000000" else postal_code,
        masked=name_hidden or phone_hidden or street_hidden,
    )


ADAPTER = Adapter(
    code="youzan",
    normalize=normalize,
    split=split,
    verify_signature=verify_signature,
    webhook_meta=webhook_meta,
)
