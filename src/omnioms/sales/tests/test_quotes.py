"""Social selling: an inquiry, a quote made from it with discounts within the account's
limits and a delivery date from available-to-promise, revised with every version kept,
approved by someone else when the discount is deep, accepted into an order without re-keying."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from omnioms.catalog.models import Sku
from omnioms.channels.models import ChannelAccount
from omnioms.core.actor import Actor
from omnioms.core.choices import Platform
from omnioms.flows.publishing import export_flow, import_flow
from omnioms.inventory.models import IncomingStock
from omnioms.orders.models import Order
from omnioms.sales.domain import version_changes
from omnioms.sales.models import InquiryStatus, QuoteStatus
from omnioms.sales.selectors import version_view, versions_of
from omnioms.sales.services import (
    LineInput,
    SaleError,
    accept_quote,
    approve_quote,
    make_quote,
    mark_sent,
    quote_from_token,
    quote_link_token,
    record_inquiry,
    revise_quote,
    social_account,
)
from omnioms.sales.tests.conftest import Shop
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db


def _inquiry(seller: object) -> int:
    inquiry = record_inquiry(
        name="张伟",
        phone="13700000000",
        handle="zhangwei_wx",
        source="wechat",
        wants="20 件黑色 T 恤，月底前要",
        user=seller,  # type: ignore[arg-type]
    )
    return inquiry.pk


def test_an_inquiry_finds_the_customer_by_phone_or_creates_them(shop: Shop) -> None:
    seller = make_user("order_clerk")
    first = record_inquiry(
        name="张伟", phone="137 0000 0000", handle="", source="phone", wants="x", user=seller
    )
    again = record_inquiry(
        name="张伟", phone="+86 13700000000", handle="", source="wechat", wants="y", user=seller
    )
    assert first.customer_id == again.customer_id


def test_a_quote_within_the_threshold_is_ready_to_send_with_its_delivery_date(shop: Shop) -> None:
    seller = make_user("order_clerk")
    quote = make_quote(
        _inquiry(seller),
        [LineInput("TS-BLK-L", 5, Decimal(5)), LineInput("MUG-1", 2)],
        user=seller,
    )
    assert quote.status == QuoteStatus.APPROVED
    assert quote.account.platform == Platform.MANUAL
    version = versions_of(quote)[0]
    assert version.total == Decimal("560.25")  # 5 × 94.05 + 2 × 45
    assert version.delivery_date == timezone.localdate()  # all of it available now
    assert not version.needs_approval


def test_the_delivery_date_waits_for_incoming_stock_and_is_empty_when_nothing_covers_it(
    shop: Shop,
) -> None:
    seller = make_user("order_clerk")
    account = social_account()
    later = timezone.localdate() + timedelta(days=9)
    IncomingStock.objects.create(
        sku=shop.mug, location=shop.warehouse, quantity=20, expected_on=later
    )
    covered = make_quote(_inquiry(seller), [LineInput("MUG-1", 12)], account=account, user=seller)
    assert versions_of(covered)[0].delivery_date == later
    uncovered = make_quote(_inquiry(seller), [LineInput("MUG-1", 500)], user=seller)
    assert versions_of(uncovered)[0].delivery_date is None


def test_a_discount_past_the_accounts_limit_is_refused(shop: Shop) -> None:
    seller = make_user("order_clerk")
    with pytest.raises(SaleError) as refused:
        make_quote(_inquiry(seller), [LineInput("TS-BLK-L", 1, Decimal(31))], user=seller)
    assert "30" in refused.value.errors["discount"]


def test_a_deep_discount_waits_for_a_manager_who_is_not_its_maker(shop: Shop) -> None:
    maker = make_user("manager")
    other = make_user("manager")
    quote = make_quote(_inquiry(maker), [LineInput("TS-BLK-L", 1, Decimal(20))], user=maker)
    assert quote.status == QuoteStatus.AWAITING_APPROVAL
    with pytest.raises(SaleError):
        mark_sent(quote.pk, user=maker)
    with pytest.raises(SaleError) as self_approval:
        approve_quote(quote.pk, user=maker)
    assert "may not approve" in self_approval.value.errors["quote"]
    version = approve_quote(quote.pk, user=other)
    assert version.approved_by == other
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED


def _flow_discounts(account: ChannelAccount, **discounts: object) -> None:
    """Publish the account's flow again with these discount limits (as a manager would in the
    editor, or with ``omnioms flow import``)."""
    definition = json.loads(export_flow(account))
    definition["discounts"] = discounts
    import_flow(account, json.dumps(definition), mapping={}, actor=Actor.system("test"))


def test_the_flow_may_allow_self_approval(shop: Shop) -> None:
    account = social_account()
    _flow_discounts(account, without_approval=5, self_approval=True)
    maker = make_user("manager")
    quote = make_quote(
        _inquiry(maker), [LineInput("TS-BLK-L", 1, Decimal(8))], account=account, user=maker
    )
    assert quote.status == QuoteStatus.AWAITING_APPROVAL
    approve_quote(quote.pk, user=maker)


def test_each_role_discounts_as_far_as_the_flow_lets_it_without_approval(shop: Shop) -> None:
    account = social_account()
    _flow_discounts(account, maximum=25, without_approval=3, by_role={"manager": 15})
    clerk, manager = make_user("order_clerk"), make_user("manager")
    lines = [LineInput("TS-BLK-L", 1, Decimal(8))]

    by_clerk = make_quote(_inquiry(clerk), lines, account=account, user=clerk)
    by_manager = make_quote(_inquiry(manager), lines, account=account, user=manager)

    assert by_clerk.status == QuoteStatus.AWAITING_APPROVAL
    assert by_manager.status != QuoteStatus.AWAITING_APPROVAL
    with pytest.raises(SaleError) as refused:
        make_quote(
            _inquiry(manager),
            [LineInput("TS-BLK-L", 1, Decimal(26))],
            account=account,
            user=manager,
        )
    assert "26% is more than the 25% the flow allows" in refused.value.errors["discount"]


def test_every_version_is_kept_and_the_differences_are_listed(shop: Shop) -> None:
    seller = make_user("order_clerk")
    quote = make_quote(
        _inquiry(seller), [LineInput("TS-BLK-L", 5), LineInput("MUG-1", 2)], user=seller
    )
    until = timezone.localdate() + timedelta(days=30)
    revise_quote(
        quote.pk,
        [LineInput("TS-BLK-L", 8, Decimal(5))],
        valid_until=until,
        note="8 件给 5% 折扣",
        user=seller,
    )
    first, second = versions_of(quote)
    assert [line.quantity for line in first.lines.all()] == [5, 2]  # unchanged
    changes = version_changes(version_view(first), version_view(second))
    assert {(c.what, c.sku, c.before, c.after) for c in changes} >= {
        ("quantity", "TS-BLK-L", "5", "8"),
        ("discount", "TS-BLK-L", "0.00%", "5.00%"),
        ("removed", "MUG-1", "2 × 45.00", ""),
        ("valid_until", "", str(first.valid_until), str(until)),
    }


def test_an_accepted_quote_becomes_an_order_with_the_quoted_lines_and_prices(shop: Shop) -> None:
    seller = make_user("order_clerk")
    inquiry_id = _inquiry(seller)
    quote = make_quote(inquiry_id, [LineInput("TS-BLK-L", 4, Decimal(10))], user=seller)
    mark_sent(quote.pk, user=seller)
    order = accept_quote(quote.pk, user=seller)
    assert order.external_id == quote.number
    assert order.status == "pending_payment"
    assert order.payloads.count() == 1  # the one path
    line = order.lines.get()
    assert (line.sku_code, line.quantity, line.unit_price, line.total) == (
        "TS-BLK-L",
        4,
        Decimal("99.0000"),
        Decimal("356.4000"),
    )
    assert order.total == Decimal("356.4000")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    assert quote.order == order
    assert quote.inquiry.status == InquiryStatus.WON
    assert quote.accepted_by == seller.username  # the quote's history: who accepted
    assert quote.accepted_at is not None
    with pytest.raises(SaleError):
        accept_quote(quote.pk, user=seller)  # once
    assert Order.objects.count() == 1


def test_an_expired_quote_cannot_be_accepted(shop: Shop) -> None:
    seller = make_user("order_clerk")
    quote = make_quote(_inquiry(seller), [LineInput("MUG-1", 1)], user=seller)
    quote.versions.update(valid_until=timezone.localdate() - timedelta(days=1))
    with pytest.raises(SaleError) as refused:
        accept_quote(quote.pk, user=seller)
    assert "expired" in refused.value.errors["valid_until"]


def test_the_link_names_one_version_and_cannot_be_altered(shop: Shop) -> None:
    seller = make_user("order_clerk")
    quote = make_quote(_inquiry(seller), [LineInput("MUG-1", 1)], user=seller)
    version = versions_of(quote)[0]
    token = quote_link_token(quote, version)
    assert quote_from_token(token) == (quote, version)
    assert quote_from_token(token[:-2] + "xx") is None
    assert quote_from_token("garbage") is None


def test_a_sku_not_in_the_catalogue_is_named(shop: Shop) -> None:
    seller = make_user("order_clerk")
    with pytest.raises(SaleError) as refused:
        make_quote(_inquiry(seller), [LineInput("NOPE", 1)], user=seller)
    assert "NOPE" in refused.value.errors["line 1"]
    assert not Sku.objects.filter(code="NOPE").exists()
