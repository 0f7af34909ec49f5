"""Tmall flagship store: ``taobao.trade.fullinfo.get`` answers, as a TMC relay posts them.

Taobao pushes TMC messages (``taobao_trade_TradeBuyerPay`` ...) that name a trade; the relay in
front of omnioms fetches the trade with ``taobao.trade.fullinfo.get`` and posts the whole
answer, signed with omnioms' generic ``X-Omnioms-Signature`` and the TMC message id as
``X-Omnioms-Event-Id``. So every status change is one delivery of the complete trade with a
newer ``modified`` time. Times are naive Beijing time, money yuan strings, ids 19 digits.

Prices: the listing price, 10% off during festival weeks (the line's ``discount_fee``), and a
shop coupon (满199减20, 满299减30) shared out over the lines as ``part_mjz_discount``;
``divide_order_fee`` is what each line finally costs, and ``payment`` their sum plus postage.
Orders of 299 yuan or more get free socks as a gift line priced 0.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from omnioms.channels.adapters.base import GENERIC_SIGNATURE_HEADER, hmac_sha256_base64
from omnioms.demo.catalog import GIFT, TEE, DemoSku
from omnioms.demo.generators.common import (
    BEIJING,
    ONLINE_HOURS,
    ZERO,
    Demand,
    Lifecycle,
    Regulars,
    Rules,
    Webhook,
    allocate,
    basket,
    cents,
    cn_online_festival,
    compact_json,
    make_lifecycle,
    order_times,
    retried,
    stages_to_send,
    token,
    unique_number,
)
from omnioms.demo.generators.people import CnPerson, cn_person

ACCOUNT = "tmall-flagship"
SELLER_NICK = "青禾服饰旗舰店"
DEMAND = Demand(
    per_day=4.3,
    weekdays=(1.0, 0.95, 0.95, 1.0, 1.05, 1.15, 1.2),
    hours=ONLINE_HOURS,
    festival=cn_online_festival,
)
RULES = Rules(
    unpaid=0.06,
    close_unpaid_after=timedelta(hours=24),
    slow_pay=0.05,
    refund_before_ship=0.025,
    partial_refund=0.08,
    completes_after=(3, 10),
)
TOPICS = {
    "created": "taobao_trade_TradeCreate",
    "paid": "taobao_trade_TradeBuyerPay",
    "closed": "taobao_trade_TradeClose",
    "shipped": "taobao_trade_TradeSellerShip",
    "line_refunded": "taobao_refund_RefundSuccess",
    "refunded": "taobao_refund_RefundSuccess",
    "completed": "taobao_trade_TradeSuccess",
}
CARRIERS = ("中通快递", "圆通速递", "韵达快递", "顺丰速运")
MESSAGES = ("请发顺丰，谢谢", "尽快发货", "送人的，不要放价格单", "周末配送", "尺码偏大吗？按L发")
OPEN_UID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
CUSTOM_TITLE = "青禾 定制刺绣T恤 可绣名字 纯棉"
"""A made-to-order line that has no merchant SKU code on the listing."""


@dataclass(frozen=True)
class _Buyer:
    nick: str
    open_uid: str
    person: CnPerson


@dataclass(frozen=True)
class _Line:
    oid: int
    sku_code: str | None
    outer_iid: str | None
    title: str
    spec: str
    num_iid: int
    sku_id: str
    quantity: int
    price: Decimal
    discount: Decimal
    """Item promotion on this line (its ``discount_fee``)."""
    coupon_share: Decimal = ZERO
    """This line's part of the shop coupon (``part_mjz_discount``)."""

    @property
    def total_fee(self) -> Decimal:
        return self.price * self.quantity - self.discount

    @property
    def divide_order_fee(self) -> Decimal:
        return self.total_fee - self.coupon_share


@dataclass(frozen=True)
class _Trade:
    tid: int
    buyer: _Buyer
    lines: tuple[_Line, ...]
    coupon: Decimal
    post_fee: Decimal
    life: Lifecycle
    message: str | None
    carrier: str
    waybill: str
    festival: bool


def generate(rng: random.Random, *, now: datetime, days: int, secret: str) -> list[Webhook]:
    """Every delivery of the Tmall store's trades over the ``days`` ending at ``now``."""
    trades = plan(rng, now=now, days=days)
    deliveries: list[Webhook] = []
    for trade in trades:
        for stage, moment in stages_to_send(rng, trade.life, now=now):
            deliveries.append(_delivery(rng, trade, stage, moment, secret))
    recent = [d for d in deliveries if d.at >= now - timedelta(days=5)]
    if recent:
        # TMC redelivers a message whose acknowledgement got lost; the relay posts it again.
        deliveries.append(retried(rng.choice(recent), after=timedelta(seconds=95)))
    return deliveries


def plan(rng: random.Random, *, now: datetime, days: int) -> list[_Trade]:
    used: set[int] = set()
    buyers = Regulars(make=_new_buyer, repeat=0.22)
    trades = []
    for created in order_times(rng, DEMAND, zone=BEIJING, now=now, days=days):
        day = created.astimezone(BEIJING).date()
        festival = cn_online_festival(day) > 1
        lines = [_line(rng, pick.sku, pick.quantity, used, festival) for pick in basket(rng, day)]
        if rng.random() < 0.015:
            lines.append(_custom_line(rng, used))
        goods = sum((line.total_fee for line in lines), ZERO)
        coupon = ZERO
        if rng.random() < 0.6:
            coupon = (
                Decimal("30.00") if goods >= 299 else Decimal("20.00") if goods >= 199 else ZERO
            )
        shares = allocate(coupon, [line.total_fee for line in lines])
        lines = [
            replace(line, coupon_share=share) for line, share in zip(lines, shares, strict=True)
        ]
        if goods >= 299:
            lines.append(_line(rng, GIFT, 1, used, festival=False, gift=True))
        buyer = buyers.next(rng)
        paid_lines = sum(1 for line in lines if line.price)
        life = make_lifecycle(rng, created, RULES, refundable_lines=paid_lines > 1)
        trades.append(
            _Trade(
                tid=unique_number(rng, 10**18 * 3, 10**18 * 5, used),
                buyer=buyer,
                lines=tuple(lines),
                coupon=coupon,
                post_fee=Decimal("12.00") if buyer.person.region.remote else ZERO,
                life=life,
                message=rng.choice(MESSAGES) if rng.random() < 0.15 else None,
                carrier=rng.choice(CARRIERS),
                waybill=str(rng.randrange(7 * 10**13, 8 * 10**13)),
                festival=festival,
            )
        )
    return trades


def _new_buyer(rng: random.Random) -> _Buyer:
    nick = rng.choice("tjlxyzwq") + "**" + str(rng.randrange(10))
    return _Buyer(nick, "AA" + token(rng, 22, OPEN_UID_ALPHABET), cn_person(rng))


def _line(
    rng: random.Random,
    sku: DemoSku,
    quantity: int,
    used: set[int],
    festival: bool,
    gift: bool = False,
) -> _Line:
    price = ZERO if gift else sku.price
    discount = cents(price * quantity * Decimal("0.10")) if festival else ZERO
    title = f"【赠品】{sku.style.listing}" if gift else sku.style.listing
    return _Line(
        oid=unique_number(rng, 10**18 * 3, 10**18 * 5, used),
        sku_code=sku.code,
        outer_iid=sku.style.code,
        title=title,
        spec=f"颜色分类:{sku.colour};尺码:{sku.size}",
        num_iid=sku.style.item_id,
        sku_id=str(5123478820000 + sku.index * 17),
        quantity=quantity,
        price=price,
        discount=discount,
    )


def _custom_line(rng: random.Random, used: set[int]) -> _Line:
    return _Line(
        oid=unique_number(rng, 10**18 * 3, 10**18 * 5, used),
        sku_code=None,
        outer_iid=None,
        title=CUSTOM_TITLE,
        spec="",
        num_iid=TEE.item_id + 900,
        sku_id="",
        quantity=1,
        price=Decimal("129.00"),
        discount=ZERO,
    )


# ----------------------------------------------------------------------------------------------
# Rendering one version of a trade


def _delivery(
    rng: random.Random, trade: _Trade, stage: str, moment: datetime, secret: str
) -> Webhook:
    body = compact_json(
        trade_json(
            trade, as_of=moment, request_id=token(rng, 12, "0123456789abcdefghijklmnopqrstuvwxyz")
        )
    )
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Omnioms-Event-Id": f"tmc-{rng.randrange(10**18, 10**19)}",
        "X-Omnioms-Topic": TOPICS[stage],
        GENERIC_SIGNATURE_HEADER: hmac_sha256_base64(secret, body),
    }
    at = moment + timedelta(seconds=rng.randrange(2, 40))
    return Webhook(account=ACCOUNT, at=at, body=body, headers=headers)


def status(life: Lifecycle, as_of: datetime) -> str:
    if life.reached("closed", as_of):
        return "TRADE_CLOSED_BY_TAOBAO"
    if life.reached("refunded", as_of):
        return "TRADE_CLOSED"
    if life.reached("completed", as_of):
        return "TRADE_FINISHED"
    if life.reached("shipped", as_of):
        return "WAIT_BUYER_CONFIRM_GOODS"
    if life.reached("paid", as_of):
        return "WAIT_SELLER_SEND_GOODS"
    return "WAIT_BUYER_PAY"


def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") if moment else None


def _promotions(trade: _Trade) -> list[dict[str, Any]]:
    """The festival price cut and the shop coupon, as TOP lists them on the trade."""
    promotions: list[dict[str, Any]] = []
    if trade.festival:
        promotions.append(
            {
                "id": trade.tid,
                "promotion_name": "店铺大促",
                "promotion_id": "Tmall$tspAll-58401",
                "promotion_desc": "大促9折",
                "discount_fee": str(sum((x.discount for x in trade.lines), ZERO)),
            }
        )
    if trade.coupon:
        promotions.append(
            {
                "id": trade.tid + 1,
                "promotion_name": "店铺优惠券",
                "promotion_id": "shopbonus-34251876_1209933001",
                "promotion_desc": f"满{'299' if trade.coupon == 30 else '199'}减{trade.coupon:.0f}",
                "discount_fee": str(trade.coupon),
            }
        )
    return promotions


def trade_json(trade: _Trade, *, as_of: datetime, request_id: str) -> dict[str, Any]:
    """The ``taobao.trade.fullinfo.get`` answer for ``trade`` as it stood at ``as_of``."""
    life = trade.life
    trade_status = status(life, as_of)
    shipped = life.reached("shipped", as_of)
    line_refund = life.reached("line_refunded", as_of)
    whole_refund = trade_status == "TRADE_CLOSED"
    payment = sum((line.divide_order_fee for line in trade.lines), ZERO) + trade.post_fee
    person = trade.buyer.person
    memo = None
    if whole_refund:
        memo = "买家申请退款，未发货，已同意"
    elif line_refund:
        memo = "尺码不合适，退回一件，已退款"
    orders = []
    for index, line in enumerate(trade.lines):
        refunded = whole_refund or (line_refund and index == 0)
        order: dict[str, Any] = {
            "oid": line.oid,
            "oid_str": str(line.oid),
            "num_iid": line.num_iid,
            "sku_id": line.sku_id,
            "title": line.title,
            "sku_properties_name": line.spec,
            "num": line.quantity,
            "price": str(line.price),
            "total_fee": str(line.total_fee),
            "payment": str(line.total_fee),
            "discount_fee": str(line.discount),
            "adjust_fee": "0.00",
            "part_mjz_discount": str(line.coupon_share),
            "divide_order_fee": str(line.divide_order_fee),
            "status": "TRADE_CLOSED" if refunded else trade_status,
            "refund_status": "SUCCESS" if refunded else "NO_REFUND",
            "seller_type": "B",
            "cid": 50000436,
            "is_oversold": False,
        }
        if line.sku_code:
            order["outer_iid"] = line.outer_iid
            order["outer_sku_id"] = line.sku_code
        if shipped:
            order["logistics_company"] = trade.carrier
            order["invoice_no"] = trade.waybill
        orders.append(order)
    end = life.closed or life.refunded or life.completed
    body: dict[str, Any] = {
        "tid": trade.tid,
        "tid_str": str(trade.tid),
        "status": trade_status,
        "type": "fixed",
        "trade_from": "WAP,WAP",
        "seller_nick": SELLER_NICK,
        "buyer_nick": trade.buyer.nick,
        "buyer_open_uid": trade.buyer.open_uid,
        "created": _time(life.created),
        "modified": _time(as_of),
        "total_fee": str(sum((line.price * line.quantity for line in trade.lines), ZERO)),
        "post_fee": str(trade.post_fee),
        "discount_fee": str(trade.coupon),
        "adjust_fee": "0.00",
        "payment": str(payment),
        "receiver_name": person.masked_name,
        "receiver_mobile": person.masked_mobile,
        "receiver_state": person.region.province,
        "receiver_city": person.region.city,
        "receiver_district": person.region.district,
        "receiver_town": person.region.street,
        "receiver_address": f"{person.region.street}{person.masked_address}",
        "receiver_zip": person.region.postal_code,
        "buyer_message": trade.message or "",
        "seller_memo": memo or "",
        "shipping_type": "express",
        "promotion_details": {"promotion_detail": _promotions(trade)},
        "orders": {"order": orders},
    }
    if life.reached("paid", as_of):
        body["pay_time"] = _time(life.paid)
    if shipped:
        body["consign_time"] = _time(life.shipped)
    if end is not None and end <= as_of:
        body["end_time"] = _time(end)
    return {"trade_fullinfo_get_response": {"trade": body, "request_id": request_id}}
