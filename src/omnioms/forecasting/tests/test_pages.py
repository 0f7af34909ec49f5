"""The forecasting pages: who may open them, runs started as jobs, the grid and the calendar."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from omnioms.catalog.models import ProductFamily
from omnioms.core.models import Job, JobStatus
from omnioms.core.roles import Role
from omnioms.forecasting.history import recount_due
from omnioms.forecasting.models import (
    DemandEvent,
    ForecastFigure,
    ForecastRun,
    Level,
    RunStatus,
    SalesInput,
)
from omnioms.inventory.tests.factories import account, order_json, sku, submit
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db

PAGES = [
    ("forecasting:overview", []),
    ("forecasting:accuracy", []),
    ("forecasting:sales", []),
    ("forecasting:events", []),
    ("forecasting:sku", ["TEE"]),
]


@pytest.fixture(autouse=True)
def catalogue() -> None:
    sku("TEE")


def login(client: Client, role: str) -> None:
    client.force_login(make_user(role))


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_a_planner_opens_every_forecasting_page_and_an_order_clerk_none(
    client: Client, name: str, args: list[str]
) -> None:
    login(client, Role.PLANNER)
    assert client.get(reverse(name, args=args)).status_code == 200
    client.force_login(make_user(Role.ORDER_CLERK))
    assert client.get(reverse(name, args=args)).status_code == 403


def test_a_forecast_run_is_queued_as_a_job_and_the_page_shows_its_progress(client: Client) -> None:
    login(client, Role.PLANNER)

    response = client.post(
        reverse("forecasting:overview"),
        {"as_of": "2026-03-02", "horizon_months": 3, "rule": "replace", "frozen_days": 7},
    )

    job = Job.objects.get()
    assert (job.kind, job.status, job.params["horizon_months"]) == (
        "forecasting.run",
        JobStatus.QUEUED,
        3,
    )
    assert response["Location"].endswith(f"?job={job.pk}")
    page = client.get(response["Location"]).content.decode()
    assert f'id="job-{job.pk}"' in page
    assert reverse("web:job_status", args=[job.pk]) in page  # polls itself while it runs
    assert not ForecastRun.objects.exists()  # nothing ran inside the request


def test_the_job_widget_cancels_a_queued_job(client: Client) -> None:
    login(client, Role.PLANNER)
    client.post(
        reverse("forecasting:overview"),
        {"as_of": "2026-03-02", "horizon_months": 3, "rule": "add", "frozen_days": 0},
    )
    job = Job.objects.get()

    client.post(reverse("web:job_cancel", args=[job.pk]), {"next": "/forecasting/"})

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    widget = client.get(reverse("web:job_status", args=[job.pk])).content.decode()
    assert "hx-trigger" not in widget  # an ended job stops polling


def test_a_sku_page_draws_its_history_and_the_latest_forecast(client: Client) -> None:
    submit(account("tmall"), order_json("T-1", [("TEE", 4)]))
    recount_due()
    run = ForecastRun.objects.create(as_of=date(2026, 3, 2), status=RunStatus.READY)
    ForecastFigure.objects.create(
        run=run,
        sku=sku("TEE"),
        level=Level.WEEK,
        period_start=date(2026, 3, 2),
        statistical=Decimal(10),
        lower=Decimal(6),
        upper=Decimal(14),
        final=Decimal(12),
        model="AutoETS",
    )
    login(client, Role.MANAGER)

    page = client.get(reverse("forecasting:sku", args=["TEE"]) + "?level=week")

    data = json.loads(page.context["chart"] and json.dumps(page.context["chart"]))
    assert data["final"] == [["2026-03-02", 12.0]]
    assert page.context["model"] == "AutoETS"
    assert "forecast-data" in page.content.decode()
    assert "/static/vendor/echarts/echarts.min.js" in page.content.decode()


def test_the_grid_saves_figures_and_names_a_bad_cell(client: Client) -> None:
    ProductFamily.objects.create(code="KNIT", name="Knits")
    login(client, Role.MANAGER)
    month = reverse("forecasting:sales")
    grid = client.get(month)
    first = grid.context["months"][0]
    key = f"{first:%Y-%m}"

    bad = client.post(month, {f"q-TEE-{key}": "a lot", f"q-KNIT-{key}": "50"})
    assert bad.status_code == 200
    assert "is not a number" in bad.content.decode()
    assert not SalesInput.objects.exists()

    client.post(month, {f"q-TEE-{key}": "120", f"q-KNIT-{key}": "50"})
    assert SalesInput.objects.get(sku__code="TEE").quantity == Decimal(120)
    client.post(month, {f"q-TEE-{key}": "", f"q-KNIT-{key}": "50"})
    assert not SalesInput.objects.filter(sku__code="TEE").exists()


def test_the_grid_takes_a_workbook_and_gives_one_back(client: Client) -> None:
    login(client, Role.PLANNER)
    book = Workbook()
    book.active.append(["code", "month", "quantity", "note"])
    book.active.append(["TEE", "2026-05", 300, "618 pre-sale"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "sales.xlsx"

    client.post(reverse("forecasting:sales_upload"), {"file": data})

    assert SalesInput.objects.get().quantity == Decimal(300)
    download = client.get(reverse("forecasting:sales_download"))
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_event_calendar_adds_loads_the_festivals_and_removes(client: Client) -> None:
    login(client, Role.PLANNER)

    client.post(
        reverse("forecasting:events"),
        {"name": "Brand day", "kind": "promotion", "start": "2026-09-09", "end": "2026-09-10"},
    )
    client.post(reverse("forecasting:events"), {"preset": "1"})

    assert DemandEvent.objects.filter(name="Brand day").exists()
    assert DemandEvent.objects.filter(name="Double 11").count() == 9
    event = DemandEvent.objects.get(name="Brand day")
    client.post(reverse("forecasting:event_delete", args=[event.pk]))
    assert not DemandEvent.objects.filter(name="Brand day").exists()
    bad = client.post(
        reverse("forecasting:events"),
        {"name": "X", "kind": "promotion", "start": "2026-09-09", "end": "2026-09-01"},
    )
    assert "The last day is before the first." in bad.content.decode()
