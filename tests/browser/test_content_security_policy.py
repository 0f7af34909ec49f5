"""The pages that the UI tests do not walk through keep to the Content-Security-Policy too:
the admin, the API docs (Swagger UI), stock, channel health and an error page. The ``page``
fixture fails a test on any violation."""

from __future__ import annotations

import re
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

from omnioms.web.tests.factories import PASSWORD, make_account, make_user  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_admin_the_api_docs_and_the_other_pages_keep_to_the_policy(
    page: Page, live_server: object
) -> None:
    make_account("webshop", platform="shopify", display_name="Web shop")
    make_user("root", Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    base = str(live_server)

    page.goto(f"{base}/admin/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_be_visible()
    page.goto(f"{base}/admin/channels/channelaccount/")
    page.get_by_role("link", name="webshop").first.click()
    expect(page.locator("#content h1")).to_be_visible()
    page.goto(f"{base}/admin/auth/user/add/")
    expect(page.locator("#id_username")).to_be_visible()

    page.goto(f"{base}/api/v1/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    page.locator(".swagger-ui .opblock-summary").first.click()
    expect(page.locator(".swagger-ui .opblock-body").first).to_be_visible()

    for path in ["/inventory/", "/inventory/availability/", "/channels/health/", "/dead-letters/"]:
        page.goto(f"{base}{path}")
        expect(page.locator("main")).to_be_visible()

    page.goto(f"{base}/no-such-page/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    page.get_by_role("link", name="Back to the orders").click()
    expect(page).to_have_url(re.compile(r"/orders/$"))
