"""The shop floor in a real browser, inside the Content-Security-Policy (the ``page`` fixture
fails on a violation): an operator reports a job on the tablet page, typing the ticket's code;
an exception is worked by its owner and verified and closed by another supervisor; the KPI
dashboard draws its charts."""

from __future__ import annotations

from datetime import UTC, datetime
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

from omnioms.core.actor import Actor  # noqa: E402
from omnioms.floor.exceptions import open_exception  # noqa: E402
from omnioms.floor.models import ExceptionType, FloorException  # noqa: E402
from omnioms.floor.tests.factories import production_order, shop  # noqa: E402
from omnioms.web.tests.factories import PASSWORD, make_user  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_operator_reports_a_job_on_the_tablet(page: Page, live_server: object) -> None:
    order = production_order(shop(), 40)
    make_user("op1", Role.SUPERVISOR)
    base = str(live_server)
    login(page, base, "op1")

    page.get_by_role("link", name="Shop floor").click()
    expect(page.get_by_role("heading", name="Which work centre?")).to_be_visible()
    page.get_by_role("link", name="CUT").click()
    expect(page.locator(".job-card").first).to_contain_text(f"{order.number}/10")
    page.get_by_label("Job code").fill(f"{order.number}/10")
    page.get_by_role("button", name="Open job").click()

    page.get_by_role("button", name="Start").click()
    expect(page.locator("#job-status")).to_have_text("running")
    page.get_by_role("button", name="Breakdown").click()
    expect(page.locator("#job-status")).to_have_text("paused")
    page.get_by_role("button", name="Resume").click()
    page.get_by_label("Good").fill("38")
    page.get_by_label("Scrap", exact=True).fill("2")
    page.get_by_label("Scrap reason").select_option("material")
    page.get_by_role("button", name="Finish").click()

    expect(page.locator("#job-status")).to_have_text("done")
    expect(page.locator("#job-good")).to_have_text("38")
    op = order.operations.get(sequence=10)
    assert (op.status, op.good, op.scrap) == ("done", 38, 2)
    # back at the queue, the job is gone and the scan button is there for the next one
    page.get_by_role("link", name="← CUT").click()
    expect(page.get_by_role("button", name="Scan ticket")).to_be_visible()
    expect(page.locator(".queue")).not_to_contain_text(f"{order.number}/10")


def test_an_exception_is_worked_and_verified_by_another_supervisor(
    page: Page, live_server: object
) -> None:
    # a transactional test starts without the migration's default types
    ExceptionType.objects.get_or_create(
        code="scrap",
        defaults={
            "name": "Scrap",
            "standard": "Scrap within 3 %",
            "tolerance": "0.03",
            "owner_role": "supervisor",
        },
    )
    owner = make_user("owner1", Role.SUPERVISOR)
    make_user("boss1", Role.SUPERVISOR)
    exc = open_exception(
        "scrap",
        key="order:9:scrap",
        title="MO-9 scrapped 0.08",
        figures={"figure": "0.08"},
        actor=Actor.system(),
        now=datetime(2026, 12, 6, 1, 0, tzinfo=UTC),
    )
    assert exc is not None
    FloorException.objects.filter(pk=exc.pk).update(owner_user=owner)
    base = str(live_server)
    login(page, base, "owner1")
    page.goto(f"{base}/floor/exceptions/")
    page.get_by_role("link", name="MO-9 scrapped 0.08").click()
    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_label("Cause").fill("Fabric roll with flaws")
    page.get_by_label("Action").fill("Roll returned to the mill")
    page.get_by_role("button", name="Save cause and action").click()
    page.get_by_role("button", name="Resolved").click()
    expect(page.locator("#exception-status")).to_have_text("Resolved")
    expect(page.get_by_role("button", name="Verify and close")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    login(page, base, "boss1")
    page.goto(f"{base}/floor/exceptions/{exc.pk}/")
    page.get_by_role("button", name="Verify and close").click()

    expect(page.locator("#exception-status")).to_have_text("Closed")
    expect(page.locator("#exception-steps")).to_contain_text("close")
    exc.refresh_from_db()
    assert exc.status == "closed"


def test_the_kpi_dashboard_draws_its_charts(page: Page, live_server: object) -> None:
    from omnioms.floor.demo import load_floor_demo
    from omnioms.floor.tests.factories import planned_fortnight

    planned_fortnight(datetime(2026, 12, 5, 9, 0, tzinfo=UTC), orders=8)
    load_floor_demo(datetime(2026, 12, 5, 9, 0, tzinfo=UTC), seed=3)
    make_user("boss2", Role.MANAGER)
    base = str(live_server)
    login(page, base, "boss2")
    page.goto(f"{base}/floor/kpi/?role=manager")
    expect(page.locator("#kpi-oee .kpi-value")).to_contain_text("%")
    expect(page.locator("#chart-oee canvas")).to_have_count(1)
    expect(page.locator("#chart-downtime canvas")).to_have_count(1)
