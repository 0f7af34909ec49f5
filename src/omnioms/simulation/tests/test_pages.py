"""The simulation pages: past runs, a new run with a few values changed, its report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.core.roles import Role
from omnioms.simulation.models import SimulationRun
from omnioms.simulation.report import write_report
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db


def login(client: Client, role: str) -> None:
    client.force_login(make_user(role))


def test_a_planner_starts_a_what_if_run_as_a_job(client: Client) -> None:
    login(client, Role.PLANNER)
    response = client.post(
        reverse("simulation:runs"),
        {
            "scenario": "demo",
            "days": 90,
            "demand_change_pct": 30,
            "work_center": "SEW",
            "machines": 10,
        },
    )
    run = SimulationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("simulation:run", args=[run.pk])
    assert run.changes == {"demand_change_pct": 30, "work_center": "SEW", "machines": 10}
    assert run.days == 90
    assert run.job is not None
    assert run.job.kind == "simulation.run"


def test_an_unknown_work_centre_is_refused_naming_it(client: Client) -> None:
    login(client, Role.PLANNER)
    response = client.post(
        reverse("simulation:runs"),
        {"scenario": "demo", "days": 30, "work_center": "WELD", "machines": 2},
    )
    assert response.status_code == 400
    assert "no work centre WELD" in response.content.decode()
    assert not SimulationRun.objects.exists()


def test_out_of_range_values_are_refused_with_the_field(client: Client) -> None:
    login(client, Role.PLANNER)
    response = client.post(reverse("simulation:runs"), {"scenario": "demo", "days": 5000})
    assert response.status_code == 400
    assert not SimulationRun.objects.exists()


def test_a_finished_run_shows_its_figures_and_serves_its_report(
    client: Client, tmp_path: Path
) -> None:
    result = json.loads((Path(__file__).parent / "kpis_sample.json").read_text())
    write_report(tmp_path, result)
    run = SimulationRun.objects.create(
        scenario="demo", days=31, out_dir=str(tmp_path), result=result
    )
    login(client, Role.MANAGER)
    response = client.get(reverse("simulation:run", args=[run.pk]))
    page = response.content.decode()
    assert "frame-src 'self'" in response["Content-Security-Policy"]  # the report's frame
    assert "omnioms" in page
    assert "fifo-mto" in page
    report = client.get(reverse("simulation:file", args=[run.pk, "report.html"]))
    assert report.status_code == 200
    assert "frame-ancestors 'self'" in report["Content-Security-Policy"]
    assert b"report-data" in b"".join(report.streaming_content)  # type: ignore[attr-defined]
    assert client.get(reverse("simulation:file", args=[run.pk, "scenario.json"])).status_code == 404


def test_a_clerk_cannot_see_simulations(client: Client) -> None:
    client.force_login(make_user(Role.ORDER_CLERK))
    assert client.get(reverse("simulation:runs")).status_code == 403
