"""``omnioms demo``: the demo company, its users and six months of orders.

Orders are not inserted: every order reaches the database the way a real one does, as a
signed platform payload through :func:`~omnioms.sync.services.receive_webhook` or as a
store's POS export through :func:`~omnioms.sync.services.import_file`. The payloads come
from the pure generators in :mod:`omnioms.demo.generators`.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from omnioms.catalog.models import Product, Sku
from omnioms.catalog.services import ComponentSpec, create_product
from omnioms.channels.models import ChannelAccount, DeadLetter
from omnioms.core.actor import Actor
from omnioms.core.models import Location
from omnioms.core.roles import Role
from omnioms.core.services import create_staff_user
from omnioms.customers.models import Customer
from omnioms.demo.catalog import SKUS, STYLES
from omnioms.demo.factory import PLAN_SECONDS, load_factory, load_shop_floor
from omnioms.demo.generators.common import FileExport
from omnioms.demo.history import generate_all
from omnioms.inventory.demo import seed_demo_stock
from omnioms.orders.models import Order
from omnioms.sync.services import create_account, import_file
from omnioms.sync.webhooks import receive_webhook

COMPANY = "Hangzhou Qinghe Apparel Co. (杭州青禾服饰)"
PASSWORD = "qinghe-demo-2026"  # noqa: S105 (printed for everyone to log in with)
"""The password of every demo user. It passes Django's validators; it is printed, so the
demo must never hold real data."""


@dataclass(frozen=True)
class _Location:
    code: str
    name: str
    kind: str
    province: str
    city: str


@dataclass(frozen=True)
class _Account:
    name: str
    platform: str
    display_name: str
    location: str
    time_zone: str = "Asia/Shanghai"
    currency: str = "CNY"


LOCATIONS = (
    _Location("wh-hz", "杭州仓 Hangzhou warehouse", "warehouse", "浙江省", "杭州市"),
    _Location("store-sh", "上海静安店 Shanghai Jing'an store", "store", "上海市", "上海市"),
    _Location("store-hz", "杭州湖滨店 Hangzhou Hubin store", "store", "浙江省", "杭州市"),
)
ACCOUNTS = (
    _Account("tmall-flagship", "taobao", "青禾服饰天猫旗舰店 (Tmall)", "wh-hz"),
    _Account("douyin-shop", "douyin", "青禾服饰抖音小店 (Douyin)", "wh-hz"),
    _Account(
        "shopify-global",
        "shopify",
        "Qinghe Apparel (Shopify)",
        "wh-hz",
        time_zone="America/Los_Angeles",
        currency="USD",
    ),
    _Account("pos-shanghai", "pos_csv", "上海静安店 POS", "store-sh"),
    _Account("pos-hangzhou", "pos_csv", "杭州湖滨店 POS", "store-hz"),
)
USERS = (
    ("admin", Role.ADMINISTRATOR, None),
    ("manager", Role.MANAGER, None),
    ("clerk", Role.ORDER_CLERK, None),
    ("store_sh", Role.STORE_CLERK, "store-sh"),
    ("store_hz", Role.STORE_CLERK, "store-hz"),
    ("service", Role.CUSTOMER_SERVICE, None),
    ("planner", Role.PLANNER, None),
    ("supervisor", Role.SUPERVISOR, None),
)
IMPORTED_BY = {"pos-shanghai": "store_sh", "pos-hangzhou": "store_hz"}
"""Each store's clerk imports the store's daily export."""


def load_demo(
    *,
    seed: int = 7,
    days: int = 182,
    now: datetime | None = None,
    plan_seconds: float = PLAN_SECONDS,
) -> str:
    """Create the demo company and feed it ``days`` of orders; return what was created.

    ``plan_seconds`` is the time limit of the shop floor's published plan (tests that look at
    the company, not at the plan's quality, give it less).

    Idempotent: when the demo's locations exist, nothing is loaded again and the report
    describes what is there. The history ends ``now`` (default: now), so two loads on
    different days differ; the same ``seed`` on the same day gives the same orders.
    """
    if Location.objects.filter(code__in=[loc.code for loc in LOCATIONS]).exists():
        return report(note="The demo company was already loaded; nothing was added.")
    started = time.perf_counter()
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    _create_company()
    # Stock before the history: the last days' orders reserve and take it like real ones.
    stock = seed_demo_stock(now=now, seed=seed)
    sent = _send_history(seed=seed, days=days, now=now)
    factory = load_factory(now=now, history_start=now.date() - timedelta(days=days), seed=seed)
    floor = load_shop_floor(now=now, seed=seed, plan_seconds=plan_seconds)
    elapsed = time.perf_counter() - started
    return report(
        note=f"Loaded {days} days of history ({sent} deliveries, seed {seed}) in {elapsed:.1f} s."
        f" {stock} {factory} {floor}"
    )


def _create_company() -> None:
    with transaction.atomic():
        for loc in LOCATIONS:
            Location.objects.create(
                code=loc.code, name=loc.name, kind=loc.kind, province=loc.province, city=loc.city
            )
        for sku in SKUS:  # components come before the bundles that use them
            create_product(
                sku=sku.code,
                name=sku.name,
                unit_cost=sku.unit_cost,
                price=sku.price,
                components=[ComponentSpec(code, quantity) for code, quantity in sku.components],
                product_code=sku.style.code,
            )
        # The catalogue services have no place for these yet: set them on what they created.
        for style in STYLES:
            Product.objects.filter(code=style.code).update(name=style.name)
        for sku in SKUS:
            Sku.objects.filter(code=sku.code).update(
                attributes={"颜色": sku.colour, "尺码": sku.size}
            )
        for account in ACCOUNTS:
            create_account(
                name=account.name,
                platform=account.platform,
                display_name=account.display_name,
                secret=_new_secret(account.platform),
                time_zone=account.time_zone,
                currency=account.currency,
                location_code=account.location,
            )
        for username, role, store in USERS:
            create_staff_user(username=username, role=role, password=PASSWORD, store_code=store)


def _new_secret(platform: str) -> str:
    """Douyin signs with an app key and an app secret, configured as ``"key:secret"``."""
    if platform == "douyin":
        return f"{secrets.randbelow(9 * 10**18) + 10**18}:{secrets.token_hex(16)}"
    return secrets.token_urlsafe(24)


def _send_history(*, seed: int, days: int, now: datetime) -> int:
    accounts = {account.name: account for account in ChannelAccount.objects.all()}
    signing = {name: account.webhook_secret for name, account in accounts.items()}
    importers = {
        name: Actor.for_user(User.objects.get(username=username))
        for name, username in IMPORTED_BY.items()
    }
    deliveries = generate_all(seed, days=days, now=now, secrets=signing)
    for delivery in deliveries:
        account = accounts[delivery.account]
        if isinstance(delivery, FileExport):
            import_file(
                account,
                raw=delivery.raw,
                filename=delivery.filename,
                actor=importers[delivery.account],
            )
        else:
            receive_webhook(account, body=delivery.body, headers=dict(delivery.headers))
    return len(deliveries)


def report(*, note: str = "") -> str:
    """What the demo holds: accounts with their orders and dead letters, customers, users."""
    lines = [f"omnioms demo: {COMPANY}", ""]
    lines.append(
        f"  {'channel account':<18}{'platform':<10}{'location':<10}"
        f"{'orders':>7}{'dead letters':>14}  webhook"
    )
    letters = dict(
        DeadLetter.objects.filter(resolved_at__isnull=True)
        .values("account__name")
        .annotate(n=Count("pk"))
        .values_list("account__name", "n")
    )
    totals = [0, 0]
    for account in ChannelAccount.objects.select_related("location").annotate(n=Count("orders")):
        open_letters = letters.get(account.name, 0)
        totals[0] += account.n
        totals[1] += open_letters
        hook = (
            "(file import)" if account.platform == "pos_csv" else f"/api/v1/webhooks/{account.name}"
        )
        location = account.location.code if account.location else ""
        lines.append(
            f"  {account.name:<18}{account.platform:<10}{location:<10}"
            f"{account.n:>7}{open_letters:>14}  {hook}"
        )
    lines.append(f"  {'total':<38}{totals[0]:>7}{totals[1]:>14}")
    lines += ["", _customers_line(), "", f"Users (password for all: {PASSWORD}):"]
    for username, role, store in USERS:
        if User.objects.filter(username=username).exists():
            where = f" at {store}" if store else ""
            lines.append(f"  {username:<12}{role}{where}")
    lines += [
        "",
        "Web UI: / (orders, dead letters), /inventory/ (stock), /channels/health/, "
        "/settings/ (accounts, users)   Back office: /admin/",
        "Factory: /production/ (BOMs, routings, work centres), /forecasting/ (forecast runs,"
        " sales input, events), /planning/plans/ (plans, Gantt chart; /planning/requirements/,"
        " /planning/orders/), /floor/tablet/, /floor/closes/, /floor/exceptions/, /floor/kpi/,"
        " /simulation/ (a simulated year)",
        "Selling and service: /sales/counter/, /sales/quotes/, /sales/orders/new/, /flows/"
        " (each channel's order flow), /service/ (the customer-service inbox)",
        "API docs: /api/v1/docs   OpenAPI: /api/v1/openapi.json",
        "Dead letters: the Dead letters page, or `omnioms replay --all` to retry them.",
    ]
    if note:
        lines += ["", note]
    return "\n".join(lines)


def _customers_line() -> str:
    customers = Customer.objects.filter(merged_into__isnull=True)
    across = customers.annotate(accounts=Count("orders__account", distinct=True)).filter(
        accounts__gt=1
    )
    merged = Customer.objects.filter(merged_into__isnull=False).count()
    revenue = _revenue()
    return (
        f"Customers: {customers.count()} ({across.count()} buying on more than one account, "
        f"{merged} merged into another record). Order value: {revenue}."
    )


def _revenue() -> str:
    sums = Order.objects.values("currency").annotate(total=Sum("total")).order_by("currency")
    return ", ".join(f"{row['currency']} {Decimal(row['total']):,.2f}" for row in sums) or "none"
