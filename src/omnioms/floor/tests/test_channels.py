"""Reports through the REST API, the Excel upload and the tablet page; job tickets as PDF."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from omnioms.core.roles import Role
from omnioms.floor.models import OperationReport
from omnioms.floor.tests.factories import production_order, shop
from omnioms.testing import api_as, make_user

pytestmark = pytest.mark.django_db


def test_a_report_sent_twice_through_the_api_is_created_once_then_acknowledged(
    client: Client,
) -> None:
    order = production_order(shop(), 50)
    api = api_as(client, Role.SUPERVISOR)
    body = {
        "report_id": "tab-1",
        "job": f"{order.number}/10",
        "kind": "start",
        "at": "2026-12-01T08:05:00+08:00",
    }

    first = api.post("/floor/reports", body)
    again = api.post("/floor/reports", body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["status"] == "running"
    assert OperationReport.objects.count() == 1


def test_a_contradicting_report_is_a_409_naming_the_field(client: Client) -> None:
    order = production_order(shop(), 50)
    api = api_as(client, Role.SUPERVISOR)

    answer = api.post(
        "/floor/reports",
        {
            "report_id": "x",
            "job": f"{order.number}/10",
            "kind": "finish",
            "at": "2026-12-01T08:05:00+08:00",
            "good": 5,
        },
    )

    assert answer.status_code == 409
    assert answer.json()["errors"][0]["field"] == "kind"
    assert "cannot finish an operation that is waiting" in answer.json()["detail"]


def test_an_unknown_job_is_a_400_and_a_nul_byte_a_422(client: Client) -> None:
    shop()
    api = api_as(client, Role.SUPERVISOR)
    body = {
        "report_id": "x",
        "job": "MO-404/10",
        "kind": "start",
        "at": "2026-12-01T08:05:00+08:00",
    }
    assert api.post("/floor/reports", body).status_code == 400
    assert api.post("/floor/reports", {**body, "job": "MO\x00"}).status_code == 422


def test_the_queue_lists_a_work_centres_jobs_in_plan_order(client: Client) -> None:
    s = shop()
    first, second = production_order(s, 10), production_order(s, 10)
    api = api_as(client, Role.SUPERVISOR)

    codes = [j["code"] for j in api.get("/floor/work-centers/CUT/queue").json()]

    assert codes == [f"{first.number}/10", f"{second.number}/10"]


def _workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["report_id", "job", "kind", "at", "good", "scrap", "scrap_reason"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_upload_with_one_bad_row_applies_nothing_and_names_the_rows(client: Client) -> None:
    order = production_order(shop(), 50)
    client.force_login(make_user(Role.SUPERVISOR))
    job = f"{order.number}/10"
    data = _workbook(
        [
            ["u1", job, "start", "2026-12-01 08:00"],
            ["u2", job, "finish", "2026-12-01 09:00", 60, 0, ""],  # more than the order's 50
            ["u3", job, "pause", "2026-12-01 10:00"],  # no reason
        ]
    )

    page = client.post(reverse("floor:upload"), {"file": io.BytesIO(data)})

    text = page.content.decode()
    assert page.status_code == 400
    assert "row 3, good: more finished than started" in text
    assert "row 4, pause_reason" in text
    assert OperationReport.objects.count() == 0


def test_an_upload_applies_every_row_and_a_second_upload_changes_nothing(client: Client) -> None:
    order = production_order(shop(), 50)
    client.force_login(make_user(Role.SUPERVISOR))
    job = f"{order.number}/10"
    data = _workbook(
        [
            ["u1", job, "start", "2026-12-01 08:00"],
            ["u2", job, "finish", "2026-12-01 09:00", 48, 2, "material"],
        ]
    )

    client.post(reverse("floor:upload"), {"file": io.BytesIO(data)})
    client.post(reverse("floor:upload"), {"file": io.BytesIO(data)})

    op = order.operations.get(sequence=10)
    assert (op.status, op.good, op.scrap) == ("done", 48, 2)
    assert OperationReport.objects.count() == 2


def test_a_file_that_is_not_a_workbook_is_refused_plainly(client: Client) -> None:
    client.force_login(make_user(Role.SUPERVISOR))
    page = client.post(reverse("floor:upload"), {"file": io.BytesIO(b"not excel")})
    assert page.status_code == 400
    assert "not an Excel workbook" in page.content.decode()


def test_the_tablet_starts_a_job_once_even_when_the_button_is_pressed_twice(
    client: Client,
) -> None:
    order = production_order(shop(), 50)
    client.force_login(make_user(Role.SUPERVISOR))
    op = order.operations.get(sequence=10)
    url = reverse("floor:tablet_job", args=[op.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "camera=(self)" in page["Permissions-Policy"]
    report_id = page.context["report_id"]

    client.post(url, {"report_id": report_id, "kind": "start"})
    again = client.post(url, {"report_id": report_id, "kind": "start"}, follow=True)

    assert "This report had already been applied." in again.content.decode()

    op.refresh_from_db()
    assert op.status == "running"
    assert OperationReport.objects.count() == 1


def test_a_job_is_found_by_its_typed_code(client: Client) -> None:
    order = production_order(shop(), 50)
    client.force_login(make_user(Role.SUPERVISOR))
    answer = client.get(reverse("floor:find_job"), {"code": f" {order.number}/20 "})
    op = order.operations.get(sequence=20)
    assert answer["Location"] == reverse("floor:tablet_job", args=[op.pk])


def test_a_job_ticket_is_a_pdf(client: Client) -> None:
    order = production_order(shop(), 50)
    client.force_login(make_user(Role.SUPERVISOR))
    op = order.operations.get(sequence=10)
    answer = client.get(reverse("floor:ticket", args=[op.pk]))
    assert answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")


def test_people_without_the_floor_permission_cannot_report(client: Client) -> None:
    order = production_order(shop(), 50)
    api = api_as(client, Role.CUSTOMER_SERVICE)
    answer = api.post(
        "/floor/reports",
        {
            "report_id": "x",
            "job": f"{order.number}/10",
            "kind": "start",
            "at": "2026-12-01T08:05:00+08:00",
        },
    )
    assert answer.status_code == 403
