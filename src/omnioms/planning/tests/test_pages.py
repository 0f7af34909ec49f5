"""The requirements pages: runs started as jobs, planned orders released or dismissed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.core.models import Job, JobStatus
from omnioms.core.roles import Role
from omnioms.inventory.models import IncomingStock
from omnioms.inventory.tests.factories import account, order_json, submit
from omnioms.planning.models import PlannedKind, PlannedOrder, PlannedStatus, ProductionOrder
from omnioms.planning.services import run_requirements
from omnioms.planning.tests.test_services import factory  # noqa: F401 (fixture)
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 2)


@pytest.fixture
def run(factory: None) -> int:  # noqa: F811
    submit(account("tmall"), order_json("T-1", [("SHIRT", 100)]))
    return run_requirements(as_of=TODAY, horizon_days=60).pk


def test_a_planner_sees_the_runs_and_an_order_clerk_does_not(client: Client, run: int) -> None:
    client.force_login(make_user(Role.PLANNER))
    assert client.get(reverse("planning:requirements")).status_code == 200
    page = client.get(reverse("planning:requirements_run", args=[run]))
    assert page.status_code == 200
    assert "order:" in page.content.decode()  # why each quantity
    client.force_login(make_user(Role.ORDER_CLERK))
    assert client.get(reverse("planning:requirements_run", args=[run])).status_code == 403


def test_a_requirements_run_is_queued_not_run_in_the_request(client: Client) -> None:
    client.force_login(make_user(Role.PLANNER))

    response = client.post(reverse("planning:requirements"))

    job = Job.objects.get()
    assert (job.kind, job.status) == ("planning.requirements", JobStatus.QUEUED)
    assert response["Location"].endswith(f"?job={job.pk}")


def test_the_planner_releases_a_make_with_another_quantity_and_dismisses_a_buy(
    client: Client, run: int
) -> None:
    client.force_login(make_user(Role.PLANNER))
    make = PlannedOrder.objects.get(run_id=run, kind=PlannedKind.MAKE)
    buy = PlannedOrder.objects.get(run_id=run, kind=PlannedKind.BUY)

    client.post(
        reverse("planning:release", args=[make.pk]), {"quantity": "95", "due": "2026-03-20"}
    )
    client.post(reverse("planning:dismiss", args=[buy.pk]))

    order = ProductionOrder.objects.get()
    assert (order.quantity, order.due) == (95, date(2026, 3, 20))
    buy.refresh_from_db()
    assert buy.status == PlannedStatus.DISMISSED
    assert not IncomingStock.objects.exists()
    again = client.post(reverse("planning:release", args=[make.pk]), follow=True)
    assert "already released" in again.content.decode()


def test_a_bad_quantity_is_refused_and_nothing_is_released(client: Client, run: int) -> None:
    client.force_login(make_user(Role.PLANNER))
    make = PlannedOrder.objects.get(run_id=run, kind=PlannedKind.MAKE)

    response = client.post(
        reverse("planning:release", args=[make.pk]), {"quantity": "lots"}, follow=True
    )

    assert "The quantity is not a number." in response.content.decode()
    assert not ProductionOrder.objects.exists()
    assert Decimal(make.quantity) == Decimal(80)
