"""Use cases of forecasting's own data: the event calendar and the sales team's input.

Both are kept by people (a planner, the sales team) and read by forecast runs. Files in and
out are checked whole: a row that is wrong is named with its row and column and nothing is
written (``production/spreadsheets.py`` reads the same way).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from omnioms.catalog.models import ProductFamily, Sku
from omnioms.core.actor import Actor
from omnioms.forecasting.models import DemandEvent, EventKind, SalesInput

PRESETS = Path(__file__).resolve().parent / "presets"
MAX_QUANTITY = Decimal(10) ** 12


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("row %(row)s, %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class FileReport:
    written: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# ----------------------------------------------------------------------------------------------
# The event calendar


def load_events(text: str) -> FileReport:
    """Events from CSV ``name,kind,start,end[,family]`` (a preset shipped in ``presets/`` or a
    planner's file); an event with the same name and first day is updated, not repeated."""
    report = FileReport()
    kinds = {k.value for k in EventKind}
    families = dict(ProductFamily.objects.values_list("code", "pk"))
    rows: list[tuple[str, str, date, date, int | None]] = []
    reader = csv.DictReader(io.StringIO(text))
    missing = {"name", "kind", "start", "end"} - set(reader.fieldnames or [])
    if missing:
        report.problems.append(RowProblem(1, ", ".join(sorted(missing)), _("missing column")))
        return report
    for number, row in enumerate(reader, start=2):
        name = (row.get("name") or "").strip()
        kind = (row.get("kind") or "").strip()
        family = (row.get("family") or "").strip()
        if not name or len(name) > 200 or "\x00" in name:
            report.problems.append(RowProblem(number, "name", _("is required (200 characters)")))
            continue
        if kind not in kinds:
            message = _("must be one of %(kinds)s") % {"kinds": ", ".join(sorted(kinds))}
            report.problems.append(RowProblem(number, "kind", message))
            continue
        try:
            start = date.fromisoformat((row.get("start") or "").strip())
            end = date.fromisoformat((row.get("end") or "").strip())
        except ValueError:
            report.problems.append(RowProblem(number, "start/end", _("is not a date (YYYY-MM-DD)")))
            continue
        if end < start:
            report.problems.append(RowProblem(number, "end", _("is before the first day")))
            continue
        if family and family not in families:
            message = _("no product family %(code)r") % {"code": family}
            report.problems.append(RowProblem(number, "family", message))
            continue
        rows.append((name, kind, start, end, families.get(family)))
    if report.problems:
        return report
    with transaction.atomic():
        for name, kind, start, end, family_id in rows:
            DemandEvent.objects.update_or_create(
                name=name,
                start=start,
                defaults={"kind": kind, "end": end, "family_id": family_id},
            )
            report.written += 1
    return report


def load_preset_events(name: str = "cn_marketplace_festivals") -> FileReport:
    """A calendar shipped as data: China's marketplace festivals and Spring Festival."""
    return load_events((PRESETS / f"{name}.csv").read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------------------
# The sales team's input


@dataclass(frozen=True)
class SalesFigure:
    """One figure typed in the grid or read from a file."""

    code: str
    """A SKU's code, or a product family's code."""
    month: date
    quantity: Decimal | None
    """None clears the figure."""
    note: str = ""


def save_sales_input(figures: Iterable[SalesFigure], *, actor: Actor) -> FileReport:
    """Store the sales team's figures (a SKU's or a family's per month), all or none.

    A code that is both a SKU and a family is read as the SKU. The month is normalised to its
    first day.
    """
    report = FileReport()
    figures = list(figures)
    codes = {f.code for f in figures}
    skus = dict(Sku.objects.filter(code__in=codes).values_list("code", "pk"))
    families = dict(ProductFamily.objects.filter(code__in=codes).values_list("code", "pk"))
    for number, figure in enumerate(figures, start=2):
        if figure.code not in skus and figure.code not in families:
            message = _("no SKU or product family %(code)r") % {"code": figure.code}
            report.problems.append(RowProblem(number, "code", message))
        if figure.quantity is not None and not (0 <= figure.quantity < MAX_QUANTITY):
            report.problems.append(RowProblem(number, "quantity", _("must be 0 or more")))
    if report.problems:
        return report
    with transaction.atomic():
        for figure in figures:
            month = figure.month.replace(day=1)
            key: dict[str, Any] = (
                {"sku_id": skus[figure.code]}
                if figure.code in skus
                else {"family_id": families[figure.code]}
            )
            if figure.quantity is None:
                SalesInput.objects.filter(month=month, **key).delete()
                continue
            SalesInput.objects.update_or_create(
                month=month,
                **key,
                defaults={
                    "quantity": figure.quantity,
                    "note": figure.note[:500],
                    "entered_by_id": actor.user_id,
                },
            )
            report.written += 1
    return report


SALES_HEADER = ["code", "month", "quantity", "note"]


def read_sales_workbook(data: bytes) -> tuple[list[SalesFigure], list[RowProblem]]:
    """Figures from a workbook's first sheet: ``code, month (YYYY-MM), quantity, note``."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        return [], [RowProblem(0, "-", _("the file is not an Excel workbook (.xlsx)"))]
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = [str(c).strip().lower() if c is not None else "" for c in next(rows, ())]
    missing = [name for name in SALES_HEADER[:3] if name not in header]
    if missing:
        return [], [RowProblem(1, ", ".join(missing), _("missing column"))]
    at = {name: header.index(name) for name in SALES_HEADER if name in header}
    figures: list[SalesFigure] = []
    problems: list[RowProblem] = []
    for number, values in enumerate(rows, start=2):

        def cell(name: str, values: tuple[object, ...] = values) -> object:
            index = at.get(name)
            return values[index] if index is not None and index < len(values) else None

        if all(v is None or str(v).strip() == "" for v in values):
            continue
        code = str(cell("code") or "").strip()
        month = _month(cell("month"))
        if month is None:
            problems.append(RowProblem(number, "month", _("is not a month (YYYY-MM)")))
            continue
        raw = cell("quantity")
        try:
            quantity = None if raw is None or str(raw).strip() == "" else Decimal(str(raw).strip())
        except InvalidOperation:
            problems.append(RowProblem(number, "quantity", _("is not a number")))
            continue
        figures.append(SalesFigure(code, month, quantity, str(cell("note") or "")))
    book.close()
    return figures, problems


def _month(value: object) -> date | None:
    if isinstance(value, date):
        return value.replace(day=1)
    text = str(value or "").strip()
    try:
        return date.fromisoformat(text + "-01" if len(text) == 7 else text).replace(day=1)
    except ValueError:
        return None


def write_sales_workbook(months: list[date]) -> bytes:
    """The current figures of ``months`` as a workbook to fill in and upload again."""
    book = Workbook()
    sheet = book.active
    sheet.title = "sales_forecast"
    sheet.append(SALES_HEADER)
    rows = (
        SalesInput.objects.filter(month__in=months)
        .select_related("sku", "family")
        .order_by("month", "sku__code", "family__code")
    )
    for row in rows:
        code = row.sku.code if row.sku else row.family.code if row.family else ""
        sheet.append(
            [code, row.month.strftime("%Y-%m"), format(row.quantity.normalize(), "f"), row.note]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
