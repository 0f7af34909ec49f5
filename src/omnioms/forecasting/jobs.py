"""The forecasting job kind (``core.jobs``): a forecast run started from a page or the CLI."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from omnioms.core.jobs import JobContext, job_kind
from omnioms.forecasting.models import BlendRule


@job_kind("forecasting.run", label=_("Forecast run"))
def forecast_job(
    job: JobContext,
    *,
    as_of: str | None = None,
    horizon_months: int = 6,
    rule: str = BlendRule.WEIGHTED,
    frozen_days: int = 7,
    scheduled: list[str] | None = None,
) -> dict[str, Any]:
    """``scheduled`` names the cadences a scheduled run answers (``forecasting.rolling``)."""
    from omnioms.forecasting.runs import make_forecast_run  # numpy and pandas: in the worker

    run = make_forecast_run(
        as_of=date.fromisoformat(as_of) if as_of else None,
        horizon_months=horizon_months,
        rule=rule,
        frozen_days=frozen_days,
        progress=job.progress,
        job_id=job.job.pk,
    )
    result = {"run": run.pk, **run.summary}
    if scheduled:
        result["scheduled"] = scheduled
    return result
