"""The simulation job kind (``core.jobs``): a run started from the web page."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from omnioms.core.jobs import JobCancelled, JobContext, job_kind


@job_kind("simulation.run", label=_("Simulation run"))
def simulation_job(job: JobContext, *, run_id: int) -> dict[str, Any]:
    from omnioms.simulation.services import execute_run

    return execute_run(run_id, progress=job.progress, cancelled=_cancelled(job))


def _cancelled(job: JobContext) -> Any:
    def check() -> bool:
        try:
            job.check()
        except JobCancelled:
            return True
        return False

    return check
