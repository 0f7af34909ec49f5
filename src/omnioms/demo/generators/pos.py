"""The two stores' POS "items detail" exports, one CSV per store and business day.

Each evening after closing a clerk exports the day's sales and imports the file. The Shanghai
store runs a Square-style POS whose export has the 35 English columns of ``channel-formats.md``
(money as ``¥79.00``, refunds as negative rows); the Hangzhou store's Chinese POS writes its
own columns in GB18030 with refund rows marked 退货. One loyalty programme serves both
stores, so members' purchases in either store belong to one customer.

Deliberate oddities in the last days: a Hangzhou row whose quantity the cashier typed as
``1件`` (that transaction is dead-lettered), and one day's Hangzhou file imported twice.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from omnioms.demo.catalog import DemoSku
from omnioms.demo.generators.common import (
    BEIJING,
    STORE_HOURS,
    ZERO,
    Demand,
    FileExport,
    Regulars,
    basket,
    cents,
    order_times,
    token,
)
from omnioms.demo.generators.people import GIVEN_NAMES, SURNAMES

CLOSING = time(22, 30)
"""The day's export is taken after closing."""
CLEARANCE_TITLE = "清仓特价T恤"
"""Rung up without SKU from the clearance rail."""
CLEARANCE_PRICE = Decimal("39.00")
CATEGORY = {"tee": "T恤", "hoodie": "卫衣", "jeans": "牛仔裤", "pack": "组合装", "socks": "袜子"}
PAYMENTS = ("WeChat Pay", "Alipay", "UnionPay")
ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def store_festival(day: date) -> float:
    """Holidays fill the stores: Labour Day and National Day weeks, Double 11, Christmas."""
    if (day.month == 5 and day.day <= 5) or (day.month == 10 and day.day <= 7):
        return 1.6
    if (day.month, day.day) in {(11, 11), (12, 24), (12, 25)}:
        return 1.4
    return 1.0


def _sale_discount(day: date) -> Decimal:
    """Store-wide promotion on ``day``: 20% off on National Day and Double 11."""
    return Decimal("0.20") if store_festival(day) > 1.3 else ZERO


STORE_WEEK = (0.8, 0.75, 0.8, 0.85, 1.0, 1.6, 1.5)


@dataclass(frozen=True)
class _Member:
    member_id: str
    name: str


@dataclass(frozen=True)
class _Row:
    sku: DemoSku | None
    quantity: int
    gross: Decimal
    discount: Decimal
    token: str

    @property
    def net(self) -> Decimal:
        return self.gross - self.discount


@dataclass(frozen=True)
class _Sale:
    tid: str
    at: datetime
    member: _Member | None
    rows: tuple[_Row, ...]
    cashier: str
    payment: str
    returned_at: datetime | None = None
    """One unit of the first row brought back later the same day."""
    bad_quantity: bool = False


@dataclass(frozen=True)
class Store:
    account: str
    name: str
    demand: Demand
    cashiers: tuple[str, ...]
    write: Callable[[Store, list[_Sale]], bytes]
    filename: Callable[[date], str]
    transaction_id: Callable[[random.Random, date, int], str]


def generate(rng: random.Random, *, now: datetime, days: int) -> list[FileExport]:
    """Every store's daily exports over the ``days`` ending at ``now`` (closed days only)."""
    members = Regulars(make=_new_member, repeat=0.55)
    sales = {store.account: _plan(rng, store, members, now=now, days=days) for store in STORES}
    last_week = now - timedelta(days=7)
    shanghai = [s for s in sales[SHANGHAI.account] if s.member and _exported(s, last_week, now)]
    hangzhou = [s for s in sales[HANGZHOU.account] if s.member and _exported(s, last_week, now)]
    if shanghai and hangzhou:
        # A member of the loyalty programme shops in both stores this week.
        index = sales[HANGZHOU.account].index(hangzhou[-1])
        sales[HANGZHOU.account][index] = replace(hangzhou[-1], member=shanghai[-1].member)
    five_days = now - timedelta(days=5)
    candidates = [
        i
        for i, s in enumerate(sales[HANGZHOU.account])
        if not s.member and _exported(s, five_days, now)
    ]
    if candidates:
        index = rng.choice(candidates)
        sales[HANGZHOU.account][index] = replace(sales[HANGZHOU.account][index], bad_quantity=True)

    exports: list[FileExport] = []
    for store in STORES:
        by_day: dict[date, list[_Sale]] = {}
        for sale in sales[store.account]:
            by_day.setdefault(sale.at.astimezone(BEIJING).date(), []).append(sale)
        for day, day_sales in sorted(by_day.items()):
            at = _closing(day)
            if at <= now:
                raw = store.write(store, day_sales)
                exports.append(FileExport(store.account, at, store.filename(day), raw))
    again = [e for e in exports if e.account == HANGZHOU.account]
    if again and again[-1].at + timedelta(minutes=40) <= now:
        # The clerk was not sure the upload had worked and imported the file again.
        exports.append(replace(again[-1], at=again[-1].at + timedelta(minutes=40)))
    return exports


def _closing(day: date) -> datetime:
    return datetime.combine(day, CLOSING, BEIJING).astimezone(UTC)


def _exported(sale: _Sale, since: datetime, now: datetime) -> bool:
    """Whether ``sale`` is at or after ``since`` and in a day's export taken by ``now``."""
    return sale.at >= since and _closing(sale.at.astimezone(BEIJING).date()) <= now


def _new_member(rng: random.Random) -> _Member:
    return _Member(
        f"QH{rng.randrange(10**7, 10**8)}", rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
    )


def _plan(
    rng: random.Random, store: Store, members: Regulars[_Member], *, now: datetime, days: int
) -> list[_Sale]:
    sales = []
    counters: dict[date, int] = {}
    for at in order_times(rng, store.demand, zone=BEIJING, now=now, days=days):
        day = at.astimezone(BEIJING).date()
        counters[day] = counters.get(day, 0) + 1
        member = members.next(rng) if rng.random() < 0.45 else None
        off = _sale_discount(day) or (Decimal("0.05") if member else ZERO)
        rows = []
        for pick in basket(rng, day, extra_line=0.35):
            gross = pick.sku.price * pick.quantity
            rows.append(
                _Row(
                    pick.sku, pick.quantity, gross, cents(gross * off), token(rng, 22, ALPHANUMERIC)
                )
            )
        if rng.random() < 0.015:
            rows.append(_Row(None, 1, CLEARANCE_PRICE, ZERO, token(rng, 22, ALPHANUMERIC)))
        returned_at = None
        if sum(row.quantity for row in rows) > 1 and rng.random() < 0.03:
            later = at + timedelta(minutes=rng.randrange(20, 120))
            if later.astimezone(BEIJING).time() < time(22):
                returned_at = later
        sales.append(
            _Sale(
                tid=store.transaction_id(rng, day, counters[day]),
                at=at,
                member=member,
                rows=tuple(rows),
                cashier=rng.choice(store.cashiers),
                payment=rng.choices(PAYMENTS, weights=(6, 3, 1))[0],
                returned_at=returned_at,
            )
        )
    return sales


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


# ----------------------------------------------------------------------------------------------
# Shanghai: Square-style English export

SQUARE_COLUMNS = [
    "Date", "Time", "Time Zone", "Category", "Item", "Qty", "Price Point Name", "SKU",
    "Modifiers Applied", "Gross Sales", "Discounts", "Net Sales", "Tax", "Transaction ID",
    "Payment ID", "Device Name", "Notes", "Details", "Event Type", "Location", "Dining Option",
    "Customer ID", "Customer Name", "Customer Reference ID", "Unit", "Count", "GTIN",
    "Itemization Type", "Commission", "Employee", "Fulfillment Note", "Channel", "Token",
    "Card Brand", "PAN Suffix",
]  # fmt: skip


def _yuan(amount: Decimal) -> str:
    """Square's money text: ``¥1,299.00``, ``-¥3.95``."""
    return f"-¥{-amount:,.2f}" if amount < 0 else f"¥{abs(amount):,.2f}"


def _square_row(store: Store, sale: _Sale, row: _Row, at: datetime, sign: int) -> list[str]:
    local = at.astimezone(BEIJING)
    sku = row.sku
    quantity = row.quantity if sign > 0 else 1
    share = Decimal(quantity) / row.quantity
    gross, discount = cents(row.gross * share), cents(row.discount * share)
    return [
        local.strftime("%Y-%m-%d"),
        local.strftime("%H:%M:%S"),
        "Beijing",
        CATEGORY[sku.style.category] if sku else "清仓",
        sku.style.name if sku else CLEARANCE_TITLE,
        str(sign * quantity),
        f"{sku.colour} / {sku.size}" if sku else "",
        sku.code if sku else "",
        "",
        _yuan(sign * gross),
        _yuan(-sign * discount),
        _yuan(sign * (gross - discount)),
        _yuan(ZERO),
        sale.tid,
        sale.tid[:10] + "P" + sale.tid[11:],
        "收银台 1",
        "",
        "",
        "Payment" if sign > 0 else "Refund",
        store.name,
        "",
        sale.member.member_id if sale.member else "",
        sale.member.name if sale.member else "",
        "",
        "ea",
        str(quantity),
        "",
        "Physical Item",
        _yuan(ZERO),
        sale.cashier,
        "",
        store.name,
        row.token if sign > 0 else row.token[::-1],
        sale.payment,
        "",
    ]


def write_square(store: Store, sales: list[_Sale]) -> bytes:
    rows = [SQUARE_COLUMNS]
    for sale in sales:
        rows += [_square_row(store, sale, row, sale.at, 1) for row in sale.rows]
        if sale.returned_at is not None:
            rows.append(_square_row(store, sale, sale.rows[0], sale.returned_at, -1))
    return _csv(rows).encode("utf-8")


# ----------------------------------------------------------------------------------------------
# Hangzhou: a Chinese POS export in GB18030

CHINESE_COLUMNS = [
    "小票号",
    "销售日期",
    "销售时间",
    "门店名称",
    "收银员",
    "会员编号",
    "会员姓名",
    "商品编码",
    "商品名称",
    "规格",
    "数量",
    "销售金额",
    "优惠金额",
    "实收金额",
    "支付方式",
    "交易类型",
    "备注",
]
CHINESE_PAYMENTS = {"WeChat Pay": "微信支付", "Alipay": "支付宝", "UnionPay": "银联刷卡"}


def _chinese_row(store: Store, sale: _Sale, row: _Row, at: datetime, refund: bool) -> list[str]:
    local = at.astimezone(BEIJING)
    sku = row.sku
    quantity = 1 if refund else row.quantity
    share = Decimal(quantity) / row.quantity
    gross, discount = cents(row.gross * share), cents(row.discount * share)
    typed = (
        f"{quantity}件"
        if sale.bad_quantity and not refund and row is sale.rows[0]
        else str(quantity)
    )
    return [
        sale.tid,
        local.strftime("%Y/%m/%d"),
        local.strftime("%H:%M:%S"),
        store.name,
        sale.cashier,
        sale.member.member_id if sale.member else "",
        sale.member.name if sale.member else "",
        sku.code if sku else "",
        sku.style.name if sku else CLEARANCE_TITLE,
        sku.spec if sku else "",
        typed,
        f"{gross:.2f}",
        f"{discount:.2f}",
        f"{gross - discount:.2f}",
        CHINESE_PAYMENTS[sale.payment],
        "退货" if refund else "销售",
        "顾客退回一件" if refund else "",
    ]


def write_chinese(store: Store, sales: list[_Sale]) -> bytes:
    rows = [CHINESE_COLUMNS]
    for sale in sales:
        rows += [_chinese_row(store, sale, row, sale.at, False) for row in sale.rows]
        if sale.returned_at is not None:
            rows.append(_chinese_row(store, sale, sale.rows[0], sale.returned_at, True))
    return _csv(rows).encode("gb18030")


SHANGHAI = Store(
    account="pos-shanghai",
    name="青禾服饰 上海静安店",
    demand=Demand(per_day=5.6, weekdays=STORE_WEEK, hours=STORE_HOURS, festival=store_festival),
    cashiers=("Amy Zhou", "Leo Xu", "Nina Gu"),
    write=write_square,
    filename=lambda day: f"store-sh_items-detail_{day.isoformat()}.csv",
    transaction_id=lambda rng, day, n: token(rng, 26, ALPHANUMERIC),
)
HANGZHOU = Store(
    account="pos-hangzhou",
    name="青禾服饰 杭州湖滨店",
    demand=Demand(per_day=4.0, weekdays=STORE_WEEK, hours=STORE_HOURS, festival=store_festival),
    cashiers=("周婷", "沈浩", "陆佳怡"),
    write=write_chinese,
    filename=lambda day: f"湖滨店销售明细_{day.strftime('%Y%m%d')}.csv",
    transaction_id=lambda rng, day, n: f"HZ{day.strftime('%Y%m%d')}-{n:04d}",
)
STORES = (SHANGHAI, HANGZHOU)
