"""The rolling forecast's rhythm: monthly re-forecast, weekly and daily refresh, as jobs.

A worker step (``forecasting.rolling``) asks :func:`start_due_run` once a minute. Which
cadences are due is decided by :func:`due_cadences`, a pure function of the local time, the
schedule and the days of the runs already made, so that it can be read and tested on its own.

Every cadence makes the same full run (model selection by cross-validation, refinement to weeks
and days, blending): at 10,000 SKUs that takes about a minute, so a cheaper "refresh only"
path would buy nothing and could drift from what a monthly run makes (``docs/forecasting.md``).
What the cadences decide is when a run is made. A day has at most one scheduled run, labelled
with the widest cadence it answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.core.actor import Actor
from omnioms.core.jobs import start_job
from omnioms.core.models import Job, JobStatus
from omnioms.forecasting.models import ForecastRun, RollingSchedule, RunStatus

RETRY_AFTER = timedelta(hours=1)
"""A scheduled run that failed is tried again after this long, not at every tick."""

SCHEDULER = Actor.system("rolling forecast schedule")


class Cadence(StrEnum):
    MONTH = "month"
    WEEK = "week"
    DAY = "day"


@dataclass(frozen=True)
class Rhythm:
    """What :func:`due_cadences` needs of a :class:`RollingSchedule`."""

    run_at: time
    monthly_day: int
    weekly_weekday: int
    daily: bool


def anchors(day: date, rhythm: Rhythm) -> dict[Cadence, date]:
    """Each cadence's latest anchor on or before ``day``: the day its current run was due."""
    month_anchor = day.replace(day=rhythm.monthly_day)
    if month_anchor > day:
        month_anchor = (day.replace(day=1) - timedelta(days=1)).replace(day=rhythm.monthly_day)
    week_anchor = day - timedelta(days=(day.weekday() - rhythm.weekly_weekday) % 7)
    found = {Cadence.MONTH: month_anchor, Cadence.WEEK: week_anchor}
    if rhythm.daily:
        found[Cadence.DAY] = day
    return found


def due_cadences(local_now: datetime, rhythm: Rhythm, run_days: Iterable[date]) -> list[Cadence]:
    """The cadences whose anchor has passed with no run as of a day since it, widest first.

    Before ``run_at`` today's anchors are not yet due, so the day counts as the day before.
    """
    today = local_now.date()
    if local_now.time() < rhythm.run_at:
        today -= timedelta(days=1)
    latest = max((d for d in run_days if d <= today), default=None)
    return [
        cadence
        for cadence, anchor in anchors(today, rhythm).items()
        if latest is None or latest < anchor
    ]


def schedule() -> RollingSchedule:
    """The one schedule row, created with the defaults the first time it is asked for."""
    return RollingSchedule.objects.get_or_create(pk=1)[0]


def start_due_run(now: datetime | None = None) -> int:
    """Queue the forecast run the schedule calls for now, if any; return 1 when one was queued.

    The schedule row is locked while deciding, so that several workers start one run.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # No row until a planner saves the schedule (the demo company has one).
        row = RollingSchedule.objects.select_for_update().filter(pk=1).first()
        if row is None or not row.enabled:
            return 0
        jobs = Job.objects.filter(kind="forecasting.run")
        if jobs.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists():
            return 0
        if jobs.filter(
            params__has_key="scheduled",
            status=JobStatus.FAILED,
            finished_at__gt=now - RETRY_AFTER,
        ).exists():
            return 0
        local_now = now.astimezone(ZoneInfo(row.time_zone))
        rhythm = Rhythm(row.run_at, row.monthly_day, row.weekly_weekday, row.daily)
        ready = ForecastRun.objects.filter(status=RunStatus.READY)
        days = ready.filter(as_of__gte=local_now.date() - timedelta(days=62)).values_list(
            "as_of", flat=True
        )
        due = due_cadences(local_now, rhythm, days)
        if not due:
            return 0
        as_of = local_now.date()
        start_job(
            "forecasting.run",
            actor=SCHEDULER,
            label=_LABELS[due[0]]() % {"day": as_of.isoformat()},
            as_of=as_of.isoformat(),
            horizon_months=row.horizon_months,
            rule=row.blend,
            frozen_days=row.frozen_days,
            scheduled=[str(c) for c in due],
        )
    return 1


_LABELS = {
    Cadence.MONTH: lambda: _("Monthly re-forecast as of %(day)s"),
    Cadence.WEEK: lambda: _("Weekly refresh as of %(day)s"),
    Cadence.DAY: lambda: _("Daily refresh as of %(day)s"),
}
