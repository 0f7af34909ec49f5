"""The demo floor: two weeks of reports against the published plan, a close per day,
exceptions open and closed, a T-3 in progress, and dashboards with figures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.core.roles import Role
from omnioms.floor.demo import load_floor_demo
from omnioms.floor.models import DailyClose, ExceptionStatus, FloorException, OperationReport
from omnioms.floor.tests.factories import planned_fortnight
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def test_the_demo_floor_has_two_weeks_of_reports_closes_exceptions_and_a_t3() -> None:
    planned_fortnight(NOW)
    made = load_floor_demo(NOW, seed=3)

    assert OperationReport.objects.count() == made["reports"] > 20
    assert DailyClose.objects.count() == made["closes"] >= 13
    statuses = set(FloorException.objects.values_list("status", flat=True))
    assert ExceptionStatus.CLOSED in statuses
    assert statuses - {ExceptionStatus.CLOSED}
    assert len(set(FloorException.objects.values_list("type__code", flat=True))) >= 3
    assert FloorException.objects.filter(type__code="t3").exclude(status="closed").exists()


def test_the_dashboards_show_figures_from_the_demo(client: Client) -> None:
    planned_fortnight(NOW)
    load_floor_demo(NOW, seed=3)
    client.force_login(make_user(Role.MANAGER))

    page = client.get(reverse("floor:kpi"), {"role": "manager"})
    drill = client.get(reverse("floor:kpi_drill", args=["oee"]), {"by": "shift"})

    text = page.content.decode()
    assert page.status_code == 200
    for tile in ("kpi-otd", "kpi-oee", "kpi-inventory", "kpi-adherence"):
        assert tile in text
    oee_tile = text.split('id="kpi-oee"')[1].split("</a>")[0]
    assert "%" in oee_tile
    assert drill.status_code == 200
    assert "08:00" in drill.content.decode()  # the calendar's unnamed shift, by its start


def test_the_demo_floor_needs_a_published_plan() -> None:
    with pytest.raises(ValueError, match="published plan"):
        load_floor_demo(NOW, seed=3)
