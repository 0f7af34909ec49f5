"""``omnioms kpi oee|otd FILE.csv``: KPIs of a factory's own exported logs, no database.

The contract (layouts, JSON, exit statuses) is in ``docs/kpi.md`` and ``docs/contracts.md``:
JSON on stdout and status 0; a file that cannot be read or measured gives status 2 and one
line on stderr naming the file, the row (the header is row 1) and the field.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from omnioms.kpi.common import KpiInputError, fraction
from omnioms.kpi.files import (
    DELIVERY_COLUMNS,
    STATE_LOG_COLUMNS,
    STATE_LOG_OPTIONAL,
    read_deliveries,
    read_state_log,
)
from omnioms.kpi.oee import OEE_TARGET, OeeFigures, oee, oee_by
from omnioms.kpi.otd import otd

EXIT_BAD_INPUT = 2
PLACES = 6
"""Ratios and shares are printed rounded (half up) to this many decimal places."""
_PLACE = Decimal(1).scaleb(-PLACES)


def add_commands(subparsers: Any) -> None:
    """Add ``kpi oee`` and ``kpi otd`` to the ``omnioms`` command's subparsers."""
    kpi = subparsers.add_parser("kpi", help="KPIs from exported factory logs (no database)")
    commands = kpi.add_subparsers(dest="kpi", required=True)

    p = commands.add_parser(
        "oee",
        help="ISO 22400 OEE per work centre and in total from a state log (CSV)",
        description="Columns: "
        + ",".join(STATE_LOG_COLUMNS)
        + f" (then, if wanted: {', '.join(STATE_LOG_OPTIONAL)}). See docs/kpi.md.",
    )
    p.add_argument("file", metavar="FILE.csv")
    p.add_argument(
        "--target", type=_target, default=OEE_TARGET, help="OEE target as a fraction (0.80)"
    )
    p.set_defaults(func=cmd_oee, needs_db=False)

    p = commands.add_parser(
        "otd",
        help="on-time delivery (SCOR RL.2.2, in full and on time) from delivery rows (CSV)",
        description="Columns: " + ",".join(DELIVERY_COLUMNS) + ". See docs/kpi.md.",
    )
    p.add_argument("file", metavar="FILE.csv")
    p.add_argument(
        "--as-of",
        type=_day,
        help="leave out lines committed for this day (YYYY-MM-DD) or later: not due yet",
    )
    p.set_defaults(func=cmd_otd, needs_db=False)


def _target(text: str) -> Decimal:
    try:
        return fraction(text, "target")
    except (KpiInputError, ArithmeticError) as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction between 0 and 1") from exc


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _fail(message: str) -> int:
    print(f"omnioms: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _text(path: Path) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), else GB18030 (Excel, zh-CN)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KpiInputError("file", f"cannot be read ({exc.strerror})") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise KpiInputError("file", "is neither UTF-8 nor GB18030 text")


def _row(number: int) -> str:
    return f"row {number}"


def _measured(path: Path, run: Callable[[str], dict[str, Any]]) -> int:
    try:
        output = run(_text(path))
    except KpiInputError as exc:
        return _fail(f"{path}: {exc.located(_row)}")
    print(json.dumps(output, ensure_ascii=False, indent=2))
    return 0


def cmd_oee(args: argparse.Namespace) -> int:
    def run(text: str) -> dict[str, Any]:
        read = read_state_log(text)
        try:
            centres = oee_by(read.items, target=args.target)
            total = oee(read.items, target=args.target)
        except KpiInputError as exc:
            # The engine counts records; the reader knows the rows they came from.
            raise KpiInputError(
                exc.field,
                exc.message,
                index=None if exc.index is None else read.rows[exc.index],
                related=None if exc.related is None else read.rows[exc.related],
            ) from None
        return {
            "work_centers": {code: oee_json(centres[code]) for code in sorted(centres)},
            "total": oee_json(total),
        }

    return _measured(Path(args.file), run)


def cmd_otd(args: argparse.Namespace) -> int:
    def run(text: str) -> dict[str, Any]:
        figures = otd(read_deliveries(text).items, as_of=args.as_of)
        return {"lines": figures.lines, "on_time": figures.on_time, "otd": _ratio(figures.otd)}

    return _measured(Path(args.file), run)


def _ratio(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(_PLACE, ROUND_HALF_UP))


def _seconds(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def oee_json(figures: OeeFigures) -> dict[str, Any]:
    """One work centre's (or the total's) figures as ``omnioms kpi oee`` prints them."""
    return {
        "availability": _ratio(figures.availability),
        "effectiveness": _ratio(figures.effectiveness),
        "quality": _ratio(figures.quality),
        "oee": _ratio(figures.oee),
        "target": _ratio(figures.target),
        "met": figures.met,
        "planned_busy_seconds": _seconds(figures.planned_busy_seconds),
        "production_seconds": _seconds(figures.production_seconds),
        "setup_seconds": _seconds(figures.setup_seconds),
        "stop_seconds": _seconds(figures.stop_seconds),
        "planned_stop_seconds": _seconds(figures.planned_stop_seconds),
        "planned_run_seconds": _seconds(figures.planned_run_seconds),
        "produced": figures.produced,
        "good": figures.good,
        "scrap": figures.scrap,
        "downtime": [
            {
                "state": bar.state.value,
                "reason": bar.reason,
                "seconds": _seconds(bar.seconds),
                "share": _ratio(bar.share),
                "cumulative_share": _ratio(bar.cumulative_share),
            }
            for bar in figures.downtime
        ],
        "scrap_reasons": [
            {
                "reason": bar.reason,
                "quantity": bar.quantity,
                "share": _ratio(bar.share),
                "cumulative_share": _ratio(bar.cumulative_share),
            }
            for bar in figures.scrap_reasons
        ],
    }
