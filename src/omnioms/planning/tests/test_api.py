"""Plans, moves and promise dates over the REST API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from omnioms.core.models import Location
from omnioms.core.roles import Role
from omnioms.inventory.tests.factories import receive
from omnioms.planning.models import Plan
from omnioms.planning.schedules import publish, run_schedule
from omnioms.planning.tests.factories import MONDAY, production_order, shop
from omnioms.testing import api_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(monkeypatch: pytest.MonkeyPatch) -> Plan:
    shop()
    receive("FABRIC", Location.objects.get(code="wh-1"), 10_000)
    production_order("SHIRT", 30, date(2026, 12, 9), number="MO-A")
    monkeypatch.setattr(timezone, "now", lambda: MONDAY)
    return run_schedule(MONDAY, time_limit=2.0, workers=1)


def test_the_published_plan_and_its_operations_are_read_over_the_api(
    client: Client, plan: Plan
) -> None:
    api = api_as(client, Role.SUPERVISOR)
    assert api.get("/plans/published").status_code == 404
    publish(plan, None)

    body = api.get("/plans/published").json()

    assert (body["version"], body["status"]) == (plan.version, "published")
    assert [(o["order"], o["sequence"], o["work_center"]) for o in body["operations"]] == [
        ("MO-A", 10, "CUT"),
        ("MO-A", 20, "SEW"),
    ]
    assert body["figures"]["bottlenecks"] == ["SEW"]
    assert api.get("/plans/x%00").status_code == 422  # NUL: refused like every input
    assert api.get("/plans/x").status_code == 400
    assert api.get("/plans").json()[0]["id"] == plan.pk


def test_a_move_over_the_api_is_checked_and_bad_input_refused(client: Client, plan: Plan) -> None:
    api = api_as(client, Role.PLANNER)
    sew = plan.operations.get(operation__sequence=20)
    cut = plan.operations.get(operation__sequence=10)

    refused = api.post(
        f"/plans/{plan.pk}/moves", {"operation": sew.pk, "start": cut.start.isoformat()}
    ).json()
    accepted = api.post(
        f"/plans/{plan.pk}/moves",
        {"operation": sew.pk, "start": (sew.start + timedelta(days=1)).isoformat()},
    ).json()

    assert refused["accepted"] is False
    assert "MO-A/10" in refused["reason"]
    assert accepted["accepted"] is True
    bad = api.post(f"/plans/{plan.pk}/moves", {"operation": 0})
    assert bad.status_code == 422  # the schema's check, like every API input
    naive = api.post(
        f"/plans/{plan.pk}/moves", {"operation": sew.pk, "start": "2026-12-08T08:00:00"}
    )
    assert naive.status_code == 400
    clerk = api_as(client, Role.ORDER_CLERK)
    assert clerk.post(f"/plans/{plan.pk}/moves", {"operation": sew.pk}).status_code == 403


def test_a_promise_date_over_the_api(client: Client, plan: Plan) -> None:
    publish(plan, None)
    api = api_as(client, Role.ORDER_CLERK)
    body = api.get("/promise", sku="SHIRT", quantity=10, today="2026-12-07").json()
    assert body["source"] in ("supply", "capacity")
    assert body["date"] >= "2026-12-07"
    assert api.get("/promise", sku="NOPE", quantity=1).status_code == 400
    assert api.get("/promise", sku="SHIRT", quantity=0).status_code == 422
