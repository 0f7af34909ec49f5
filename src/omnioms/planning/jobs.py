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
