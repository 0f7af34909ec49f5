"""Long jobs: queued off the request, run once by the queue's worker, watched and cancelled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from omnioms.core.actor import Actor
from omnioms.core.jobs import (
    JobContext,
    cancel_job,
    fail_stale_jobs,
    job_kind,
    run_job,
    start_job,
)
from omnioms.core.models import Job, JobStatus

pytestmark = pytest.mark.django_db

PLANNER = Actor("user", "planner")
steps_seen: list[int] = []


@job_kind("tests.count", label="count")
def _count(job: JobContext, *, to: int, cancel_at: int | None = None) -> dict[str, Any]:
    for n in range(1, to + 1):
        if n == cancel_at:
            cancel_job(job.job.pk)  # as a person pressing cancel while it runs
        job.progress(n / to, f"{n} of {to}")
        job.check()
        steps_seen.append(n)
    job.log(f"counted to {to}")
    return {"counted": to}


@job_kind("tests.fail", label="fail")
def _fail(job: JobContext) -> None:
    raise ValueError("the forecast needs at least one SKU")


@pytest.mark.django_db(transaction=True)  # the worker commits and closes its connection
def test_a_job_is_queued_and_the_database_worker_runs_it_to_the_end() -> None:
    steps_seen.clear()
    with transaction.atomic():
        job = start_job("tests.count", actor=PLANNER, to=3)
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED  # nothing ran in the request

    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.progress == 1.0
    assert job.message == "3 of 3"
    assert job.result == {"counted": 3}
    assert job.log == "counted to 3\n"
    assert job.created_by_label == "planner"
    assert job.started_at is not None
    assert job.finished_at is not None
    assert steps_seen == [1, 2, 3]


def test_a_job_delivered_twice_runs_once() -> None:
    steps_seen.clear()
    job = start_job("tests.count", actor=PLANNER, to=2)

    assert run_job(job.pk) == JobStatus.SUCCEEDED
    assert run_job(job.pk) == JobStatus.SUCCEEDED

    assert steps_seen == [1, 2]


def test_a_running_job_stops_at_its_next_check_when_cancelled() -> None:
    steps_seen.clear()
    job = start_job("tests.count", actor=PLANNER, to=10, cancel_at=4)

    assert run_job(job.pk) == JobStatus.CANCELLED

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert steps_seen == [1, 2, 3]
    assert job.result is None


def test_a_queued_job_cancelled_never_starts() -> None:
    steps_seen.clear()
    job = start_job("tests.count", actor=PLANNER, to=2)

    assert cancel_job(job.pk) is True
    assert run_job(job.pk) == JobStatus.CANCELLED
    assert steps_seen == []
    assert cancel_job(job.pk) is False  # already ended


def test_a_failing_job_keeps_its_error_and_traceback() -> None:
    job = start_job("tests.fail", actor=PLANNER)

    assert run_job(job.pk) == JobStatus.FAILED

    job.refresh_from_db()
    assert job.error == "ValueError: the forecast needs at least one SKU"
    assert "Traceback" in job.log


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(KeyError, match="no job kind"):
        start_job("tests.nope", actor=PLANNER)
    assert not Job.objects.exists()


def test_a_job_whose_worker_died_is_marked_failed() -> None:
    job = start_job("tests.count", actor=PLANNER, to=1)
    long_ago = timezone.now() - timedelta(hours=1)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    alive = start_job("tests.count", actor=PLANNER, to=1)
    Job.objects.filter(pk=alive.pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, heartbeat_at=timezone.now()
    )

    assert fail_stale_jobs() == 1

    assert Job.objects.get(pk=job.pk).status == JobStatus.FAILED
    assert Job.objects.get(pk=alive.pk).status == JobStatus.RUNNING


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/15").ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="needs Redis on 127.0.0.1:6379 (CI has it)")
def test_past_one_machine_the_same_job_runs_from_redis_through_rq(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from django_tasks_rq.backend import Job as RQJob
    from rq import SimpleWorker

    url = "redis://127.0.0.1:6379/15"  # a database of its own, emptied before and after
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    steps_seen.clear()
    tasks = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    queues = {"default": {"URL": url, "DEFAULT_TIMEOUT": 60}}
    try:
        with override_settings(TASKS=tasks, RQ_QUEUES=queues):
            import django_rq

            with django_capture_on_commit_callbacks(execute=True):
                job = start_job("tests.count", actor=PLANNER, to=2)
            queue = django_rq.get_queue("default")
            assert queue.count == 1  # on Redis, where a worker on any machine can take it
            assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED

            # What `omnioms manage rqworker --job-class django_tasks_rq.Job` runs, in-process,
            # without the channel a worker listens on for remote commands (stop, kill): its
            # thread polls every 60 s and stopping it waited that long in a busy test run.
            class BurstWorker(SimpleWorker):
                def subscribe(self) -> None:
                    return None

                def unsubscribe(self) -> None:
                    return None

            BurstWorker([queue], connection=queue.connection, job_class=RQJob).work(burst=True)
    finally:
        connection.flushdb()

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert steps_seen == [1, 2]
