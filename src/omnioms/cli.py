"""The ``omnioms`` command: normalise, import, replay, manage accounts and users, serve, demo.

Every command uses ``DATABASE_URL`` when set, else the embedded SQLite database under
``OMNIOMS_DATA_DIR`` (default ``./var``). See ``docs/contracts.md`` for the contract.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from omnioms.flows import cli as flows_cli
from omnioms.forecasting.cli import add_commands as add_forecast_commands
from omnioms.kpi import cli as kpi_cli
from omnioms.planning import cli as planning_cli
from omnioms.production import cli as production_cli
from omnioms.simulation import cli as simulation_cli

EXIT_BAD_INPUT = 2
EXIT_RECORDS_FAILED = 1


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnioms.settings.base")
    import django

    django.setup()


def _ensure_database() -> None:
    """Apply outstanding migrations, so a fresh machine needs no separate step."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", interactive=False, verbosity=0)


HELPERS_FROM_BYTES = 1_000_000
"""Files from this size on are normalised by helper processes (a few batches' worth)."""


def _total_size(names: Sequence[str]) -> int:
    return sum(path.stat().st_size for path in map(Path, names) if path.is_file())


def _fail(message: str) -> int:
    print(f"omnioms: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def bind_error(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port`` (``"in use"`` for a busy port), or
    None when it can: tried the way gunicorn binds (``SO_REUSEADDR``, so a port left in
    TIME_WAIT counts as free)."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        return f"cannot listen on {host!r} ({exc})"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return PORT_IN_USE
            return f"cannot listen on {host}:{port} ({exc.strerror})"
    return None


PORT_IN_USE = "in use"


def port_problem(command: str, host: str, port: int) -> str:
    """One line saying why ``omnioms serve`` or ``demo`` cannot listen on ``host:port``, or "".

    Checked before Django is set up or the demo loaded, so that a busy port is said plainly
    instead of by gunicorn's retries and tracebacks after a minute of loading. For a busy
    port it names one that is free now, as ``make`` and as ``omnioms`` take it.
    """
    error = bind_error(host, port)
    if error is None:
        return ""
    if error != PORT_IN_USE:
        return error
    free = next(
        (p for p in range(port + 1, min(port + 100, 65536)) if not bind_error(host, p)), None
    )
    if free is None:
        return f"port {port} is in use on {host}; choose another with --port"
    return (
        f"port {port} is in use on {host}; run make {command} PORT={free} "
        f"(or omnioms {command} --port {free})"
    )


# ----------------------------------------------------------------------------------------------


def cmd_normalize(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from omnioms.channels.adapters import UnknownPlatform, get_adapter
    from omnioms.channels.adapters.base import AdapterContext, NormalizationError, split_records
    from omnioms.channels.normalizing import normalize_record

    try:
        adapter = get_adapter(args.channel)
    except UnknownPlatform as exc:
        return _fail(str(exc))
    path = Path(args.file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return _fail(f"{path}: cannot read ({exc.strerror})")
    context = AdapterContext(time_zone=ZoneInfo(args.time_zone), currency=args.currency)
    orders = []
    try:
        for record in split_records(adapter, raw, path.name, context):
            try:
                orders.append(normalize_record(adapter, record, context).model_dump(mode="json"))
            except NormalizationError as exc:
                where = f"{path}: {record.label}" if record.label != path.name else str(path)
                return _fail(f"{where}: {exc}")
    except NormalizationError as exc:
        # The splitter names the file; say its whole path once instead.
        return _fail(f"{path}: {str(exc).removeprefix(f'{path.name}: ')}")
    output = orders[0] if len(orders) == 1 else orders
    print(json.dumps(output, ensure_ascii=False, indent=2))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from omnioms.channels.models import ChannelAccount
    from omnioms.core.actor import Actor
    from omnioms.sync.services import import_file

    account = ChannelAccount.objects.filter(name=args.account).first()
    if account is None:
        return _fail(f"no channel account named {args.account!r} (see: omnioms account create)")
    status = 0
    records = failed = 0
    for name in args.files:
        path = Path(name)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            status = _fail(f"{path}: cannot read ({exc.strerror})")
            continue
        summary = import_file(account, raw=raw, filename=path.name, actor=Actor.system("import"))
        print(
            f"{path}: {summary.created} created, {summary.updated} updated, "
            f"{summary.unchanged} unchanged, {summary.stale} stale, "
            f"{summary.dead_lettered} dead-lettered"
        )
        for problem in summary.problems:
            print(f"  dead letter: {problem}", file=sys.stderr)
        records += summary.total
        failed += summary.dead_lettered
    if failed:
        # A script or a cron job sees only the status: an import that left records behind as
        # dead letters must not look like one that stored them all.
        print(f"omnioms: {_failed_records(failed, records)}", file=sys.stderr)
        status = max(status, EXIT_RECORDS_FAILED)
    return status


def _failed_records(failed: int, records: int) -> str:
    noun = "record" if records == 1 else "records"
    what = "it is a dead letter" if failed == 1 else "they are dead letters"
    return (
        f"{failed} of {records} {noun} could not be imported: {what}; see "
        "`omnioms replay --all` or the dead letters page (/dead-letters/)"
    )


def cmd_replay(args: argparse.Namespace) -> int:
    from omnioms.channels.models import DeadLetter
    from omnioms.core.actor import Actor
    from omnioms.sync.services import open_dead_letter_ids, replay_dead_letter

    if args.all:
        ids = open_dead_letter_ids()
    elif args.id is not None:
        if not DeadLetter.objects.filter(pk=args.id).exists():
            return _fail(f"no dead letter with id {args.id}")
        ids = [args.id]
    else:
        return _fail("name a dead letter id, or --all")
    still_open = 0
    for letter_id in ids:
        outcome = replay_dead_letter(letter_id, actor=Actor.system("replay"))
        letter = DeadLetter.objects.get(pk=letter_id)
        if letter.resolved_at is None:
            still_open += 1
            print(f"{letter_id}: still failing: {letter.reason}")
        else:
            print(f"{letter_id}: {outcome}")
    print(f"{len(ids) - still_open} resolved, {still_open} still failing")
    return 1 if still_open else 0


def cmd_pull(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from omnioms.channels.clients import ClientError
    from omnioms.channels.models import ChannelAccount
    from omnioms.sync.pull import fetch_named_orders, poll_problem, pull_account

    account = ChannelAccount.objects.filter(name=args.account).first()
    if account is None:
        return _fail(f"no channel account named {args.account!r} (see: omnioms account create)")
    if problem := poll_problem(account):
        return _fail(problem)
    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since.replace("Z", "+00:00"))
        except ValueError:
            return _fail(f"--since: {args.since!r} is not an ISO-8601 time")
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
    try:
        summary = pull_account(account, since=since)
        thin = fetch_named_orders(account)
    except ClientError as exc:  # credentials missing or bad: nothing was asked
        return _fail(str(exc))
    print(summary.text())
    if thin.fetched or thin.error:
        print(
            f"{thin.fetched} orders named by webhooks fetched"
            + (f"; {thin.error}" if thin.error else "")
        )
    return 1 if summary.error or thin.error else 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from omnioms.channels.clients import ClientError
    from omnioms.channels.models import ChannelAccount
    from omnioms.sync.pull import poll_problem
    from omnioms.sync.reconcile import reconcile_account

    account = ChannelAccount.objects.filter(name=args.account).first()
    if account is None:
        return _fail(f"no channel account named {args.account!r} (see: omnioms account create)")
    if problem := poll_problem(account):
        return _fail(problem)
    if args.hours is not None and args.hours <= 0:
        return _fail("--hours: must be a positive number")
    window = timedelta(hours=args.hours) if args.hours is not None else None
    try:
        summary = reconcile_account(account, window=window)
    except ClientError as exc:
        return _fail(str(exc))
    print(summary.text())
    for label, ids in (("missing", summary.missing), ("stale", summary.stale)):
        if ids:
            shown = ", ".join(ids[:20]) + (" …" if len(ids) > 20 else "")
            print(f"  {label}: {shown}")
    return 1 if summary.error else 0


def cmd_account_create(args: argparse.Namespace) -> int:
    from omnioms.channels.adapters import UnknownPlatform
    from omnioms.sync.services import create_account

    try:
        account = create_account(
            name=args.name,
            platform=args.platform,
            display_name=args.display_name or "",
            secret=args.secret or "",
            time_zone=args.time_zone,
            currency=args.currency,
            location_code=args.location,
        )
    except (UnknownPlatform, ValueError) as exc:
        return _fail(str(exc))
    print(
        f"created account {account.name} ({account.platform}); webhook URL: "
        f"/api/v1/webhooks/{account.name}"
    )
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    from omnioms.core.services import create_staff_user

    try:
        user = create_staff_user(
            username=args.username,
            role=args.role,
            password=args.password,
            store_code=args.store,
        )
    except ValueError as exc:
        return _fail(str(exc))
    print(f"created user {user.username} with role {args.role}")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from django.contrib.auth.models import User

    from omnioms.api.services import create_token

    user = User.objects.filter(username=args.username, is_active=True).first()
    if user is None:
        return _fail(f"no active user named {args.username!r}")
    print(create_token(user, name=args.name or ""))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from omnioms.server import serve

    serve(host=args.host, port=args.port, workers=args.workers, intake_worker=not args.no_worker)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import signal
    import threading

    from omnioms.core.worker import run_worker

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print("omnioms worker: intake, pushes and polls (Ctrl-C to stop)", flush=True)
    run_worker(stop=stop)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from omnioms.demo.loader import load_demo
    from omnioms.server import serve

    report = load_demo(seed=args.seed, days=args.days)
    print(report)
    if args.no_serve:
        return 0
    if problem := port_problem(args.command, args.host, args.port):  # taken while loading
        return _fail(problem)
    print(
        f"\nomnioms demo: open http://{args.host}:{args.port}/ and log in as one of the users "
        "above."
    )
    serve(host=args.host, port=args.port, workers=args.workers, intake_worker=not args.no_worker)
    return 0


# ----------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omnioms", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("normalize", help="print the normalised order(s) of a payload file")
    p.add_argument("--channel", required=True, help="adapter code, e.g. shopify, taobao")
    p.add_argument("--time-zone", default="Asia/Shanghai", help="zone of naive times")
    p.add_argument("--currency", default="CNY", help="currency when the payload names none")
    p.add_argument("file")
    p.set_defaults(func=cmd_normalize, needs_db=False)

    add_forecast_commands(sub)

    p = sub.add_parser("import", help="store, normalise and upsert order files")
    p.add_argument("--account", required=True)
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("replay", help="run dead-lettered payloads through intake again")
    p.add_argument("id", nargs="?", type=int)
    p.add_argument("--all", action="store_true", help="every unresolved dead letter")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("pull", help="ask a channel's API for orders changed since the last pull")
    p.add_argument("account")
    p.add_argument("--since", help="read from this time (ISO-8601) instead of the cursor")
    p.set_defaults(func=cmd_pull)

    p = sub.add_parser(
        "reconcile", help="compare a channel's recent orders with ours and fetch what differs"
    )
    p.add_argument("account")
    p.add_argument("--hours", type=float, help="how far back to compare (default 48)")
    p.set_defaults(func=cmd_reconcile)

    account = sub.add_parser("account", help="channel accounts").add_subparsers(
        dest="action", required=True
    )
    p = account.add_parser("create")
    p.add_argument("--name", required=True)
    p.add_argument("--platform", required=True)
    p.add_argument("--display-name")
    p.add_argument("--secret", help="webhook signing secret")
    p.add_argument("--location", help="code of the store or warehouse")
    p.add_argument("--time-zone", default="Asia/Shanghai")
    p.add_argument("--currency", default="CNY")
    p.set_defaults(func=cmd_account_create)

    user = sub.add_parser("user", help="staff users").add_subparsers(dest="action", required=True)
    p = user.add_parser("create")
    p.add_argument("--username", required=True)
    p.add_argument("--role", required=True)
    p.add_argument("--password", help="prompted for when omitted")
    p.add_argument("--store", help="store code (store clerks)")
    p.set_defaults(func=cmd_user_create)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    p = token.add_parser("create")
    p.add_argument("--username", required=True)
    p.add_argument("--name")
    p.set_defaults(func=cmd_token_create)

    for name, func, help_text in (
        ("serve", cmd_serve, "serve the web UI and API with gunicorn"),
        ("demo", cmd_demo, "load the demo company and serve it"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument(
            "--workers", type=int, default=None, help="default: 1 per CPU core, at least 2"
        )
        p.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start the intake worker (run `omnioms worker` elsewhere)",
        )
        p.set_defaults(func=func)
    demo = sub.choices["demo"]
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--days", type=int, default=182, help="days of order history")
    demo.add_argument("--no-serve", action="store_true", help="load the data and exit")

    production_cli.add_commands(sub)

    p = sub.add_parser("worker", help="process received webhooks (serve starts one itself)")
    p.set_defaults(func=cmd_worker)

    kpi_cli.add_commands(sub)
    planning_cli.add_commands(sub)
    simulation_cli.add_commands(sub)
    flows_cli.add_commands(sub)

    p = sub.add_parser("manage", help="Django management commands", add_help=False)
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    # Before Django, the migrations and the demo's minute of loading.
    serving = args.command in ("serve", "demo") and not getattr(args, "no_serve", False)
    if serving and (problem := port_problem(args.command, args.host, args.port)):
        return _fail(problem)
    if args.command == "import" and _total_size(args.files) >= HELPERS_FROM_BYTES:
        from omnioms.channels.normalizing import start_helpers

        start_helpers()  # they start up while Django does
    _setup_django()
    if args.command == "manage":
        from django.core.management import execute_from_command_line

        execute_from_command_line(["omnioms manage", *args.args])
        return 0
    if getattr(args, "needs_db", True):
        _ensure_database()
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
