"""The simulation pages in a real browser: a planner finds past runs, opens one and sees the
report's charts drawn inside the page (echarts served locally, within the CSP), and the form
to run it again with changes."""

from __future__ import annotations

import json
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

from omnioms.simulation.models import SimulationRun  # noqa: E402
from omnioms.simulation.report import write_report  # noqa: E402
from omnioms.web.tests.factories import PASSWORD, make_user  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SAMPLE = Path(__file__).resolve().parents[2] / "src/omnioms/simulation/tests/kpis_sample.json"


def test_a_planner_opens_a_past_run_and_sees_its_charts(
    page: Page, live_server: object, tmp_path: Path
) -> None:
    page.set_default_timeout(60_000)  # a shared, loaded machine: be patient, not flaky
    result = json.loads(SAMPLE.read_text())
    write_report(tmp_path, result)
    run = SimulationRun.objects.create(
        scenario="demo", days=14, out_dir=str(tmp_path), result=result
    )
    make_user("pmc", Role.PLANNER)
    base = str(live_server)
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("pmc")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Simulation", exact=True).click()
    expect(page.get_by_role("heading", name="Simulated year")).to_be_visible()
    page.get_by_role("link", name=f"#{run.pk}").click()
    expect(page.locator("#kpis")).to_contain_text("reorder-point-edd")
    report = page.frame_locator("iframe.report-frame")
    expect(report.locator("#otd canvas")).to_be_visible()
    expect(report.locator("#inventory_days canvas")).to_be_visible()
    expect(page.get_by_role("button", name="Run the simulation")).to_be_visible()
