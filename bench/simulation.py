"""How long a simulated year takes, and what each policy scores (docs/simulation.md).

    python bench/simulation.py                       # every shipped scenario, the full CLI
    python bench/simulation.py demo --days 365       # one scenario
    python bench/simulation.py --engine-only         # the day loop without a database

The full path runs ``omnioms simulate`` (a fresh SQLite database per policy, orders through
the intake, a day's shipments through ``orders.services.ship_orders``, the policies side by
side; the omnioms policy's production through the planning and floor services: production
orders, planning runs published, floor reports, the daily close and T-3) and reports the wall
time, the CPU seconds and each child's own CPU seconds. ``--engine-only`` runs the same
policies on the same demand without the database: the baselines' KPIs are the same (their
database only mirrors what the company did); the omnioms policy plans each day with the
scheduling engine's rules in memory instead of following the planning app's published plan,
so its figures differ a little: the quick loop while changing planning code, not the proof.
CPU seconds are printed beside the wall time because this machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def full(name: str, days: int | None, out: Path) -> None:
    args = [sys.executable, "-m", "omnioms.cli", "simulate", name, "--out", str(out / name)]
    if days:
        args += ["--days", str(days)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    began, cpu0 = time.perf_counter(), cpu()
    subprocess.run(args, check=True, env=env, stderr=subprocess.DEVNULL)
    wall, used = time.perf_counter() - began, cpu() - cpu0
    result = json.loads((out / name / "kpis.json").read_text())
    print(f"\n{name}: {result['days']} days, wall {wall:.0f} s, CPU {used:.0f} s")
    for policy, f in result["policies"].items():
        print(
            f"  {policy:18} OTD {f['otd']:.3f}  OEE {f['oee']:.3f}  inventory days "
            f"{f['inventory_days']} ({f['benchmark_low']}-{f['benchmark_high']})  "
            f"{'all met' if f['all_targets_met'] else 'missed'}  child {f['seconds']} s "
            f"wall, {f.get('cpu_seconds')} s CPU"
        )
        factory = f.get("factory")
        if factory:
            print(
                f"  {'':18} {factory['production_orders']} production orders, "
                f"{factory['plans_published']} plans published "
                f"({factory['plans_by_dispatching']} by a rule on time), "
                f"{factory['floor_reports']} floor reports, {factory['daily_closes']} daily "
                f"closes, exceptions opened {f.get('exceptions_opened')}, T-3 warnings "
                f"{f.get('t3_warnings')}"
            )


def engine_only(name: str, days: int | None) -> None:
    from omnioms.simulation.engine import POLICIES, Simulation
    from omnioms.simulation.kpis import figures
    from omnioms.simulation.scenario import load_scenario

    scenario = load_scenario(name)
    print(f"\n{name} (engine only)")
    for policy in POLICIES:
        began = time.perf_counter()
        f = figures(Simulation(scenario, policy, days=days).run())
        print(
            f"  {policy:18} OTD {f['otd']:.3f}  OEE {f['oee']:.3f}  inventory days "
            f"{f['inventory_days']} ({f['benchmark_low']}-{f['benchmark_high']})  fc "
            f"{f['forecast_accuracy']}  rush {f['rush_accepted']}/{f['rush_requested']}  "
            f"stock-outs {f['stockout_days']}  overtime {f['overtime_hours']} h  "
            f"{'all met' if f['all_targets_met'] else 'missed'}  "
            f"{time.perf_counter() - began:.0f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=["demo", "electronics", "cosmetics"])
    parser.add_argument("--days", type=int)
    parser.add_argument("--engine-only", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnioms.settings.base")
    out = args.out or Path(tempfile.mkdtemp(prefix="omnioms-sim-"))
    for name in args.scenarios:
        if args.engine_only:
            engine_only(name, args.days)
        else:
            full(name, args.days, out)
    if not args.engine_only:
        print(f"\nreports under {out}")


if __name__ == "__main__":
    main()
