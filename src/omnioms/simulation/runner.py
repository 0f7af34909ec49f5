"""A simulation run: every policy in its own process and fresh database, then the report.

:func:`run_simulation` is what ``omnioms simulate`` and the web page's job both call. It
migrates one template SQLite database in DIR, copies it per policy (``DIR/<policy>.sqlite3``),
runs the policies side by side (``PARALLEL``; each is ``python -m omnioms.simulation.child``),
reports progress as the mean of the children's days done, stops them all when
``cancelled()`` says so, and writes ``kpis.json``, ``kpis.csv`` and ``report.html`` into DIR.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from omnioms.simulation.engine import POLICIES
from omnioms.simulation.report import write_report
from omnioms.simulation.scenario import Scenario

PARALLEL = 3
"""Children at a time: all three policies together. On two cores that finishes the three in
about 3/2 of one child's CPU time; two at a time would take twice one child's."""


class SimulationCancelled(Exception):
    pass


class SimulationFailed(RuntimeError):
    pass


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    env.pop("DATABASE_URL", None)
    return env


def run_simulation(
    scenario: Scenario,
    out: Path,
    *,
    policies: Sequence[str] = POLICIES,
    days: int | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    days = min(days or scenario.days, scenario.days)
    scenario_json = out / "scenario.json"
    scenario_json.write_text(json.dumps(scenario.model_dump(mode="json"), indent=2))
    template = out / "template.sqlite3"
    for stale in out.glob("*.sqlite3*"):
        stale.unlink()
    env = _child_env()
    subprocess.run(  # noqa: S603 (our own module, our arguments)
        [sys.executable, "-m", "omnioms.simulation.child", "migrate", str(template)],
        check=True,
        env=env,
        capture_output=True,
    )
    done: dict[str, float] = dict.fromkeys(policies, 0.0)
    errors: dict[str, str] = {}
    queue = list(policies)
    running: dict[str, subprocess.Popen[str]] = {}
    readers: list[threading.Thread] = []
    logs: dict[str, IO[str]] = {}

    def follow(name: str, child: subprocess.Popen[str]) -> None:
        assert child.stdout is not None
        for line in child.stdout:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "progress":
                done[name] = int(parts[1]) / int(parts[2])

    try:
        while queue or running:
            while queue and len(running) < PARALLEL:
                name = queue.pop(0)
                db = out / f"{name}.sqlite3"
                shutil.copyfile(template, db)
                child = subprocess.Popen(  # noqa: S603 (our own module, our arguments)
                    [
                        sys.executable,
                        "-m",
                        "omnioms.simulation.child",
                        "run",
                        str(scenario_json),
                        name,
                        str(days),
                        str(db),
                        str(out / f"{name}.json"),
                    ],
                    env=env,
                    stdout=subprocess.PIPE,
                    # a file, not a pipe: a child's warnings must never fill a buffer and
                    # block it
                    stderr=logs.setdefault(name, (out / f"{name}.log").open("w")),
                    text=True,
                )
                running[name] = child
                reader = threading.Thread(target=follow, args=(name, child), daemon=True)
                reader.start()
                readers.append(reader)
            time.sleep(0.2)
            for name, child in list(running.items()):
                if child.poll() is not None:
                    del running[name]
                    logs[name].close()
                    if child.returncode != 0:
                        errors[name] = (out / f"{name}.log").read_text()[-3000:]
            if progress is not None:
                share = sum(done.values()) / len(done)
                progress(share, ", ".join(f"{n} {v:.0%}" for n, v in done.items()))
            if cancelled is not None and cancelled():
                raise SimulationCancelled
    finally:
        for child in running.values():
            child.kill()
            child.wait()
        for log in logs.values():
            log.close()
        template.unlink(missing_ok=True)
    if errors:
        raise SimulationFailed(
            "; ".join(
                f"{name}: {text.strip().splitlines()[-1] if text.strip() else 'failed'}"
                for name, text in errors.items()
            )
        )
    result: dict[str, Any] = {
        "scenario": scenario.name,
        "start": scenario.start.isoformat(),
        "days": days,
        "policies": {name: json.loads((out / f"{name}.json").read_text()) for name in policies},
    }
    write_report(out, result)
    return result
