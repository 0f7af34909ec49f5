"""One policy's run in its own process and its own fresh database (``runner.py`` starts it).

    python -m omnioms.simulation.child migrate DB
    python -m omnioms.simulation.child run SCENARIO_JSON POLICY DAYS DB RESULT_JSON

``DB`` is a SQLite file; the process points ``DATABASE_URL`` at it before Django starts, so
nothing here can touch the user's database. ``run`` prints ``progress DONE TOTAL`` lines.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo


def _django(db: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnioms.settings.base")
    import django

    django.setup()


def migrate(db: Path) -> None:
    _django(db)
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:  # a new file: no fsync per migration
        cursor.execute("PRAGMA synchronous=OFF")
    call_command("migrate", interactive=False, verbosity=0)

    with connection.cursor() as cursor:  # one self-contained file to copy per policy
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.execute("PRAGMA journal_mode=DELETE")


def run(scenario_json: Path, policy: str, days: int, db: Path, result: Path) -> None:
    _django(db)
    from django.db import connection

    from omnioms.simulation.company import FACTORY, DatabaseCompany, build_company
    from omnioms.simulation.engine import Simulation
    from omnioms.simulation.floor import Clock
    from omnioms.simulation.kpis import figures
    from omnioms.simulation.production import DatabaseFactory, build_factory
    from omnioms.simulation.scenario import parse_scenario

    with connection.cursor() as cursor:  # a throwaway database: no fsync per commit
        cursor.execute("PRAGMA synchronous=OFF")
    scenario = parse_scenario(json.loads(scenario_json.read_text()), source=str(scenario_json))
    began = time.perf_counter()
    build_company(scenario)
    company = DatabaseCompany(scenario)
    factory = None
    if policy == "omnioms":  # its production goes through the planning and floor services
        build_factory(scenario, FACTORY)
        factory = DatabaseFactory(
            scenario, Clock(scenario.start, ZoneInfo(scenario.time_zone)), FACTORY
        )

    def progress(done: int, total: int) -> None:
        if done == total or done % 5 == 0:
            print(f"progress {done} {total}", flush=True)

    outcome = Simulation(
        scenario, policy, days=days, company=company, factory=factory, progress=progress
    ).run()
    data = figures(outcome)
    if factory is not None:
        found = factory.summary()
        data["factory"] = found
        by_month = found["exceptions_by_month"]
        for month in data["months"]:
            counts = by_month.get(month["month"], {})
            month["t3_warnings"] = counts.get("t3", 0)
            month["exceptions_opened"] = sum(n for t, n in counts.items() if t != "t3")
        data["t3_warnings"] = found["t3_warnings"]
        data["exceptions_opened"] = sum(m["exceptions_opened"] for m in data["months"])
    data["seconds"] = round(time.perf_counter() - began, 1)
    data["seconds_planning"] = round(outcome.seconds_planning, 1)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    data["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)
    result.write_text(json.dumps(data))


def main(argv: list[str]) -> int:
    if argv[:1] == ["migrate"]:
        migrate(Path(argv[1]))
    elif argv[:1] == ["run"]:
        run(Path(argv[1]), argv[2], int(argv[3]), Path(argv[4]), Path(argv[5]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
