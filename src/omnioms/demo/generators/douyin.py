"""Douyin shop (抖店): message pushes carrying the ``order.orderDetail`` of the order.

A push body is a JSON array of messages ``{"tag", "msg_id", "data"}`` where ``data`` is a JSON
string; the relay in front of omnioms puts the order's full ``shop_order_detail`` into it, as
the adapter expects. Headers ``app-id`` and ``event-sign = md5(app_key + body + app_secret)``;
the account secret is ``"app_key:app_secret"``. Money is integer fen, times Unix seconds.

Business: live streams on Tuesday, Friday and Sunday evenings bring most orders, with an extra
streamer discount (``promotion_talent_amount``) and a free pair of socks (``FREE`` line) for
bigger baskets. The T-shirt 3-pack is a combination SKU listing its parts in
``bundle_sku_info``.

Deliberately bad or odd deliveries, all in the last days so that any span shows them: one
order whose relay wrote a price as ``"79.00元"`` instead of fen (dead-lettered on every
delivery), one bare message that names an order without its detail (dead-lettered: the detail
must be fetched), one shipped push that overtakes the paid push, one repeated push.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from omnioms.demo.catalog import BY_CODE, GIFT, DemoSku
from omnioms.demo.generators.common import (
    BEIJING,
    ONLINE_HOURS,
    Demand,
    Lifecycle,
    Regulars,
    Rules,
    Webhook,
    allocate,
    basket,
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

ACCOUNT = "douyin-shop"
SHOP_ID = 5120387
SHOP_NAME = "青禾服饰官方旗舰店"
LIVE_DAYS = (1, 4, 6)
"""Tuesday, Friday and Sunday: live-stream evenings."""
DEMAND = Demand(
    per_day=2.4,
    weekdays=(1.0, 1.9, 1.0, 1.0, 1.9, 1.1, 1.9),
    hours=tuple(w * (3 if 19 <= h <= 23 else 1) for h, w in enumerate(ONLINE_HOURS)),
    festival=cn_online_festival,
)
RULES = Rules(
    unpaid=0.09,
    close_unpaid_after=timedelta(minutes=30),
    slow_pay=0.0,
    refund_before_ship=0.04,
    partial_refund=0.08,
    completes_after=(4, 12),
)
TAGS = {
    "created": "100",
    "paid": "101",
    "shipped": "102",
    "completed": "103",
    "closed": "106",
    "refunded": "206",
    "line_refunded": "206",
}
"""Douyin's trade message numbers; the adapter tells only the ping (tag 0) apart."""
STATUS_TEXT = {
    1: "待支付",
    2: "待发货",
    3: "已发货",
    4: "已关闭",
    5: "已完成",
    21: "发货前退款完结",
    22: "发货后退款完结",
}
OPEN_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
LUCKY_BAG = "青禾 直播间福袋 随机款纯棉T恤"
"""Sold in live streams without a merchant code: the line arrives without SKU."""
BAD_AMOUNT = "79.00元"


@dataclass(frozen=True)
class _Buyer:
    open_id: str
    person: CnPerson


@dataclass(frozen=True)
class _Line:
    sku: DemoSku | None
    quantity: int
    unit_fen: int
    promotion_fen: int = 0
    gift: bool = False

    @property
    def sum_fen(self) -> int:
        return self.unit_fen * self.quantity


@dataclass(frozen=True)
class _Order:
    order_id: int
    buyer: _Buyer
    lines: tuple[_Line, ...]
    promotions: tuple[int, int, int]
    """Shop, platform and streamer discounts in fen."""
    post_fen: int
    life: Lifecycle
    b_type: int
    bad_amount: bool = False


def generate(rng: random.Random, *, now: datetime, days: int, secret: str) -> list[Webhook]:
    """Every push of the Douyin shop over the ``days`` ending at ``now``."""
    app_key, _, app_secret = secret.partition(":")
    orders = plan(rng, now=now, days=days)
    recent = [i for i, order in enumerate(orders) if order.life.created >= now - timedelta(days=4)]
    if recent:
        bad = rng.choice(recent)
        orders[bad] = replace(orders[bad], bad_amount=True)
    deliveries: list[Webhook] = []
    odd: dict[str, Webhook] = {}
    for order in orders:
        sent = [
            _push(rng, order, stage, moment, app_key, app_secret)
            for stage, moment in stages_to_send(rng, order.life, now=now)
        ]
        stages = [stage for stage, _ in order.life.stages(now)]
        if order.life.created >= now - timedelta(days=4) and not order.bad_amount:
            if "bare" not in odd and stages[:2] == ["created", "paid"]:
                odd["bare"] = sent[1] = _bare_push(rng, order, sent[1], app_key, app_secret)
            elif "late" not in odd and stages[:3] == ["created", "paid", "shipped"]:
                # The paid push is delayed past the shipped one: it arrives stale.
                odd["late"] = sent[1] = replace(sent[1], at=sent[2].at + timedelta(seconds=30))
        deliveries += sent
    if recent:
        deliveries.append(retried(deliveries[-1], after=timedelta(seconds=6)))
    return deliveries


def plan(rng: random.Random, *, now: datetime, days: int) -> list[_Order]:
    used: set[int] = set()
    buyers = Regulars(make=_new_buyer, repeat=0.18)
    orders = []
    for created in order_times(rng, DEMAND, zone=BEIJING, now=now, days=days):
        local = created.astimezone(BEIJING)
        live = local.weekday() in LIVE_DAYS and local.hour >= 19
        lines = [_Line(p.sku, p.quantity, _fen(p.sku.price)) for p in basket(rng, local.date())]
        if live and rng.random() < 0.04:
            lines.append(_Line(None, 1, 9900))
        goods = sum(line.sum_fen for line in lines)
        shop = 2000 if goods >= 19900 and rng.random() < 0.5 else 0
        platform = rng.choice((500, 800, 1000)) if rng.random() < 0.3 else 0
        talent = 1000 if live and rng.random() < 0.4 else 0
        total = Decimal(shop + platform + talent) / 100
        shares = allocate(total, [Decimal(line.sum_fen) for line in lines])
        lines = [
            replace(line, promotion_fen=int(share * 100))
            for line, share in zip(lines, shares, strict=True)
        ]
        if live and goods >= 19900 and rng.random() < 0.4:
            lines.append(_Line(GIFT, 1, 0, gift=True))
        buyer = buyers.next(rng)
        life = make_lifecycle(rng, created, RULES, refundable_lines=len(lines) > 1)
        orders.append(
            _Order(
                order_id=unique_number(rng, 69 * 10**17, 70 * 10**17, used),
                buyer=buyer,
                lines=tuple(lines),
                promotions=(shop, platform, talent),
                post_fen=1000 if buyer.person.region.remote else 0,
                life=life,
                b_type=2 if rng.random() < 0.85 else 11,
            )
        )
    return orders


def _fen(amount: Decimal) -> int:
    return int(amount * 100)


def _new_buyer(rng: random.Random) -> _Buyer:
    return _Buyer("1@#" + token(rng, 44, OPEN_ID_ALPHABET) + "=", cn_person(rng))


# ----------------------------------------------------------------------------------------------
# Rendering


def main_status(life: Lifecycle, as_of: datetime) -> int:
    if life.reached("closed", as_of):
        return 4
    if life.reached("refunded", as_of):
        return 21
    if life.reached("completed", as_of):
        return 5
    if life.reached("shipped", as_of):
        return 3
    if life.reached("paid", as_of):
        return 2
    return 1


def _unix(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0


def order_detail(order: _Order, *, as_of: datetime) -> dict[str, Any]:
    """The ``shop_order_detail`` of ``order`` as it stood at ``as_of``."""
    life, person = order.life, order.buyer.person
    status = main_status(life, as_of)
    line_refund = life.reached("line_refunded", as_of)
    subs = []
    for index, line in enumerate(order.lines):
        sub_id = _sub_id(order, index)
        sub_status = 22 if line_refund and index == 0 else status
        subs.append(
            _sub_order(order, line, sub_id, sub_status, bad=order.bad_amount and index == 0)
        )
    goods = sum(line.sum_fen for line in order.lines)
    promotion = sum(order.promotions)
    region = person.region
    address = {
        "province": {"name": region.province, "id": region.codes[0]},
        "city": {"name": region.city, "id": region.codes[1]},
        "town": {"name": region.district, "id": region.codes[2]},
        "street": {"name": region.street, "id": region.codes[2] + "001"},
    }
    cipher = "#" + hashlib.sha256(f"{order.order_id}".encode()).hexdigest()[:24] + "#1##"
    return {
        "order_id": str(order.order_id),
        "order_level": 2,
        "shop_id": SHOP_ID,
        "shop_name": SHOP_NAME,
        "doudian_open_id": order.buyer.open_id,
        "b_type": order.b_type,
        "b_type_desc": "抖音" if order.b_type == 2 else "抖音极速版",
        "order_status": status,
        "order_status_desc": STATUS_TEXT[status],
        "main_status": status,
        "main_status_desc": STATUS_TEXT[status],
        "create_time": _unix(life.created),
        "pay_time": _unix(life.paid) if life.reached("paid", as_of) else 0,
        "exp_ship_time": _unix(life.paid + timedelta(hours=48)) if life.paid else 0,
        "ship_time": _unix(life.shipped) if life.reached("shipped", as_of) else 0,
        "finish_time": _unix(life.completed) if life.reached("completed", as_of) else 0,
        "update_time": _unix(as_of),
        "order_amount": goods + order.post_fen,
        "pay_amount": goods + order.post_fen - promotion,
        "post_amount": order.post_fen,
        "modify_amount": 0,
        "promotion_amount": promotion,
        "promotion_shop_amount": order.promotions[0],
        "promotion_platform_amount": order.promotions[1],
        "promotion_talent_amount": order.promotions[2],
        "promotion_pay_amount": 0,
        "tax_amount": 0,
        "buyer_words": "",
        "seller_words": "未发货，买家申请退款已同意" if status == 21 else "",
        "cancel_reason": "超时未支付" if status == 4 else "",
        "mask_post_receiver": person.masked_name,
        "mask_post_tel": person.masked_mobile,
        "encrypt_post_receiver": "~" + cipher[1:-4] + "~1~",
        "encrypt_post_tel": "$" + cipher[1:-4] + "$1$$",
        "post_addr": {**address, "detail": cipher, "encrypt_detail": cipher},
        "mask_post_addr": {**address, "detail": person.masked_address},
        "sku_order_list": subs,
    }


def _sub_id(order: _Order, index: int) -> int:
    """A single sub-order shares its parent's id; several are numbered after it."""
    return order.order_id if len(order.lines) == 1 else order.order_id + index + 1


def _sub_order(
    order: _Order, line: _Line, sub_id: int, status: int, *, bad: bool
) -> dict[str, Any]:
    sku = line.sku
    refunded = status in (21, 22)
    result: dict[str, Any] = {
        "order_id": str(sub_id),
        "parent_order_id": str(order.order_id),
        "order_level": 3,
        "product_id_str": str(3651287730000000000 + (sku.style.item_id % 10**6 if sku else 0)),
        "product_name": (sku.style.listing if sku else LUCKY_BAG),
        "sku_id": 1768120000000000 + (sku.index * 101 if sku else 99999),
        "spec": [{"name": "颜色", "value": sku.colour}, {"name": "尺码", "value": sku.size}]
        if sku
        else [{"name": "款式", "value": "随机"}],
        "code": sku.code if sku else "",
        "out_sku_id": "",
        "item_num": line.quantity,
        "origin_amount": BAD_AMOUNT if bad else line.unit_fen,
        "sum_amount": line.sum_fen,
        "pay_amount": line.sum_fen - line.promotion_fen,
        "promotion_amount": line.promotion_fen,
        "tax_amount": 0,
        "given_product_type": "FREE" if line.gift else "MASTER",
        "order_status": 4 if refunded else status,
        "main_status": status,
        "main_status_desc": STATUS_TEXT[status],
        "after_sale_info": {
            "after_sale_status": 12 if refunded else 0,
            "after_sale_type": 2 if refunded else 0,
            "refund_status": 3 if refunded else 0,
        },
        "bundle_sku_info": [],
    }
    if sku and sku.components:
        result["bundle_sku_info"] = [
            {
                "product_id": str(3651287730000000000 + BY_CODE[code].style.item_id % 10**6),
                "sku_id": str(1768120000000000 + BY_CODE[code].index * 101),
                "product_name": BY_CODE[code].name,
                "item_num": quantity,
                "code": code,
            }
            for code, quantity in sku.components
        ]
    return result


def _message_id(rng: random.Random, tag: str, moment: datetime, order_id: int) -> str:
    return f"{rng.randrange(10**18, 10**19)}:0:{tag}:{_unix(moment)}:{SHOP_ID}:{order_id}"


def _signed(body: bytes, at: datetime, app_key: str, app_secret: str) -> Webhook:
    sign = hashlib.md5(app_key.encode() + body + app_secret.encode(), usedforsecurity=False)
    headers = {
        "Content-Type": "application/json",
        "app-id": app_key,
        "event-sign": sign.hexdigest(),
    }
    return Webhook(account=ACCOUNT, at=at, body=body, headers=headers)


def _push(
    rng: random.Random, order: _Order, stage: str, moment: datetime, app_key: str, app_secret: str
) -> Webhook:
    tag = TAGS[stage]
    detail = {"shop_order_detail": order_detail(order, as_of=moment)}
    message = {
        "tag": tag,
        "msg_id": _message_id(rng, tag, moment, order.order_id),
        "data": json.dumps(detail, ensure_ascii=False, separators=(",", ":")),
    }
    at = moment + timedelta(seconds=rng.randrange(1, 20))
    return _signed(compact_json([message]), at, app_key, app_secret)


def _bare_push(
    rng: random.Random, order: _Order, replaces: Webhook, app_key: str, app_secret: str
) -> Webhook:
    """The paid message as Douyin itself sends it: ids only, which the relay failed to enrich."""
    life = order.life
    data = {
        "biz": 2,
        "create_time": _unix(life.created),
        "order_status": 2,
        "order_type": 0,
        "p_id": order.order_id,
        "pay_amount": sum(line.sum_fen - line.promotion_fen for line in order.lines),
        "pay_time": _unix(life.paid),
        "pay_type": 1,
        "s_ids": [_sub_id(order, index) for index in range(len(order.lines))],
        "shop_id": SHOP_ID,
        "update_time": _unix(life.paid),
    }
    message = {
        "tag": "101",
        "msg_id": _message_id(rng, "101", replaces.at, order.order_id),
        "data": json.dumps(data, separators=(",", ":")),
    }
    return _signed(compact_json([message]), replaces.at, app_key, app_secret)
