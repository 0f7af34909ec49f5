"""``omnioms import``: its counts, and an exit status a script can trust."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from omnioms.channels.models import DeadLetter
from omnioms.orders.models import Order
from omnioms.testing import make_account, manual_order

pytestmark = pytest.mark.django_db

SEE = "see `omnioms replay --all` or the dead letters page (/dead-letters/)"


def orders_file(folder: Path, name: str, good: int, bad: int) -> Path:
    orders: list[dict[str, Any]] = [manual_order() for _ in range(good + bad)]
    for order in orders[good:]:
        order["lines"][0]["quantity"] = "two"
    path = folder / name
    path.write_text(json.dumps(orders))
    return path


def run_import(*argv: str) -> int:
    from omnioms.cli import build_parser

    args = build_parser().parse_args(["import", *argv])
    status: int = args.func(args)
    return status


def test_an_import_with_dead_letters_exits_1_and_says_how_many_of_how_many_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    account = make_account("shop")
    path = orders_file(tmp_path, "orders.json", good=7, bad=3)

    status = run_import("--account", "shop", str(path))

    out, err = capsys.readouterr()
    assert status == 1
    assert out == (f"{path}: 7 created, 0 updated, 0 unchanged, 0 stale, 3 dead-lettered\n")
    assert err.splitlines()[-1] == (
        f"omnioms: 3 of 10 records could not be imported: they are dead letters; {SEE}"
    )
    assert err.count("  dead letter: ") == 3
    assert Order.objects.filter(account=account).count() == 7
    assert DeadLetter.objects.filter(account=account).count() == 3


def test_a_file_that_cannot_be_read_at_all_exits_1_as_one_failed_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_account("shop")
    path = tmp_path / "broken.json"
    path.write_bytes(b'[{"a": 1},')

    status = run_import("--account", "shop", str(path))

    assert status == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"omnioms: 1 of 1 record could not be imported: it is a dead letter; {SEE}"
    )


def test_the_failed_count_covers_every_file_of_the_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_account("shop")
    first = orders_file(tmp_path, "monday.json", good=2, bad=1)
    second = orders_file(tmp_path, "tuesday.json", good=2, bad=0)

    status = run_import("--account", "shop", str(first), str(second))

    out, err = capsys.readouterr()
    assert status == 1
    assert out.splitlines() == [
        f"{first}: 2 created, 0 updated, 0 unchanged, 0 stale, 1 dead-lettered",
        f"{second}: 2 created, 0 updated, 0 unchanged, 0 stale, 0 dead-lettered",
    ]
    assert err.splitlines()[-1] == (
        f"omnioms: 1 of 5 records could not be imported: it is a dead letter; {SEE}"
    )


def test_an_import_where_every_record_is_stored_exits_0_and_says_nothing_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_account("shop")
    path = orders_file(tmp_path, "orders.json", good=3, bad=0)

    assert run_import("--account", "shop", str(path)) == 0
    assert run_import("--account", "shop", str(path)) == 0  # unchanged is not a failure

    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == (
        f"{path}: 0 created, 0 updated, 3 unchanged, 0 stale, 0 dead-lettered"
    )
    assert err == ""


def test_bad_usage_still_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_account("shop")
    path = orders_file(tmp_path, "orders.json", good=1, bad=1)
    missing = tmp_path / "missing.json"

    assert run_import("--account", "nobody", str(path)) == 2
    assert "no channel account named 'nobody'" in capsys.readouterr().err
    # A file that is not there is the caller's mistake, and outranks the dead letter beside it.
    assert run_import("--account", "shop", str(missing), str(path)) == 2
    err = capsys.readouterr().err
    assert f"omnioms: {missing}: cannot read (No such file or directory)" in err
    assert err.splitlines()[-1] == (
        f"omnioms: 1 of 2 records could not be imported: it is a dead letter; {SEE}"
    )
