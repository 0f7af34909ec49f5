"""``omnioms kpi oee|otd FILE.csv``: the JSON contract and the exit-2 cases, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from omnioms.cli import main

STATE_HEADER = "work_center,start,end,state,produced,scrap,ideal_seconds_per_unit"
WORKED_STATE_LOG = """\
work_center,start,end,state,produced,scrap,ideal_seconds_per_unit,reason,scrap_reason
CUT,2025-03-03T08:00:00+08:00,2025-03-03T08:45:00+08:00,setup,,,,new marker,
CUT,2025-03-03T08:45:00+08:00,2025-03-03T12:00:00+08:00,producing,480,22,27,,misaligned cut
CUT,2025-03-03T12:00:00+08:00,2025-03-03T13:00:00+08:00,planned_stop,,,,lunch,
CUT,2025-03-03T13:00:00+08:00,2025-03-03T13:15:00+08:00,breakdown,,,,blade,
CUT,2025-03-03T13:15:00+08:00,2025-03-03T17:00:00+08:00,producing,360,20,27,,frayed edge
SEW,2025-03-03T13:00:00+08:00,2025-03-03T14:00:00+08:00,waiting_material,,,,fabric late,
SEW,2025-03-03T14:00:00+08:00,2025-03-03T15:00:00+08:00,producing,120,12,24,,broken stitch
"""
DELIVERY_HEADER = (
    "order_id,line_id,quantity,commit_date,delivered_on,delivered_quantity,cancelled_by_customer"
)
WORKED_DELIVERIES = f"""\
{DELIVERY_HEADER}
SO-1,1,10,2025-03-10,2025-03-08,10,no
SO-1,2,5,2025-03-10,2025-03-09,3,no
SO-1,2,5,2025-03-10,2025-03-12,2,no
SO-2,1,4,2025-03-12,2025-03-11,4,no
SO-3,1,6,2025-03-10,,,yes
SO-4,1,8,2025-03-11,,,no
SO-5,1,2,2025-03-10,2025-03-10,1,no
SO-5,1,2,2025-03-10,2025-03-10,1,no
"""


def run(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    text: str,
    encoding: str = "utf-8",
) -> tuple[int, str, str]:
    path = tmp_path / "log.csv"
    path.write_bytes(text.encode(encoding))
    status = main(["kpi", *args, str(path)])
    out, err = capsys.readouterr()
    return status, out, err


def test_oee_prints_each_work_centre_and_the_total_from_sums(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(tmp_path, capsys, "oee", text=WORKED_STATE_LOG)

    assert (status, err) == (0, "")
    printed = json.loads(out)
    assert list(printed) == ["work_centers", "total"]
    assert list(printed["work_centers"]) == ["CUT", "SEW"]
    cut = printed["work_centers"]["CUT"]
    assert {name: cut[name] for name in ("availability", "effectiveness", "quality", "oee")} == {
        "availability": 0.875,
        "effectiveness": 0.9,
        "quality": 0.95,
        "oee": 0.748125,
    }
    assert {name: value for name, value in cut.items() if name.endswith("_seconds")} == {
        "planned_busy_seconds": 28800,
        "production_seconds": 25200,
        "setup_seconds": 2700,
        "stop_seconds": 900,
        "planned_stop_seconds": 3600,
        "planned_run_seconds": 22680,
    }
    total = printed["total"]
    assert (total["availability"], total["effectiveness"], total["quality"]) == (
        0.8,
        0.8875,
        0.94375,
    )
    assert (total["oee"], total["target"], total["met"]) == (0.670063, 0.8, False)
    assert (total["produced"], total["good"], total["scrap"]) == (960, 906, 54)
    assert total["downtime"] == [
        {"state": "waiting_material", "reason": "fabric late", "seconds": 3600,
         "share": 0.5, "cumulative_share": 0.5},
        {"state": "setup", "reason": "new marker", "seconds": 2700,
         "share": 0.375, "cumulative_share": 0.875},
        {"state": "breakdown", "reason": "blade", "seconds": 900,
         "share": 0.125, "cumulative_share": 1.0},
    ]  # fmt: skip
    assert [(bar["reason"], bar["quantity"]) for bar in total["scrap_reasons"]] == [
        ("misaligned cut", 22),
        ("frayed edge", 20),
        ("broken stitch", 12),
    ]


def test_oee_takes_a_target_and_reads_a_gb18030_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = f"""{STATE_HEADER},reason
裁床,2025-03-03T08:00:00+08:00,2025-03-03T09:00:00+08:00,producing,60,0,60,
裁床,2025-03-03T09:00:00+08:00,2025-03-03T09:30:00+08:00,quality_hold,,,,待检
"""
    status, out, _ = run(tmp_path, capsys, "oee", "--target", "0.6", text=log, encoding="gb18030")

    centre = json.loads(out)["work_centers"]["裁床"]
    assert status == 0
    assert (centre["oee"], centre["target"], centre["met"]) == (0.666667, 0.6, True)
    assert centre["downtime"][0]["reason"] == "待检"


def test_an_empty_state_log_measures_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(tmp_path, capsys, "oee", text=STATE_HEADER + "\n")

    printed = json.loads(out)
    assert status == 0
    assert printed["work_centers"] == {}
    assert (printed["total"]["oee"], printed["total"]["met"]) == (None, None)
    assert printed["total"]["planned_busy_seconds"] == 0


def test_otd_prints_lines_on_time_and_their_share(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(tmp_path, capsys, "otd", text=WORKED_DELIVERIES)

    assert (status, err) == (0, "")
    assert json.loads(out) == {"lines": 5, "on_time": 3, "otd": 0.6}


def test_otd_as_of_leaves_out_lines_not_due_yet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(tmp_path, capsys, "otd", "--as-of", "2025-03-11", text=WORKED_DELIVERIES)

    assert status == 0
    assert json.loads(out) == {"lines": 3, "on_time": 2, "otd": 0.666667}


def test_otd_leaves_out_a_line_only_when_all_its_rows_say_cancelled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = f"""{DELIVERY_HEADER}
A,1,2,2025-03-10,2025-03-09,1,TRUE
A,1,2,2025-03-10,,,Yes
B,1,2,2025-03-10,2025-03-09,2,1
B,1,2,2025-03-10,,,0
"""
    status, out, _ = run(tmp_path, capsys, "otd", text=rows)

    assert status == 0
    assert json.loads(out) == {"lines": 1, "on_time": 1, "otd": 1.0}


def test_otd_of_no_judged_line_is_null(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = f"{DELIVERY_HEADER}\nA,1,2,2025-03-10,,,yes\n"

    status, out, _ = run(tmp_path, capsys, "otd", text=rows)

    assert status == 0
    assert json.loads(out) == {"lines": 0, "on_time": 0, "otd": None}


def _state_row(
    state: str = "producing", produced: str = "10", scrap: str = "1", ideal: str = "30",
    start: str = "2025-03-03T08:00:00+08:00", end: str = "2025-03-03T09:00:00+08:00",
) -> str:  # fmt: skip
    return f"CUT,{start},{end},{state},{produced},{scrap},{ideal}"


@pytest.mark.parametrize(
    ("rows", "where"),
    [
        (["work_centre,start,end"], "row 1: header: is work_centre,start,end; expected"),
        ([STATE_HEADER + ",colour"], "row 1: header: is "),
        ([], "row 1: header: is missing"),
        ([STATE_HEADER, _state_row(start="2025-03-03T08:00:00")],
         "row 2: start: 2025-03-03T08:00:00 has no time zone"),
        ([STATE_HEADER, _state_row(end="tomorrow")], "row 2: end: 'tomorrow' is not an ISO 8601"),
        ([STATE_HEADER, _state_row(end="2025-03-03T07:00:00+08:00")],
         "row 2: end: 2025-03-03T07:00:00+08:00 is before the start"),
        ([STATE_HEADER, _state_row(), _state_row(state="lunch")],
         "row 3: state: 'lunch' is not one of producing, setup"),
        ([STATE_HEADER, _state_row(produced="-5")], "row 2: produced: -5 is negative"),
        ([STATE_HEADER, _state_row(scrap="1.5")], "row 2: scrap: '1.5' is not a whole number"),
        ([STATE_HEADER, _state_row(ideal="-2")], "row 2: ideal_seconds_per_unit: -2 is negative"),
        ([STATE_HEADER, _state_row(ideal="")], "row 2: ideal_seconds_per_unit: is needed"),
        ([STATE_HEADER, _state_row(produced="3", scrap="4")],
         "row 2: scrap: 4 is more than produced (3)"),
        ([STATE_HEADER, _state_row(state="setup", scrap="0")],
         "row 2: produced: units are made only in a producing interval"),
        ([STATE_HEADER, "CUT,2025-03-03T08:00:00+08:00"],
         "row 2: row: has 2 fields; the header has 7"),
        ([STATE_HEADER, _state_row(), "",
          _state_row(start="2025-03-03T08:30:00+08:00", end="2025-03-03T10:00:00+08:00")],
         "row 4: start: [2025-03-03T08:30:00+08:00, 2025-03-03T10:00:00+08:00) overlaps row 2 "
         "on work centre CUT"),
    ],
)  # fmt: skip
def test_a_state_log_that_cannot_be_measured_exits_2_naming_the_row_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[str], where: str
) -> None:
    status, out, err = run(tmp_path, capsys, "oee", text="".join(f"{row}\n" for row in rows))

    assert (status, out) == (2, "")
    assert err.startswith(f"omnioms: {tmp_path / 'log.csv'}: {where}")
    assert err.count("\n") == 1
    assert err.endswith("\n")


def _delivery_row(
    line: str = "1", quantity: str = "2", commit: str = "2025-03-10", on: str = "2025-03-09",
    delivered: str = "2", cancelled: str = "no",
) -> str:  # fmt: skip
    return f"SO-1,{line},{quantity},{commit},{on},{delivered},{cancelled}"


@pytest.mark.parametrize(
    ("rows", "where"),
    [
        ([DELIVERY_HEADER.replace("delivered_on", "shipped_on")], "row 1: header: is "),
        ([DELIVERY_HEADER, _delivery_row(), _delivery_row(quantity="3")],
         "row 3: quantity: 3 differs from 2 on row 2, the same line's first row"),
        ([DELIVERY_HEADER, _delivery_row(), _delivery_row(commit="2025-03-11")],
         "row 3: commit_date: 2025-03-11 differs from 2025-03-10 on row 2"),
        ([DELIVERY_HEADER, _delivery_row(cancelled="maybe")],
         "row 2: cancelled_by_customer: 'maybe' is not one of true, false, 1, 0, yes, no"),
        ([DELIVERY_HEADER, _delivery_row(commit="10/03/2025")],
         "row 2: commit_date: '10/03/2025' is not a date (YYYY-MM-DD)"),
        ([DELIVERY_HEADER, _delivery_row(on="")],
         "row 2: delivered_on: is empty but units were delivered"),
        ([DELIVERY_HEADER, _delivery_row(delivered="")],
         "row 2: delivered_quantity: is empty for a delivery on 2025-03-09"),
        ([DELIVERY_HEADER, _delivery_row(delivered="-1")],
         "row 2: delivered_quantity: -1 is negative"),
        ([DELIVERY_HEADER, _delivery_row(quantity="0")], "row 2: quantity: 0: not more than 0"),
        ([DELIVERY_HEADER, "SO-1,,2,2025-03-10,,,no"], "row 2: line_id: is empty"),
    ],
)  # fmt: skip
def test_delivery_rows_that_cannot_be_measured_exit_2_naming_the_row_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[str], where: str
) -> None:
    status, out, err = run(tmp_path, capsys, "otd", text="".join(f"{row}\n" for row in rows))

    assert (status, out) == (2, "")
    assert err.startswith(f"omnioms: {tmp_path / 'log.csv'}: {where}")
    assert err.count("\n") == 1


def test_a_file_that_cannot_be_read_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.csv"

    status = main(["kpi", "otd", str(missing)])

    assert status == 2
    assert capsys.readouterr().err.startswith(f"omnioms: {missing}: file: cannot be read")


def test_the_engines_and_the_command_import_without_django() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    script = (
        "import sys, omnioms.kpi, omnioms.kpi.cli, omnioms.kpi.files; "
        "sys.exit('django' in sys.modules)"
    )

    done = subprocess.run([sys.executable, "-c", script], env=environment, check=False)

    assert done.returncode == 0
