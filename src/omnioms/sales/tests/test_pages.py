"""The sales pages through HTTP: the counter from scan to invoice PDF, inquiries and quotes
from the form to the order, and what each role may do."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from omnioms.orders.models import Order
from omnioms.sales.models import Invoice, Quote, QuoteStatus
from omnioms.sales.selectors import versions_of
from omnioms.sales.services import LineInput, make_quote, quote_link_token, record_inquiry
from omnioms.sales.tests.conftest import Shop
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db


def _clerk(client: Client) -> None:
    client.force_login(make_user("store_clerk", store="sh-01"))


def test_a_scanned_code_adds_a_unit_and_shows_stock_here_and_elsewhere(
    client: Client, shop: Shop
) -> None:
    _clerk(client)
    assert client.get("/sales/counter/").status_code == 200
    client.post("/sales/counter/scan/", {"code": "TS-BLK-L"})
    page = client.post("/sales/counter/scan/", {"code": "TS-BLK-L"}, headers={"HX-Request": "true"})
    html = page.content.decode()
    assert 'value="2"' in html  # two units of it
    assert "2 here" in html
    assert "wh-01: 10" in html


def test_a_search_offers_the_matching_skus_to_pick(client: Client, shop: Shop) -> None:
    _clerk(client)
    page = client.post("/sales/counter/scan/", {"code": "杯"}).content.decode()
    assert "MUG-1" in page
    assert "马克杯" in page
    client.post("/sales/counter/scan/", {"code": "MUG-1", "pick": "1"})
    assert "MUG-1" in client.get("/sales/counter/").content.decode()


def test_checkout_with_an_invoice_leads_to_the_receipt_and_its_pdf(
    client: Client, shop: Shop
) -> None:
    _clerk(client)
    client.post("/sales/counter/scan/", {"code": "TS-BLK-L"})
    response = client.post(
        "/sales/counter/checkout/",
        {
            "buyer_name": "李雷",
            "buyer_phone": "13900000000",
            "paid": "",
            "method": "wechat_pay",
            "fulfilment": "hand_over",
            "want_invoice": "on",
            "inv-kind": "general",
            "inv-is_company": "on",
            "inv-buyer_name": "上海某某贸易有限公司",
            "inv-tax_number": "91310000MA1FL8XQ2K",
        },
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert response["Location"] == f"/sales/counter/orders/{order.pk}/"
    receipt = client.get(response["Location"]).content.decode()
    invoice = Invoice.objects.get()
    assert invoice.number in receipt
    pdf = client.get(f"/sales/invoices/{invoice.number}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert b"STSong-Light" in pdf.content
    assert client.get("/sales/counter/").context["lines"] == []  # the cart is empty again


def test_a_sale_short_of_stock_is_refused_with_409_and_the_cart_kept(
    client: Client, shop: Shop
) -> None:
    _clerk(client)
    client.post("/sales/counter/scan/", {"code": "MUG-1"})
    client.post("/sales/counter/line/", {"sku": "MUG-1", "quantity": "6"})
    response = client.post(
        "/sales/counter/checkout/",
        {"paid": "", "method": "cash", "fulfilment": "ship", "address": "南京路 1 号"},
    )
    assert response.status_code == 409
    assert "not enough stock" in response.content.decode()
    assert Order.objects.count() == 0
    assert response.context["lines"][0].quantity == 6


def test_a_bad_quantity_or_payment_is_a_400_not_a_500(client: Client, shop: Shop) -> None:
    _clerk(client)
    client.post("/sales/counter/scan/", {"code": "MUG-1"})
    assert client.post("/sales/counter/line/", {"sku": "MUG-1", "quantity": "x"}).status_code == 400
    response = client.post(
        "/sales/counter/checkout/", {"paid": "1e30", "method": "cash", "fulfilment": "hand_over"}
    )
    assert response.status_code == 400
    assert client.post("/sales/counter/scan/", {"code": "a\x00b"}).status_code in (200, 400)


def test_a_planner_may_not_open_the_counter(client: Client, shop: Shop) -> None:
    client.force_login(make_user("planner"))
    assert client.get("/sales/counter/").status_code == 403


def test_an_inquiry_and_a_quote_are_made_from_the_pages(client: Client, shop: Shop) -> None:
    client.force_login(make_user("order_clerk"))
    made = client.post(
        "/sales/inquiries/",
        {
            "contact_name": "张伟",
            "contact_phone": "13700000000",
            "source": "douyin",
            "wants": "T恤 20 件",
        },
    )
    assert made.status_code == 302
    quote_page = client.post(
        made["Location"],
        {
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-sku": "TS-BLK-L",
            "lines-0-quantity": "2",
            "lines-0-list_price": "",
            "lines-0-discount_percent": "5",
            "valid_until": "2099-01-01",
            "note": "",
        },
    )
    assert quote_page.status_code == 302
    quote = Quote.objects.get()
    page = client.get(quote_page["Location"]).content.decode()
    assert quote.number in page
    assert "188.10" in page
    deep = client.post(
        f"/sales/quotes/{quote.pk}/revise/",
        {
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-sku": "TS-BLK-L",
            "lines-0-quantity": "2",
            "lines-0-discount_percent": "50",
            "valid_until": "2099-01-01",
        },
    )
    assert deep.status_code == 400
    assert "30" in deep.content.decode()
    assert len(versions_of(quote)) == 1


def test_only_a_manager_approves_and_the_maker_is_told_someone_else_must(
    client: Client, shop: Shop
) -> None:
    maker = make_user("manager")
    inquiry = record_inquiry(
        name="张伟", phone="", handle="", source="phone", wants="x", user=maker
    )
    quote = make_quote(inquiry.pk, [LineInput("MUG-1", 1, Decimal(15))], user=maker)
    client.force_login(make_user("order_clerk"))
    assert client.post(f"/sales/quotes/{quote.pk}/approve/").status_code == 403
    client.force_login(maker)
    assert "someone else must approve" in client.get(f"/sales/quotes/{quote.pk}/").content.decode()
    client.post(f"/sales/quotes/{quote.pk}/approve/")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.AWAITING_APPROVAL
    client.force_login(make_user("manager"))
    client.post(f"/sales/quotes/{quote.pk}/approve/")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED
    accepted = client.post(f"/sales/quotes/{quote.pk}/accept/")
    order = Order.objects.get()
    assert accepted["Location"] == f"/orders/{order.pk}/"


def test_the_customers_link_shows_the_quote_and_its_pdf_and_a_tampered_one_is_404(
    client: Client, shop: Shop
) -> None:
    seller = make_user("order_clerk")
    inquiry = record_inquiry(
        name="张伟", phone="", handle="", source="phone", wants="x", user=seller
    )
    quote = make_quote(inquiry.pk, [LineInput("MUG-1", 1)], user=seller)
    token = quote_link_token(quote, versions_of(quote)[0])
    client.logout()
    page = client.get(f"/sales/q/{token}/")
    assert page.status_code == 200
    assert "Accept this quote" in page.content.decode()
    pdf = client.get(f"/sales/q/{token}/quote.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    # Change the signature's last character to another one: a fixed replacement would be no
    # change at all whenever the signature already ends in it (one run in sixteen).
    tampered = token[:-1] + ("B" if token[-1] != "B" else "C")
    assert client.get(f"/sales/q/{tampered}/").status_code == 404


def _form_fields(html: str, form_id: str) -> dict[str, str]:
    """The named inputs of one form on a page, with their values, as a browser posts them."""
    form = html[html.index(f'id="{form_id}"') :]
    form = form[: form.index("</form>")]
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    for name, text in re.findall(r'<textarea name="([^"]+)"[^>]*>([^<]*)</textarea>', form):
        fields[name] = text.strip()
    return fields


def test_the_revise_form_posted_back_with_one_change_makes_a_version_keeping_the_other_lines(
    client: Client, shop: Shop
) -> None:
    seller = make_user("order_clerk")
    inquiry = record_inquiry(
        name="张伟", phone="", handle="", source="phone", wants="x", user=seller
    )
    quote = make_quote(
        inquiry.pk, [LineInput("TS-BLK-L", 5), LineInput("MUG-1", 2, Decimal(3))], user=seller
    )
    client.force_login(seller)
    fields = _form_fields(client.get(f"/sales/quotes/{quote.pk}/").content.decode(), "revise-form")
    fields["lines-0-quantity"] = "6"
    assert client.post(f"/sales/quotes/{quote.pk}/revise/", fields).status_code == 302
    latest = versions_of(quote)[-1]
    assert [(line.sku.code, line.quantity) for line in latest.lines.all()] == [
        ("TS-BLK-L", 6),
        ("MUG-1", 2),
    ]
    assert latest.lines.get(sku__code="MUG-1").discount_percent == Decimal(3)


def test_the_receipt_of_a_deposit_takes_the_balance(client: Client, shop: Shop) -> None:
    _clerk(client)
    client.post("/sales/counter/scan/", {"code": "MUG-1"})
    made = client.post(
        "/sales/counter/checkout/",
        {"paid": "5", "method": "cash", "fulfilment": "ship", "address": "南京路 1 号"},
    )
    receipt = client.get(made["Location"]).content.decode()
    assert "Still to pay" in receipt
    order = Order.objects.get()
    client.post(f"/sales/orders/{order.pk}/payments/", {"amount": "40", "method": "wechat_pay"})
    order.refresh_from_db()
    assert order.status == "paid"
    assert "Still to pay" not in client.get(made["Location"]).content.decode()
