"""The rolling forecast: runs made again on a schedule, monthly, weekly and daily, as jobs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.core.models import Job, JobStatus
from omnioms.core.roles import Role
from omnioms.forecasting.models import ForecastRun, RollingSchedule, RunStatus
from omnioms.forecasting.rolling import Cadence, Rhythm, due_cadences, start_due_run
from omnioms.testing import make_user

# Monthly on the 1st, weekly on Mondays, at 02:00 local time. 2026-12-07 is a Monday.
RHYTHM = Rhythm(run_at=time(2, 0), monthly_day=1, weekly_weekday=0, daily=False)


def at(day: str, hour: int) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, 0))


def test_a_monday_after_two_oclock_calls_for_the_weekly_refresh() -> None:
    assert due_cadences(at("2026-12-07", 3), RHYTHM, [date(2026, 12, 1)]) == [Cadence.WEEK]


def test_nothing_is_due_before_the_hour_of_the_run() -> None:
    assert due_cadences(at("2026-12-07", 1), RHYTHM, [date(2026, 12, 1)]) == []


def test_the_first_of_the_month_calls_for_the_re_forecast_and_it_answers_the_week_too() -> None:
    # 2026-12-01 is a Tuesday; the week's refresh (Monday 30 November) has not been made
    assert due_cadences(at("2026-12-01", 2), RHYTHM, [date(2026, 11, 23)]) == [
        Cadence.MONTH,
        Cadence.WEEK,
    ]


def test_a_run_made_by_hand_since_the_anchor_counts() -> None:
    assert due_cadences(at("2026-12-09", 9), RHYTHM, [date(2026, 12, 8)]) == []


def test_a_daily_refresh_is_due_each_day_without_a_run() -> None:
    daily = Rhythm(time(2, 0), 1, 0, daily=True)

    assert due_cadences(at("2026-12-03", 3), daily, [date(2026, 12, 1)]) == [Cadence.DAY]
    assert due_cadences(at("2026-12-03", 3), daily, [date(2026, 12, 3)]) == []


def test_a_worker_stopped_for_weeks_catches_up_with_one_run() -> None:
    assert due_cadences(at("2026-12-07", 3), RHYTHM, [date(2026, 10, 20)]) == [
        Cadence.MONTH,
        Cadence.WEEK,
    ]


def test_a_monthly_day_later_in_the_month_anchors_in_the_month_before() -> None:
    mid = Rhythm(time(2, 0), monthly_day=15, weekly_weekday=0, daily=False)

    assert due_cadences(at("2026-12-10", 3), mid, [date(2026, 11, 14)]) == [
        Cadence.MONTH,
        Cadence.WEEK,
    ]
    assert due_cadences(at("2026-12-10", 3), mid, [date(2026, 12, 7)]) == []


# A Monday at 03:00 in Shanghai.
MONDAY = datetime(2026, 12, 6, 19, 0, tzinfo=UTC)


def ready_run(as_of: date) -> ForecastRun:
    return ForecastRun.objects.create(as_of=as_of, status=RunStatus.READY)


@pytest.mark.django_db
def test_without_a_saved_schedule_no_run_is_started() -> None:
    assert start_due_run(MONDAY) == 0
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_schedule_queues_one_forecast_run_as_a_job_with_its_settings() -> None:
    RollingSchedule.objects.create(pk=1, horizon_months=9, frozen_days=14)
    ready_run(date(2026, 12, 1))

    assert start_due_run(MONDAY) == 1
    assert start_due_run(MONDAY) == 0, "a second worker finds the run queued"

    job = Job.objects.get()
    assert job.kind == "forecasting.run"
    assert job.label == "Weekly refresh as of 2026-12-07"
    assert job.params == {
        "as_of": "2026-12-07",
        "horizon_months": 9,
        "rule": "weighted",
        "frozen_days": 14,
        "scheduled": ["week"],
    }
    assert job.created_by_label == "rolling forecast schedule"


@pytest.mark.django_db
def test_a_failed_scheduled_run_is_tried_again_after_an_hour_not_at_every_tick() -> None:
    RollingSchedule.objects.create(pk=1)
    start_due_run(MONDAY)
    Job.objects.update(status=JobStatus.FAILED, finished_at=MONDAY)

    assert start_due_run(MONDAY + timedelta(minutes=30)) == 0
    assert start_due_run(MONDAY + timedelta(minutes=61)) == 1


@pytest.mark.django_db
def test_a_disabled_schedule_starts_nothing() -> None:
    RollingSchedule.objects.create(pk=1, enabled=False)

    assert start_due_run(MONDAY) == 0


@pytest.mark.django_db
def test_a_planner_saves_the_schedule_on_the_forecast_page(client: Client) -> None:
    client.force_login(make_user(Role.PLANNER))

    response = client.post(
        reverse("forecasting:schedule"),
        {
            "enabled": "on",
            "monthly_day": "3",
            "weekly_weekday": "4",
            "daily": "on",
            "run_at": "05:30",
            "time_zone": "Asia/Shanghai",
            "horizon_months": "12",
            "blend": "add",
            "frozen_days": "7",
        },
    )

    assert response.status_code == 302
    saved = RollingSchedule.objects.get()
    assert (saved.monthly_day, saved.weekly_weekday, saved.daily, saved.run_at) == (
        3,
        4,
        True,
        time(5, 30),
    )
    page = client.get(reverse("forecasting:overview")).content.decode()
    assert "Rolling schedule" in page
    assert "No schedule is saved yet" not in page


@pytest.mark.django_db
def test_a_bad_schedule_is_refused_naming_the_field_and_nothing_is_saved(client: Client) -> None:
    client.force_login(make_user(Role.PLANNER))

    response = client.post(
        reverse("forecasting:schedule"),
        {
            "monthly_day": "31",
            "weekly_weekday": "0",
            "run_at": "02:00",
            "time_zone": "Mars/Olympus",
            "horizon_months": "6",
            "blend": "weighted",
            "frozen_days": "7",
        },
        follow=True,
    )

    text = response.content.decode()
    assert "The schedule was not saved" in text
    assert "Mars/Olympus is not a time zone" in text
    assert "Monthly re-forecast on day: Ensure this value is less than or equal to 28." in text
    assert not RollingSchedule.objects.exists()


@pytest.mark.django_db
def test_customer_service_may_not_change_the_schedule(client: Client) -> None:
    client.force_login(make_user(Role.CUSTOMER_SERVICE))

    response = client.post(reverse("forecasting:schedule"), {"monthly_day": "1"})

    assert response.status_code == 403
    assert not RollingSchedule.objects.exists()
