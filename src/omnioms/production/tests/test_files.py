"""Files in and out of the production pages and the command line: the workbook's report or
its problems with nothing written, the export in either language, and a calendar's
holidays and make-up days from a CSV file."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from omnioms.catalog.services import create_product
from omnioms.core.roles import Role
from omnioms.production.models import Bom, Calendar, CalendarDay, WorkCenter
from omnioms.production.tests.factories import day_calendar
from omnioms.production.tests.pages import login
from omnioms.production.tests.test_workbook import FACTORY, workbook

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def skus() -> None:
    for code in ("SHIRT", "BODY", "FABRIC", "BUTTON"):
        create_product(sku=code, name=code)


def upload(client: Client, data: bytes, name: str = "master.xlsx") -> Any:
    return client.post(
        reverse("production:workbook"), {"file": SimpleUploadedFile(name, data, XLSX)}
    )


def test_an_uploaded_workbook_is_imported_and_its_counts_shown(client: Client, skus: None) -> None:
    login(client, Role.PLANNER)

    response = upload(client, workbook(**FACTORY))

    assert response.status_code == 200
    assert response.context["counts"] == [
        ("work_centres", 3, 0),
        ("boms", 2, 0),
        ("routings", 1, 0),
        ("calendars", 1, 0),
        ("shifts", 5, 0),
        ("calendar_days", 2, 0),
    ]
    assert WorkCenter.objects.count() == 3


def test_an_uploaded_workbook_with_a_bad_row_names_it_and_writes_nothing(
    client: Client, skus: None
) -> None:
    sheets = {name: [list(r) for r in table] for name, table in FACTORY.items()}
    sheets["boms"][1][4] = "-2"  # row 3, quantity per unit
    login(client, Role.PLANNER)

    response = upload(client, workbook(**sheets))

    assert response.status_code == 400
    assert response.context["problems"] == [("boms", 3, "quantity per unit", "must be more than 0")]
    page = response.content.decode()
    assert "Nothing was imported: 1 problem" in page
    assert not WorkCenter.objects.exists()
    assert not Bom.objects.exists()


def test_the_problems_are_named_in_chinese_for_a_chinese_user(client: Client, skus: None) -> None:
    sheets = {name: [list(r) for r in table] for name, table in FACTORY.items()}
    sheets["work_centres"][0][2] = 0
    login(client, Role.PLANNER)

    response = client.post(
        reverse("production:workbook"),
        {"file": SimpleUploadedFile("m.xlsx", workbook(**sheets), XLSX)},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.context["problems"][0][:3] == ("工作中心", 2, "机台数")


def test_a_file_that_is_not_a_workbook_is_refused_plainly(client: Client) -> None:
    login(client, Role.MANAGER)

    response = upload(client, b"code,name\nCUT,Cutting\n", "centres.csv")

    assert response.status_code == 400
    assert "the file is not an Excel workbook (.xlsx)" in response.content.decode()


def test_a_supervisor_may_export_but_not_import(client: Client, skus: None) -> None:
    login(client, Role.SUPERVISOR)

    page = client.get(reverse("production:workbook")).content.decode()
    response = upload(client, workbook(**FACTORY))

    assert 'type="file"' not in page
    assert response.status_code == 403
    assert not WorkCenter.objects.exists()


def sheet_names(data: bytes) -> list[str]:
    return list(load_workbook(io.BytesIO(data), read_only=True).sheetnames)


def test_the_export_downloads_in_the_users_language_unless_another_is_asked(
    client: Client,
) -> None:
    day_calendar()
    login(client, Role.SUPERVISOR)

    english = client.get(reverse("production:export"))
    chinese = client.get(reverse("production:export"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    asked = client.get(reverse("production:export"), {"lang": "en"}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english["Content-Type"] == XLSX
    assert english["Content-Disposition"].startswith('attachment; filename="production-')
    assert sheet_names(english.content)[0] == "calendars"
    assert sheet_names(chinese.content)[0] == "日历"
    assert sheet_names(asked.content)[0] == "calendars"


# ----------------------------------------------------------------------------------------------
# The command line


def run(*argv: str) -> int:
    from omnioms.cli import build_parser

    args = build_parser().parse_args(["production", *argv])
    status: int = args.func(args)
    return status


def test_the_import_command_prints_the_counts(
    tmp_path: Path, skus: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "master.xlsx"
    path.write_bytes(workbook(**FACTORY))

    status = run("import", str(path))

    out, err = capsys.readouterr()
    assert status == 0
    assert "work_centres: 3 created, 0 updated" in out.splitlines()
    assert err == ""


def test_the_import_command_refuses_a_bad_file_with_one_line_per_problem(
    tmp_path: Path, skus: None, capsys: pytest.CaptureFixture[str]
) -> None:
    sheets = {name: [list(r) for r in table] for name, table in FACTORY.items()}
    sheets["boms"][1][4] = "-2"
    sheets["work_centres"][1][3] = "NIGHT"
    path = tmp_path / "master.xlsx"
    path.write_bytes(workbook(**sheets))

    status = run("import", str(path))

    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err.splitlines() == [
        f"{path}: sheet boms, row 3, column quantity_per: must be more than 0",
        f"{path}: sheet work_centres, row 3, column calendar: no calendar 'NIGHT'",
        f"omnioms: {path}: nothing imported (2 problems)",
    ]
    assert not WorkCenter.objects.exists()


def test_the_export_command_writes_a_workbook_that_imports_back(
    tmp_path: Path, skus: None, capsys: pytest.CaptureFixture[str]
) -> None:
    run("import", _write(tmp_path / "in.xlsx", workbook(**FACTORY)))
    out = tmp_path / "out.xlsx"

    assert run("export", str(out), "--chinese") == 0
    assert sheet_names(out.read_bytes())[:2] == ["日历", "班次"]
    Bom.objects.all().delete()
    assert run("import", str(out)) == 0
    assert Bom.objects.count() == 2


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def test_an_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = run("import", str(tmp_path / "missing.xlsx"))

    assert status == 2
    assert "cannot read" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# A calendar's holidays and make-up days from a CSV file


def load_days(client: Client, calendar: Calendar, data: bytes) -> Any:
    return client.post(
        reverse("production:calendar_days", args=[calendar.pk]),
        {"file": SimpleUploadedFile("holidays.csv", data, "text/csv")},
    )


HOLIDAYS_2027 = """date,kind,works_like,note
2027-02-06,holiday,,春节
2027-02-07,holiday,,春节
2027/2/20,调休,1,补班
"""


def test_a_csv_file_of_holidays_and_make_up_days_is_loaded(client: Client) -> None:
    calendar = day_calendar()
    CalendarDay.objects.create(calendar=calendar, date=date(2027, 2, 6), kind="workday")
    login(client, Role.PLANNER)

    response = load_days(client, calendar, HOLIDAYS_2027.encode())

    assert response.status_code == 302
    days = {d.date: (d.kind, d.works_like, d.note) for d in calendar.days.all()}
    assert days == {
        date(2027, 2, 6): ("holiday", None, "春节"),
        date(2027, 2, 7): ("holiday", None, "春节"),
        date(2027, 2, 20): ("workday", 0, "补班"),
    }
    page = client.get(response["Location"]).content.decode()
    assert "Days loaded: 2 new, 1 updated." in page


def test_a_csv_file_saved_by_chinese_excel_is_read(client: Client) -> None:
    calendar = day_calendar()
    login(client, Role.PLANNER)

    response = load_days(
        client, calendar, "日期,类型,备注\r\n2027/10/1,假日,国庆节\r\n".encode("gb18030")
    )

    assert response.status_code == 302
    assert calendar.days.get().note == "国庆节"


@pytest.mark.parametrize(
    ("content", "row", "column", "message"),
    [
        ("date,kind\n2027-02-06,holiday\n2027-02-31,holiday\n", 3, "date", "is not a date"),
        ("date,kind\n2027-02-06,party\n", 2, "kind", "is not holiday or workday"),
        ("date,kind,works_like\n2027-02-06,holiday,1\n", 2, "works_like", "only a make-up"),
        ("date,kind\n2027-02-06,holiday\n2027-02-06,workday\n", 3, "date", "repeats row 2"),
        ("day,sort\n2027-02-06,holiday\n", 1, "date, kind", "the header row lacks"),
    ],
)
def test_a_bad_row_of_a_csv_file_is_named_and_nothing_is_stored(
    client: Client, content: str, row: int, column: str, message: str
) -> None:
    calendar = day_calendar()
    login(client, Role.PLANNER)

    response = load_days(client, calendar, content.encode())

    assert response.status_code == 400
    problems = [(p.row, p.column, p.message) for p in response.context["report"].problems]
    assert [(r, c) for r, c, _m in problems] == [(row, column)]
    assert message in problems[0][2]
    assert message in response.content.decode()
    assert not calendar.days.exists()


def test_a_supervisor_may_not_load_days(client: Client) -> None:
    calendar = day_calendar()
    login(client, Role.SUPERVISOR)

    response = load_days(client, calendar, HOLIDAYS_2027.encode())

    assert response.status_code == 403
    assert not calendar.days.exists()
