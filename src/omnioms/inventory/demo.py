"""Stock for the demo company: what the demo loader calls between creating the company and
sending it its order history.

Every figure goes through the real use cases (receipts, stock levels), so the ledger of the
demo explains every number it shows.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from omnioms.catalog.models import Sku
from omnioms.channels.models import ChannelAccount
from omnioms.core.actor import Actor
from omnioms.core.models import Location, LocationKind
from omnioms.inventory.models import (
    ChannelStockRule,
    IncomingStock,
    PlannedOutput,
    ReserveOn,
    RuleLocation,
)
from omnioms.inventory.rules import forget_rules
from omnioms.inventory.services import receive_stock, set_stock_levels

TRACKED_DAYS = 3
"""Orders of the last days of the demo history reserve and take stock; older history is as
if it happened before omnioms counted the stock."""

# Per platform: (reserve on, buffer, share %, cap). Marketplaces reserve when the order is
# placed (as Taobao's "拍下减库存" does); the web shop holds a little back.
_RULES = {
    "taobao": (ReserveOn.CREATED, 2, 100, None),
    "douyin": (ReserveOn.PAID, 0, 80, None),
    "shopify": (ReserveOn.PAID, 0, 100, 20),
}


def seed_demo_stock(*, now: datetime | None = None, seed: int = 7) -> str:
    """Give every location of the demo stock of every SKU, stock rules to its accounts, and
    some incoming receipts and planned production; return a one-line summary.

    Idempotent: does nothing when any stock movement exists.
    """
    from omnioms.inventory.models import StockMovement

    if StockMovement.objects.exists():
        return "Stock: already there; nothing added."
    now = now or timezone.now()
    rng = random.Random(seed)
    actor = Actor.system("demo")
    skus = [
        s for s in Sku.objects.filter(is_active=True).order_by("code") if not s.components.exists()
    ]
    locations = list(Location.objects.filter(is_active=True).order_by("code"))
    warehouses = [loc for loc in locations if loc.kind == LocationKind.WAREHOUSE]
    units = 0
    with transaction.atomic():
        for location in locations:
            big = location.kind == LocationKind.WAREHOUSE
            for sku in skus:
                quantity = rng.randint(60, 240) if big else rng.randint(4, 18)
                if big and rng.random() < 0.15:
                    quantity = rng.randint(3, 10)  # a few run low: they show as alerts
                receive_stock(
                    sku=sku,
                    location=location,
                    quantity=quantity,
                    unit_cost=sku.unit_cost or Decimal("0"),
                    currency=sku.currency,
                    reference="opening stock",
                    actor=actor,
                )
                units += quantity
                set_stock_levels(
                    sku=sku,
                    location=location,
                    safety_stock=5 if big else 1,
                    reorder_point=30 if big else 3,
                )
        for sku in rng.sample(skus, min(5, len(skus))):
            for location in warehouses[:1]:
                IncomingStock.objects.create(
                    sku=sku,
                    location=location,
                    quantity=rng.choice([100, 150, 200]),
                    expected_on=(now + timedelta(days=rng.randint(3, 10))).date(),
                    reference=f"PO-{now:%y%m}-{rng.randint(100, 999)}",
                    supplier="绍兴柯桥面料厂 (Shaoxing Keqiao Textiles)",
                    unit_cost=sku.unit_cost,
                    currency=sku.currency,
                )
        for sku in rng.sample(skus, min(3, len(skus))):
            for location in warehouses[:1]:
                PlannedOutput.objects.create(
                    sku=sku,
                    location=location,
                    quantity=rng.choice([120, 240]),
                    due_on=(now + timedelta(days=14)).date(),
                    reference=f"MO-{now:%y%m}-{rng.randint(10, 99)}",
                )
        tracked_from = now - timedelta(days=TRACKED_DAYS)
        for account in ChannelAccount.objects.all():
            reserve_on, buffer, share, cap = _RULES.get(
                account.platform, (ReserveOn.PAID, 0, 100, None)
            )
            rule = ChannelStockRule.objects.create(
                account=account,
                reserve_on=reserve_on,
                buffer=buffer,
                share_percent=share,
                cap=cap,
                tracks_from=tracked_from,
            )
            own = [account.location] if account.location else warehouses
            for priority, location in enumerate(own, start=1):
                RuleLocation.objects.create(rule=rule, location=location, priority=priority)
        forget_rules()
    return (
        f"Stock: {units} units of {len(skus)} SKUs at {len(locations)} locations; orders from "
        f"the last {TRACKED_DAYS} days reserve and take it."
    )
