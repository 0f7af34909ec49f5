"""``omnioms flow export ACCOUNT [--output FILE]`` and
``omnioms flow import ACCOUNT FILE [--map OLD=NEW ...]``: copy a flow between accounts or
installations. An invalid file is refused whole, one line per problem, and nothing changes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_REFUSED = 2


def add_commands(subparsers: Any) -> None:
    flow = subparsers.add_parser(
        "flow", help="a channel account's order flow as a file"
    ).add_subparsers(dest="action", required=True)
    p = flow.add_parser("export", help="print (or write) the account's current flow")
    p.add_argument("account", metavar="ACCOUNT", help="channel account name")
    p.add_argument("--output", "-o", metavar="FILE")
    p.set_defaults(func=cmd_export)
    p = flow.add_parser(
        "import", help="publish a flow file as the account's new version (open orders move)"
    )
    p.add_argument("account", metavar="ACCOUNT", help="channel account name")
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="where open orders in a stage the new flow lacks go (repeat per stage)",
    )
    p.set_defaults(func=cmd_import)


def _account(name: str) -> Any:
    from omnioms.channels.models import ChannelAccount

    account = ChannelAccount.objects.filter(name=name).first()
    if account is None:
        print(f"omnioms: no channel account {name!r}", file=sys.stderr)
    return account


def cmd_export(args: argparse.Namespace) -> int:
    from omnioms.flows.publishing import export_flow

    account = _account(args.account)
    if account is None:
        return EXIT_REFUSED
    text = export_flow(account)
    if not args.output:
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"omnioms: {args.output}: cannot write ({exc.strerror})", file=sys.stderr)
        return EXIT_REFUSED
    print(f"{args.output}: written")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from omnioms.core.actor import Actor
    from omnioms.flows.publishing import DefinitionInvalid, import_flow

    account = _account(args.account)
    if account is None:
        return EXIT_REFUSED
    mapping: dict[str, str] = {}
    for item in args.map:
        old, sep, new = item.partition("=")
        if not sep or not old or not new:
            print(f"omnioms: --map {item!r}: write OLD=NEW", file=sys.stderr)
            return EXIT_REFUSED
        mapping[old.strip()] = new.strip()
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"omnioms: {path}: cannot read ({exc.strerror})", file=sys.stderr)
        return EXIT_REFUSED
    try:
        version, moved = import_flow(
            account, data, mapping=mapping, actor=Actor.system("omnioms flow import")
        )
    except DefinitionInvalid as exc:
        for problem in exc.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        print(f"omnioms: {path}: nothing changed ({len(exc.problems)} problems)", file=sys.stderr)
        return EXIT_REFUSED
    print(f"{account.name}: flow version {version.number} published, {moved} open orders moved")
    return 0
