"""``omnioms simulate``: a short run in fresh databases writes kpis.json (the contract's
shape), kpis.csv and an offline report; a bad scenario is refused naming the key."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from omnioms.cli import main
from omnioms.simulation.tests.factories import small_scenario


def write_scenario(path: Path, **changes: object) -> Path:
    data = small_scenario().model_dump(mode="json")
    data.update(changes)
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_short_run_writes_the_kpis_the_csv_and_an_offline_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_scenario(tmp_path / "small.yaml")
    out = tmp_path / "out"

    status = main(
        [
            "simulate",
            str(scenario),
            "--out",
            str(out),
            "--days",
            "7",
            "--policy",
            "fifo-mto",
            "--policy",
            "reorder-point-edd",
        ]
    )

    assert status == 0
    kpis = json.loads((out / "kpis.json").read_text())
    assert set(kpis["policies"]) == {"fifo-mto", "reorder-point-edd"}
    for figures in kpis["policies"].values():
        assert 0 <= figures["otd"] <= 1
        assert 0 < figures["oee"] <= 1.2
        assert figures["benchmark_days"] == 10.0
        assert isinstance(figures["inventory_days"], float)
        assert figures["months"][0]["month"] == "2026-03"
    rows = list(csv.DictReader((out / "kpis.csv").open()))
    assert {row["period"] for row in rows} == {"year", "2026-03"}
    page = (out / "report.html").read_text()
    assert '<script src="echarts.min.js">' in page
    assert (out / "echarts.min.js").stat().st_size > 100_000  # served from the folder, no CDN
    assert "cdn" not in page.lower()
    # each policy had its own database, and none is the user's
    assert (out / "fifo-mto.sqlite3").is_file()
    assert (out / "reorder-point-edd.sqlite3").is_file()
    assert "report.html" in capsys.readouterr().out


def test_a_bad_scenario_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = small_scenario().model_dump(mode="json")
    data["work_centers"][0]["mtbf_hours"] = -1
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))

    status = main(["simulate", str(path), "--out", str(tmp_path / "out")])

    assert status == 2
    assert "work_centers[0].mtbf_hours" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
