"""``omnioms schedule jobshop FILE``: the scheduling engine on an OR-Library job-shop instance;
``omnioms plan …``: planning runs against the database, as jobs.

Contract (docs/contracts.md, docs/scheduling.md): it prints one JSON object
``{"makespan", "status", "lower_bound", "operations": [{"job", "step", "machine", "start",
"end"}, ...]}`` with jobs and steps numbered from 0 in file order, minimising the makespan
only. A file that cannot be read or is malformed exits with status 2 and one line on stderr
naming the file and the line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_BAD_INPUT = 2


def add_commands(subparsers: Any) -> None:
    """Register ``schedule jobshop`` on the ``omnioms`` parser (no database needed)."""
    schedule = subparsers.add_parser("schedule", help="run the scheduling engine")
    actions = schedule.add_subparsers(dest="action", required=True)
    p = actions.add_parser("jobshop", help="plan an OR-Library job-shop instance (makespan)")
    p.add_argument("file")
    p.add_argument("--time-limit", type=float, default=10.0, metavar="SECONDS")
    p.add_argument("--workers", type=int, default=2, metavar="N")
    p.set_defaults(func=cmd_jobshop, needs_db=False)
    add_plan_commands(subparsers)


def add_plan_commands(subparsers: Any) -> None:
    """``omnioms plan schedule`` (a new proposed plan) and ``omnioms plan requirements`` (net
    requirements, as a job): planning runs from the database."""
    plan = subparsers.add_parser("plan", help="production planning from the database")
    actions = plan.add_subparsers(dest="action", required=True)
    p = actions.add_parser(
        "schedule", help="plan the open production orders on the machines (a proposed plan)"
    )
    p.add_argument("--time-limit", type=float, default=60.0, metavar="SECONDS")
    p.add_argument("--workers", type=int, default=2, metavar="N")
    p.add_argument(
        "--no-bottleneck-first", action="store_true", help="do not sequence the bottleneck first"
    )
    p.add_argument("--publish", action="store_true", help="publish the plan when it is made")
    p.add_argument("--json", action="store_true", help="print the plan's figures as JSON")
    p.set_defaults(func=cmd_plan_schedule)
    p = actions.add_parser(
        "requirements", help="net requirements: planned orders to make and buy, with pegging"
    )
    p.add_argument("--as-of", help="the run's date, YYYY-MM-DD (default: today)")
    p.add_argument("--horizon-days", type=int, default=120, help="days ahead to plan (default 120)")
    p.add_argument(
        "--make-cover-days",
        type=int,
        default=7,
        help="days of net requirements one planned production order covers (default 7; 1: lot"
        " for lot)",
    )
    p.set_defaults(func=cmd_requirements)


def cmd_plan_schedule(args: argparse.Namespace) -> int:
    from .schedules import publish, run_schedule

    if args.time_limit <= 0:
        return _fail("--time-limit: must be a positive number of seconds")
    if args.workers < 1:
        return _fail("--workers: must be at least 1")
    plan = run_schedule(
        time_limit=args.time_limit,
        workers=args.workers,
        bottleneck_first=not args.no_bottleneck_first,
    )
    if args.publish:
        plan = publish(plan, None)
    figures = plan.objective
    if args.json:
        print(
            json.dumps(
                {
                    "plan": plan.pk,
                    "version": plan.version,
                    "status": plan.status,
                    "solver_status": plan.solver_status,
                    **{k: v for k, v in figures.items() if k not in ("daily", "releases")},
                },
                default=str,
            )
        )
        return 0
    print(
        f"plan v{plan.version} ({plan.status}): {plan.solver_status}, "
        f"{figures.get('orders', 0)} orders, {figures.get('late', 0)} late, "
        f"on time {100 * figures.get('on_time_share', 1):.1f} %, "
        f"weighted tardiness {figures.get('weighted_tardiness_hours')} h, "
        f"lower bound {figures.get('lower_bound_hours')}, "
        f"bottlenecks {', '.join(figures.get('bottlenecks', [])) or '-'}, "
        f"{figures.get('seconds')} s"
    )
    return 0


def cmd_requirements(args: argparse.Namespace) -> int:
    """A requirements run recorded as a job (its progress and result on the job's row)."""
    from datetime import date

    from omnioms.core.actor import Actor
    from omnioms.core.jobs import run_job, start_job
    from omnioms.core.models import Job

    if args.as_of:
        try:
            date.fromisoformat(args.as_of)
        except ValueError:
            return _fail(f"--as-of: {args.as_of!r} is not a date (YYYY-MM-DD)")
    if not 1 <= args.horizon_days <= 730:
        return _fail("--horizon-days: must be from 1 to 730")
    if not 1 <= args.make_cover_days <= 90:
        return _fail("--make-cover-days: must be from 1 to 90")
    job = start_job(
        "planning.requirements",
        actor=Actor.system("omnioms plan requirements"),
        as_of=args.as_of,
        horizon_days=args.horizon_days,
        make_cover_days=args.make_cover_days,
    )
    status = run_job(job.pk)
    job = Job.objects.get(pk=job.pk)
    if status != "succeeded":
        print(f"omnioms: the requirements run {status}: {job.error}", file=sys.stderr)
        return 1
    print(json.dumps(job.result, ensure_ascii=False))
    return 0


def cmd_jobshop(args: argparse.Namespace) -> int:
    from .jobshop import JobShopError, parse, to_problem
    from .model import Settings
    from .scheduling import schedule

    path = Path(args.file)
    if args.time_limit <= 0:
        return _fail("--time-limit: must be a positive number of seconds")
    if args.workers < 1:
        return _fail("--workers: must be at least 1")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return _fail(f"{path}: cannot read ({exc.strerror})")
    except UnicodeDecodeError:
        return _fail(f"{path}: line 1: not a text file")
    try:
        shop = parse(text)
    except JobShopError as exc:
        return _fail(f"{path}: {exc}")
    plan = schedule(
        to_problem(shop),
        Settings(time_limit=args.time_limit, workers=args.workers, objective="makespan"),
    )
    operations = sorted(
        (
            {
                "job": int(op.order[1:]),
                "step": op.step,
                "machine": int(op.work_center[1:]),
                "start": op.start,
                "end": op.end,
            }
            for op in plan.operations
        ),
        key=lambda row: (row["job"], row["step"]),
    )
    print(
        json.dumps(
            {
                "makespan": plan.makespan,
                "status": "optimal" if plan.status == "optimal" else "feasible",
                "lower_bound": plan.lower_bound if plan.lower_bound is not None else 0,
                "operations": operations,
            }
        )
    )
    return 0


def _fail(message: str) -> int:
    print(f"omnioms: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT
