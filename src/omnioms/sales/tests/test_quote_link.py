"""The customer accepts a quote through the signed link they were sent, without logging in:
the latest version only, in force, approved where needed, once; anything else is a page
saying why, and nothing changes."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from omnioms.orders.models import Order
from omnioms.sales.models import InquiryStatus, Quote, QuoteStatus
from omnioms.sales.selectors import versions_of
from omnioms.sales.services import (
    LineInput,
    accept_quote,
    approve_quote,
    make_quote,
    mark_sent,
    quote_link_token,
    record_inquiry,
    revise_quote,
)
from omnioms.sales.tests.conftest import Shop
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db


def _sent_quote(discount: int = 10) -> tuple[Quote, str]:
    seller = make_user("order_clerk")
    inquiry = record_inquiry(
        name="张伟", phone="13700000000", handle="", source="wechat", wants="T 恤", user=seller
    )
    quote = make_quote(inquiry.pk, [LineInput("TS-BLK-L", 4, Decimal(discount))], user=seller)
    if quote.status != QuoteStatus.AWAITING_APPROVAL:
        mark_sent(quote.pk, user=seller)
    return quote, quote_link_token(quote, versions_of(quote)[-1])


@pytest.fixture
def customer() -> Client:
    """A browser that checks CSRF as the real one is checked."""
    return Client(enforce_csrf_checks=True)


def _accept(client: Client, token: str) -> tuple[int, str]:
    """Open the link, then press the button with the page's CSRF token, as a browser does."""
    client.get(f"/sales/q/{token}/")
    response = client.post(
        f"/sales/q/{token}/", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )
    return response.status_code, response.content.decode()


def test_the_link_shows_the_lines_prices_validity_and_delivery_with_an_accept_button(
    customer: Client, shop: Shop
) -> None:
    quote, token = _sent_quote()
    version = versions_of(quote)[-1]
    page = customer.get(f"/sales/q/{token}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "TS-BLK-L" in html
    assert "356.40" in html  # 4 × 99 less 10 %
    assert str(version.valid_until) in html
    assert 'id="delivery-date"' in html
    assert "Accept this quote" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # the CSP allows no inline script
    assert 'style="' not in html


def test_the_customer_accepts_and_the_quote_becomes_one_order_through_the_one_path(
    customer: Client, shop: Shop
) -> None:
    quote, token = _sent_quote()
    status, _html = _accept(customer, token)
    assert status == 302
    quote.refresh_from_db()
    order = Order.objects.get()
    assert quote.status == QuoteStatus.ACCEPTED
    assert quote.order == order
    assert order.external_id == quote.number
    assert order.status == "pending_payment"
    assert order.payloads.count() == 1
    assert order.total == Decimal("356.4000")
    assert quote.inquiry.status == InquiryStatus.WON
    thanks = customer.get(f"/sales/q/{token}/?accepted=1").content.decode()
    assert "you accepted this quote" in thanks


def test_the_quotes_history_says_the_customer_accepted_through_the_link_and_when(
    customer: Client, shop: Shop
) -> None:
    quote, token = _sent_quote()
    before = timezone.now()
    _accept(customer, token)
    quote.refresh_from_db()
    assert quote.accepted_by == "张伟 (quote link)"
    assert quote.accepted_at is not None
    assert quote.accepted_at >= before
    event = Order.objects.get().events.order_by("pk")[0]
    assert (event.actor_kind, event.actor_label) == ("customer", "张伟 (quote link)")
    staff = Client()
    staff.force_login(make_user("order_clerk"))
    page = staff.get(f"/sales/quotes/{quote.pk}/").content.decode()
    assert "Accepted by 张伟 (quote link)" in page


def test_pressing_accept_twice_makes_one_order_and_the_second_says_it_is_accepted(
    customer: Client, shop: Shop
) -> None:
    _quote, token = _sent_quote()
    first, _ = _accept(customer, token)
    second, html = _accept(customer, token)
    assert (first, second) == (302, 409)
    assert "already been accepted" in html
    assert Order.objects.count() == 1


def test_a_post_without_the_csrf_token_is_refused_and_makes_no_order(
    customer: Client, shop: Shop
) -> None:
    _quote, token = _sent_quote()
    assert customer.post(f"/sales/q/{token}/").status_code == 403
    assert Order.objects.count() == 0


def test_an_expired_link_says_so_and_changes_nothing(customer: Client, shop: Shop) -> None:
    quote, token = _sent_quote()
    quote.versions.update(valid_until=timezone.localdate() - timedelta(days=1))
    assert customer.get(f"/sales/q/{token}/").status_code == 410
    status, html = _accept(customer, token)
    assert status == 410
    assert "expired" in html
    assert "Accept this quote" not in html
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT
    assert Order.objects.count() == 0


def test_the_link_of_a_superseded_version_says_a_newer_one_exists_and_changes_nothing(
    customer: Client, shop: Shop
) -> None:
    quote, old_token = _sent_quote()
    revise_quote(
        quote.pk,
        [LineInput("TS-BLK-L", 5, Decimal(10))],
        valid_until=timezone.localdate() + timedelta(days=7),
        user=make_user("order_clerk"),
    )
    status, html = _accept(customer, old_token)
    assert status == 410
    assert "replaced by a newer one" in html
    assert Order.objects.count() == 0
    quote.refresh_from_db()
    assert quote.status != QuoteStatus.ACCEPTED
    new_token = quote_link_token(quote, versions_of(quote)[-1])
    status, _html = _accept(customer, new_token)
    assert status == 302
    assert Order.objects.get().lines.get().quantity == 5


def test_a_quote_accepted_by_staff_cannot_be_accepted_again_through_the_link(
    customer: Client, shop: Shop
) -> None:
    quote, token = _sent_quote()
    accept_quote(quote.pk, user=make_user("order_clerk"))
    status, html = _accept(customer, token)
    assert status == 409
    assert "already been accepted" in html
    assert Order.objects.count() == 1


def test_a_quote_waiting_for_a_managers_approval_cannot_be_accepted_until_approved(
    customer: Client, shop: Shop
) -> None:
    quote, token = _sent_quote(discount=20)
    assert quote.status == QuoteStatus.AWAITING_APPROVAL
    status, html = _accept(customer, token)
    assert status == 409
    assert "reviewed by a manager" in html
    assert Order.objects.count() == 0
    approve_quote(quote.pk, user=make_user("manager"))
    status, _html = _accept(customer, token)
    assert status == 302
    assert Order.objects.count() == 1


def test_the_link_page_reads_in_chinese(customer: Client, shop: Shop) -> None:
    _quote, token = _sent_quote()
    page = customer.get(f"/sales/q/{token}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "接受此报价" in page
