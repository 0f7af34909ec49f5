"""Each preset flow walked from the order page in a real browser, and a manager's flow editor:
tables, the diagram, the sandbox and publishing. The ``page`` fixture fails on any
Content-Security-Policy violation (the diagram library included)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from omnioms.core.roles import Role

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests",
        allow_module_level=True,
    )

from omnioms.inventory.tests.factories import (  # noqa: E402
    account,
    order_json,
    receive,
    store,
    submit,
    warehouse,
)
from omnioms.orders.models import Order  # noqa: E402
from omnioms.web.tests.factories import PASSWORD, make_user  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _stage(page: Page) -> str:
    return page.locator("#stage").get_attribute("data-stage") or ""


def _click(page: Page, action: str) -> None:
    page.locator(f"button.action[data-action={action}]").click()


def _open_form(page: Page, action: str) -> None:
    page.locator(f"details[data-action={action}] > summary").click()


def test_a_clerk_picks_ships_in_part_and_completes_a_marketplace_order(
    page: Page, live_server: object
) -> None:
    wh = warehouse("wh-browser")
    receive("TEE", wh, 10)
    order = submit(
        account("tmall", platform="taobao", location=wh), order_json("B-1", [("TEE", 3)])
    )
    make_user("clerk", Role.ORDER_CLERK)
    base = str(live_server)
    _login(page, base, "clerk")
    page.goto(f"{base}/orders/{order.pk}/")
    assert _stage(page) == "to_pick"

    _click(page, "pick")
    expect(page.locator("#stage")).to_have_attribute("data-stage", "picked")
    _open_form(page, "ship")
    form = page.locator("details[data-action=ship] form")
    form.locator("input[name=carrier]").fill("SF Express")
    form.locator("input[name=tracking_number]").fill("SF100")
    form.locator("input[name='lines-#1']").fill("1")
    form.get_by_role("button", name="Ship").click()
    expect(page.locator("#stage")).to_have_attribute("data-stage", "partially_shipped")
    _open_form(page, "ship")
    form = page.locator("details[data-action=ship] form")
    form.locator("input[name=carrier]").fill("SF Express")
    form.locator("input[name=tracking_number]").fill("SF101")
    form.get_by_role("button", name="Ship").click()
    expect(page.locator("#stage")).to_have_attribute("data-stage", "shipped")
    _click(page, "complete")
    expect(page.locator("#stage")).to_have_attribute("data-stage", "completed")
    expect(page.locator("#timeline")).to_contain_text("SF101")
    assert Order.objects.get(pk=order.pk).status == "completed"


def test_a_store_clerk_invoices_and_hands_over_a_counter_sale(
    page: Page, live_server: object
) -> None:
    shop = store("store-browser")
    receive("MUG", shop, 5)
    order = submit(
        account("counter", platform="pos_csv", location=shop), order_json("S-1", [("MUG", 1)])
    )
    make_user("clerk", Role.STORE_CLERK, store=shop)
    base = str(live_server)
    _login(page, base, "clerk")
    page.goto(f"{base}/orders/{order.pk}/")

    _click(page, "issue_invoice")
    expect(page.locator("#stage")).to_have_attribute("data-stage", "invoiced")
    _click(page, "hand_over")
    expect(page.locator("#stage")).to_have_attribute("data-stage", "handed_over")
    # the sales app issues a numbered invoice (its issuer replaces the flow's default mark)
    expect(page.locator("#timeline")).to_contain_text("Invoice issued")


def test_a_social_inquiry_becomes_a_paid_order_from_its_page(
    page: Page, live_server: object
) -> None:
    order = submit(account("wechat", platform="manual"), order_json("Q-1", status="draft"))
    make_user("sales", Role.ORDER_CLERK)
    base = str(live_server)
    _login(page, base, "sales")
    page.goto(f"{base}/orders/{order.pk}/")
    assert _stage(page) == "inquiry"

    _open_form(page, "send_quote")
    page.locator("details[data-action=send_quote] input[name=note]").fill("10% off")
    page.locator("details[data-action=send_quote] form").get_by_role(
        "button", name="Send the quote"
    ).click()
    expect(page.locator("#stage")).to_have_attribute("data-stage", "quote_sent")
    _click(page, "accept")
    expect(page.locator("#stage")).to_have_attribute("data-stage", "accepted")
    _open_form(page, "take_payment")
    page.locator("details[data-action=take_payment] input[name=amount]").fill("abc")
    page.locator("details[data-action=take_payment] form").get_by_role(
        "button", name="Payment received"
    ).click()
    expect(page.locator("details[data-action=take_payment] .field-error")).to_contain_text(
        "must be an amount"
    )
    page.locator("details[data-action=take_payment] input[name=amount]").fill("90.00")
    page.locator("details[data-action=take_payment] form").get_by_role(
        "button", name="Payment received"
    ).click()
    expect(page.locator("#stage")).to_have_attribute("data-stage", "paid")


def test_a_manager_edits_walks_and_publishes_a_flow(page: Page, live_server: object) -> None:
    shop = account("tmall", platform="taobao")
    submit(shop, order_json("P-1"))
    make_user("boss", Role.MANAGER)
    base = str(live_server)
    _login(page, base, "boss")

    page.get_by_role("link", name="Flows").click()
    page.locator("#flows").get_by_role("link", name="Open").first.click()
    expect(page.locator("#flow-diagram")).to_have_attribute("data-drawn", "10")
    page.locator("input[name='stage-3-label']").fill("Picked and packed")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".message-success")).to_contain_text("Draft version 2 saved")

    page.get_by_role("link", name="Sandbox").click()
    page.get_by_label("The channel reports it as").select_option("paid")
    page.get_by_role("button", name="Start again").click()
    page.locator("a[data-action=pick]").click()
    expect(page.locator("#walk")).to_contain_text("Picked and packed")

    page.get_by_role("link", name="Publish").click()
    expect(page.locator("#mapping")).to_contain_text("to_pick")
    page.get_by_role("button", name="Publish and move the open orders").click()
    expect(page.locator(".message-success")).to_contain_text("1 open orders moved")
