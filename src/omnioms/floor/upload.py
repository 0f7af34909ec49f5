"""Floor reports from an Excel workbook, for shops that still collect paper.

The first sheet's first row names the columns (:data:`COLUMNS`; any order, extra columns
ignored). Every row is read and checked; then all are applied in one transaction in the
order given, and if any row is refused nothing is kept: the answer lists every refused row
with its field. A row's ``report_id`` makes uploading the same workbook twice change nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from omnioms.core.actor import Actor
from omnioms.core.inputs import no_nul
from omnioms.floor.domain import FloorError
from omnioms.floor.models import ReportSource
from omnioms.floor.reporting import report_operation
from omnioms.floor.selectors import job_by_code

COLUMNS = (
    "report_id",
    "job",
    "kind",
    "at",
    "good",
    "scrap",
    "scrap_reason",
    "pause_reason",
    "machine",
    "note",
)
REQUIRED = ("report_id", "job", "kind", "at")
MAX_ROWS = 20_000


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return _("row %(row)s, %(field)s: %(message)s") % {
            "row": self.row,
            "field": self.field,
            "message": self.message,
        }


class UploadRefused(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value).strip()
    no_nul(text)
    return text


def _whole(value: Any, field: str, row: int) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise FloorError(field, _("%(v)r is not a whole number") % {"v": value}) from None
    if value < 0 or value > 2_147_483_647:
        raise FloorError(field, _("%(v)s is out of range") % {"v": value})
    return value


def _moment(value: Any, tz: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(_text(value))
        except ValueError:
            raise FloorError(
                "at", _("%(v)r is not a time (2026-12-01 08:30)") % {"v": value}
            ) from None
    return timezone.make_aware(moment, tz) if timezone.is_naive(moment) else moment


def read_rows(data: bytes, tz: Any) -> list[tuple[int, dict[str, Any]]]:
    """(row number, values) of every non-empty row; :class:`UploadRefused` for bad ones."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise UploadRefused(
            [RowError(0, "file", _("this is not an Excel workbook (.xlsx)"))]
        ) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [(_text(c) or "").lower() for c in next(rows, ())]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise UploadRefused(
            [RowError(1, name, _("the first row has no such column")) for name in missing]
        )
    where = {name: header.index(name) for name in COLUMNS if name in header}
    read: list[tuple[int, dict[str, Any]]] = []
    errors: list[RowError] = []
    for number, cells in enumerate(rows, start=2):
        if not any(c not in (None, "") for c in cells):
            continue
        if len(read) >= MAX_ROWS:
            errors.append(RowError(number, "file", _("more than %(n)s rows") % {"n": MAX_ROWS}))
            break
        values = {name: cells[i] if i < len(cells) else None for name, i in where.items()}
        try:
            row = {
                "report_id": _text(values.get("report_id")),
                "job": _text(values.get("job")),
                "kind": _text(values.get("kind")).lower(),
                "at": _moment(values.get("at"), tz),
                "good": _whole(values.get("good"), "good", number),
                "scrap": _whole(values.get("scrap"), "scrap", number),
                "scrap_reason": _text(values.get("scrap_reason")).lower(),
                "pause_reason": _text(values.get("pause_reason")).lower(),
                "machine": _whole(values["machine"], "machine", number)
                if values.get("machine") not in (None, "")
                else None,
                "note": _text(values.get("note"))[:500],
            }
            for name in ("report_id", "job", "kind"):
                if not row[name]:
                    raise FloorError(name, _("is empty"))
        except FloorError as exc:
            errors.append(RowError(number, exc.field, exc.message))
            continue
        except ValueError as exc:  # NUL in a cell
            errors.append(RowError(number, "cell", str(exc)))
            continue
        read.append((number, row))
    if errors:
        raise UploadRefused(errors)
    return read


def apply_workbook(data: bytes, *, actor: Actor, tz: Any = None) -> int:
    """Apply every row or none; returns how many reports were new."""
    rows = read_rows(data, tz or timezone.get_current_timezone())
    errors: list[RowError] = []
    created = 0
    with transaction.atomic():
        for number, row in rows:
            job = job_by_code(row.pop("job"))
            if job is None:
                errors.append(RowError(number, "job", _("no such job")))
                continue
            try:
                applied = report_operation(
                    operation_id=job.operation_id, source=ReportSource.EXCEL, actor=actor, **row
                )
            except FloorError as exc:
                errors.append(RowError(number, exc.field, exc.message))
                continue
            created += applied.created
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise UploadRefused(errors)
    return created


def template_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "reports"
    sheet.append(list(COLUMNS))
    sheet.append(["R-0001", "MO-00001/10", "start", "2026-12-01 08:00", 0, 0, "", "", 0, ""])
    sheet.append(
        ["R-0002", "MO-00001/10", "finish", "2026-12-01 10:00", 98, 2, "material", "", 0, ""]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
