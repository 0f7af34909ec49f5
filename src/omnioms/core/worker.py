"""The background worker: one loop that runs every registered step.

``omnioms worker`` (and the one ``omnioms serve`` starts) calls :func:`run_worker`. Each app
registers its steps in its ``AppConfig.ready()``::

    from omnioms.core.worker import register_step
    register_step("inventory.push_availability", push_due, every=0.2)

A step is a function that does one bounded batch of work and returns how many items it handled.
It owns its transactions and must leave nothing half-done when it raises: the loop logs the
error, waits, and calls it again later. Queues live in database tables (an outbox row is written
in the same transaction as the change it announces), so nothing is lost when a worker stops,
and several workers may run at once (claims use ``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite's write lock serialises them).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections

logger = logging.getLogger(__name__)


@dataclass
class Step:
    name: str
    run: Callable[[], int]
    every: float
    """Seconds between calls while the step finds nothing to do; it is called again at once
    while it keeps finding work."""
    next_at: float = field(default=0.0)


_STEPS: dict[str, Step] = {}


def register_step(name: str, run: Callable[[], int], *, every: float) -> None:
    """Add (or replace) a step. Names are unique so that a reloaded app does not add twice."""
    _STEPS[name] = Step(name=name, run=run, every=every)


def steps() -> list[Step]:
    return list(_STEPS.values())


def run_once() -> int:
    """Run every step once; return the total amount of work done (tests use this)."""
    return sum(step.run() for step in steps())


def run_worker(*, stop: threading.Event | None = None, idle_seconds: float = 0.2) -> None:
    """Run the steps until ``stop`` is set, sleeping when none of them has work."""
    stop = stop or threading.Event()
    while not stop.is_set():
        close_old_connections()
        now = time.monotonic()
        busy = False
        for step in steps():
            if step.next_at > now:
                continue
            try:
                done = step.run()
            except Exception:  # a worker keeps going; the step's own transaction rolled back
                logger.exception("worker step %s failed; trying again in 5 s", step.name)
                step.next_at = time.monotonic() + 5
                continue
            if done:
                busy = True
            else:
                step.next_at = time.monotonic() + step.every
        if not busy:
            due = min((step.next_at for step in steps()), default=now + idle_seconds)
            stop.wait(max(0.01, min(idle_seconds, due - time.monotonic())))
