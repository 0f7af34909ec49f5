"""The production pages in a real browser keep to the Content-Security-Policy (the ``page``
fixture fails on a violation), and a planner edits a BOM, filters SKUs with htmx and loads
a calendar's holidays."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
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

from omnioms.production.models import Bom, Calendar  # noqa: E402
from omnioms.production.tests.factories import one_of_each_master  # noqa: E402
from omnioms.web.tests.factories import PASSWORD, make_user  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_planner_walks_the_production_pages(
    page: Page, live_server: object, tmp_path: Path
) -> None:
    one_of_each_master()
    make_user("pmc", Role.PLANNER)
    base = str(live_server)
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("pmc")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Production").click()
    expect(page.get_by_role("heading", name="Production master data")).to_be_visible()
    page.get_by_role("link", name="v1: 1 line").click()
    page.locator("#id_lines-0-quantity_per").fill("1.5")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message-success")).to_contain_text("Version 1 saved.")
    expect(page.locator("table.data").last).to_contain_text("150")
    assert Bom.objects.get().lines.get().quantity_per == Decimal("1.5")

    page.get_by_role("link", name="SKUs, BOMs and routings").click()
    page.get_by_label("Kind").select_option("bought")
    expect(page.locator("#sku-results")).not_to_contain_text("SHIRT")
    expect(page.locator("#sku-results")).to_contain_text("FABRIC")

    calendar = Calendar.objects.get()
    page.goto(f"{base}/production/calendars/{calendar.pk}/")
    days = tmp_path / "holidays.csv"
    days.write_text("date,kind,works_like,note\n2027-10-01,holiday,,National Day\n")
    page.locator("#load-days input[type=file]").set_input_files(str(days))
    page.get_by_role("button", name="Load").click()
    expect(page.locator(".message-success")).to_contain_text("1 new, 0 updated")
    assert calendar.days.filter(date=date(2027, 10, 1)).exists()

    for path in ["/production/workbook/", "/production/suppliers/", "/production/skus/"]:
        page.goto(f"{base}{path}")
        expect(page.locator("main")).to_be_visible()
