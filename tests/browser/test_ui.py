"""The web UI in a real browser: log in, filter with htmx, read an order, switch, replay."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from omnioms.channels.models import ChannelAccount, DeadLetter
from omnioms.core.models import Location
from omnioms.core.roles import Role

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
    post_webhook,
    submit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("OMNIOMS_UI_SCREENSHOTS")
"""A folder to save screenshots of the order list and an order into, for a person to look at."""

START = datetime(2024, 6, 1, 1, 0, tzinfo=UTC)


def shoot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"ui-{name}.png"), full_page=True)


@pytest.fixture
def store() -> Location:
    return make_location("flagship")


@pytest.fixture
def pos(store: Location) -> ChannelAccount:
    return make_account("flagship-pos", location=store, display_name="Flagship POS")


@pytest.fixture
def orders(pos: ChannelAccount) -> None:
    web = make_account("webshop", platform="shopify", display_name="Web shop")
    for n in range(6):
        submit(
            pos,
            order_data(
                f"POS-{n}",
                created_at=START + timedelta(hours=n),
                buyer=["Zhang Wei", "Li Na", "Wang Fang"][n % 3],
                status=["paid", "shipped", "completed"][n % 3],
            ),
        )
    for n in range(3):
        submit(
            web,
            order_data(
                f"WEB-{n}",
                channel="shopify",
                created_at=START + timedelta(hours=n, minutes=30),
                buyer="Ann Lee",
                total="99.00" if n == 0 else None,
            ),
        )
    update = order_data(
        "POS-0",
        created_at=START,
        updated_at=START + timedelta(days=1),
        buyer="Zhang Wei",
        status="shipped",
        shipping="8.00",
        total="68.00",
    )
    post_webhook(pos, update)


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/orders/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/orders/$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/orders/$"))


@pytest.mark.usefixtures("orders")
def test_a_clerk_logs_in_and_filters_the_order_list_by_channel_with_htmx(
    page: Page, live_server: object
) -> None:
    make_user("mei", Role.ORDER_CLERK, first_name="Mei", last_name="Han")
    base = str(live_server)

    log_in(page, base, "mei")

    rows = page.locator("#order-results tbody tr")
    expect(rows).to_have_count(9)
    expect(page.locator("header")).to_contain_text("Mei Han")
    expect(page.locator("header")).to_contain_text("Order clerk")
    shoot(page, "orders")

    page.evaluate("window.notReloaded = true")
    page.get_by_label("Channel").select_option("shopify")

    expect(page).to_have_url(re.compile(r"[?&]channel=shopify"))
    expect(rows).to_have_count(3)
    expect(page.locator("#order-results")).not_to_contain_text("POS-")
    assert page.evaluate("window.notReloaded") is True  # swapped in place, not a page load
    expect(page.locator("#order-results .warn-mark")).to_have_count(1)

    page.go_back()
    expect(page).to_have_url(re.compile(r"/orders/$"))
    expect(rows).to_have_count(9)

    page.get_by_label("Status").select_option("shipped")
    expect(rows).to_have_count(3)
    page.get_by_role("button", name="简体中文").click()  # stays on the filtered list
    expect(page).to_have_url(re.compile(r"[?&]status=shipped"))
    expect(rows).to_have_count(3)
    expect(page.locator("#order-results")).to_contain_text("已发货")


@pytest.mark.usefixtures("orders")
def test_an_order_opens_from_the_list_and_shows_its_timeline(
    page: Page, live_server: object
) -> None:
    make_user("mei", Role.ORDER_CLERK)
    log_in(page, str(live_server), "mei")

    page.get_by_role("link", name="POS-0", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Order POS-0")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Order received")
    expect(timeline).to_contain_text("Order updated by the channel")
    expect(timeline.locator(".status-change")).to_contain_text("Paid → Shipped")
    expect(page.locator("details.payload")).to_have_count(2)

    page.get_by_label("Add a note").fill("Called the buyer about the delivery date")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".messages")).to_contain_text("Note added.")
    expect(timeline).to_contain_text("Called the buyer about the delivery date")

    page.locator("details.payload").first.locator("summary").click()
    expect(page.locator("details.payload pre").first).to_contain_text('"external_id": "POS-0"')
    shoot(page, "order-detail")


@pytest.mark.usefixtures("orders")
def test_switching_to_simplified_chinese_translates_the_navigation(
    page: Page, live_server: object
) -> None:
    make_user("mei", Role.ORDER_CLERK)
    log_in(page, str(live_server), "mei")

    page.get_by_role("button", name="简体中文").click()

    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link", name="订单")).to_be_visible()
    expect(nav.get_by_role("link", name="死信")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    expect(page.locator("#order-results thead")).to_contain_text("下单时间")
    shoot(page, "orders-zh")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Dead letters")


def test_a_clerk_replays_a_dead_letter_from_the_list(
    page: Page, live_server: object, store: Location
) -> None:
    account = make_account("popup", location=store, display_name="Pop-up store", currency="")
    data = order_data("POP-1")
    del data["currency"]
    post_webhook(account, data)
    letter = DeadLetter.objects.get()
    account.default_currency = "CNY"  # the fix: the account now names its currency
    account.save()
    make_user("mei", Role.ORDER_CLERK)
    log_in(page, str(live_server), "mei")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dead letters").click()
    row = page.locator(f"#dead-letter-{letter.pk}")
    expect(row).to_contain_text("Pop-up store")
    expect(row).to_contain_text("currency")
    row.locator("summary").click()
    expect(row.locator("pre")).to_contain_text('"external_id": "POP-1"')
    shoot(page, "dead-letters")

    row.get_by_role("button", name="Replay").click()

    expect(page.locator(".messages")).to_contain_text(
        f"Dead letter {letter.pk} replayed: Created an order."
    )
    expect(page.locator(f"#dead-letter-{letter.pk}")).to_have_count(0)
    page.get_by_label("Show").select_option("resolved")
    expect(page).to_have_url(re.compile(r"state=resolved"))
    expect(page.locator(f"#dead-letter-{letter.pk}")).to_contain_text("Order")
