"""Reading a factory's exported logs (CSV) into the engines' inputs, row by row.

The layouts are the command line's contract (``docs/kpi.md``, ``docs/contracts.md``). Rows are
numbered as a spreadsheet shows them: the header is row 1. A problem raises
:class:`~omnioms.kpi.common.KpiInputError` whose ``index`` is that row number and whose
``field`` is the column; nothing is guessed and no row is skipped except blank ones.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Generic, TypeVar

from omnioms.kpi.common import KpiInputError
from omnioms.kpi.oee import MachineState, StateRecord
from omnioms.kpi.otd import Delivery, OrderLine

STATE_LOG_COLUMNS = (
    "work_center",
    "start",
    "end",
    "state",
    "produced",
    "scrap",
    "ideal_seconds_per_unit",
)
STATE_LOG_OPTIONAL = ("reason", "scrap_reason", "machine")
"""Columns a state log may add after the required ones, in any order."""

DELIVERY_COLUMNS = (
    "order_id",
    "line_id",
    "quantity",
    "commit_date",
    "delivered_on",
    "delivered_quantity",
    "cancelled_by_customer",
)

T = TypeVar("T")

_STATES = frozenset(state.value for state in MachineState)
_WHOLE = re.compile(r"[+-]?[0-9]+")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})


@dataclass(frozen=True)
class Read(Generic[T]):
    """What a file held: the items and, for each, the row it came from (its first row)."""

    items: list[T]
    rows: list[int]


def _rows(
    text: str, required: tuple[str, ...], optional: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader, [])]
        if not header or not "".join(header):
            raise KpiInputError(
                "header",
                f"is missing: the first row names the columns {','.join(required)}",
                index=1,
            )
        extra = header[len(required) :]
        if (
            tuple(header[: len(required)]) != required
            or any(name not in optional for name in extra)
            or len(set(extra)) != len(extra)
        ):
            expected = ",".join(required)
            if optional:
                expected += f" (then, if wanted: {', '.join(optional)})"
            raise KpiInputError("header", f"is {','.join(header)}; expected {expected}", index=1)
        for number, cells in enumerate(reader, start=2):
            if not "".join(cells).strip():
                continue
            if len(cells) != len(header):
                raise KpiInputError(
                    "row",
                    f"has {len(cells)} fields; the header has {len(header)}",
                    index=number,
                )
            yield number, {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
    except csv.Error as exc:
        raise KpiInputError("row", f"is not valid CSV ({exc})", index=reader.line_num) from None


def _whole(value: str, field: str, row: int) -> int:
    if not value:
        return 0
    if not _WHOLE.fullmatch(value):
        raise KpiInputError(field, f"{value!r} is not a whole number", index=row)
    number = int(value)
    if number < 0:
        raise KpiInputError(field, f"{value} is negative", index=row)
    return number


def _time(value: str, field: str, row: int) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise KpiInputError(
            field, f"{value!r} is not an ISO 8601 time (2025-03-03T08:00:00+08:00)", index=row
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise KpiInputError(
            field, f"{value} has no time zone: give its offset, e.g. {value}+08:00", index=row
        )
    return moment


def _day(value: str, field: str, row: int) -> date:
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise KpiInputError(field, f"{value!r} is not a date (YYYY-MM-DD)", index=row) from None


def _seconds(value: str, row: int) -> Decimal | None:
    if not value:
        return None
    field = "ideal_seconds_per_unit"
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise KpiInputError(field, f"{value!r} is not a number", index=row) from None
    if not number.is_finite():
        raise KpiInputError(field, f"{value!r} is not a number", index=row)
    if number < 0:
        raise KpiInputError(field, f"{value} is negative", index=row)
    return number


def read_state_log(text: str) -> Read[StateRecord]:
    """A work-centre state log (``omnioms kpi oee``) as :class:`StateRecord` items."""
    items: list[StateRecord] = []
    rows: list[int] = []
    for row, cells in _rows(text, STATE_LOG_COLUMNS, STATE_LOG_OPTIONAL):
        state = cells["state"]
        if state not in _STATES:
            known = ", ".join(MachineState)
            raise KpiInputError("state", f"{state!r} is not one of {known}", index=row)
        scrap = _whole(cells["scrap"], "scrap", row)
        scrap_reason = cells.get("scrap_reason", "")
        try:
            record = StateRecord(
                work_center=cells["work_center"],
                start=_time(cells["start"], "start", row),
                end=_time(cells["end"], "end", row),
                state=MachineState(state),
                produced=_whole(cells["produced"], "produced", row),
                scrap=scrap,
                ideal_seconds_per_unit=_seconds(cells["ideal_seconds_per_unit"], row),
                reason=cells.get("reason", ""),
                scrap_reasons={scrap_reason: scrap} if scrap_reason and scrap else {},
                machine=cells.get("machine", ""),
            )
        except KpiInputError as exc:
            raise exc.at(row) from None
        items.append(record)
        rows.append(row)
    return Read(items, rows)


def _flag(value: str, row: int) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise KpiInputError(
        "cancelled_by_customer", f"{value!r} is not one of true, false, 1, 0, yes, no", index=row
    )


@dataclass
class _Line:
    row: int
    quantity: int
    commit_date: date
    deliveries: list[Delivery]
    cancelled: list[bool]


def _delivery(cells: dict[str, str], row: int) -> Delivery | None:
    on, quantity = cells["delivered_on"], cells["delivered_quantity"]
    if not on:
        if _whole(quantity, "delivered_quantity", row):
            raise KpiInputError("delivered_on", "is empty but units were delivered", index=row)
        return None
    if not quantity:
        raise KpiInputError("delivered_quantity", f"is empty for a delivery on {on}", index=row)
    try:
        return Delivery(_day(on, "delivered_on", row), _whole(quantity, "delivered_quantity", row))
    except KpiInputError as exc:
        raise exc.at(row) from None


def read_deliveries(text: str) -> Read[OrderLine]:
    """Delivery rows (``omnioms kpi otd``), one or more per line, as :class:`OrderLine` items.

    A line's rows need not be adjacent. Its ``quantity`` and ``commit_date`` repeat on every
    row and must agree; a row with an empty ``delivered_on`` records no delivery (its
    ``delivered_quantity`` empty or 0). The line is cancelled by the customer when every one
    of its rows says so. Each line is named by the row it first appears on.
    """
    lines: dict[tuple[str, str], _Line] = {}
    for row, cells in _rows(text, DELIVERY_COLUMNS, ()):
        for name in ("order_id", "line_id"):
            if not cells[name]:
                raise KpiInputError(name, "is empty", index=row)
        quantity = _whole(cells["quantity"], "quantity", row)
        if quantity <= 0:
            raise KpiInputError(
                "quantity", f"{cells['quantity'] or 'empty'}: not more than 0", index=row
            )
        commit_date = _day(cells["commit_date"], "commit_date", row)
        delivery = _delivery(cells, row)
        cancelled = _flag(cells["cancelled_by_customer"], row)
        key = (cells["order_id"], cells["line_id"])
        line = lines.get(key)
        if line is None:
            line = lines[key] = _Line(row, quantity, commit_date, [], [])
        else:
            for name, here, first in (
                ("quantity", quantity, line.quantity),
                ("commit_date", commit_date, line.commit_date),
            ):
                if here != first:
                    raise KpiInputError(
                        name,
                        f"{here} differs from {first} on row {line.row}, the same line's first row",
                        index=row,
                    )
        if delivery is not None:
            line.deliveries.append(delivery)
        line.cancelled.append(cancelled)
    items = [
        OrderLine(
            order_id=order_id,
            line_id=line_id,
            quantity=line.quantity,
            commit_date=line.commit_date,
            deliveries=tuple(line.deliveries),
            cancelled_by_customer=all(line.cancelled),
        )
        for (order_id, line_id), line in lines.items()
    ]
    return Read(items, [line.row for line in lines.values()])
