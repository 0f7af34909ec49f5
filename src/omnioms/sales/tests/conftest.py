"""A shop to sell from: a store, a warehouse, two SKUs with prices, stock in both places."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import translation

from omnioms.catalog.models import Product, Sku
from omnioms.core.actor import Actor
from omnioms.core.models import Location, LocationKind
from omnioms.inventory.services import receive_stock
from omnioms.testing import make_location


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """A page requested in Chinese leaves Chinese active in the thread; reasons and labels
    asserted outside requests are English."""
    with translation.override("en"):
        yield


@dataclass
class Shop:
    store: Location
    warehouse: Location
    shirt: Sku
    mug: Sku


def stock(sku: Sku, location: Location, quantity: int) -> None:
    receive_stock(
        sku=sku, location=location, quantity=quantity, unit_cost=None, actor=Actor.system("test")
    )


@pytest.fixture
def shop(db: None) -> Shop:
    store = make_location("sh-01", LocationKind.STORE)
    store.name = "上海南京路店"
    store.save()
    warehouse = make_location("wh-01", LocationKind.WAREHOUSE)
    product = Product.objects.create(code="P-1", name="T恤")
    shirt = Sku.objects.create(
        product=product, code="TS-BLK-L", name="T恤 黑色 L", price=Decimal("99.00")
    )
    mug = Sku.objects.create(product=product, code="MUG-1", name="马克杯", price=Decimal("45.00"))
    stock(shirt, store, 2)
    stock(shirt, warehouse, 10)
    stock(mug, warehouse, 5)
    return Shop(store, warehouse, shirt, mug)
