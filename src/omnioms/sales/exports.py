"""The order list as an Excel workbook, in constant memory however long the list.

openpyxl's write-only workbook streams rows to a temporary file as they come (no cell objects
kept); the finished file is then sent from disk in blocks. Memory stays flat at a million rows.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import IO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell


def write_workbook(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, title: str
) -> IO[bytes]:
    """The rows as one sheet of an XLSX file; returns the file, rewound, to be streamed.

    Times are written in the business time zone without an offset (Excel has none); amounts
    as numbers.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    sheet.append([WriteOnlyCell(sheet, value=name) for name in header])
    for row in rows:
        sheet.append([_cell(value) for value in row])
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (returned open, streamed)
    workbook.save(target)
    target.seek(0)
    return target


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value) if abs(value) < Decimal(10) ** 15 else str(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a buyer's name is never a formula in someone's spreadsheet
    return value
