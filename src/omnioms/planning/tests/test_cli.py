"""The contract of `omnioms schedule jobshop FILE`."""

import itertools
import json
from pathlib import Path

import pytest

from omnioms.cli import main
from omnioms.planning.jobshop import JobShopError, parse

FT06 = Path(__file__).parent / "fixtures" / "ft06.txt"  # Fisher and Thompson 6x6, optimum 55


def run(capsys, *args):
    status = main(["schedule", "jobshop", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_ft06_is_solved_to_its_known_optimum(capsys):
    status, out, err = run(capsys, str(FT06), "--time-limit", "5", "--workers", "2")
    assert status == 0, err
    result = json.loads(out)
    assert result["makespan"] == 55
    assert result["status"] == "optimal"
    assert result["lower_bound"] == 55
    operations = result["operations"]
    assert len(operations) == 36
    assert operations[0] == {**operations[0], "job": 0, "step": 0, "machine": 2}
    assert max(op["end"] for op in operations) == 55


def test_the_printed_schedule_keeps_the_job_order_and_the_machines(capsys):
    _, out, _ = run(capsys, str(FT06), "--time-limit", "5")
    rows = json.loads(out)["operations"]
    shop = parse(FT06.read_text())
    by_machine: dict[int, list[tuple[int, int]]] = {}
    for row in rows:
        machine, duration = shop.jobs[row["job"]][row["step"]]
        assert row["machine"] == machine
        assert row["end"] - row["start"] == duration
        by_machine.setdefault(machine, []).append((row["start"], row["end"]))
        if row["step"]:
            before = next(
                r for r in rows if r["job"] == row["job"] and r["step"] == row["step"] - 1
            )
            assert row["start"] >= before["end"]
    for spans in by_machine.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("2 2\n0 3 1 x\n1 2 0 4\n", 2),
        ("2 2\n0 3 1 2\n1 2 5 4\n", 3),
        ("2 2\n0 3 1 2\n", 3),
        ("two 2\n0 3 1 2\n", 1),
        ("1 2\n0 3 1\n", 2),
        ("1 2\n0 3 1 2\n1 1 0 1\n", 3),
    ],
)
def test_a_malformed_file_exits_2_naming_the_file_and_the_line(capsys, tmp_path, text, line):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    status, out, err = run(capsys, str(path), "--time-limit", "1")
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert str(path) in err
    assert f"line {line}:" in err


def test_a_missing_file_exits_2(capsys, tmp_path):
    status, _, err = run(capsys, str(tmp_path / "nope.txt"))
    assert status == 2
    assert "nope.txt" in err


def test_comment_lines_before_the_counts_are_skipped():
    shop = parse("# ft-like instance\n# from a textbook\n\n1 2\n0 3 1 2\n")
    assert shop.machines == 2
    assert shop.jobs == (((0, 3), (1, 2)),)
    with pytest.raises(JobShopError, match="line 3"):
        parse("1 2\n0 3 1 2\n# a comment after the counts is an error\n")
