"""The dashboard's figures per channel, team and agent."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.production.models import Calendar, CalendarDay, Shift
from omnioms.service import services
from omnioms.service.dashboard import figures
from omnioms.service.models import SlaBreach, SlaPolicy, TicketStatus
from omnioms.service.tests.factories import customer_mail, logged_in
from omnioms.testing import make_user

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


def bj(text: str) -> datetime:
    """A Beijing wall-clock time as aware UTC."""
    return datetime.fromisoformat(text + "+08:00").astimezone(UTC)


def test_times_are_business_hour_medians_and_p90_without_waiting_on_the_customer() -> None:
    # Office hours 09:00-18:00 Beijing, Monday to Friday; Thursday 2026-10-01 a holiday.
    office = Calendar.objects.create(code="office", name="Office", time_zone="Asia/Shanghai")
    for day in range(5):
        Shift.objects.create(calendar=office, weekday=day, start=time(9), end=time(18))
    CalendarDay.objects.create(calendar=office, date=date(2026, 10, 1), kind="holiday")
    SlaPolicy.objects.create(name="All", first_response_minutes=60, calendar=office)
    ann, bo = make_user(Role.CUSTOMER_SERVICE), make_user(Role.CUSTOMER_SERVICE)
    system = Actor.system()

    # A: Monday 17:00; answered Tuesday 09:30 (first response 1 h + 0.5 h = 1.5 h); waits on
    # the customer until Wednesday 10:30; solved Wednesday 11:30. Resolution: 1 h Monday,
    # 0.5 h Tuesday, 1 h Wednesday = 2.5 h (the 10 business hours of waiting not counted).
    a = customer_mail(at=bj("2026-09-28T17:00"), now=bj("2026-09-28T17:00"))
    services.reply(a.pk, "Photo?", actor=system, now=bj("2026-09-29T09:30"))
    customer_mail(
        "Here",
        thread=a.conversations.get().thread_key,
        at=bj("2026-09-30T10:30"),
        now=bj("2026-09-30T10:30"),
    )
    services.change_ticket(
        a.pk, actor=system, status=TicketStatus.SOLVED, now=bj("2026-09-30T11:30")
    )
    # B: Wednesday 17:30, answered Friday 09:00 after the holiday: 0.5 h (17:30-18:00); solved
    # Friday 10:00 while waiting on the customer: resolution 0.5 h (that hour not counted).
    b = customer_mail(at=bj("2026-09-30T17:30"), now=bj("2026-09-30T17:30"))
    services.reply(b.pk, "Done", actor=system, now=bj("2026-10-02T09:00"))
    services.change_ticket(
        b.pk, actor=system, status=TicketStatus.SOLVED, now=bj("2026-10-02T10:00")
    )
    # C: Friday 16:00, not answered yet. D: Saturday 10:00, answered Monday 11:00: 2 h.
    c = customer_mail(at=bj("2026-10-02T16:00"), now=bj("2026-10-02T16:00"))
    d = customer_mail(at=bj("2026-10-03T10:00"), now=bj("2026-10-03T10:00"))
    services.reply(d.pk, "On its way", actor=system, now=bj("2026-10-05T11:00"))
    SlaBreach.objects.create(
        ticket=d,
        metric="first_response",
        due_at=bj("2026-10-05T10:00"),
        breached_at=bj("2026-10-05T10:00"),
    )
    for ticket, agent in ((a, ann), (b, ann), (d, bo)):
        services.change_ticket(ticket.pk, actor=system, assignee_id=agent.pk)
    now = bj("2026-10-05T12:00")

    (row,) = figures("channel", 30, now=now)

    assert row.tickets == 4
    # First responses 1.5, 0.5, 2 h: median 1.5; p90 between the 2nd and 3rd ranks at 0.8:
    # 1.5 + 0.8 x 0.5 = 1.9.
    assert (row.first_response_hours, row.first_response_p90_hours) == (1.5, 1.9)
    # Resolutions 2.5 and 0.5 h: median 1.5; p90 0.5 + 0.9 x 2 = 2.3.
    assert (row.resolution_hours, row.resolution_p90_hours) == (1.5, 2.3)
    assert row.sla_hit_rate == 0.75  # D missed its first response
    assert row.backlog == 2  # C and D
    assert row.reopen_rate == 0.0

    per_agent = {r.key: r for r in figures("agent", 30, now=now)}
    assert (per_agent[ann.username].first_response_hours, per_agent[ann.username].tickets) == (
        1.0,
        2,
    )
    assert per_agent[bo.username].first_response_hours == 2.0
    assert per_agent[bo.username].sla_hit_rate == 0.0
    assert per_agent["(none)"].first_response_hours is None  # C, unanswered
    assert c.assignee_id is None
    assert per_agent["(none)"].tickets == 1


def test_a_solved_ticket_that_is_closed_keeps_its_resolution_time() -> None:
    opened = timezone.now() - timedelta(hours=5)
    ticket = customer_mail(at=opened, now=opened)
    services.change_ticket(
        ticket.pk, actor=Actor.system(), status=TicketStatus.SOLVED, now=opened + timedelta(hours=2)
    )
    services.change_ticket(ticket.pk, actor=Actor.system(), status=TicketStatus.CLOSED)

    (row,) = figures("channel", 7)

    assert row.resolution_hours == 2.0  # around the clock: no policy, no calendar


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
