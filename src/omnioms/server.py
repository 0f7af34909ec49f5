"""``omnioms serve``: gunicorn with several worker processes, static files by WhiteNoise."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connections
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from omnioms.wsgi import application

        return application


def default_workers() -> int:
    """One threaded worker per core, at least two (one can restart while the other serves).

    Django's request handling is CPU-bound Python, and the intake worker and the database
    share the same cores; on the 2-core benchmark machine 2 workers accepted and processed
    webhooks faster than 4 (``bench/README.md``). The ``2 × cores + 1`` rule is for
    single-threaded workers waiting on I/O.
    """
    return max(2, os.cpu_count() or 1)


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int | None = None,
    intake_worker: bool = True,
) -> None:
    """Serve until stopped; with ``intake_worker``, also run ``omnioms worker`` (the background
    steps) and the job worker beside it."""
    if "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"]:
        call_command("collectstatic", interactive=False, verbosity=0)
    # Workers are forked from this process: a database connection opened here (the migration
    # check) would be one socket shared by every worker, interleaving their conversations.
    connections.close_all()
    helpers = [_start("worker")] if intake_worker else []
    if intake_worker and settings.TASKS_KIND == "database":
        # Long jobs (forecast and planning runs) queued in the database; with OMNIOMS_TASKS=redis
        # they are run by `omnioms manage rqworker` on whichever machines the operator chooses.
        helpers.append(_start("manage", "db_worker", "--interval", "1"))
    try:
        _run_gunicorn(host, port, workers)
    finally:
        for helper in helpers:
            helper.terminate()
        for helper in helpers:
            helper.wait(timeout=30)


def _start(*command: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "omnioms.cli", *command])  # noqa: S603 (our own command)


def _run_gunicorn(host: str, port: int, workers: int | None) -> None:
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers or default_workers(),
            # Threaded workers keep connections alive between requests (platforms post many
            # webhooks over one connection) and overlap database waits; the GIL makes more
            # than a few threads per process pointless.
            "worker_class": "gthread",
            "threads": 4,
            "keepalive": 5,
            "timeout": 60,
            "graceful_timeout": 10,
            "accesslog": os.environ.get("OMNIOMS_ACCESS_LOG"),
            "errorlog": "-",
            "loglevel": "warning",
        }
    ).run()
