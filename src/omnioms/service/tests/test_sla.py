"""Service levels: policies chosen by conditions, due times in business hours with holidays,
the clock paused while waiting on the customer, at-risk tickets escalated, breaches recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.customers.models import CustomerTier
from omnioms.production.domain import CalendarSpec, ShiftSpec
from omnioms.production.models import Calendar, CalendarDay, Shift
from omnioms.service import domain, services, sla
from omnioms.service.models import (
    SlaBreach,
    SlaPolicy,
    Team,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)
from omnioms.service.tests.factories import customer_mail, order_for
from omnioms.testing import make_user

# Office hours 09:00-18:00 Beijing, Monday to Friday; 2026-10-01 a holiday.
OFFICE = CalendarSpec(
    time_zone="Asia/Shanghai",
    shifts=tuple(ShiftSpec(day, time(9), time(18)) for day in range(5)),
    holidays=frozenset({date(2026, 10, 1)}),
)


def bj(text: str) -> datetime:
    """A Beijing wall-clock time as aware UTC."""
    return datetime.fromisoformat(text + "+08:00").astimezone(UTC)


def test_business_time_skips_nights_weekends_and_holidays() -> None:
    friday_5pm = bj("2026-09-25T17:00")

    assert domain.add_business_time(OFFICE, friday_5pm, 2 * 3600) == bj("2026-09-28T10:00")
    wednesday_5pm = bj("2026-09-30T17:00")  # Thursday 1 October is a holiday
    assert domain.add_business_time(OFFICE, wednesday_5pm, 2 * 3600) == bj("2026-10-02T10:00")


def test_business_seconds_count_only_working_time() -> None:
    assert domain.business_seconds(OFFICE, bj("2026-09-25T17:00"), bj("2026-09-28T10:00")) == 7200
    assert domain.business_seconds(None, bj("2026-09-25T17:00"), bj("2026-09-25T18:00")) == 3600


def test_a_message_at_night_is_due_the_next_morning() -> None:
    clock = domain.due_times(
        OFFICE,
        domain.Targets(60, 120, 8 * 60),
        opened_at=bj("2026-09-28T22:00"),
        first_response_at=None,
        awaiting_reply_since=bj("2026-09-28T22:00"),
    )

    assert clock.first_response_due == bj("2026-09-29T10:00")
    assert clock.resolution_due == bj("2026-09-29T17:00")
    assert clock.next_response_due is None  # owed only after a first response


pytestmark_db = pytest.mark.django_db


@pytest.fixture
def office_calendar() -> Calendar:
    calendar = Calendar.objects.create(code="office", name="Office", time_zone="Asia/Shanghai")
    for day in range(5):
        Shift.objects.create(calendar=calendar, weekday=day, start=time(9), end=time(18))
    CalendarDay.objects.create(calendar=calendar, date=date(2026, 10, 1), kind="holiday")
    return calendar


@pytestmark_db
def test_the_first_matching_policy_sets_due_times_in_business_hours(
    office_calendar: Calendar,
) -> None:
    SlaPolicy.objects.create(
        name="Key accounts",
        position=1,
        customer_tier=CustomerTier.KEY,
        first_response_minutes=30,
        calendar=office_calendar,
    )
    SlaPolicy.objects.create(
        name="E-mail",
        position=2,
        channel="email",
        first_response_minutes=240,
        resolution_minutes=16 * 60,
        calendar=office_calendar,
    )

    ticket = customer_mail(at=bj("2026-09-25T16:00"), now=bj("2026-09-25T16:00"))

    assert ticket.sla_policy is not None
    assert ticket.sla_policy.name == "E-mail"
    assert ticket.first_response_due == bj("2026-09-28T11:00")
    assert ticket.resolution_due == bj("2026-09-29T14:00")  # Fri 2 h, Mon 9 h, Tue 5 h


@pytestmark_db
def test_a_key_customer_gets_the_key_policy() -> None:
    SlaPolicy.objects.create(
        name="Key", position=1, customer_tier=CustomerTier.KEY, first_response_minutes=30
    )
    order = order_for(email="vip@example.com")
    assert order.customer is not None
    order.customer.tier = CustomerTier.KEY
    order.customer.save()

    ticket = customer_mail(sender="vip@example.com")

    assert ticket.sla_policy is not None
    assert ticket.sla_policy.name == "Key"


@pytestmark_db
def test_waiting_on_the_customer_pauses_the_resolution_clock(office_calendar: Calendar) -> None:
    SlaPolicy.objects.create(
        name="All", first_response_minutes=60, resolution_minutes=8 * 60, calendar=office_calendar
    )
    monday = bj("2026-09-28T09:00")
    ticket = customer_mail(at=monday, now=monday)
    services.reply(
        ticket.pk, "Could you send a photo?", actor=Actor.system(), now=bj("2026-09-28T10:00")
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_CUSTOMER
    assert ticket.resolution_due is None  # nothing is owed while we wait

    tuesday = bj("2026-09-29T10:00")  # a working day later
    customer_mail(
        "Here it is", thread=ticket.conversations.get().thread_key, at=tuesday, now=tuesday
    )

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_US
    # The 8 h target ended Monday 17:00; the 9 business hours spent waiting (Monday 10:00 to
    # Tuesday 10:00) push it to Tuesday 17:00.
    assert ticket.resolution_due == bj("2026-09-29T17:00")


@pytestmark_db
def test_a_ticket_about_to_breach_is_flagged_and_escalated_to_the_team_lead() -> None:
    lead = make_user(Role.MANAGER, username="lead")
    team = Team.objects.create(name="Mail", lead=lead)
    SlaPolicy.objects.create(name="All", first_response_minutes=60, warn_share="0.25")
    opened = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    ticket = customer_mail(at=opened, now=opened)
    services.change_ticket(ticket.pk, actor=Actor.system(), team_id=team.pk)

    assert sla.check_due(now=datetime(2026, 12, 6, 8, 30, tzinfo=UTC)) == 0
    assert sla.check_due(now=datetime(2026, 12, 6, 8, 50, tzinfo=UTC)) == 1

    ticket.refresh_from_db()
    assert ticket.at_risk
    escalation = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.ESCALATED)
    assert escalation.data["lead"] == "lead"
    assert sla.check_due(now=datetime(2026, 12, 6, 8, 55, tzinfo=UTC)) == 0  # once


@pytestmark_db
def test_a_missed_target_is_recorded_once() -> None:
    SlaPolicy.objects.create(name="All", first_response_minutes=60)
    opened = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    ticket = customer_mail(at=opened, now=opened)

    sla.check_due(now=datetime(2026, 12, 6, 9, 1, tzinfo=UTC))
    sla.check_due(now=datetime(2026, 12, 6, 9, 5, tzinfo=UTC))

    (breach,) = SlaBreach.objects.filter(ticket=ticket)
    assert breach.metric == "first_response"
    assert breach.due_at == datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytestmark_db
def test_the_marketplace_deadline_is_a_due_time_and_its_breach_is_recorded() -> None:
    ticket = customer_mail()
    ticket.platform_due_at = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    ticket.save()

    left = sla.time_left(ticket, now=datetime(2026, 12, 6, 22, 0, tzinfo=UTC))
    sla.check_due(now=datetime(2026, 12, 7, 0, 1, tzinfo=UTC))

    assert (left.metric, left.seconds) == ("platform", 7200)
    assert SlaBreach.objects.get().metric == "platform"


def test_the_clock_helpers_pick_the_earliest_due_time() -> None:
    first = datetime(2026, 1, 1, tzinfo=UTC)

    assert domain.earliest(None, first + timedelta(hours=1), first) == first
    assert domain.earliest(None, None) is None
