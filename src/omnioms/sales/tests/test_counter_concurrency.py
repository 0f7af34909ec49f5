"""Clerks at several tills selling the last units at once, on PostgreSQL: the counter never
sells more than there is, every refusal leaves nothing behind, invoice numbers never repeat.

SQLite serialises writers with BEGIN IMMEDIATE, so the race exists only on PostgreSQL; this
runs there (``DATABASE_URL=postgres://...``; ``make test`` does when PostgreSQL answers).
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from omnioms.catalog.models import Product, Sku
from omnioms.core.models import Location, LocationKind
from omnioms.inventory.models import StockBalance
from omnioms.orders.models import Order
from omnioms.sales.domain import InvoiceRequest, PriceLine
from omnioms.sales.models import Invoice, Payment
from omnioms.sales.services import CounterSale, OutOfStock, counter_account, sell_at_counter
from omnioms.sales.tests.conftest import stock
from omnioms.testing import make_location, make_user

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the race exists only on PostgreSQL"
    ),
]

CLERKS = 8
ON_SHELF = 3


def test_eight_clerks_selling_the_last_three_units_make_three_sales_and_five_refusals() -> None:
    store = make_location("race-store", LocationKind.STORE)
    product = Product.objects.create(code="RACE", name="限量款")
    sku = Sku.objects.create(product=product, code="RACE-1", name="限量款", price=Decimal("88"))
    stock(sku, store, ON_SHELF)
    counter_account(store)  # made once, before the rush
    clerks = [make_user("store_clerk", store="race-store") for _ in range(CLERKS)]
    barrier = threading.Barrier(CLERKS)
    sold: list[int] = []
    refused: list[OutOfStock] = []
    errors: list[BaseException] = []

    def sell(clerk_index: int) -> None:
        try:
            place = Location.objects.get(pk=store.pk)
            sale = CounterSale(
                place,
                [PriceLine(sku.code, sku.name, 1, sku.price or Decimal(0))],
                buyer_name=f"顾客{clerk_index}",
                invoice=InvoiceRequest(buyer_name=f"顾客{clerk_index}"),
            )
            barrier.wait()
            sold.append(sell_at_counter(sale, user=clerks[clerk_index]).order.pk)
        except OutOfStock as exc:
            refused.append(exc)
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sell, args=(i,)) for i in range(CLERKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert (len(sold), len(refused)) == (ON_SHELF, CLERKS - ON_SHELF)
    balance = StockBalance.objects.get(sku=sku, location=store)
    assert (balance.on_hand, balance.reserved) == (0, 0)
    assert Order.objects.filter(account__location=store).count() == ON_SHELF
    assert Payment.objects.count() == ON_SHELF
    numbers = list(Invoice.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == ON_SHELF
