"""Net requirements for the demo company's full catalogue: seconds per run.

    python bench/requirements.py                    # SQLite, and PostgreSQL when it answers
    python bench/requirements.py --databases sqlite --runs 10

Each database starts empty and migrated; ``omnioms demo --no-serve`` loads the demo company
(182 days of orders through the real intake, the factory's BOMs and routings, two years of
older demand, a forecast run). Then ``omnioms plan requirements`` runs ``--runs`` times, each a
job as a planner's would be, timed inside one process (no interpreter start-up in the figure):
the demand of the latest forecast and the open orders, exploded level by level through the
BOMs, netted against stock, incoming stock and planned output, lot-sized and offset by lead
times, and written with its pegging. Reported: median and slowest seconds per run, and what
one run planned. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchdb import ROOT, Database, postgres_answers, run

MEASURE = """
import json, time, django
django.setup()
from omnioms.core.actor import Actor
from omnioms.core.jobs import run_job, start_job
from omnioms.core.models import Job
from omnioms.planning.models import Peg, PlannedOrder

seconds, result = [], None
for _ in range({runs}):
    started = time.perf_counter()
    job = start_job("planning.requirements", actor=Actor.system("bench"), horizon_days=120)
    status = run_job(job.pk)
    seconds.append(time.perf_counter() - started)
    result = Job.objects.get(pk=job.pk).result
    assert status == "succeeded", Job.objects.get(pk=job.pk).error
run = result["run"]
print(json.dumps({{
    "seconds": seconds,
    "result": result,
    "pegs": Peg.objects.filter(planned_order__run_id=run).count(),
    "skus": PlannedOrder.objects.filter(run_id=run).values("sku").distinct().count(),
}}))
"""


def measure(kind: str, runs: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(kind, Path(tmp))
        db.create()
        try:
            run([sys.executable, "-m", "omnioms.cli", "demo", "--no-serve"], db.env())
            done = subprocess.run(
                [sys.executable, "-c", MEASURE.format(runs=runs)],
                env=db.env(),
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            db.drop()
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    seconds = figures["seconds"]
    return {
        "database": kind,
        "runs": runs,
        "median_s": round(statistics.median(seconds), 3),
        "slowest_s": round(max(seconds), 3),
        "planned": figures["result"],
        "pegs": figures["pegs"],
        "skus_planned": figures["skus"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for kind in args.databases.split(","):
        if kind == "postgres" and not postgres_answers():
            print("PostgreSQL does not answer: skipped", file=sys.stderr)
            continue
        print(json.dumps(measure(kind, args.runs), ensure_ascii=False))


if __name__ == "__main__":
    main()
