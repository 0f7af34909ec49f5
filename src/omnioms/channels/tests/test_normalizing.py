"""Normalising a large import in helper processes gives exactly what one process gives."""

from __future__ import annotations

import multiprocessing

import pytest

from omnioms.channels.adapters.base import AdapterContext, Record
from omnioms.channels.adapters.pos_csv import ADAPTER
from omnioms.channels.contract import content_hash
from omnioms.channels.models import InboundPayload
from omnioms.channels.normalizing import normalized_batches
from omnioms.core.actor import Actor
from omnioms.orders.models import Order
from omnioms.sync.services import import_file
from omnioms.testing import make_account

HEADER = "Date,Time,Time Zone,Item,Qty,SKU,Gross Sales,Discounts,Net Sales,Tax,Transaction ID"


def pos_export(transactions: int, *, bad_every: int | None = 7) -> bytes:
    """Transactions of two rows; every ``bad_every``-th has a quantity nobody can read."""
    rows = [HEADER]
    for n in range(transactions):
        qty = "two" if bad_every and n % bad_every == 3 else "2"
        rows.append(f"2026-03-0{1 + n % 9},10:{n % 60:02d}:00,Asia/Shanghai,T恤,{qty},TS-{n % 4},"
                    f"¥198.00,-¥18.00,¥180.00,¥0.00,T{n:05d}")  # fmt: skip
        rows.append(f"2026-03-0{1 + n % 9},10:{n % 60:02d}:00,Asia/Shanghai,袜子,1,SK-1,"
                    f"¥19.90,¥0.00,¥19.90,¥0.00,T{n:05d}")  # fmt: skip
    return ("\n".join(rows) + "\n").encode()


def results(processes: int, raw: bytes) -> list[tuple[str, str | None, str]]:
    context = AdapterContext()
    records = ADAPTER.split(raw, "pos.csv")
    return [
        (
            record.label,
            result.order.model_dump_json() if result.order else None,
            result.problem,
        )
        for batch, found in normalized_batches(ADAPTER, context, records, 8, processes=processes)
        for record, result in zip(batch, found, strict=True)
    ]


def test_helper_processes_give_the_same_orders_and_problems_in_file_order() -> None:
    raw = pos_export(60)  # 8 batches of 8: enough for helpers to start

    here = results(0, raw)
    elsewhere = results(2, raw)

    assert elsewhere == here
    assert len(here) == 60
    problems = [problem for _, order, problem in here if order is None]
    assert len(problems) == 9
    assert problems[0] == "rows 8-9: row 8: Qty: 'two' is not a number"


def test_helper_results_carry_the_content_hash_and_the_contract_json_of_the_order() -> None:
    context = AdapterContext()
    records = ADAPTER.split(pos_export(40, bad_every=None), "pos.csv")
    batches = list(normalized_batches(ADAPTER, context, records, 8, processes=1))

    found = [result for _, results in batches for result in results]
    assert len(found) == 40
    assert all(r.order is not None and r.digest == content_hash(r.order) for r in found)
    assert all(r.order and r.contract_json == r.order.model_dump_json() for r in found)


def test_when_a_helper_dies_mid_file_the_rest_is_normalised_here_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    raw = pos_export(100, bad_every=None)  # 13 batches of 8
    records = ADAPTER.split(raw, "pos.csv")
    batches = normalized_batches(ADAPTER, AdapterContext(), records, 8, processes=1)

    first = next(batches)
    for helper in multiprocessing.active_children():
        helper.kill()
    rest = list(batches)

    found = [result for _, results in [first, *rest] for result in results]
    assert [r.order.external_id if r.order else None for r in found] == [
        f"T{n:05d}" for n in range(100)
    ]
    died = [r for r in caplog.records if "helper process died" in r.getMessage()]
    assert len(died) == 1
    assert died[0].levelname == "WARNING"
    assert "in this process" in died[0].getMessage()


@pytest.mark.django_db
def test_a_large_import_through_helpers_stores_every_order_and_dead_letters_the_bad_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("omnioms.sync.services.IMPORT_BATCH", 10)
    monkeypatch.setenv("OMNIOMS_IMPORT_PROCESSES", "1")
    account = make_account("store", platform="pos_csv")

    summary = import_file(account, raw=pos_export(70), filename="day.csv", actor=Actor.system())

    assert (summary.created, summary.dead_lettered) == (60, 10)
    order = Order.objects.get(account=account, external_id="T00000")
    assert [(line.sku_code, line.quantity, str(line.total)) for line in order.lines.all()] == [
        ("TS-0", 2, "180.0000"),
        ("SK-1", 1, "19.9000"),
    ]
    assert InboundPayload.objects.filter(account=account).count() == 70
    again = import_file(account, raw=pos_export(70), filename="day.csv", actor=Actor.system())
    assert (again.created, again.unchanged, again.dead_lettered) == (0, 60, 10)


def test_a_small_file_never_starts_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a helper process was started for two batches")

    monkeypatch.setattr("omnioms.channels.normalizing.ProcessPoolExecutor", no_pool)
    records = [Record(raw=r.raw, label=r.label) for r in ADAPTER.split(pos_export(16), "p.csv")]

    batches = list(normalized_batches(ADAPTER, AdapterContext(), records, 8, processes=2))

    assert [len(results) for _, results in batches] == [8, 8]
