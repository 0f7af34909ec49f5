"""BOMs, routings, work centres and calendars from a workbook: all of it, or nothing."""

from __future__ import annotations

import io
from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook

from omnioms.catalog.models import Sku, SkuKind
from omnioms.catalog.services import create_product
from omnioms.production.models import (
    Bom,
    Calendar,
    CalendarDay,
    Routing,
    Shift,
    WorkCenter,
)
from omnioms.production.services import export_master_data, import_master_data

pytestmark = pytest.mark.django_db

HEADERS = {
    "calendars": ["code", "name", "time zone"],
    "shifts": ["calendar", "weekday", "name", "start", "end", "breaks"],
    "calendar_days": ["calendar", "date", "kind", "works like", "note"],
    "work_centres": ["code", "name", "machines", "calendar", "hourly cost"],
    "boms": ["sku", "version", "effective from", "component", "quantity per unit", "scrap factor"],
    "routings": [
        "sku",
        "version",
        "effective from",
        "sequence",
        "operation",
        "work centre",
        "alternatives",
        "setup minutes",
        "run seconds per unit",
    ],
}


def workbook(**sheets: list[list[Any]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(HEADERS.get(name, rows[0] if rows else []))
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def skus() -> None:
    for code in ("SHIRT", "BODY", "FABRIC", "BUTTON"):
        create_product(sku=code, name=code)


FACTORY: dict[str, list[list[Any]]] = {
    "calendars": [["DAY", "Day shift", "Asia/Shanghai"]],
    "shifts": [["DAY", day, "day", "08:00", "17:00", "12:00-13:00"] for day in range(1, 6)],
    "calendar_days": [
        ["DAY", "2027-02-11", "holiday", None, "春节"],
        ["DAY", "2027-02-20", "调休", 1, "补班"],
    ],
    "work_centres": [
        ["CUT", "Cutting", 2, "DAY", 45],
        ["SEW-1", "Sewing line 1", 12, "DAY", 38],
        ["SEW-2", "Sewing line 2", 10, "DAY", 38],
    ],
    "boms": [
        ["SHIRT", 1, "2026-01-01", "BODY", 1, None],
        ["SHIRT", 1, "2026-01-01", "BUTTON", 6, 0.05],
        ["BODY", 1, "2026-01-01", "FABRIC", "1.35", "0.1"],
    ],
    "routings": [
        ["SHIRT", 1, "2026-01-01", 10, "Cut", "CUT", None, 20, 45],
        ["SHIRT", 1, "2026-01-01", 20, "Sew", "SEW-1", "SEW-2", 30, "540.5"],
    ],
}


def test_a_factory_workbook_is_imported_whole(skus: None) -> None:
    report = import_master_data(workbook(**FACTORY))

    assert report.ok, [str(p) for p in report.problems]
    assert report.created["work_centres"] == 3
    sew = WorkCenter.objects.get(code="SEW-1")
    assert (sew.machines, sew.calendar.code, sew.hourly_cost) == (12, "DAY", Decimal(38))
    monday = Shift.objects.get(calendar__code="DAY", weekday=0)
    assert (monday.start, monday.end) == (time(8), time(17))
    assert [(b.start, b.end) for b in monday.breaks.all()] == [(time(12), time(13))]
    assert CalendarDay.objects.get(date=date(2027, 2, 20)).works_like == 0
    shirt = Bom.objects.get(sku__code="SHIRT")
    assert [
        (line.component.code, line.quantity_per, line.scrap_factor) for line in shirt.lines.all()
    ] == [
        ("BODY", Decimal(1), Decimal(0)),
        ("BUTTON", Decimal(6), Decimal("0.05")),
    ]
    routing = Routing.objects.get(sku__code="SHIRT")
    sew_op = routing.operations.get(sequence=20)
    assert sew_op.run_seconds_per_unit == Decimal("540.5")
    assert [w.code for w in sew_op.alternatives.all()] == ["SEW-2"]
    assert Sku.objects.get(code="SHIRT").kind == SkuKind.MADE
    assert Sku.objects.get(code="BODY").kind == SkuKind.MADE
    assert Sku.objects.get(code="FABRIC").kind == SkuKind.RESOLD  # not made: bought, set by hand


def test_an_exported_workbook_reads_back_unchanged(skus: None) -> None:
    import_master_data(workbook(**FACTORY))
    first = export_master_data()

    again = import_master_data(first)

    assert again.ok
    assert sum(again.created.values()) == len(FACTORY["shifts"])  # shifts are rewritten
    assert _same_tables(export_master_data(), first)


def _same_tables(a: bytes, b: bytes) -> bool:
    from openpyxl import load_workbook

    def rows(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
        book = load_workbook(io.BytesIO(data))
        return {s.title: list(s.iter_rows(values_only=True)) for s in book.worksheets}

    return rows(a) == rows(b)


def test_chinese_sheet_names_and_headers_are_read(skus: None) -> None:
    import_master_data(workbook(**FACTORY))
    chinese = export_master_data(chinese=True)
    Bom.objects.all().delete()

    report = import_master_data(chinese)

    assert report.ok, [str(p) for p in report.problems]
    assert Bom.objects.count() == 2


@pytest.mark.parametrize(
    ("sheet", "row", "change", "column", "message"),
    [
        ("work_centres", 2, {2: 0}, "machines", "must be at least 1"),
        ("work_centres", 3, {3: "NIGHT"}, "calendar", "no calendar 'NIGHT'"),
        ("boms", 3, {4: "-2"}, "quantity_per", "must be more than 0"),
        ("boms", 2, {3: "SOCK"}, "component", "no SKU 'SOCK'"),
        ("boms", 4, {5: "1.2"}, "scrap_factor", "must be below 1"),
        ("boms", 3, {2: "2026-13-01"}, "effective_from", "is not a date"),
        ("routings", 3, {5: "SEW-9"}, "work_centre", "no work centre 'SEW-9'"),
        ("routings", 2, {8: "abc"}, "run_seconds_per_unit", "is not a number"),
        ("shifts", 4, {1: "Someday"}, "weekday", "is not a weekday"),
        ("calendar_days", 2, {2: "party"}, "kind", "is not holiday or workday"),
    ],
)
def test_a_bad_row_is_named_by_sheet_row_and_column_and_nothing_is_written(
    skus: None, sheet: str, row: int, change: dict[int, Any], column: str, message: str
) -> None:
    sheets = {name: [list(r) for r in rows] for name, rows in FACTORY.items()}
    for index, value in change.items():
        sheets[sheet][row - 2][index] = value

    report = import_master_data(workbook(**sheets))

    assert not report.ok
    problems = [(p.sheet, p.row, p.column) for p in report.problems]
    assert (sheet, row, column) in problems, [str(p) for p in report.problems]
    assert any(message in p.message for p in report.problems)
    assert not WorkCenter.objects.exists()
    assert not Calendar.objects.exists()
    assert not Bom.objects.exists()


def test_a_bom_cycle_through_the_file_is_refused(skus: None) -> None:
    sheets = dict(FACTORY)
    sheets["boms"] = [*FACTORY["boms"], ["FABRIC", 1, "2026-01-01", "SHIRT", 1, None]]

    report = import_master_data(workbook(**sheets))

    assert any("a cycle" in p.message for p in report.problems)
    assert not Bom.objects.exists()


def test_the_rows_of_one_version_must_agree_on_its_dates(skus: None) -> None:
    sheets = dict(FACTORY)
    sheets["boms"] = [list(r) for r in FACTORY["boms"]]
    sheets["boms"][1][2] = "2026-02-01"

    report = import_master_data(workbook(**sheets))

    assert [(p.sheet, p.row, p.column) for p in report.problems] == [("boms", 3, "effective_from")]


def test_a_file_that_is_not_a_workbook_is_refused_plainly() -> None:
    report = import_master_data(b"sku,version\nSHIRT,1\n")

    assert [p.message for p in report.problems] == ["the file is not an Excel workbook (.xlsx)"]


def test_a_missing_column_is_named() -> None:
    book = Workbook()
    book.active.title = "work_centres"
    book.active.append(["code", "name", "calendar"])
    out = io.BytesIO()
    book.save(out)

    report = import_master_data(out.getvalue())

    assert [(p.sheet, p.column) for p in report.problems] == [("work_centres", "machines")]
