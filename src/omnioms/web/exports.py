"""The order list exported to Excel: at once for a short list, as a job for a long one.

A list of at most :func:`inline_limit` orders is written and sent in the request (a second or
two). A longer one is a job (``web.order_export``, :mod:`omnioms.core.jobs`): the filter is
kept on the job as the list's query string and checked again when the job runs, the rows are
streamed into an openpyxl write-only workbook written straight to a file under
:func:`export_dir`, with progress and cancel every :data:`PROGRESS_EVERY` rows. The person
finds the file on "My exports" (``/orders/exports/``) with the filter that made it; a cancelled
or failed export leaves no file behind. Files are kept :func:`keep_days` after they were written
and then removed by the worker step ``web.purge_exports`` (:func:`purge_exports`), which also
removes what a stopped worker left half-written.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from omnioms.core.actor import Actor
from omnioms.core.jobs import JobCancelled, JobContext, job_kind, start_job
from omnioms.core.models import Job, JobStatus
from omnioms.sales import order_queries
from omnioms.sales.exports import _cell
from omnioms.web import selectors
from omnioms.web.forms import OrderFilterForm

KIND = "web.order_export"
INLINE_LIMIT = 5000
"""Orders written in the request at most (``OMNIOMS_EXPORT_INLINE_ROWS``); longer lists are
jobs."""
PROGRESS_EVERY = 1000
"""Rows between two progress reports (each also checks for a cancel request)."""
IGNORED = ("cursor",)
"""Query parameters that are not part of the filter."""

EXPORT_HEADER = (
    gettext_lazy("Placed"),
    gettext_lazy("Account"),
    gettext_lazy("Channel"),
    gettext_lazy("External id"),
    gettext_lazy("Buyer"),
    gettext_lazy("Phone"),
    gettext_lazy("Status"),
    gettext_lazy("Status the channel reported"),
    gettext_lazy("Currency"),
    gettext_lazy("Total"),
    gettext_lazy("Paid"),
    gettext_lazy("Store or warehouse"),
)


class BadFilter(ValueError):
    """The filter is not one the order list accepts; ``errors`` per field."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(
            "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
        )


def inline_limit() -> int:
    return int(getattr(settings, "OMNIOMS_EXPORT_INLINE_ROWS", INLINE_LIMIT))


def export_dir() -> Path:
    """Where export files are kept (``OMNIOMS_EXPORT_DIR``, default ``DATA_DIR/exports``)."""
    configured = getattr(settings, "OMNIOMS_EXPORT_DIR", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "exports"


def keep_days() -> int:
    """Days a finished export's file is kept (``OMNIOMS_EXPORT_KEEP_DAYS``, default 7)."""
    return int(getattr(settings, "OMNIOMS_EXPORT_KEEP_DAYS", 7))


def purge_exports(now: datetime | None = None) -> int:
    """The worker step: remove export files written more than :func:`keep_days` ago (and the
    ``.part`` files of exports a stopped worker never finished), and note on each finished
    export whose file is gone when it went. Returns the files removed."""
    now = now or timezone.now()
    before = now - timedelta(days=keep_days())
    cutoff = before.timestamp()
    directory = export_dir()
    removed = 0
    if directory.is_dir():
        for path in directory.iterdir():
            if not path.name.startswith("orders-") or not path.is_file():
                continue
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
    gone: list[Job] = [
        job
        for job in Job.objects.filter(
            kind=KIND, status=JobStatus.SUCCEEDED, finished_at__lt=before
        ).exclude(result__has_key="removed_at")
        if isinstance(job.result, dict) and file_of(job) is None
    ]
    for job in gone:
        job.result = {**(job.result or {}), "removed_at": now.isoformat()}
    Job.objects.bulk_update(gone, ["result"])
    return removed


def filter_query(params: QueryDict | dict[str, str]) -> str:
    """The filter as a canonical query string: the page cursor and empty values left out."""
    items = params.lists() if isinstance(params, QueryDict) else params.items()
    pairs: list[tuple[str, str]] = []
    for key, values in items:
        for value in values if isinstance(values, list) else [values]:
            if key not in IGNORED and value != "":
                pairs.append((key, value))
    return urlencode(sorted(pairs))


def filter_form(user: Any, query: str) -> OrderFilterForm:
    data = QueryDict(query)
    return OrderFilterForm(
        data,
        accounts=selectors.visible_accounts(user),
        locations=selectors.list_locations(),
    )


def filtered(user: Any, query: str) -> Any:
    """The orders ``user`` sees that the filter ``query`` selects; :class:`BadFilter` if the
    filter is not one the list accepts (an unknown account, a date that is not one)."""
    form = filter_form(user, query)
    if not form.is_valid():
        raise BadFilter({name: [str(e) for e in errs] for name, errs in form.errors.items()})
    return selectors.filtered_orders(user, form.filters(), form.list_filters())


def describe(query: str) -> list[tuple[str, str]]:
    """The filter as (label, value) pairs for the exports page."""
    form = OrderFilterForm(QueryDict(""), accounts=[], locations=[])
    labels = {name: str(field.label) for name, field in form.fields.items()}
    return [(labels.get(key, key), value) for key, value in parse_qsl(query)]


def header() -> list[str]:
    return [str(name) for name in EXPORT_HEADER]


def write_rows(
    target: Path,
    rows: Iterable[Sequence[object]],
    *,
    total: int,
    job: JobContext | None = None,
) -> int:
    """Stream the rows into an XLSX file at ``target`` (write-only workbook: no cell kept in
    memory); report progress to ``job`` and stop when it is cancelled. Returns the rows
    written. The file is written beside ``target`` and renamed at the end, so a file with the
    name exists only when it is whole."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Orders")[:31])
    sheet.freeze_panes = "A2"
    sheet.append([WriteOnlyCell(sheet, value=name) for name in header()])
    written = 0
    try:
        for row in rows:
            sheet.append([_cell(value) for value in row])
            written += 1
            if job is not None and written % PROGRESS_EVERY == 0:
                job.check()  # a cancel stops the export here, not after the last row
                job.progress(
                    0.95 * written / max(total, written),
                    _("%(n)s of %(total)s orders written") % {"n": written, "total": total},
                )
        if job is not None:
            job.check()
    except BaseException:
        _discard(sheet)
        raise
    partial = target.with_name(target.name + ".part")
    workbook.save(partial)
    os.replace(partial, target)
    return written


def _discard(sheet: Any) -> None:
    """Close a write-only sheet left half-written (a cancel, an error) and remove the
    temporary file openpyxl streams it to. Left open, its XML writer is closed by the garbage
    collector, which fails inside lxml; the temporary file would stay until the process ends."""
    with contextlib.suppress(Exception):
        sheet.close()
    writer = getattr(sheet, "_writer", None)  # openpyxl has no public call for the file
    if writer is not None:
        with contextlib.suppress(OSError):
            writer.cleanup()


def start_export(user: Any, params: QueryDict | dict[str, str]) -> Job:
    """Check the filter now (a bad one is refused before anything is queued) and queue the
    export job for ``user``."""
    query = filter_query(params)
    filtered(user, query)  # raises BadFilter
    return start_job(
        KIND,
        actor=Actor.for_user(user),
        label=_("Orders export"),
        user_id=user.pk,
        query=query,
    )


def file_of(job: Job) -> Path | None:
    """The finished export's file, when it is still there."""
    name = (job.result or {}).get("file") if isinstance(job.result, dict) else None
    if not name or "/" in name or "\\" in name:
        return None
    path = export_dir() / name
    return path if path.is_file() else None


@job_kind(KIND, label=gettext_lazy("Orders export"))
def run_export(job: JobContext, *, user_id: int, query: str) -> dict[str, Any]:
    user = get_user_model().objects.get(pk=user_id)
    orders = filtered(user, query)  # the filter is checked again: accounts may have changed
    job.progress(0.0, _("Counting the orders"))
    total = orders.order_by().count()
    directory = export_dir()
    directory.mkdir(parents=True, exist_ok=True)
    name = f"orders-{job.job.pk}.xlsx"
    target = directory / name
    try:
        written = write_rows(target, order_queries.export_rows(orders), total=total, job=job)
    except BaseException:
        for leftover in (target, target.with_name(name + ".part")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        raise
    job.progress(1.0, _("%(n)s orders written") % {"n": written})
    return {"file": name, "rows": written, "query": query}


__all__ = [
    "BadFilter",
    "JobCancelled",
    "describe",
    "file_of",
    "filter_query",
    "filtered",
    "inline_limit",
    "purge_exports",
    "run_export",
    "start_export",
]
