"""The spreadsheet mapping page in a real browser: upload, map, preview, save, import."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from omnioms.channels.models import ChannelAccount
from omnioms.core.roles import Role
from omnioms.orders.models import Order

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests",
        allow_module_level=True,
    )

from omnioms.web.tests.factories import PASSWORD, make_account, make_user  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("OMNIOMS_UI_SCREENSHOTS")
"""A folder to save screenshots of the mapping and health pages into, for a person to look at."""

SAMPLE = Path(__file__).parents[2] / "src/omnioms/channels/tests/fixtures/csv/shop_cn_fen.csv"
COLUMNS = {
    "Order id (groups rows into orders)": "订单编号",
    "Status": "订单状态",
    "Order time": "下单时间",
    "SKU": "商家编码",
    "Title": "商品名称",
    "Quantity": "数量",
    "Unit price (before discount)": "单价(分)",
    "Line discount": "优惠(分)",
    "Shipping": "运费(分)",
    "Buyer name": "买家姓名",
}


def shoot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"ui-{name}.png"), full_page=True)


def test_a_manager_maps_a_spreadsheet_previews_it_saves_it_and_imports_with_it(
    page: Page, live_server: object
) -> None:
    sheet = make_account("shop-sheet", platform="csv", display_name="Shop sheet")
    make_user("lan", Role.MANAGER)
    base = str(live_server)

    page.goto(f"{base}/login/?next=/channels/health/")
    page.get_by_label("Username").fill("lan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Channel health")
    shoot(page, "channel-health")
    page.get_by_role("link", name="Column mapping").click()
    expect(page).to_have_url(re.compile(r"/channels/shop-sheet/mapping/$"))

    # 1. Upload a sample: its columns and first rows appear.
    page.get_by_label("Sample file").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#sample")).to_contain_text("帆布袋 颜色:黑色;尺码:L")

    # 2. Map the columns; choosing the status column lists its values to map (htmx).
    page.evaluate("window.notReloaded = true")
    for label, column in COLUMNS.items():
        page.get_by_label(label, exact=True).select_option(column)
    expect(page.locator("#status-map")).to_contain_text("已发货")
    assert page.evaluate("window.notReloaded") is True
    page.get_by_label("已付款").select_option("paid")
    page.get_by_label("待付款").select_option("pending_payment")
    page.get_by_label("已发货").select_option("shipped")
    page.get_by_label("Money is in").select_option("minor")

    # 3. Preview: the orders it would make and the row that would fail, in place.
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview.locator("#preview-order-count")).to_have_text("2")
    expect(preview.locator("table.failures")).to_contain_text("row 5: 数量: '两' is not a number")
    expect(preview.locator("table.preview-orders")).to_contain_text("DD20240305001")
    expect(preview.locator("table.preview-orders")).to_contain_text("¥335.70")
    assert page.evaluate("window.notReloaded") is True
    shoot(page, "column-mapping-preview")
    sheet.refresh_from_db()
    assert sheet.options == {}

    # 4. Save: the mapping is on the account.
    page.get_by_role("button", name="Save mapping").click()
    expect(page.locator(".messages")).to_contain_text("Column mapping saved for Shop sheet.")
    expect(page.locator("#saved-mapping")).to_contain_text("A mapping of 10 columns is saved.")
    sheet = ChannelAccount.objects.get(pk=sheet.pk)
    assert sheet.options["column_mapping"]["columns"]["order_id"] == "订单编号"
    assert sheet.options["column_mapping"]["money_unit"] == "minor"

    # 5. Import the file with it.
    page.get_by_label("File to import").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(
        "shop_cn_fen.csv imported: 2 created, 0 updated, 0 unchanged, 1 could not be read."
    )
    assert set(Order.objects.filter(account=sheet).values_list("external_id", flat=True)) == {
        "DD20240305001",
        "DD20240305002",
    }
