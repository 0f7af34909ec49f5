"""The sales app in the flows registries: the invoice_issued and quote_accepted guards read
real invoices and quotes, the issue_invoice effect issues a numbered invoice, and a counter
sale walks the store-counter flow."""

from __future__ import annotations

from decimal import Decimal

import pytest

from omnioms.flows.registry import check_guard
from omnioms.flows.services import available_actions, take_action
from omnioms.orders.models import Order
from omnioms.sales.domain import InvoiceRequest, PriceLine
from omnioms.sales.models import Invoice
from omnioms.sales.services import (
    CounterSale,
    LineInput,
    accept_quote,
    make_quote,
    record_inquiry,
    sell_at_counter,
)
from omnioms.sales.tests.conftest import Shop
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db


def _shirt(shop: Shop, quantity: int = 1) -> list[PriceLine]:
    return [PriceLine(shop.shirt.code, shop.shirt.name, quantity, Decimal("99.00"))]


def test_a_counter_sale_with_an_invoice_walks_paid_invoiced_handed_over(shop: Shop) -> None:
    clerk = make_user("store_clerk", store="sh-01")
    result = sell_at_counter(
        CounterSale(shop.store, _shirt(shop), invoice=InvoiceRequest(buyer_name="李雷")),
        user=clerk,
    )
    actions = list(
        result.order.events.filter(kind="action")
        .order_by("pk")
        .values_list("data__action", flat=True)
    )
    assert actions == ["issue_invoice", "hand_over"]
    assert Invoice.objects.filter(order=result.order).count() == 1  # the sale's, not a second
    assert check_guard("invoice_issued", result.order) is None


def test_the_invoice_guard_fails_until_an_invoice_exists_and_the_effect_issues_one(
    shop: Shop,
) -> None:
    clerk = make_user("store_clerk", store="sh-01")
    result = sell_at_counter(
        CounterSale(shop.store, _shirt(shop), hand_over=False, ship_to={"address": "南京路 1 号"}),
        user=clerk,
    )
    order = Order.objects.get(pk=result.order.pk)
    assert check_guard("invoice_issued", order) == "no invoice was issued"
    assert "issue_invoice" in [a["action"] for a in available_actions(order, clerk)]
    taken = take_action(order, "issue_invoice", {}, clerk)
    invoice = Invoice.objects.get(order=order)
    assert taken.results["invoice"] == invoice.number
    assert invoice.buyer_name == "个人"  # no buyer name given: a private person's invoice
    assert check_guard("invoice_issued", order) is None


def test_a_quotes_order_passes_the_quote_accepted_guard_and_another_does_not(
    shop: Shop,
) -> None:
    seller = make_user("order_clerk")
    inquiry = record_inquiry(
        name="张伟", phone="", handle="", source="phone", wants="x", user=seller
    )
    quote = make_quote(inquiry.pk, [LineInput("MUG-1", 1)], user=seller)
    order = accept_quote(quote.pk, user=seller)
    assert check_guard("quote_accepted", order) is None
    assert "take_payment" in [a["action"] for a in available_actions(order, seller)]
    clerk = make_user("store_clerk", store="sh-01")
    sold = sell_at_counter(CounterSale(shop.store, _shirt(shop)), user=clerk).order
    assert check_guard("quote_accepted", sold) == "the customer has not accepted the quote"
