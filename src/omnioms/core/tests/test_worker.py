"""The background worker loop: every registered step runs, a failing one does not stop the rest."""

from __future__ import annotations

import threading

import pytest

from omnioms.core import worker


@pytest.fixture
def only_these_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "_STEPS", {})


@pytest.mark.usefixtures("only_these_steps")
def test_a_step_that_keeps_finding_work_runs_again_and_a_failing_step_is_retried_later() -> None:
    stop = threading.Event()
    queue = [3, 2, 0]  # items of work found on each call
    calls = {"busy": 0, "broken": 0}

    def busy() -> int:
        calls["busy"] += 1
        found = queue.pop(0) if queue else 0
        if not queue:
            stop.set()
        return found

    def broken() -> int:
        calls["broken"] += 1
        raise RuntimeError("the platform is down")

    worker.register_step("test.broken", broken, every=0.01)
    worker.register_step("test.busy", busy, every=60)

    thread = threading.Thread(target=worker.run_worker, kwargs={"stop": stop}, daemon=True)
    thread.start()
    thread.join(timeout=10)

    assert not thread.is_alive()
    assert calls["busy"] == 3  # called again at once while it found work
    assert calls["broken"] == 1  # after an error it waits 5 s, not every loop


@pytest.mark.usefixtures("only_these_steps")
def test_run_once_calls_every_step_and_adds_up_their_work() -> None:
    worker.register_step("test.a", lambda: 2, every=1)
    worker.register_step("test.b", lambda: 5, every=1)
    worker.register_step("test.a", lambda: 1, every=1)  # same name: replaces, not added twice

    assert worker.run_once() == 6


def test_the_apps_register_their_steps() -> None:
    names = {step.name for step in worker.steps()}

    assert {"channels.intake", "channels.pull", "channels.outbound"} <= names
    assert "inventory.push_availability" in names
