"""``omnioms forecast series``: the command-line contract, end to end through ``main``."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from omnioms.cli import main
from omnioms.forecasting.calendar import Horizon

HEADER = "sku,date,quantity\n"


def write_history(tmp_path, last_day=date(2024, 11, 13)):
    """Two SKUs with 500 days of sales up to ``last_day``; some days missing (no sales)."""
    rng = np.random.default_rng(4)
    lines = [HEADER]
    for sku, rate in (("TEE-RED-M", 6.0), ("MUG", 0.7)):
        for back in range(500):
            day = last_day - timedelta(days=back)
            quantity = int(rng.poisson(rate))
            if quantity or back == 0:
                lines.append(f"{sku},{day.isoformat()},{quantity}\n")
    path = tmp_path / "history.csv"
    path.write_text("".join(lines))
    return path


def run(capsys, *args):
    status = main(["forecast", "series", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_series_command_prints_every_day_week_and_month_coherently(tmp_path, capsys):
    status, out, err = run(capsys, write_history(tmp_path), "--months", "2")
    assert status == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.startswith("sku,level,period_start,quantity\n")
    horizon = Horizon(date(2024, 11, 14), date(2025, 1, 31))
    assert horizon == Horizon.after(date(2024, 11, 13), 2)
    for sku in ("TEE-RED-M", "MUG"):
        mine = [r for r in rows if r["sku"] == sku]
        days = {
            date.fromisoformat(r["period_start"]): Decimal(r["quantity"])
            for r in mine
            if r["level"] == "day"
        }
        assert sorted(days) == [horizon.start + timedelta(days=i) for i in range(79)]
        weeks = [r for r in mine if r["level"] == "week"]
        assert [date.fromisoformat(r["period_start"]) for r in weeks] == horizon.whole_weeks()
        for r in weeks:
            monday = date.fromisoformat(r["period_start"])
            assert monday.weekday() == 0
            assert Decimal(r["quantity"]) == sum(days[monday + timedelta(days=i)] for i in range(7))
        months = [r for r in mine if r["level"] == "month"]
        assert [r["period_start"] for r in months] == ["2024-12-01", "2025-01-01"]
        for r in months:
            first = date.fromisoformat(r["period_start"])
            assert Decimal(r["quantity"]) == sum(
                q for d, q in days.items() if d.replace(day=1) == first
            )
        assert all(Decimal(r["quantity"]) >= 0 for r in mine)
        assert all(len(r["quantity"].split(".")[1]) == 2 for r in mine)
    assert {r["level"] for r in rows} == {"day", "week", "month"}


def test_a_history_ending_on_a_sunday_at_month_end_starts_a_whole_week_and_month(tmp_path, capsys):
    status, out, _ = run(
        capsys, write_history(tmp_path, last_day=date(2024, 3, 31)), "--months", "1"
    )
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    weeks = [r["period_start"] for r in rows if r["level"] == "week" and r["sku"] == "MUG"]
    months = [r["period_start"] for r in rows if r["level"] == "month" and r["sku"] == "MUG"]
    assert weeks[0] == "2024-04-01"
    assert months == ["2024-04-01"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty file"),
        ("sku;date;quantity\nA;2024-01-01;1\n", "line 1: bad header"),
        ("sku,day,quantity\nA,2024-01-01,1\n", "line 1: bad header"),
        (HEADER, "no rows after the header"),
        (HEADER + "A,2024-01-01,1\nA,2024-13-01,1\n", "line 3: bad date '2024-13-01'"),
        (HEADER + "A,01/02/2024,1\n", "line 2: bad date '01/02/2024'"),
        (HEADER + "A,2024-01-01,-3\n", "line 2: negative quantity -3"),
        (HEADER + "A,2024-01-01,lots\n", "line 2: quantity 'lots' is not a number"),
        (HEADER + "A,2024-01-01,NaN\n", "line 2: quantity 'NaN' is not a number"),
        (
            HEADER + "A,2024-01-01,1\nB,2024-01-01,1\nA,2024-01-01,2\n",
            "line 4: duplicate sku+date A 2024-01-01 (first on line 2)",
        ),
        (HEADER + "A,2024-01-01\n", "line 2: expected 3 fields"),
        (HEADER + ",2024-01-01,1\n", "line 2: empty sku"),
    ],
)
def test_a_malformed_file_exits_2_with_one_line_naming_file_row_and_problem(
    tmp_path, capsys, content, message
):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    status, out, err = run(capsys, path, "--months", "1")
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert str(path) in err
    assert message in err


@pytest.mark.parametrize("months", ["0", "-1", "two", "1.5"])
def test_months_must_be_a_positive_integer(tmp_path, capsys, months):
    status, out, err = run(capsys, write_history(tmp_path), "--months", months)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "--months" in err
    assert "positive integer" in err


def test_a_missing_file_exits_2_naming_it(tmp_path, capsys):
    status, _, err = run(capsys, tmp_path / "nope.csv", "--months", "1")
    assert status == 2
    assert "nope.csv: cannot read" in err
