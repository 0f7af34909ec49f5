"""For the ``csv`` mapping page: a sample of an uploaded file, and what a mapping makes of it.

Pure, like the adapter: the web view keeps the sample's bytes between requests and shows the
preview; importing uses :mod:`~omnioms.channels.adapters.csv_mapped` through the intake.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from omnioms.channels.adapters.base import AdapterContext, NormalizationError
from omnioms.channels.adapters.csv_mapped import (
    OPTION,
    ColumnMapping,
    normalize,
    split_with_options,
)
from omnioms.channels.adapters.pos_csv import _blank, _cell, _csv_rows, _key, _xlsx_as_csv
from omnioms.channels.contract import NormalizedOrder

logger = logging.getLogger(__name__)

SAMPLE_ROWS = 200
"""Rows of an uploaded sample kept for the mapping page and its preview."""


@dataclass(frozen=True)
class Sample:
    header: list[str]
    rows: list[list[str]]
    """The first :data:`SAMPLE_ROWS` rows after the header, blank rows left out."""
    document: bytes
    """The header and those rows as UTF-8 CSV, as the file wrote them: what a preview reads."""
    truncated: bool
    """The file has more rows than were kept."""

    def values(self, column: str, *, limit: int = 50) -> list[str]:
        """The distinct non-blank values of a column, in order of appearance."""
        keys = [_key(name) for name in self.header]
        if _key(column) not in keys:
            return []
        at = keys.index(_key(column))
        found = dict.fromkeys(_cell(row, at) for row in self.rows)
        return [value for value in found if value][:limit]


def read_sample(raw: bytes, filename: str, *, limit: int = SAMPLE_ROWS) -> Sample:
    """The header and first rows of a CSV or XLSX file; NormalizationError if unreadable."""
    name = filename or "file"
    if raw.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        raw = _xlsx_as_csv(raw, name)
    elif raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise NormalizationError("is an old .xls workbook: save it as .xlsx or CSV", field=name)
    for encoding in ("utf-8-sig", "gb18030"):
        kept: list[tuple[list[str], str]] = []
        truncated = False
        try:
            for cells, line in _csv_rows(raw, encoding, name, True):
                if _blank(cells):
                    continue
                if len(kept) > limit:
                    truncated = True
                    break
                kept.append((cells, line))
        except UnicodeDecodeError:
            continue
        break
    else:
        raise NormalizationError("is neither UTF-8 nor GB18030 text", field=name)
    if not kept:
        raise NormalizationError("is empty: no header row", field=name)
    header = [cell.lstrip("\ufeff").strip() for cell in kept[0][0]]
    document = "\n".join(line.lstrip("\ufeff") for _, line in kept) + "\n"
    return Sample(
        header=header,
        rows=[cells for cells, _ in kept[1:]],
        document=document.encode(),
        truncated=truncated,
    )


@dataclass(frozen=True)
class Preview:
    orders: list[NormalizedOrder]
    failures: list[tuple[str, str]]
    """(where in the file, why) for each record, or the whole file, that would fail."""


def preview(
    document: bytes, filename: str, mapping: ColumnMapping, context: AdapterContext
) -> Preview:
    """What importing ``document`` with ``mapping`` would make: orders and failures."""
    context = replace(context, options={OPTION: mapping.as_options()})
    orders: list[NormalizedOrder] = []
    failures: list[tuple[str, str]] = []
    try:
        for record in split_with_options(document, filename, context):
            try:
                orders.append(normalize(record, context))
            except NormalizationError as exc:
                failures.append((record.label, str(exc)))
            except Exception as exc:  # a bug here must show as a failure, not lose the page
                logger.exception("csv preview failed on %s", record.label)
                failures.append((record.label, f"could not be read ({type(exc).__name__})"))
    except NormalizationError as exc:
        failures.append((filename, str(exc)))
    return Preview(orders=orders, failures=failures)
