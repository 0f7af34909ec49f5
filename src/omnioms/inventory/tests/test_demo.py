"""The demo company gets stock, and its recent orders reserve and take it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from omnioms.demo import loader
from omnioms.inventory.demo import seed_demo_stock
from omnioms.inventory.models import (
    ChannelStockRule,
    IncomingStock,
    OrderStock,
    OrderStockStatus,
    StockMovement,
)
from omnioms.inventory.selectors import stock_problems

pytestmark = pytest.mark.django_db


def test_the_demo_has_stock_rules_and_orders_that_reserve_it() -> None:
    loader._create_company()
    now = timezone.now().replace(second=0, microsecond=0)

    summary = seed_demo_stock(now=now)
    loader._send_history(seed=7, days=6, now=now)

    assert summary.startswith("Stock: ")
    assert ChannelStockRule.objects.count() == len(loader.ACCOUNTS)
    assert IncomingStock.objects.exists()
    statuses = set(OrderStock.objects.values_list("status", flat=True))
    assert OrderStockStatus.RESERVED in statuses or OrderStockStatus.SHIPPED in statuses
    assert StockMovement.objects.filter(kind="sale").exists()  # store sales took stock
    assert stock_problems() == []
    assert seed_demo_stock(now=now) == "Stock: already there; nothing added."
