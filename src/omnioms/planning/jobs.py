"""The planning job kinds (``core.jobs``): long runs started from a page or the command line."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from omnioms.core.jobs import JobContext, job_kind
from omnioms.planning.services import MAKE_COVER_DAYS, run_requirements


@job_kind("planning.requirements", label=_("Net requirements run"))
def requirements_job(
    job: JobContext,
    *,
    as_of: str | None = None,
    horizon_days: int = 120,
    make_cover_days: int = MAKE_COVER_DAYS,
) -> dict[str, Any]:
    run = run_requirements(
        as_of=date.fromisoformat(as_of) if as_of else None,
        horizon_days=horizon_days,
        make_cover_days=make_cover_days,
        progress=job.progress,
        job_id=job.job.pk,
    )
    return {"run": run.pk, **run.summary}


@job_kind("planning.schedule", label=_("Planning run"))
def schedule_job(
    job: JobContext,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    bottleneck_first: bool = True,
) -> dict[str, Any]:
    """Plan the open production orders: a new proposed plan (``schedules.run_schedule``)."""
    from omnioms.planning.schedules import run_schedule  # OR-Tools: in the worker

    def progress(fraction: float, message: str = "") -> None:
        job.progress(fraction, message)  # raises JobCancelled between the engine's steps

    plan = run_schedule(
        time_limit=time_limit,
        workers=workers,
        bottleneck_first=bottleneck_first,
        progress=progress,
        job_id=job.job.pk,
    )
    figures = plan.objective
    return {
        "plan": plan.pk,
        "version": plan.version,
        "status": plan.solver_status,
        "late": figures.get("late"),
        "on_time_share": figures.get("on_time_share"),
    }


@job_kind("planning.rush", label=_("Rush order what-if"))
def rush_job(job: JobContext, *, request: int, time_limit: float = 10.0) -> dict[str, Any]:
    """Plan a rush request into the published plan (what-if) with its impact report."""
    from omnioms.planning.models import RushRequest
    from omnioms.planning.rush import assess

    row = RushRequest.objects.get(pk=request)
    RushRequest.objects.filter(pk=request).update(job_id=job.job.pk)
    assess(row, time_limit=time_limit, progress=job.progress)
    return {
        "request": row.pk,
        "plan": row.what_if_id,
        "promisable": row.promisable.isoformat() if row.promisable else None,
        "becomes_late": row.impact.get("becomes_late"),
    }
