"""A long filtered order list is exported to Excel as a job: the file holds what the filter
selects, the person finds it on "My exports" with that filter, cancel stops it and leaves no
file, and a bad filter is refused before anything is queued."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.worksheet._writer import ALL_TEMP_FILES as openpyxl_temporary_files_list
from pytest_django import Settings

from omnioms.core.jobs import run_job
from omnioms.core.models import Job, JobStatus
from omnioms.core.roles import Role
from omnioms.orders.models import Order
from omnioms.web import exports
from omnioms.web.tests.conftest import LoginAs, Shop
from omnioms.web.tests.factories import order_data, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def export_dir(settings: Settings, tmp_path: Path) -> Path:
    settings.OMNIOMS_EXPORT_DIR = str(tmp_path)
    settings.OMNIOMS_EXPORT_INLINE_ROWS = 2
    return tmp_path


def openpyxl_temporary_files() -> list[str]:
    return list(openpyxl_temporary_files_list)


def _orders(shop: Shop) -> None:
    for number in range(4):
        submit(shop.web_shop, order_data(f"P-{number}", channel="shopify"))
    submit(shop.web_shop, order_data("W-1", channel="shopify", status="pending_payment"))
    submit(shop.north_pos, order_data("N-1"))


def _workbook_ids(content: bytes) -> list[str]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][3] == "External id"
    return sorted(str(row[3]) for row in rows[1:])


def test_a_long_list_is_exported_by_a_job_whose_file_matches_the_filter(
    client: Client, shop: Shop, order_clerk: User, export_dir: Path
) -> None:
    _orders(shop)
    account = shop.web_shop.name

    response = client.get("/orders/export.xlsx", {"status": "paid", "account": account})

    assert response.status_code == 302
    assert response["Location"] == "/orders/exports/"
    job = Job.objects.get(kind=exports.KIND)
    assert job.params["query"] == f"account={account}&status=paid"
    assert job.created_by_id == order_clerk.pk
    assert not list(export_dir.iterdir())  # nothing is written in the request

    assert run_job(job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.result is not None
    assert job.result["rows"] == 4

    page = client.get("/orders/exports/").content.decode()
    row = page.split(f'id="export-{job.pk}"')[1].split("</tr>")[0]
    assert "Status: paid" in row
    assert f"/orders/exports/{job.pk}/download/" in row
    download = client.get(f"/orders/exports/{job.pk}/download/")
    assert download.status_code == 200
    content = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert _workbook_ids(content) == ["P-0", "P-1", "P-2", "P-3"]


def test_another_persons_export_is_not_theirs_to_see(
    client: Client, shop: Shop, login_as: LoginAs, export_dir: Path
) -> None:
    _orders(shop)
    login_as(Role.ORDER_CLERK)
    client.get("/orders/export.xlsx", {"status": "paid"})
    job = Job.objects.get(kind=exports.KIND)
    run_job(job.pk)

    login_as(Role.ORDER_CLERK)
    assert client.get(f"/orders/exports/{job.pk}/download/").status_code == 404
    assert f"export-{job.pk}" not in client.get("/orders/exports/").content.decode()


def test_a_store_clerks_export_holds_only_their_stores_orders(
    client: Client, shop: Shop, login_as: LoginAs, export_dir: Path
) -> None:
    for number in range(3):
        submit(shop.north_pos, order_data(f"N-{number}"))
    submit(shop.south_pos, order_data("S-1"))
    login_as(Role.STORE_CLERK, store=shop.north)
    assert client.get("/orders/export.xlsx").status_code == 302
    job = Job.objects.get(kind=exports.KIND)
    run_job(job.pk)
    content = b"".join(
        client.get(f"/orders/exports/{job.pk}/download/").streaming_content  # type: ignore[attr-defined]
    )
    assert _workbook_ids(content) == ["N-0", "N-1", "N-2"]


def test_cancelling_a_queued_export_stops_it_before_it_starts(
    client: Client, shop: Shop, order_clerk: User, export_dir: Path
) -> None:
    _orders(shop)
    client.get("/orders/export.xlsx", {"status": "paid"})
    job = Job.objects.get(kind=exports.KIND)

    response = client.post(f"/orders/exports/{job.pk}/cancel/")

    assert response.status_code == 302
    assert run_job(job.pk) == JobStatus.CANCELLED
    assert not list(export_dir.iterdir())
    page = client.get("/orders/exports/").content.decode()
    assert f"/orders/exports/{job.pk}/download/" not in page
    assert client.get(f"/orders/exports/{job.pk}/download/").status_code == 404


def test_cancelling_a_running_export_stops_it_midway_and_leaves_no_file(
    client: Client,
    shop: Shop,
    order_clerk: User,
    export_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _orders(shop)
    client.get("/orders/export.xlsx", {"status": "paid"})
    job = Job.objects.get(kind=exports.KIND)
    read: list[object] = []
    real_rows = exports.order_queries.export_rows

    def rows(orders: QuerySet[Order]) -> Iterator[Sequence[object]]:
        for row in real_rows(orders):
            read.append(row)
            if len(read) == 2:  # the person presses cancel while the file is being written
                Job.objects.filter(pk=job.pk).update(cancel_requested=True)
            yield row

    monkeypatch.setattr(exports, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(exports.order_queries, "export_rows", rows)

    assert run_job(job.pk) == JobStatus.CANCELLED

    assert len(read) == 2  # it stopped at the next check, not after the last row
    assert not list(export_dir.iterdir())
    # the half-written sheet was closed and its temporary file removed, not left for the
    # garbage collector (which failed inside lxml) and the end of the worker process
    assert not [path for path in openpyxl_temporary_files() if Path(path).exists()]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"ship_by": "not-a-day"}, "ship_by"), ({"account": "999999"}, "account")],
)
def test_a_bad_filter_is_refused_clearly_and_nothing_is_queued(
    client: Client,
    shop: Shop,
    order_clerk: User,
    export_dir: Path,
    query: dict[str, str],
    field: str,
) -> None:
    _orders(shop)

    response = client.get("/orders/export.xlsx", query)

    assert response.status_code == 400
    text = response.content.decode()
    assert text.startswith("The filter cannot be exported:")
    assert f"{field}:" in text
    assert not Job.objects.filter(kind=exports.KIND).exists()
    with pytest.raises(exports.BadFilter):
        exports.start_export(order_clerk, query)


def test_export_files_are_removed_after_the_keeping_days_and_the_page_says_so(
    client: Client, shop: Shop, order_clerk: User, export_dir: Path, settings: Settings
) -> None:
    settings.OMNIOMS_EXPORT_KEEP_DAYS = 7
    _orders(shop)
    client.get("/orders/export.xlsx", {"status": "paid"})
    old = Job.objects.get(kind=exports.KIND)
    run_job(old.pk)
    client.get("/orders/export.xlsx", {"status": "paid"})
    recent = Job.objects.filter(kind=exports.KIND).exclude(pk=old.pk).get()
    run_job(recent.pk)
    old.refresh_from_db()
    recent.refresh_from_db()
    old_file, recent_file = exports.file_of(old), exports.file_of(recent)
    assert old_file is not None
    assert recent_file is not None
    # a half-written file a stopped worker left behind, and someone else's file in the folder
    stale_part = export_dir / "orders-999.xlsx.part"
    stale_part.write_bytes(b"half")
    unrelated = export_dir / "notes.txt"
    unrelated.write_text("kept")
    now = timezone.now()
    eight_days_ago = (now - timedelta(days=8)).timestamp()
    for path in (old_file, stale_part, unrelated):
        os.utime(path, (eight_days_ago, eight_days_ago))
    Job.objects.filter(pk=old.pk).update(finished_at=now - timedelta(days=8))

    assert exports.purge_exports(now) == 2

    assert not old_file.exists()
    assert not stale_part.exists()
    assert recent_file.exists()
    assert unrelated.exists()
    old.refresh_from_db()
    assert old.result is not None
    assert "removed_at" in old.result
    assert old.result["rows"] == 5  # what the export held is still told
    page = client.get("/orders/exports/").content.decode()
    old_row = page.split(f'id="export-{old.pk}"')[1].split("</tr>")[0]
    assert "removed 7 days after it was written" in old_row
    assert f"/orders/exports/{old.pk}/download/" not in old_row
    assert f"/orders/exports/{recent.pk}/download/" in page
    assert client.get(f"/orders/exports/{old.pk}/download/").status_code == 404
    assert exports.purge_exports(now) == 0  # nothing left to remove: the worker waits an hour
