"""The dashboard's figures per channel, team and agent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.service import services
from omnioms.service.dashboard import figures
from omnioms.service.models import SlaBreach, SlaPolicy, TicketStatus
from omnioms.service.tests.factories import customer_mail, logged_in

pytestmark = pytest.mark.django_db


def test_first_response_resolution_sla_backlog_and_reopen_per_channel() -> None:
    SlaPolicy.objects.create(name="All", first_response_minutes=60)
    now = timezone.now()
    answered = customer_mail(now=now - timedelta(hours=3), thread="<a@x>")
    services.reply(answered.pk, "Hi", actor=Actor.system(), now=now - timedelta(hours=1))
    services.change_ticket(answered.pk, actor=Actor.system(), status=TicketStatus.SOLVED)
    customer_mail("again", thread="<a@x>")  # reopens it
    late = customer_mail(now=now - timedelta(hours=2))
    SlaBreach.objects.create(
        ticket=late, metric="first_response", due_at=now - timedelta(hours=1), breached_at=now
    )

    (row,) = figures("channel", 30)

    assert row.key == "email"
    assert row.tickets == 2
    assert row.first_response_hours == 2.0
    assert row.sla_hit_rate == 0.5
    assert row.backlog == 2
    assert row.reopen_rate == 1.0


def test_the_dashboard_page_draws_its_charts_for_a_manager(client: Client) -> None:
    customer_mail()
    logged_in(client, Role.MANAGER)

    page = client.get(reverse("service:dashboard"), {"by": "agent", "days": "7"})

    assert page.status_code == 200
    assert "vendor/echarts/echarts.min.js" in page.content.decode()
    assert 'id="service-chart-data"' in page.content.decode()


def test_an_agent_may_not_see_the_dashboard(client: Client) -> None:
    logged_in(client, Role.CUSTOMER_SERVICE)

    assert client.get(reverse("service:dashboard")).status_code == 403
