"""``omnioms simulate SCENARIO --out DIR [--policy NAME] [--days N]`` (docs/simulation.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from omnioms.simulation import POLICIES

EXIT_BAD_INPUT = 2


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "simulate",
        help="run a scenario's company day by day under omnioms and the baselines; KPIs to DIR",
    )
    p.add_argument("scenario", help="a scenario YAML file, or a shipped name (demo, ...)")
    p.add_argument("--out", required=True, help="directory for kpis.json, kpis.csv, report.html")
    p.add_argument(
        "--policy",
        choices=POLICIES,
        action="append",
        help="run only this policy (repeatable); default: all",
    )
    p.add_argument(
        "--days", type=int, default=None, help="days to simulate (default: the scenario's)"
    )
    p.set_defaults(func=cmd_simulate, needs_db=False)


def cmd_simulate(args: argparse.Namespace) -> int:
    from omnioms.simulation.runner import SimulationFailed, run_simulation
    from omnioms.simulation.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        print(f"omnioms: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.days is not None and args.days < 1:
        print("omnioms: --days: must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    last = [-1.0]

    def progress(share: float, message: str) -> None:
        if share - last[0] >= 0.05 or (share >= 1 > last[0]):
            last[0] = share
            print(f"{share:6.1%}  {message}", file=sys.stderr, flush=True)

    try:
        result = run_simulation(
            scenario,
            Path(args.out),
            policies=args.policy or POLICIES,
            days=args.days,
            progress=progress,
        )
    except SimulationFailed as exc:
        print(f"omnioms: the simulation failed: {exc}", file=sys.stderr)
        return 1
    for name, f in result["policies"].items():
        met = (
            "all targets met"
            if f["all_targets_met"]
            else "targets missed: " + ", ".join(k for k, v in f["targets_met"].items() if not v)
        )
        print(
            f"{name:18} OTD {f['otd']}  OEE {f['oee']}  inventory days {f['inventory_days']}"
            f" (benchmark {f['benchmark_days']})  {met}"
        )
    print(f"report: {Path(args.out) / 'report.html'}")
    return 0
