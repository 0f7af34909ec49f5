"""The schedule in a real browser: a planner drags an operation on the Gantt chart (refused with
the reason, then accepted with its knock-on), and a rush order goes from sales through PMC to
production, who accept it; the pages keep to the Content-Security-Policy."""

from __future__ import annotations

from datetime import date
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

from omnioms.core.jobs import run_job  # noqa: E402
from omnioms.core.models import Job, Location  # noqa: E402
from omnioms.inventory.tests.factories import receive  # noqa: E402
from omnioms.planning.models import Plan, PlannedOperation, RushRequest, RushStatus  # noqa: E402
from omnioms.planning.schedules import publish, run_schedule  # noqa: E402
from omnioms.planning.tests.factories import MONDAY, production_order, shop  # noqa: E402
from omnioms.web.tests.factories import PASSWORD, make_user  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DAY_MS = 24 * 3600 * 1000


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def a_plan() -> Plan:
    shop()
    receive("FABRIC", Location.objects.get(code="wh-1"), 10_000)
    production_order("SHIRT", 30, date(2026, 12, 9), number="MO-A")
    production_order("BLOUSE", 30, date(2026, 12, 10), number="MO-B")
    return run_schedule(MONDAY, time_limit=2.0, workers=1)


def drag(page: Page, item: str, days: float) -> None:
    """Drag the bar labelled ``item`` by ``days`` along the time axis."""
    shift = page.evaluate(
        """(ms) => { const t = document.getElementById("gantt").visTimeline;
                     const at = t.getWindow().start.getTime();
                     const x = (ms) => t.body.util.toScreen(new Date(at + ms));
                     return x(ms) - x(0); }""",
        days * DAY_MS,
    )
    bar = page.locator(".vis-item", has_text=item).first
    box = bar.bounding_box()
    assert box is not None
    x, y = box["x"] + min(10, box["width"] / 2), box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    # the drag starts once the pointer has moved past a threshold, and counts from there
    page.mouse.move(x + 15, y, steps=1)
    page.mouse.move(x + 15 + shift, y, steps=10)
    page.mouse.up()


def test_a_planner_drags_an_operation_on_the_gantt_chart(page: Page, live_server: object) -> None:
    plan = a_plan()
    make_user("pmc", Role.PLANNER)
    base = str(live_server)
    log_in(page, base, "pmc")

    page.goto(f"{base}/planning/plans/{plan.pk}/")
    expect(page.locator("#load")).to_contain_text("SEW")
    page.get_by_role("link", name="Gantt chart").click()
    expect(page.locator("#gantt[data-ready='1']")).to_be_attached()
    expect(page.locator(".vis-item", has_text="MO-A/20")).to_be_visible()
    expect(page.locator(".vis-item.day-off").first).to_be_attached()  # the weekend is shaded

    sew = PlannedOperation.objects.get(
        plan=plan, operation__production_order__number="MO-A", operation__sequence=20
    )
    drag(page, "MO-A/20", -0.25)  # before its cutting ends
    expect(page.locator("#move-result")).to_contain_text("Refused:")
    sew.refresh_from_db()
    assert not sew.fixed

    drag(page, "MO-A/20", 1)  # the same time a day later: a working day
    expect(page.locator("#move-result")).to_contain_text("Moved")
    expect(page.locator("#knock-on")).to_contain_text("late orders after the move:")
    sew.refresh_from_db()
    assert sew.fixed  # firmed where it was dropped

    page.get_by_role("button", name="Quarter").click()
    page.get_by_label("Order view").fill("MO-B")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".vis-item", has_text="MO-B/10")).to_be_visible()
    expect(page.locator(".vis-item", has_text="MO-A/10")).to_have_count(0)


def test_a_rush_order_from_sales_through_pmc_to_production(page: Page, live_server: object) -> None:
    publish(a_plan(), None)
    make_user("sales", Role.ORDER_CLERK)
    make_user("pmc", Role.PLANNER)
    make_user("boss", Role.SUPERVISOR)
    base = str(live_server)

    log_in(page, base, "sales")
    page.goto(f"{base}/planning/rush/")
    page.get_by_label("SKU").fill("SHIRT")
    page.get_by_label("Quantity").fill("24")
    page.get_by_label("Wanted by").fill("2026-12-10")
    page.get_by_role("button", name="Request and assess").click()
    expect(page.locator(".job")).to_be_visible()
    run_job(Job.objects.get(kind="planning.rush").pk)  # what the task worker does
    page.reload()
    expect(page.locator("#promise")).to_contain_text("Can be promised for")
    expect(page.locator("#impact")).to_contain_text("On time:")

    page.context.clear_cookies()
    log_in(page, base, "pmc")
    rush = RushRequest.objects.get()
    page.goto(f"{base}/planning/rush/{rush.pk}/")
    page.locator("#comment").fill("for our key customer")
    page.get_by_role("button", name="Propose to production").click()
    expect(page.locator("#rush-status")).to_have_text("Proposed by PMC")

    page.context.clear_cookies()
    log_in(page, base, "boss")
    page.goto(f"{base}/planning/rush/{rush.pk}/")
    page.locator("#comment").fill("fine, Thursday")
    page.get_by_role("button", name="Accept and publish").click()
    expect(page.locator("#rush-status")).to_have_text("Accepted")
    expect(page.locator("#steps")).to_contain_text("for our key customer")
    expect(page.locator("#steps")).to_contain_text("Published")
    rush.refresh_from_db()
    assert rush.status == RushStatus.ACCEPTED
