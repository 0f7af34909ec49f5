"""``omnioms production import FILE`` and ``omnioms production export FILE [--chinese]``.

Registered by ``omnioms.cli``; Django is set up before a command runs, so the app's modules
are imported inside the commands.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_REFUSED = 2


def add_commands(subparsers: Any) -> None:
    production = subparsers.add_parser(
        "production", help="production master data: BOMs, routings, work centres, calendars"
    ).add_subparsers(dest="action", required=True)
    p = production.add_parser(
        "import", help="import a workbook: all of it, or nothing and every problem"
    )
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_import)
    p = production.add_parser("export", help="write the master data to a workbook")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--chinese", action="store_true", help="Chinese sheet names and headers")
    p.set_defaults(func=cmd_export)


def cmd_import(args: argparse.Namespace) -> int:
    from omnioms.production.services import import_master_data

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"omnioms: {path}: cannot read ({exc.strerror})", file=sys.stderr)
        return EXIT_REFUSED
    report = import_master_data(data)
    if not report.ok:
        for problem in report.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        print(
            f"omnioms: {path}: nothing imported ({len(report.problems)} problems)",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    sheets = sorted(set(report.created) | set(report.updated))
    for sheet in sheets:
        print(
            f"{sheet}: {report.created.get(sheet, 0)} created, "
            f"{report.updated.get(sheet, 0)} updated"
        )
    if not sheets:
        print(f"{path}: no rows")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from omnioms.production.services import export_master_data

    path = Path(args.file)
    try:
        path.write_bytes(export_master_data(chinese=args.chinese))
    except OSError as exc:
        print(f"omnioms: {path}: cannot write ({exc.strerror})", file=sys.stderr)
        return EXIT_REFUSED
    print(f"{path}: written")
    return 0
