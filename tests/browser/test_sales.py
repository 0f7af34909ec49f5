"""The sales journeys in a real browser: a sale at the counter from scan to invoice, an
inquiry quoted, approved by a manager and accepted into an order, and the order list's bulk
actions (ship the ticked orders, pick list, Excel export)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from omnioms.catalog.models import Product, Sku
from omnioms.core.actor import Actor
from omnioms.core.models import LocationKind
from omnioms.core.roles import Role
from omnioms.inventory.services import receive_stock
from omnioms.orders.models import Order
from omnioms.sales.models import Invoice
from omnioms.sales.selectors import versions_of
from omnioms.sales.services import (
    LineInput,
    make_quote,
    mark_sent,
    quote_link_token,
    record_inquiry,
)

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests",
        allow_module_level=True,
    )

from omnioms.web.tests.factories import (  # noqa: E402
    PASSWORD,
    make_account,
    make_location,
    make_user,
    order_data,
    submit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def goods() -> None:
    store = make_location("flagship")
    warehouse = make_location("east-wh", kind=LocationKind.WAREHOUSE)
    product = Product.objects.create(code="TEE", name="T恤")
    tee = Sku.objects.create(
        product=product, code="TEE-BLK-L", name="T恤 黑色 L", price=Decimal(99)
    )
    mug = Sku.objects.create(product=product, code="MUG-1", name="马克杯", price=Decimal(45))
    for sku, place, quantity in ((tee, store, 3), (tee, warehouse, 10), (mug, warehouse, 4)):
        receive_stock(
            sku=sku, location=place, quantity=quantity, unit_cost=None, actor=Actor.system()
        )


def log_in(page: Page, base_url: str, username: str, start: str = "/orders/") -> None:
    page.goto(f"{base_url}{start}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(re.escape(start) + "$"))


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()


@pytest.mark.usefixtures("goods")
def test_a_clerk_sells_at_the_counter_from_scan_to_invoice(page: Page, live_server: object) -> None:
    make_user("lin", Role.STORE_CLERK, store=make_location("flagship"))
    base = str(live_server)
    log_in(page, base, "lin", "/sales/counter/")

    scan = page.get_by_label("Scan or search a SKU")
    expect(scan).to_be_focused()
    scan.fill("TEE-BLK-L")
    scan.press("Enter")
    line = page.locator('tr[data-sku="TEE-BLK-L"]')
    expect(line).to_contain_text("3 here")
    expect(line).to_contain_text("east-wh: 10")
    expect(scan).to_have_value("")  # ready for the next scan
    scan.fill("杯")  # a search, not a code: pick from what matches
    scan.press("Enter")
    page.locator("#sku-matches").get_by_role("button", name=re.compile("MUG-1")).click()
    expect(page.locator('tr[data-sku="MUG-1"]')).to_contain_text("0 here")
    page.locator('tr[data-sku="TEE-BLK-L"] input.qty').fill("2")
    page.locator('tr[data-sku="TEE-BLK-L"] input.qty').dispatch_event("change")
    expect(page.locator("#cart-total")).to_contain_text("243")

    page.get_by_label("Customer", exact=True).fill("李雷")
    page.get_by_label("Phone").first.fill("13900000000")
    page.get_by_text("Complete the sale").click()
    # The mug is not in this store: handing it over is refused, nothing is sold.
    expect(page.locator(".errors")).to_contain_text("ship it to the customer")
    assert Order.objects.count() == 0

    page.get_by_label("Ship to the customer").check()
    page.get_by_text("Address for shipping").click()
    page.get_by_label("Address", exact=True).fill("上海市南京东路 100 号")
    page.get_by_text("Invoice", exact=True).click()
    page.locator("#want-invoice").check()
    page.get_by_label("Buyer name (发票抬头)").fill("李雷")
    page.get_by_text("Complete the sale").click()

    expect(page).to_have_url(re.compile(r"/sales/counter/orders/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("recorded")
    expect(page.locator("main")).to_contain_text("east-wh")  # reserved where the goods are
    invoice = Invoice.objects.get()
    link = page.locator("#invoice-link")
    expect(link).to_contain_text(invoice.number)
    pdf = page.request.get(f"{base}/sales/invoices/{invoice.number}.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")


@pytest.mark.usefixtures("goods")
def test_an_inquiry_is_quoted_approved_and_accepted_into_an_order(
    page: Page, live_server: object
) -> None:
    make_user("fang", Role.ORDER_CLERK)
    make_user("boss", Role.MANAGER)
    base = str(live_server)
    log_in(page, base, "fang", "/sales/inquiries/")

    page.get_by_label("Name").fill("张伟")
    page.get_by_label("Phone").fill("13700000000")
    page.get_by_label("Came through").select_option("wechat")
    page.get_by_label("What they want").fill("黑色 T 恤 5 件，下周要")
    page.get_by_role("button", name="Record the inquiry").click()
    expect(page.locator("h1")).to_contain_text("张伟")

    page.locator("#id_lines-0-sku").fill("TEE-BLK-L")
    page.locator("#id_lines-0-quantity").fill("5")
    page.locator("#id_lines-0-discount_percent").fill("20")
    page.get_by_role("button", name="Make the quote").click()
    expect(page.locator("#quote-status")).to_have_text("Awaiting approval")
    expect(page.locator("#delivery-date")).not_to_have_text("to be confirmed")
    expect(page.locator("#accept")).to_have_count(0)  # not before approval

    # Negotiated: 6 pieces at 15 % off; the differences are listed.
    page.locator("#revise-form #id_lines-0-quantity").fill("6")
    page.locator("#revise-form #id_lines-0-discount_percent").fill("15")
    page.get_by_role("button", name="Make a new version").click()
    expect(page.locator("#versions")).to_contain_text("TEE-BLK-L quantity 5 → 6")
    expect(page.locator("#versions")).to_contain_text("discount 20.00% → 15.00%")
    quote_url = page.url
    log_out(page)

    log_in(page, base, "boss", "/sales/quotes/")
    page.goto(quote_url)
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#quote-status")).to_have_text("Approved, not yet sent")
    expect(page.locator("#quote-link")).to_have_value(re.compile(r"/sales/q/"))
    page.get_by_role("button", name="Customer accepted: make the order").click()

    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get()
    assert order.status == "pending_payment"
    assert order.total == Decimal("504.90")  # 6 × 84.15, no re-keying


def test_ticked_orders_are_shipped_printed_and_exported_from_the_list(
    page: Page, live_server: object
) -> None:
    account = make_account("webshop", platform="shopify", display_name="Web shop")
    for number in range(3):
        submit(account, order_data(f"WEB-{number}", channel="shopify"))
    make_user("mei", Role.ORDER_CLERK)
    base = str(live_server)
    log_in(page, base, "mei")
    expect(page.locator("#order-count")).to_contain_text("3 orders")

    page.get_by_label("Select order WEB-0").check()
    page.get_by_label("Select order WEB-1").check()
    with page.context.expect_page() as printed:
        page.get_by_role("button", name="Pick list (PDF)").click()
    assert "/orders/bulk/" in printed.value.url
    printed.value.close()

    page.get_by_role("button", name="Ship…").click()
    page.get_by_label("Carrier").fill("SF Express")
    page.get_by_label("Tracking number of WEB-0").fill("SF1001")
    page.get_by_label("Tracking number of WEB-1").fill("SF1002")
    page.get_by_role("button", name="Mark shipped").click()
    expect(page).to_have_url(re.compile(r"/orders/$"))
    expect(page.locator(".messages")).to_contain_text("2 orders marked shipped")
    assert set(Order.objects.filter(status="shipped").values_list("external_id", flat=True)) == {
        "WEB-0",
        "WEB-1",
    }

    page.get_by_label("Status").select_option("paid")
    expect(page.locator("#order-count")).to_contain_text("1 order")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export to Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")


@pytest.mark.usefixtures("goods")
def test_the_customer_opens_the_quotes_link_and_accepts_it_without_logging_in(
    page: Page, live_server: object
) -> None:
    seller = make_user("fang", Role.ORDER_CLERK)
    inquiry = record_inquiry(
        name="张伟", phone="13700000000", handle="", source="wechat", wants="T 恤", user=seller
    )
    quote = make_quote(inquiry.pk, [LineInput("TEE-BLK-L", 2, Decimal(5))], user=seller)
    mark_sent(quote.pk, user=seller)
    link = f"{live_server}/sales/q/{quote_link_token(quote, versions_of(quote)[-1])}/"
    page.goto(link)
    expect(page.locator("main")).to_contain_text("TEE-BLK-L")
    expect(page.locator("main")).to_contain_text("188.10")  # 2 × 99 less 5 %
    page.get_by_role("button", name="Accept this quote").click()
    expect(page.locator("#accepted")).to_contain_text("you accepted this quote")
    expect(page.get_by_role("button", name="Accept this quote")).to_have_count(0)
    assert Order.objects.get().total == Decimal("188.10")

    page.goto(link)  # the link again, later: it says why there is nothing more to do
    expect(page.locator("#refusal")).to_contain_text("already been accepted")


def test_a_long_list_is_exported_in_the_background_and_downloaded_from_my_exports(
    page: Page, live_server: object, settings: Any, tmp_path: Path
) -> None:
    from omnioms.core.jobs import run_job
    from omnioms.core.models import Job

    settings.OMNIOMS_EXPORT_INLINE_ROWS = 2
    settings.OMNIOMS_EXPORT_DIR = str(tmp_path)
    account = make_account("webshop", platform="shopify", display_name="Web shop")
    for number in range(4):
        submit(account, order_data(f"WEB-{number}", channel="shopify"))
    make_user("mei", Role.ORDER_CLERK)
    log_in(page, str(live_server), "mei")
    page.get_by_label("Status").select_option("paid")
    # every order is paid, so the count reads the same before and after the filter: wait for
    # the filtered list's link (htmx swaps the results and pushes the filter into the address)
    expect(page.locator("#export-excel")).to_have_attribute("href", re.compile(r"status=paid"))
    expect(page.locator("#order-count")).to_contain_text("4 orders")

    page.get_by_role("link", name="Export to Excel").click()

    expect(page).to_have_url(re.compile(r"/orders/exports/$"))
    expect(page.locator(".messages")).to_contain_text("exported in the background")
    job = Job.objects.get(kind="web.order_export")
    row = page.locator(f"#export-{job.pk}")
    expect(row).to_contain_text("Status: paid")
    assert run_job(job.pk) == "succeeded"  # the task worker's part
    expect(row.get_by_role("link", name="Download")).to_be_visible(timeout=10_000)
    expect(row).to_contain_text("4")
    with page.expect_download() as download:
        row.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename.endswith(f"-{job.pk}.xlsx")
