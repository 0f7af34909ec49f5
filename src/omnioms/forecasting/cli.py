"""``omnioms forecast series HISTORY.csv --months N``: the engine on a file, no database.

HISTORY has the header ``sku,date,quantity`` (daily sales, ISO dates; a missing day sold
nothing). The forecast starts the day after the file's last date and runs to the end of the
N-th calendar month after that date's month. Output, on stdout, CSV with the header
``sku,level,period_start,quantity``: a row per SKU for every day of the horizon, every ISO
week (``period_start`` its Monday) and every calendar month (its first day) wholly inside it;
quantities have two decimals, are non-negative, and the days add up exactly to the weeks and
months. A malformed file exits with status 2 and one line on stderr naming the file, the
line and what is wrong.

Only the standard library is imported here; the engine is loaded when the command runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

EXIT_BAD_INPUT = 2
HEADER = ["sku", "date", "quantity"]
DECIMALS = 2
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class BadInput(Exception):
    """What is wrong with the command's input, as the one line printed on stderr."""


def add_commands(subparsers: Any) -> None:
    """Register ``omnioms forecast …`` on the top-level parser's subparsers."""
    forecast = subparsers.add_parser("forecast", help="demand forecasts")
    actions = forecast.add_subparsers(dest="action", required=True)
    p = actions.add_parser(
        "series",
        help="forecast the daily sales in a CSV file (sku,date,quantity); prints CSV",
    )
    p.add_argument("history", metavar="HISTORY.csv")
    p.add_argument(
        "--months",
        required=True,
        metavar="N",
        help="forecast to the end of the N-th calendar month after the last date",
    )
    p.set_defaults(func=cmd_series, needs_db=False)

    p = actions.add_parser("run", help="make a forecast run from the database's demand history")
    p.add_argument("--as-of", help="the run's date, YYYY-MM-DD (default: today)")
    p.add_argument("--months", type=int, default=6, help="months ahead (default 6)")
    p.add_argument(
        "--rule",
        choices=["replace", "add", "weighted"],
        default="weighted",
        help="how the sales team's figures are blended in",
    )
    p.add_argument("--frozen-days", type=int, default=7)
    p.set_defaults(func=cmd_run)

    p = actions.add_parser("import-history", help="import past daily sales (sku,date,quantity)")
    p.add_argument("--account", required=True, help="the channel account they were sold through")
    p.add_argument("file", metavar="HISTORY.csv")
    p.set_defaults(func=cmd_import_history)


def cmd_run(args: argparse.Namespace) -> int:
    """A forecast run recorded as a job (progress and result on its row), run here."""
    from omnioms.core.actor import Actor
    from omnioms.core.jobs import run_job, start_job
    from omnioms.core.models import Job

    if args.as_of:
        try:
            date.fromisoformat(args.as_of)
        except ValueError:
            print(f"omnioms: --as-of: {args.as_of!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
            return 2
    if not 1 <= args.months <= 24:
        print("omnioms: --months: must be from 1 to 24", file=sys.stderr)
        return 2
    job = start_job(
        "forecasting.run",
        actor=Actor.system("omnioms forecast run"),
        as_of=args.as_of,
        horizon_months=args.months,
        rule=args.rule,
        frozen_days=args.frozen_days,
    )
    status = run_job(job.pk)
    job = Job.objects.get(pk=job.pk)
    if status != "succeeded":
        print(f"omnioms: the forecast run {status}: {job.error}", file=sys.stderr)
        return 1
    print(json.dumps(job.result, ensure_ascii=False))
    return 0


def cmd_import_history(args: argparse.Namespace) -> int:
    from omnioms.channels.models import ChannelAccount
    from omnioms.forecasting.history import import_demand_history

    account = ChannelAccount.objects.filter(name=args.account).first()
    if account is None:
        print(f"omnioms: --account: no channel account named {args.account!r}", file=sys.stderr)
        return 2
    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except OSError as exc:
        print(f"omnioms: {args.file}: cannot read ({exc.strerror})", file=sys.stderr)
        return 2
    report = import_demand_history(text, account=account)
    for problem in report.problems:
        print(f"omnioms: {args.file}: {problem}", file=sys.stderr)
    if report.problems:
        return 2
    print(f"{report.written} SKU-days of history imported")
    return 0


@dataclass(frozen=True)
class Rows:
    skus: list[str]
    dates: list[date]
    quantities: list[float]


def read_history(path: Path) -> Rows:
    """Read and check a history file whole; :class:`BadInput` names the first problem."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BadInput(f"{path}: cannot read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not UTF-8 text") from exc
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None:
        raise BadInput(f"{path}: empty file (expected the header {','.join(HEADER)})")
    if [column.strip() for column in header] != HEADER:
        raise BadInput(
            f"{path}: line 1: bad header {','.join(header)!r} (expected sku,date,quantity)"
        )
    skus: list[str] = []
    dates: list[date] = []
    quantities: list[float] = []
    seen: dict[tuple[str, date], int] = {}
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        where = f"{path}: line {line}"
        if len(row) != 3:
            raise BadInput(f"{where}: expected 3 fields (sku,date,quantity), found {len(row)}")
        sku, day_text, quantity_text = (field.strip() for field in row)
        if not sku:
            raise BadInput(f"{where}: empty sku")
        day = _parse_date(day_text, where)
        quantity = _parse_quantity(quantity_text, where)
        if (sku, day) in seen:
            raise BadInput(
                f"{where}: duplicate sku+date {sku} {day.isoformat()} "
                f"(first on line {seen[(sku, day)]})"
            )
        seen[(sku, day)] = line
        skus.append(sku)
        dates.append(day)
        quantities.append(quantity)
    if not skus:
        raise BadInput(f"{path}: no rows after the header")
    return Rows(skus, dates, quantities)


def _parse_date(text: str, where: str) -> date:
    try:
        if not ISO_DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{where}: bad date {text!r} (expected YYYY-MM-DD)") from None


def _parse_quantity(text: str, where: str) -> float:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadInput(f"{where}: quantity {text!r} is not a number") from None
    if not value.is_finite():
        raise BadInput(f"{where}: quantity {text!r} is not a number")
    if value < 0:
        raise BadInput(f"{where}: negative quantity {text}")
    return float(value)


def parse_months(text: str) -> int:
    if not re.fullmatch(r"\+?\d+", text.strip()) or int(text) < 1:
        raise BadInput(f"--months: {text!r} is not a positive integer")
    return int(text)


def cmd_series(args: argparse.Namespace) -> int:
    try:
        months = parse_months(args.months)
        rows = read_history(Path(args.history))
    except BadInput as exc:
        print(f"omnioms: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    import pandas as pd

    from omnioms.forecasting.engine import Settings, forecast
    from omnioms.forecasting.reconcile import to_units

    history = pd.DataFrame({"sku": rows.skus, "date": rows.dates, "quantity": rows.quantities})
    result = forecast(history, months=months, settings=Settings(decimals=DECIMALS))
    figures = result.figures
    units = to_units(figures["quantity"], DECIMALS)
    scale = 10**DECIMALS
    quantity = [f"{u // scale}.{u % scale:0{DECIMALS}d}" for u in units.tolist()]
    out = sys.stdout
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["sku", "level", "period_start", "quantity"])
    writer.writerows(
        zip(
            figures["sku"].tolist(),
            figures["level"].tolist(),
            [d.isoformat() for d in figures["period_start"]],
            quantity,
            strict=True,
        )
    )
    return 0
