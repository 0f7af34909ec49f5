"""The schedule pages: plans with their load, the Gantt chart's data and move check, production
orders by priority, the weights, rush requests through approval, and promise dates."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from omnioms.core.models import Job, Location
from omnioms.core.roles import Role
from omnioms.inventory.tests.factories import receive
from omnioms.planning.models import (
    Plan,
    PlanningSettings,
    PlanStatus,
    ProductionOrder,
    RushRequest,
    RushStatus,
)
from omnioms.planning.rush import assess
from omnioms.planning.schedules import publish, run_schedule
from omnioms.planning.tests.factories import MONDAY, production_order, shop
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db
FAST: dict[str, Any] = {"time_limit": 2.0, "workers": 1}


@pytest.fixture
def plan(monkeypatch: pytest.MonkeyPatch) -> Plan:
    shop()
    receive("FABRIC", Location.objects.get(code="wh-1"), 10_000)
    production_order("SHIRT", 30, date(2026, 12, 9), number="MO-A")
    production_order("BLOUSE", 30, date(2026, 12, 8), number="MO-B")
    monkeypatch.setattr(timezone, "now", lambda: MONDAY)
    return run_schedule(MONDAY, **FAST)


def test_a_planner_sees_the_plans_with_their_load_and_publishes_one(
    client: Client, plan: Plan
) -> None:
    client.force_login(make_user(Role.PLANNER))
    listing = client.get(reverse("planning:plans"))
    assert listing.status_code == 200
    assert f"v{plan.version}" in listing.content.decode()
    detail = client.get(reverse("planning:plan", args=[plan.pk])).content.decode()
    assert 'id="load"' in detail
    assert "SEW" in detail
    assert "load-data" in detail

    client.post(reverse("planning:plan_action", args=[plan.pk, "publish"]))

    plan.refresh_from_db()
    assert plan.status == PlanStatus.PUBLISHED
    assert plan.published_by is not None


def test_a_planning_run_is_started_from_the_page_as_a_job(client: Client, plan: Plan) -> None:
    client.force_login(make_user(Role.PLANNER))
    response = client.post(reverse("planning:plans"), {"time_limit": "5", "bottleneck_first": "on"})
    job = Job.objects.get(kind="planning.schedule")
    assert response["Location"].endswith(f"?job={job.pk}")
    assert (job.params["time_limit"], job.params["bottleneck_first"]) == (5.0, True)
    client.post(reverse("planning:plans"), {"time_limit": "5"})
    assert Job.objects.latest("pk").params["bottleneck_first"] is False
    bad = client.post(reverse("planning:plans"), {"time_limit": "nope"}, follow=True)
    assert "1 to 600 seconds" in bad.content.decode()


def test_a_supervisor_sees_plans_but_may_not_publish_or_move(client: Client, plan: Plan) -> None:
    client.force_login(make_user(Role.SUPERVISOR))
    assert client.get(reverse("planning:plan", args=[plan.pk])).status_code == 200
    publish_url = reverse("planning:plan_action", args=[plan.pk, "publish"])
    assert client.post(publish_url).status_code == 403
    assert (
        client.post(reverse("planning:move", args=[plan.pk]), "{}", "application/json").status_code
        == 403
    )
    client.force_login(make_user(Role.STORE_CLERK, store="wh-1"))
    assert client.get(reverse("planning:plans")).status_code == 403


def test_the_gantt_chart_has_a_row_per_machine_bars_coloured_and_days_off_shaded(
    client: Client, plan: Plan
) -> None:
    client.force_login(make_user(Role.PLANNER))
    page = client.get(reverse("planning:gantt", args=[plan.pk])).content.decode()
    assert "vendor/vis-timeline/vis-timeline-graph2d.min.js" in page
    data = client.get(reverse("planning:gantt_data", args=[plan.pk])).json()
    assert [g["id"] for g in data["groups"]] == ["CUT/0", "SEW/0", "SEW/1"]
    bars = [i for i in data["items"] if i.get("type") != "background"]
    assert sorted(b["content"] for b in bars) == ["MO-A/10", "MO-A/20", "MO-B/10", "MO-B/20"]
    assert all(b["className"].startswith("prio-") for b in bars)
    days_off = {i["start"][:10] for i in data["items"] if i.get("className") == "day-off"}
    assert "2026-12-12" in days_off
    assert "2026-12-13" in days_off
    assert "2026-12-07" not in days_off

    one = client.get(reverse("planning:gantt_data", args=[plan.pk]) + "?order=MO-A").json()
    assert {i["content"] for i in one["items"] if i.get("type") != "background"} == {
        "MO-A/10",
        "MO-A/20",
    }


def test_a_move_is_answered_in_json_and_bad_input_is_a_400(client: Client, plan: Plan) -> None:
    client.force_login(make_user(Role.PLANNER))
    url = reverse("planning:move", args=[plan.pk])
    sew = plan.operations.get(operation__production_order__number="MO-A", operation__sequence=20)
    cut = plan.operations.get(operation__production_order__number="MO-A", operation__sequence=10)

    for body in (
        "nope",
        "[]",
        '{"operation": "x"}',
        '{"operation": 1, "start": "monday"}',
        '{"operation": 1, "start": "2026-12-07T08:00:00\\u0000"}',
        '{"operation": 1, "machine": -1}',
    ):
        assert client.post(url, body, "application/json").status_code == 400, body

    refused = client.post(
        url,
        json.dumps({"operation": sew.pk, "start": cut.start.isoformat()}),
        "application/json",
    ).json()
    assert refused["accepted"] is False
    assert "would start before MO-A/10 ends" in refused["reason"]
    moved = client.post(
        url,
        json.dumps({"operation": sew.pk, "start": (sew.start + timedelta(days=1)).isoformat()}),
        "application/json",
    ).json()
    assert moved["accepted"] is True, moved
    sew.refresh_from_db()
    assert sew.fixed


def test_production_orders_sort_by_priority_and_the_page_shows_how_the_score_was_made(
    client: Client, plan: Plan
) -> None:
    ProductionOrder.objects.filter(number="MO-A").update(priority=80)
    client.force_login(make_user(Role.PLANNER))
    page = client.get(reverse("planning:orders") + "?sort=priority").content.decode()
    assert page.index("MO-A") < page.index("MO-B")
    by_due = client.get(reverse("planning:orders") + "?sort=due").content.decode()
    assert by_due.index("MO-B") < by_due.index("MO-A")
    order = ProductionOrder.objects.get(number="MO-B")
    detail = client.get(reverse("planning:order", args=[order.pk])).content.decode()
    assert 'id="score"' in detail
    assert "days of slack" in detail
    assert "made to stock" in detail


def test_the_planner_sets_the_weights_and_a_bad_weight_is_refused(
    client: Client, plan: Plan
) -> None:
    client.force_login(make_user(Role.PLANNER))
    url = reverse("planning:weights")
    bad = client.post(
        url,
        {
            "urgency_weight": "-1",
            "customer_weight": "1",
            "margin_weight": "1",
            "urgency_days": "10",
        },
    )
    assert bad.status_code == 400
    zero = client.post(
        url,
        {"urgency_weight": "0", "customer_weight": "0", "margin_weight": "0", "urgency_days": "10"},
    )
    assert zero.status_code == 400
    client.post(
        url,
        {"urgency_weight": "1", "customer_weight": "0", "margin_weight": "0", "urgency_days": "10"},
    )
    assert PlanningSettings.load().customer_weight == 0
    # only urgency counts now: MO-B (due first, nothing else) is scored on its slack alone
    order = ProductionOrder.objects.get(number="MO-B")
    assert order.priority_reasons["customer"]["weight"] == 0.0
    suggested = client.post(url, {"suggest_tiers": "1"}, follow=True).content.decode()
    assert "Tiers suggested for 0 customers" in suggested


def test_the_rush_request_journey_through_the_pages(client: Client, plan: Plan) -> None:
    publish(plan, None)
    sales, pmc, production = (
        make_user(Role.ORDER_CLERK),
        make_user(Role.PLANNER),
        make_user(Role.SUPERVISOR),
    )
    client.force_login(sales)
    bad = client.post(
        reverse("planning:rush_list"), {"sku": "NOPE", "quantity": "0", "wanted": "x"}
    )
    assert bad.status_code == 400
    response = client.post(
        reverse("planning:rush_list"), {"sku": "SHIRT", "quantity": "24", "wanted": "2026-12-10"}
    )
    rush = RushRequest.objects.get()
    assert response.status_code == 302
    assert (
        client.post(reverse("planning:rush_action", args=[rush.pk, "propose"])).status_code == 403
    )
    assess(rush, now=MONDAY, overtime=False, **FAST)

    client.force_login(pmc)
    client.post(reverse("planning:rush_action", args=[rush.pk, "propose"]), {"comment": "ok?"})
    client.force_login(production)
    page = client.get(reverse("planning:rush", args=[rush.pk])).content.decode()
    assert "Accept and publish" in page
    assert 'id="impact"' in page
    client.post(reverse("planning:rush_action", args=[rush.pk, "accept"]), {"comment": "fine"})

    rush.refresh_from_db()
    assert rush.status == RushStatus.ACCEPTED
    assert rush.promisable is not None
    client.force_login(sales)
    page = client.get(reverse("planning:rush", args=[rush.pk])).content.decode()
    assert 'id="promise"' in page
    assert "Accept and publish" not in page


def test_sales_ask_for_a_promise_date(client: Client, plan: Plan) -> None:
    publish(plan, None)
    client.force_login(make_user(Role.ORDER_CLERK))
    page = client.get(reverse("planning:promise") + "?sku=SHIRT&quantity=20")
    assert page.status_code == 200
    assert 'id="answer"' in page.content.decode()
    assert client.get(reverse("planning:promise") + "?sku=NOPE&quantity=1").status_code == 400
    assert client.get(reverse("planning:promise") + "?sku=SHIRT&quantity=-1").status_code == 400


def test_the_pages_open_before_anything_is_planned(client: Client) -> None:
    shop()
    client.force_login(make_user(Role.MANAGER))
    for name in ("planning:plans", "planning:orders", "planning:rush_list", "planning:weights"):
        assert client.get(reverse(name)).status_code == 200, name
    answer = client.get(reverse("planning:promise") + "?sku=SHIRT&quantity=5").content.decode()
    assert "No date can be promised" in answer  # no stock, no supply, no published plan
    empty = run_schedule(MONDAY, **FAST)
    assert empty.objective["orders"] == 0
    assert client.get(reverse("planning:plan", args=[empty.pk])).status_code == 200
    assert client.get(reverse("planning:gantt_data", args=[empty.pk])).json()["items"] != []
