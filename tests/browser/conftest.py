"""Playwright fixtures: Debian's Chromium (never a downloaded browser), one page per test.

Every page a test opens must keep to the site's Content-Security-Policy: a violation (a
script, style or request the policy refused) fails the test that met it.

Playwright's sync API runs an asyncio event loop in the test thread, so Django's guard
against running the ORM inside an event loop must be relaxed for these tests: the ORM calls
made here (test data, the live server's thread) are ordinary synchronous ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Playwright's init scripts and evaluate() are not subject to the page's policy.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolation(`${event.violatedDirective} refused ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.location.href}:${event.lineNumber}`);
});
"""


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    violations: list[str] = []

    def report(violation: str) -> None:
        violations.append(violation)

    context.expose_function("cspViolation", report)
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert violations == [], "the Content-Security-Policy refused part of a page"
