"""The floor's background work: worker steps (``core.worker``) for escalation and team chat
messages; the daily close's job kind is registered with it (``close.py``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnioms.core.actor import Actor
from omnioms.core.jobs import JobContext, job_kind, start_job
from omnioms.core.models import Job, JobStatus, Location
from omnioms.core.worker import register_step
from omnioms.floor.close import run_daily_close
from omnioms.floor.exceptions import escalate_due
from omnioms.floor.models import DailyClose, SiteClose
from omnioms.floor.notify import send_chat_due, send_mail_due

register_step("floor.escalate", escalate_due, every=60.0)
register_step("floor.team_chat", send_chat_due, every=5.0)
register_step("floor.mail", send_mail_due, every=10.0)


@job_kind("floor.daily_close", label=_("Daily close"))
def daily_close_job(job: JobContext, *, day: str, site: int | None = None) -> dict[str, Any]:
    close = run_daily_close(
        date.fromisoformat(day),
        site=Location.objects.filter(pk=site).first() if site else None,
        job_id=job.job.pk,
        progress=job.progress,
    )
    return {"close": close.pk, **close.summary}


def start_close(day: date, *, site: Location | None, actor: Actor) -> Job:
    return start_job(
        "floor.daily_close",
        actor=actor,
        label=str(_("Daily close of %(day)s") % {"day": day.isoformat()}),
        day=day.isoformat(),
        site=site.pk if site else None,
    )


def start_due_closes(now: datetime | None = None) -> int:
    """Worker step: start the close of each site whose close time has passed today (local
    time) when it has not run yet and none is queued."""
    now = now or timezone.now()
    started = 0
    for setting in SiteClose.objects.filter(is_active=True).select_related("site"):
        local = now.astimezone(ZoneInfo(setting.time_zone))
        if local.time() < setting.close_at:
            continue
        today = local.date()
        if DailyClose.objects.filter(day=today, site=setting.site).exists():
            continue
        pending = Job.objects.filter(
            kind="floor.daily_close",
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
            params__day=today.isoformat(),
        )
        if pending.exists():
            continue
        start_close(today, site=setting.site, actor=Actor.system("daily close"))
        started += 1
    return started


register_step("floor.daily_close", start_due_closes, every=60.0)
