"""Shopify shop for customers abroad: ``orders/*`` webhooks with the REST order as body.

Shop currency USD, shop time zone America/Los_Angeles (times carry its offset). Headers as
Shopify sends them: ``X-Shopify-Hmac-Sha256`` (base64 HMAC-SHA256 of the body with the app
secret), ``X-Shopify-Topic``, ``X-Shopify-Event-Id`` (the same on every retry),
``X-Shopify-Webhook-Id``, ``X-Shopify-Triggered-At``. Goods ship from the Hangzhou warehouse;
US orders carry sales tax on top (``taxes_included`` false), other countries none. Shopify has
no "completed" status, so orders end fulfilled.

Odd deliveries in the last days: an ``orders/paid`` that overtakes its ``orders/create`` (the
create arrives stale), a retried delivery, and one shopper with two Shopify customer records,
one known by e-mail and one by phone, who finally orders with both: omnioms merges the two.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from omnioms.channels.adapters.base import hmac_sha256_base64
from omnioms.demo.catalog import DemoSku
from omnioms.demo.generators.common import (
    ZERO,
    Demand,
    Lifecycle,
    Regulars,
    Rules,
    Webhook,
    basket,
    cents,
    compact_json,
    make_lifecycle,
    order_times,
    retried,
    stages_to_send,
)
from omnioms.demo.generators.people import PLACES, Shopper, shopper

ACCOUNT = "shopify-global"
SHOP_ZONE = ZoneInfo("America/Los_Angeles")
SHOP_DOMAIN = "qinghe-apparel.myshopify.com"
API_VERSION = "2025-10"
US_HOURS = (4, 3, 2, 1, 1, 1, 2, 4, 6, 8, 9, 11, 12, 11, 9, 9, 9, 10, 12, 14, 15, 13, 9, 6)
RULES = Rules(unpaid=0.02, close_unpaid_after=timedelta(days=3), slow_pay=0.06,
              refund_before_ship=0.02, partial_refund=0.12, completes_after=None)  # fmt: skip
TOPICS = {"created": "orders/create", "paid": "orders/paid", "closed": "orders/cancelled",
          "refunded": "orders/cancelled", "shipped": "orders/updated",
          "line_refunded": "orders/updated"}  # fmt: skip
FREE_SHIPPING_FROM = Decimal("75.00")
SHIPPING = Decimal("6.95")
CUSTOM_PRICE = Decimal("35.00")
WELCOME_CODE = "WELCOME10"


def us_festival(day: date) -> float:
    """Black Friday to Cyber Monday, and the weeks before Christmas."""
    first = date(day.year, 11, 1)
    thanksgiving = first + timedelta(days=(3 - first.weekday()) % 7 + 21)
    special = {
        thanksgiving: 0.8,
        thanksgiving + timedelta(days=1): 3.0,
        thanksgiving + timedelta(days=2): 1.8,
        thanksgiving + timedelta(days=3): 1.6,
        thanksgiving + timedelta(days=4): 2.5,
    }
    if day in special:
        return special[day]
    return 1.3 if day.month == 12 and day.day <= 20 else 1.0


DEMAND = Demand(per_day=1.3, weekdays=(1.1, 1.05, 1.0, 1.0, 0.95, 0.9, 1.0), hours=US_HOURS,
                festival=us_festival)  # fmt: skip


@dataclass(frozen=True)
class _Item:
    line_id: int
    sku: DemoSku | None
    """None: a custom embroidered tee, which has no SKU."""
    quantity: int
    price: Decimal
    discount: Decimal
    tax: Decimal


@dataclass(frozen=True)
class _Order:
    order_id: int
    number: int
    buyer: Shopper
    items: tuple[_Item, ...]
    shipping: Decimal
    code: str | None
    life: Lifecycle

    @property
    def total(self) -> Decimal:
        return sum((i.price * i.quantity - i.discount + i.tax for i in self.items), self.shipping)


def generate(rng: random.Random, *, now: datetime, days: int, secret: str) -> list[Webhook]:
    """Every webhook of the Shopify shop over the ``days`` ending at ``now``."""
    orders = plan(rng, now=now, days=days)
    recent = [i for i, o in enumerate(orders) if now - o.life.created <= timedelta(days=6)]
    payable = [i for i in recent if orders[i].life.paid is not None]
    paid_first = rng.choice(payable) if payable else None
    if paid_first is not None:
        # Paid with PayPal 25 seconds after ordering: create and paid are two webhooks.
        life = orders[paid_first].life
        orders[paid_first] = replace(
            orders[paid_first], life=replace(life, paid=life.created + timedelta(seconds=25))
        )
    deliveries: list[Webhook] = []
    for index, order in enumerate(orders):
        sent = [
            _webhook(rng, order, stage, moment, secret)
            for stage, moment in stages_to_send(rng, order.life, now=now)
            if not (stage == "paid" and order.life.paid == order.life.created)
        ]
        if index == paid_first and len(sent) >= 2:
            sent[0] = replace(sent[0], at=sent[1].at + timedelta(seconds=20))
        deliveries += sent
    if recent:
        deliveries.append(retried(deliveries[-1], after=timedelta(minutes=5)))
    return deliveries


def plan(rng: random.Random, *, now: datetime, days: int) -> list[_Order]:
    ids: dict[str, int] = {
        "order": 6120000000000,
        "line": 15900000000000,
        "customer": 7400000000000,
    }

    def next_id(kind: str) -> int:
        ids[kind] += rng.randrange(1000, 900000)
        return ids[kind]

    shoppers = Regulars(make=lambda r: shopper(r, next_id("customer")), repeat=0.15)
    orders = []
    for number, created in enumerate(
        order_times(rng, DEMAND, zone=SHOP_ZONE, now=now, days=days), start=4218
    ):
        buyer = shoppers.next(rng)
        rate = Decimal(buyer.place.tax_rate)
        code = WELCOME_CODE if rng.random() < 0.2 else None
        picks: list[tuple[DemoSku | None, int]] = [
            (p.sku, p.quantity) for p in basket(rng, created.astimezone(SHOP_ZONE).date())
        ]
        if rng.random() < 0.02:
            picks.append((None, 1))
        items = []
        for sku, quantity in picks:
            price = sku.style.price_usd if sku else CUSTOM_PRICE
            discount = cents(price * quantity / 10) if code else ZERO
            tax = cents((price * quantity - discount) * rate)
            items.append(_Item(next_id("line"), sku, quantity, price, discount, tax))
        goods = sum((i.price * i.quantity - i.discount for i in items), ZERO)
        life = make_lifecycle(
            rng, created, RULES, refundable_lines=sum(i.quantity for i in items) > 1
        )
        if life.paid is not None and life.paid - created < timedelta(minutes=10):
            life = replace(life, paid=created)  # paid at checkout
        orders.append(
            _Order(
                order_id=next_id("order"),
                number=number,
                buyer=buyer,
                items=tuple(items),
                shipping=ZERO if goods >= FREE_SHIPPING_FROM else SHIPPING,
                code=code,
                life=life,
            )
        )
    return _with_two_records(orders, now=now)


def _with_two_records(orders: list[_Order], *, now: datetime) -> list[_Order]:
    """Three recent orders by one shopper: by e-mail, by phone (a second customer record
    created at a phone-only checkout), then with both on the first record."""
    recent = [i for i, o in enumerate(orders) if now - o.life.created <= timedelta(days=10)]
    if len(recent) < 3:
        return orders
    first, second, third = recent[-3:]
    place = PLACES[0]
    base = orders[first].buyer.customer_id + 7
    by_mail = Shopper(base, "Mei", "Chen", "mei.chen@example.com", None, place, "1455 Market St")
    by_phone = replace(by_mail, customer_id=base + 1, email=None, phone="+14155550188")
    both = replace(by_mail, phone="+14155550188")
    for index, buyer in ((first, by_mail), (second, by_phone), (third, both)):
        orders[index] = replace(orders[index], buyer=buyer)
    return orders


# ----------------------------------------------------------------------------------------------
# Rendering


def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(SHOP_ZONE).isoformat() if moment else None


def _money(amount: Decimal) -> dict[str, Any]:
    value = {"amount": str(amount), "currency_code": "USD"}
    return {"shop_money": value, "presentment_money": dict(value)}


def _cancel_reason(financial: str) -> str:
    return "declined" if financial == "voided" else "customer"


def financial_status(life: Lifecycle, as_of: datetime) -> str:
    if life.reached("closed", as_of):
        return "voided"
    if life.reached("refunded", as_of):
        return "refunded"
    if life.reached("line_refunded", as_of):
        return "partially_refunded"
    return "paid" if life.reached("paid", as_of) else "pending"


def order_json(order: _Order, *, as_of: datetime) -> dict[str, Any]:
    """The REST ``Order`` (the webhook body) of ``order`` as it stood at ``as_of``."""
    life, buyer = order.life, order.buyer
    financial = financial_status(life, as_of)
    shipped = life.reached("shipped", as_of)
    cancelled = life.closed if financial == "voided" else life.refunded
    goods = sum((i.price * i.quantity for i in order.items), ZERO)
    discounts = sum((i.discount for i in order.items), ZERO)
    tax = sum((i.tax for i in order.items), ZERO)
    refunds = []
    if financial == "refunded":
        refunds.append(_refund(order, life.refunded, [(i, i.quantity) for i in order.items]))
    elif financial == "partially_refunded":
        item = next(i for i in order.items if i.quantity > 1 or len(order.items) > 1)
        refunds.append(_refund(order, life.line_refunded, [(item, 1)]))
    place = buyer.place
    address = {"first_name": buyer.first_name, "last_name": buyer.last_name,
               "name": f"{buyer.first_name} {buyer.last_name}", "address1": buyer.address1,
               "address2": None, "city": place.city, "province": place.province,
               "province_code": place.province_code, "country": place.country, "zip": place.zip,
               "country_code": place.country_code, "phone": buyer.phone}  # fmt: skip
    body: dict[str, Any] = {
        "id": order.order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order.order_id}",
        "name": f"#{order.number}",
        "order_number": order.number,
        "number": order.number - 1000,
        "source_name": "web",
        "email": buyer.email or "",
        "contact_email": buyer.email,
        "phone": None,
        "created_at": _time(life.created),
        "processed_at": _time(life.created),
        "updated_at": _time(as_of),
        "cancelled_at": _time(cancelled) if cancelled and cancelled <= as_of else None,
        "cancel_reason": _cancel_reason(financial) if cancelled and cancelled <= as_of else None,
        "closed_at": None,
        "currency": "USD",
        "presentment_currency": "USD",
        "financial_status": financial,
        "fulfillment_status": "fulfilled" if shipped else None,
        "taxes_included": False,
        "note": None,
        "discount_codes": [{"code": order.code, "amount": str(discounts), "type": "percentage"}]
        if order.code
        else [],
        "total_line_items_price": str(goods),
        "total_line_items_price_set": _money(goods),
        "subtotal_price": str(goods - discounts),
        "subtotal_price_set": _money(goods - discounts),
        "total_discounts": str(discounts),
        "total_discounts_set": _money(discounts),
        "total_shipping_price_set": _money(order.shipping),
        "total_tax": str(tax),
        "total_tax_set": _money(tax),
        "total_price": str(order.total),
        "total_price_set": _money(order.total),
        "customer": {
            "id": buyer.customer_id,
            "email": buyer.email,
            "phone": buyer.phone,
            "first_name": buyer.first_name,
            "last_name": buyer.last_name,
        },
        "billing_address": address,
        "shipping_address": address,
        "line_items": [_line_item(item, order, shipped) for item in order.items],
        "shipping_lines": [_shipping_line(order)],
        "refunds": refunds,
        "fulfillments": [],
    }
    if shipped:
        tracking = {"tracking_company": "YunExpress", "tracking_number": f"YT{order.order_id}"}
        body["fulfillments"] = [{"id": order.order_id + 2, "status": "success",
                                 "created_at": _time(life.shipped), **tracking}]  # fmt: skip
    return body


def _shipping_line(order: _Order) -> dict[str, Any]:
    title = "Standard International (7-12 days)" if order.shipping else "Free Shipping"
    price = {"price": str(order.shipping), "price_set": _money(order.shipping)}
    return {"id": order.order_id + 1, "code": "standard", "title": title, **price,
            "discount_allocations": []}  # fmt: skip


def _line_item(item: _Item, order: _Order, shipped: bool) -> dict[str, Any]:
    sku = item.sku
    title = sku.style.title_en if sku else "Custom Embroidered Tee"
    variant = sku.variant_en if sku else None
    return {
        "id": item.line_id,
        "variant_id": 44100000000000 + sku.index * 1003 if sku else None,
        "product_id": 8100000000000 + sku.style.item_id % 1000 if sku else None,
        "sku": sku.code if sku else "",
        "title": title,
        "variant_title": variant,
        "name": f"{title} - {variant}" if variant else title,
        "vendor": "Qinghe Apparel",
        "quantity": item.quantity,
        "current_quantity": item.quantity,
        "fulfillable_quantity": 0 if shipped else item.quantity,
        "fulfillment_status": "fulfilled" if shipped else None,
        "price": str(item.price),
        "price_set": _money(item.price),
        "total_discount": "0.00",
        "discount_allocations": _allocations(item.discount),
        "tax_lines": _tax_lines(Decimal(order.buyer.place.tax_rate), item.tax),
        "requires_shipping": True,
        "taxable": True,
        "gift_card": False,
    }


def _allocations(discount: Decimal) -> list[dict[str, Any]]:
    if not discount:
        return []
    allocation = {"amount": str(discount), "amount_set": _money(discount)}
    return [{**allocation, "discount_application_index": 0}]


def _tax_lines(rate: Decimal, tax: Decimal) -> list[dict[str, Any]]:
    if not tax:
        return []
    # Shopify sends the rate as a JSON number.
    return [
        {"title": "Sales Tax", "rate": float(rate), "price": str(tax), "price_set": _money(tax)}
    ]


def _refund(
    order: _Order, moment: datetime | None, returned: list[tuple[_Item, int]]
) -> dict[str, Any]:
    lines = []
    amount = ZERO
    for item, quantity in returned:
        subtotal = cents((item.price * item.quantity - item.discount) * quantity / item.quantity)
        tax = cents(item.tax * quantity / item.quantity)
        amount += subtotal + tax
        lines.append(
            {
                "id": item.line_id + 5,
                "line_item_id": item.line_id,
                "quantity": quantity,
                "restock_type": "return",
                "subtotal": str(subtotal),
                "total_tax": str(tax),
            }
        )
    return {
        "id": order.order_id + 3,
        "created_at": _time(moment),
        "note": "Size exchange" if len(returned) == 1 else "Cancelled before shipping",
        "refund_line_items": lines,
        "transactions": [{"kind": "refund", "status": "success", "amount": str(amount)}],
    }


def _webhook(
    rng: random.Random, order: _Order, stage: str, moment: datetime, secret: str
) -> Webhook:
    body = compact_json(order_json(order, as_of=moment))
    at = moment + timedelta(seconds=rng.randrange(1, 9))
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": TOPICS[stage],
        "X-Shopify-Hmac-Sha256": hmac_sha256_base64(secret, body),
        "X-Shopify-Shop-Domain": SHOP_DOMAIN,
        "X-Shopify-API-Version": API_VERSION,
        "X-Shopify-Webhook-Id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "X-Shopify-Event-Id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "X-Shopify-Triggered-At": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
    return Webhook(account=ACCOUNT, at=at, body=body, headers=headers)
