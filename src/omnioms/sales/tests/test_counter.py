"""A sale at the store counter: the one path, the stock rules at the moment of sale, payment,
hand-over or shipping from elsewhere, and the numbered invoice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from omnioms.core.models import Location
from omnioms.inventory.models import OrderStock, Reservation, StockBalance
from omnioms.orders.models import Order
from omnioms.sales.domain import InvoiceRequest, PriceLine
from omnioms.sales.models import Invoice, Payment
from omnioms.sales.services import CounterSale, OutOfStock, SaleError, sell_at_counter
from omnioms.sales.tests.conftest import Shop
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db


def _line(sku: object, quantity: int) -> PriceLine:
    return PriceLine(sku.code, sku.name, quantity, sku.price)  # type: ignore[attr-defined]


def _on_hand(shop: Shop, location: Location) -> int:
    return StockBalance.objects.get(sku=shop.shirt, location=location).on_hand


def test_a_sale_handed_over_takes_the_stores_stock_through_the_counters_flow(shop: Shop) -> None:
    clerk = make_user("store_clerk", store="sh-01")
    result = sell_at_counter(
        CounterSale(
            shop.store, [_line(shop.shirt, 2)], buyer_name="李雷", buyer_phone="13900000000"
        ),
        user=clerk,
    )
    order = result.order
    # The counter account runs the store-counter flow: paid, then its hand-over action.
    assert (order.status, order.stage) == ("completed", "handed_over")
    assert order.events.filter(kind="action", data__action="hand_over").exists()
    assert order.account.name == "counter-sh-01"
    assert order.location == shop.store
    assert order.payloads.count() == 1  # through the intake like every channel's order
    assert _on_hand(shop, shop.store) == 0
    assert _on_hand(shop, shop.warehouse) == 10
    payment = Payment.objects.get(order=order)
    assert payment.kind == "payment"
    assert payment.amount == Decimal("198.00")


def test_what_the_store_lacks_is_reserved_at_the_warehouse_to_ship(shop: Shop) -> None:
    clerk = make_user("store_clerk", store="sh-01")
    result = sell_at_counter(
        CounterSale(
            shop.store,
            [_line(shop.shirt, 3)],
            buyer_name="李雷",
            hand_over=False,
            ship_to={"name": "李雷", "province": "上海", "address": "南京路 1 号"},
        ),
        user=clerk,
    )
    assert result.fulfilled_from == ["wh-01"]
    assert result.order.status == "paid"
    held = Reservation.objects.get(order=result.order, state="reserved")
    assert (held.location, held.quantity) == (shop.warehouse, 3)


def test_goods_not_at_this_store_cannot_be_handed_over_and_nothing_is_written(shop: Shop) -> None:
    clerk = make_user("store_clerk", store="sh-01")
    with pytest.raises(SaleError) as refused:
        sell_at_counter(CounterSale(shop.store, [_line(shop.shirt, 3)]), user=clerk)
    assert "ship it" in refused.value.errors["lines"]
    assert Order.objects.count() == 0
    assert Payment.objects.count() == 0


def test_a_sale_of_more_than_there_is_anywhere_is_refused_whole(shop: Shop) -> None:
    clerk = make_user("store_clerk", store="sh-01")
    sale = CounterSale(
        shop.store,
        [_line(shop.shirt, 13)],
        hand_over=False,
        ship_to={"address": "南京路 1 号"},
    )
    with pytest.raises(OutOfStock) as refused:
        sell_at_counter(sale, user=clerk)
    assert refused.value.shorts == [("TS-BLK-L", 13, 2)]
    assert Order.objects.count() == 0
    assert OrderStock.objects.count() == 0
    assert _on_hand(shop, shop.store) == 2


def test_a_deposit_holds_the_goods_and_the_order_waits_for_payment(shop: Shop) -> None:
    clerk = make_user("store_clerk", store="sh-01")
    result = sell_at_counter(
        CounterSale(
            shop.store,
            [_line(shop.mug, 1)],
            paid=Decimal("10.00"),
            hand_over=False,
            ship_to={"address": "南京路 1 号"},
        ),
        user=clerk,
    )
    assert result.order.status == "pending_payment"
    assert Payment.objects.get(order=result.order).kind == "deposit"
    assert StockBalance.objects.get(sku=shop.mug, location=shop.warehouse).reserved == 1


def test_goods_handed_over_must_be_paid_in_full(shop: Shop) -> None:
    clerk = make_user("store_clerk", store="sh-01")
    with pytest.raises(SaleError) as refused:
        sell_at_counter(
            CounterSale(shop.store, [_line(shop.shirt, 1)], paid=Decimal("1")), user=clerk
        )
    assert "paid" in refused.value.errors


def test_a_company_invoice_is_numbered_and_carries_the_vat_request_fields(shop: Shop) -> None:
    clerk = make_user("store_clerk", store="sh-01")
    request = InvoiceRequest(
        kind="special",
        is_company=True,
        buyer_name="上海某某贸易有限公司",
        tax_number="91310000MA1FL8XQ2K",
        address="上海市黄浦区南京东路 100 号",
        phone="021-12345678",
        bank="中国工商银行上海分行",
        bank_account="1001234509876543210",
    )
    first = sell_at_counter(
        CounterSale(shop.store, [_line(shop.shirt, 1)], invoice=request), user=clerk
    )
    second = sell_at_counter(
        CounterSale(shop.store, [_line(shop.shirt, 1)], invoice=request), user=clerk
    )
    assert first.invoice is not None
    assert second.invoice is not None
    year = first.invoice.issued_at.year
    assert [first.invoice.number, second.invoice.number] == [
        f"INV-{year}-000001",
        f"INV-{year}-000002",
    ]
    assert first.invoice.tax == Decimal("11.39")  # 99.00 × 13 / 113
    assert first.invoice.buyer_bank_account == "1001234509876543210"


def test_an_incomplete_special_invoice_request_refuses_the_sale(shop: Shop) -> None:
    clerk = make_user("store_clerk", store="sh-01")
    request = InvoiceRequest(kind="special", is_company=True, buyer_name="某公司", tax_number="123")
    with pytest.raises(SaleError) as refused:
        sell_at_counter(
            CounterSale(shop.store, [_line(shop.shirt, 1)], invoice=request), user=clerk
        )
    assert set(refused.value.errors) >= {"tax_number", "address", "bank", "bank_account"}
    assert Order.objects.count() == 0
    assert Invoice.objects.count() == 0


def test_the_balance_of_a_deposit_makes_the_order_paid_through_its_flow(shop: Shop) -> None:
    from omnioms.sales.services import take_payment

    clerk = make_user("store_clerk", store="sh-01")
    order = sell_at_counter(
        CounterSale(
            shop.store,
            [_line(shop.mug, 2)],
            paid=Decimal("20.00"),
            hand_over=False,
            ship_to={"address": "南京路 1 号"},
        ),
        user=clerk,
    ).order
    assert order.stage == "awaiting_payment"
    with pytest.raises(SaleError):
        take_payment(order.pk, amount=Decimal("71.00"), method="cash", user=clerk)  # too much
    take_payment(order.pk, amount=Decimal("30.00"), method="cash", user=clerk)
    order.refresh_from_db()
    assert order.status == "pending_payment"
    take_payment(order.pk, amount=Decimal("40.00"), method="alipay", user=clerk)
    order.refresh_from_db()
    assert (order.status, order.stage) == ("paid", "paid")
    assert order.events.filter(kind="action", data__action="take_payment").exists()
    assert [p.kind for p in Payment.objects.filter(order=order)] == [
        "deposit",
        "balance",
        "balance",
    ]
