"""Long work as jobs: a row a person can watch and cancel, run off the web request by a queue.

Forecast runs, requirements runs, planning runs, the daily close and simulations take seconds
to minutes. Each is a *job kind*, a function registered here::

    @job_kind("forecasting.run", label=_("Forecast run"))
    def run_forecast(job: JobContext, *, as_of: str) -> dict[str, Any]:
        for done, sku in enumerate(skus, start=1):
            job.check()                       # stops here when someone pressed cancel
            ...
            job.progress(done / len(skus), _("%(n)s SKUs forecast") % {"n": done})
        return {"figures": n}                 # kept as the job's result

:func:`start_job` writes a :class:`~omnioms.core.models.Job` row and, once that row is
committed, hands its id to Django's task framework (``django-tasks``, the backport of
``django.tasks``): on one machine the database backend, whose worker ``omnioms serve`` starts
(``omnioms manage db_worker`` elsewhere); past one machine the RQ backend on Redis, with
``rqworker`` on each machine (``OMNIOMS_TASKS=redis``). The queue only carries the job id;
progress, the cancel request, the log and the result live on the row, so every backend shows
the same thing and a person can cancel a job whichever machine runs it.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from omnioms.core.actor import Actor
from omnioms.core.models import Job, JobStatus

logger = logging.getLogger(__name__)

PROGRESS_WRITE_EVERY = timedelta(seconds=0.5)
"""A job reporting progress in a tight loop writes its row at most this often."""

LOG_LIMIT = 20_000
"""Characters of log kept on the row (the newest)."""


class JobCancelled(Exception):
    """Raised by :meth:`JobContext.check` when someone asked the job to stop."""


@dataclass(frozen=True)
class JobKind:
    name: str
    label: Any
    run: Callable[..., Any]


_KINDS: dict[str, JobKind] = {}


def job_kind(name: str, *, label: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``run(job: JobContext, **params)`` as the job kind ``name``."""

    def register(run: Callable[..., Any]) -> Callable[..., Any]:
        _KINDS[name] = JobKind(name, label, run)
        return run

    return register


def kinds() -> dict[str, JobKind]:
    return dict(_KINDS)


class JobContext:
    """What a running job sees of its row: report progress, log, and stop when cancelled."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._written_at = timezone.now()

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.job.params)

    def progress(self, fraction: float, message: str = "") -> None:
        """Report how far along the job is (0..1); also checks for a cancel request."""
        self.job.progress = min(1.0, max(0.0, float(fraction)))
        if message:
            self.job.message = message[:500]
        now = timezone.now()
        if now - self._written_at >= PROGRESS_WRITE_EVERY or fraction >= 1:
            self._written_at = now
            Job.objects.filter(pk=self.job.pk).update(
                progress=self.job.progress, message=self.job.message, heartbeat_at=now
            )
            self.check()

    def log(self, line: str) -> None:
        text = (self.job.log + line.rstrip() + "\n")[-LOG_LIMIT:]
        self.job.log = text
        Job.objects.filter(pk=self.job.pk).update(log=text, heartbeat_at=timezone.now())

    def check(self) -> None:
        """Raise :class:`JobCancelled` if someone asked the job to stop."""
        if Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists():
            raise JobCancelled


def start_job(kind: str, *, actor: Actor, label: str = "", **params: Any) -> Job:
    """Queue a job of ``kind`` with JSON-serialisable ``params``; it starts once committed.

    Raises ``KeyError`` for an unknown kind.
    """
    if kind not in _KINDS:
        raise KeyError(f"no job kind {kind!r}")
    job = Job.objects.create(
        kind=kind,
        label=label[:200],
        params=params,
        created_by_id=actor.user_id,
        created_by_label=actor.label[:200],
    )
    transaction.on_commit(lambda: execute_job.enqueue(job.pk))
    return job


def cancel_job(job_id: int) -> bool:
    """Ask a job to stop. A queued job is cancelled at once; a running one stops at its next
    :meth:`JobContext.check`. Returns False when the job had already ended."""
    now = timezone.now()
    with transaction.atomic():
        queued = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.CANCELLED, cancel_requested=True, finished_at=now
        )
        if queued:
            return True
        running = Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            cancel_requested=True
        )
    return bool(running)


@task()
def execute_job(job_id: int) -> None:
    """The queue's task: run job ``job_id`` once, recording how it ended on its row."""
    run_job(job_id)


def run_job(job_id: int) -> str:
    """Claim job ``job_id`` and run it here; return its final status.

    The claim is a conditional UPDATE (queued -> running), so a job delivered twice by the
    queue runs once.
    """
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return str(Job.objects.filter(pk=job_id).values_list("status", flat=True).first() or "")
    job = Job.objects.get(pk=job_id)
    context = JobContext(job)
    fields: dict[str, Any]
    try:
        result = _KINDS[job.kind].run(context, **job.params)
    except JobCancelled:
        fields = {"status": JobStatus.CANCELLED}
    except Exception as exc:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        fields = {
            "status": JobStatus.FAILED,
            "error": f"{type(exc).__name__}: {exc}"[:2000],
            "log": (job.log + traceback.format_exc())[-LOG_LIMIT:],
        }
    else:
        fields = {"status": JobStatus.SUCCEEDED, "progress": 1.0, "result": result}
    fields["finished_at"] = timezone.now()
    Job.objects.filter(pk=job_id).update(**fields)
    return str(fields["status"])


STALE_AFTER = timedelta(minutes=30)
"""A running job that reported nothing for this long lost its worker (killed, machine gone)."""


def fail_stale_jobs() -> int:
    """The worker step: jobs left ``running`` by a worker that died are marked failed, so that
    the page stops showing them as running and a person can start them again."""
    now = timezone.now()
    return Job.objects.filter(
        Q(status=JobStatus.RUNNING) & Q(heartbeat_at__lt=now - STALE_AFTER)
    ).update(
        status=JobStatus.FAILED,
        error="the worker running this job stopped before the job ended",
        finished_at=now,
    )
