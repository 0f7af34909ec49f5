"""Store POS "items detail" exports (Square, Chinese store POS sheets), as CSV or XLSX.

One row per sold or refunded item; rows belong to an order by ``Transaction ID``. Columns are
found by header through :data:`COLUMN_ALIASES` (case and whitespace ignored).

Splitting streams the file twice and never holds it as rows (an XLSX sheet is first read once,
row by row, into CSV bytes: openpyxl is too slow to read it twice). A first pass, the survey,
reads only transaction ids: it checks the header, settles the encoding (UTF-8, else GB18030) and
notes each id that comes back after other transactions, with the row where it ends. The grouping
pass yields one record per transaction at its last row: adjacent rows (the normal case) at once,
a transaction that reappears later once all its rows are read, so that it is one order rather
than two records of which the later would overwrite the earlier. Memory is the survey's id set
plus the rows of transactions still open: a handful in an export sorted by time.

A record is UTF-8 CSV: the header and the transaction's rows as the file wrote them, preceded by
an added column ``Source Row``, each row's number in the file (header = row 1). The numbers
travel inside the record because a replayed dead letter is split again from its stored bytes;
errors then still name the row a person sees in the file.

Reading rules:
- Dates: ``YYYY-MM-DD`` (or ``/``, ``.``, ``年月日``), ``MM/DD/YYYY``, ``DD/MM/YYYY``. A slash date
  is day-first only when its first number is over 12: an ambiguous one is ``MM/DD/YYYY``, the US
  export default. Two-digit years are 20YY; no time means midnight. Excel date and time cells
  are used as they are, rounded to the second.
- Times are local to the row's ``Time Zone`` (IANA name, ``UTC+8``/``GMT+08:00``, or Square's
  ``Pacific Time (US & Canada)``), else to the account's zone.
- Money text (``$45.00``, ``-$5.00``, ``(5.00)``, ``¥1,299.00``, ``45``) is an exact Decimal; its
  symbol names the currency ($ USD, ¥/￥ CNY), else the account's currency applies.
- ``unit_price`` = Gross Sales / Qty; when that is not exact to the cent (or to Gross Sales' own
  finer places) it is rounded half-up, nothing is raised, and the line keeps the POS's Net Sales
  as its total, so the order keeps the POS total and ``total_mismatch()`` shows the residue.
- ``discount`` = abs(Discounts), line total = Net Sales, tax = sum of Tax, order total = sum of
  Net Sales + tax, without the tax when prices include it: a ``Tax Included`` column says so,
  else CNY sales count as tax-inclusive (Chinese POS practice) and others as tax-added.
- Payment/销售 rows are the sale (``completed``, paid at the till: ``paid_at`` is the sale's
  time, ``updated_at`` the latest row's). A Refund/退款 row (or, with no Event Type, a
  negative Qty) adds to ``refunded_quantity`` of the sold line with its SKU, or its item name
  when it has no SKU; its money is not subtracted, as a partial refund keeps the sale's total on
  every channel. A transaction of refund rows only is a return document of its own, status
  ``refunded``, external id ``<Transaction ID>/return/<UTC time of its first row as
  yyyymmddTHHMMSS>``, lines the returned items with positive amounts. It must not reuse the
  sale's id: a return exported in a later day's file would otherwise be a newer version of the
  sale and replace its lines. A sale is ``refunded`` when every unit is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cached_property, lru_cache, partial
from itertools import groupby
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from omnioms.channels.adapters.base import Adapter, AdapterContext, NormalizationError, Record, text
from omnioms.channels.adapters.manual import describe_validation_error
from omnioms.channels.contract import Buyer, Line, NormalizedOrder, Notes
from omnioms.core.choices import OrderStatus

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "transaction_id": ("Transaction ID", "交易号", "交易ID", "交易编号", "流水号", "小票号"),
    "date": ("Date", "日期", "交易日期", "销售日期"),
    "time": ("Time", "时间", "交易时间", "销售时间"),
    "time_zone": ("Time Zone", "时区"),
    "item": ("Item", "Item Name", "商品", "商品名称", "品名"),
    "qty": ("Qty", "Quantity", "数量", "销售数量"),
    "sku": ("SKU", "商品编码", "商品编号", "货号"),
    "gross_sales": ("Gross Sales", "销售总额", "总销售额", "销售金额"),
    "discounts": ("Discounts", "Discount", "折扣", "折扣金额", "优惠金额"),
    "net_sales": ("Net Sales", "净销售额", "实收金额"),
    "tax": ("Tax", "Taxes", "税额", "税费"),
    "taxes_included": ("Tax Included", "Taxes Included", "含税", "是否含税"),
    "event_type": ("Event Type", "事件类型", "交易类型"),
    "customer_id": ("Customer ID", "客户ID", "会员ID", "会员编号"),
    "customer_name": ("Customer Name", "客户名称", "客户姓名", "会员姓名"),
    "notes": ("Notes", "备注"),
    "token": ("Token",),
    "location": ("Location", "门店", "门店名称"),
    "employee": ("Employee", "员工", "收银员"),
}
"""Each column the adapter knows: its English (Square) header first, then other names."""
REQUIRED_COLUMNS = ("transaction_id", "item", "qty", "date")
MONEY_COLUMNS = ("gross_sales", "net_sales")
"""At least one must be present; the other is derived with Discounts."""
SOURCE_ROW = "Source Row"
"""Column put first in each record: the row's number in the original file."""

PAYMENT_EVENTS = frozenset({"payment", "sale", "sales", "销售", "收款", "支付", "付款"})
REFUND_EVENTS = frozenset({"refund", "return", "退款", "退货"})
YES = frozenset({"yes", "y", "true", "1", "是", "含税", "included", "inclusive"})
NO = frozenset({"no", "n", "false", "0", "否", "不含税", "excluded", "exclusive", "added"})
SYMBOLS = {"$": "USD", "US$": "USD", "HK$": "HKD", "CA$": "CAD", "A$": "AUD", "CN¥": "CNY",
           "¥": "CNY", "￥": "CNY", "元": "CNY", "RMB": "CNY", "€": "EUR", "£": "GBP"}  # fmt: skip
ZONE_NAMES = {
    "pacific time (us & canada)": "America/Los_Angeles", "arizona": "America/Phoenix",
    "mountain time (us & canada)": "America/Denver", "alaska": "America/Anchorage",
    "central time (us & canada)": "America/Chicago", "hawaii": "Pacific/Honolulu",
    "eastern time (us & canada)": "America/New_York", "beijing": "Asia/Shanghai",
    "北京时间": "Asia/Shanghai", "utc": "UTC", "gmt": "UTC",
}  # fmt: skip
"""Square's (Rails') zone names and others that are not IANA names."""

_ZERO = Decimal("0.00")
_MONEY = re.compile(
    r"(?P<s1>[-+])?\s*(?P<sym>US\$|HK\$|CA\$|A\$|CN¥|\$|¥|￥|€|£|[A-Z]{3})?\s*(?P<s2>[-+])?\s*"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)\s*(?P<code>[A-Z]{3}|元)?"
)
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_SLASHED = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})\b")
_TIME = re.compile(
    r"(?P<cn>上午|下午)?\s*(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?"
    r"(?:\s*(?P<ampm>[AaPp])\.?\s*[Mm]\.?)?"
)
_OFFSET = re.compile(r"(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)


_SPACING = re.compile(r"[\s_\ufeff]+")


@lru_cache(maxsize=1024)
def _key(name: str) -> str:
    return _SPACING.sub("", name).casefold()


_ALIAS_INDEX = {_key(alias): field for field, names in COLUMN_ALIASES.items() for alias in names}


@dataclass(frozen=True)
class _Columns:
    index: dict[str, int]
    header: list[str]
    source_row: int | None
    """Position of ``Source Row`` when the table is a record this module wrote."""

    def values(self, cells: list[str]) -> dict[str, str]:
        """Every known field's stripped cell ("" where the file has no such column)."""
        values = dict.fromkeys(COLUMN_ALIASES, "")
        if len(cells) >= self._width:
            values.update(zip(self._fields, map(str.strip, self._pick(cells)), strict=True))
        else:  # a short row: the missing cells are blank
            values.update((field, _cell(cells, index)) for field, index in self.index.items())
        return values

    @cached_property
    def _fields(self) -> tuple[str, ...]:
        return tuple(self.index)

    @cached_property
    def _pick(self) -> Callable[[list[str]], tuple[str, ...]]:
        getter = itemgetter(*self.index.values())
        return (lambda cells: (getter(cells),)) if len(self.index) == 1 else getter

    @cached_property
    def _width(self) -> int:
        return max(self.index.values(), default=-1) + 1

    def where(self, number: int, field: str) -> str:
        """``row 4: Qty``, naming the column as the file does."""
        name = self.header[self.index[field]].strip() if field in self.index else field
        return f"row {number}: {name}"


def _columns(header: Sequence[str], where: str) -> _Columns:
    columns, missing = _read_columns(tuple(header))
    if missing:
        found = ", ".join(name.strip() for name in header if name.strip())
        raise NormalizationError(
            f"missing column(s) {', '.join(missing)} (found: {found})", field=where
        )
    return columns


@lru_cache(maxsize=64)
def _read_columns(header: tuple[str, ...]) -> tuple[_Columns, tuple[str, ...]]:
    """The columns of a header, and the required ones it lacks; cached, since every record of
    a file repeats the file's header."""
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        index.setdefault(_ALIAS_INDEX.get(_key(name), ""), position)
    index.pop("", None)
    missing = [COLUMN_ALIASES[field][0] for field in REQUIRED_COLUMNS if field not in index]
    if not any(field in index for field in MONEY_COLUMNS):
        missing.append("Gross Sales or Net Sales")
    keys = [_key(name) for name in header]
    source_row = keys.index(_key(SOURCE_ROW)) if _key(SOURCE_ROW) in keys else None
    columns = _Columns(index, [name.lstrip("\ufeff") for name in header], source_row)
    return columns, tuple(missing)


# ----------------------------------------------------------------------------------------------
# Splitting

_Rows = Iterator[tuple[list[str], str]]
"""Each row's cells and, when asked for, its CSV text."""
_Numbered = tuple[int, list[str], str]
"""A row's number in the file, its cells, and its record text (``Source Row`` first)."""


GroupColumn = Callable[[Sequence[str], str], int]
"""Where a file's header keeps the id that groups rows into orders (given the header and the
file's name for messages); raises :class:`NormalizationError` when the header lacks it."""


def split(raw: bytes, filename: str = "") -> Iterator[Record]:
    """One ``text/csv`` record per transaction, streamed (see the module docstring)."""
    return split_rows(raw, filename, _transaction_column)


def split_rows(raw: bytes, filename: str, group_column: GroupColumn) -> Iterator[Record]:
    """One ``text/csv`` record per value of the grouping column, streamed.

    The reading and grouping of this module's docstring, for any spreadsheet: the mapped
    ``csv`` adapter groups by the column its mapping names.
    """
    name = filename or "file"
    ours = raw.startswith(SOURCE_ROW.encode())  # a record replayed under its file's name
    if raw.startswith(b"PK\x03\x04") or (filename.lower().endswith(".xlsx") and not ours):
        raw = _xlsx_as_csv(raw, name)
    elif raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise NormalizationError("is an old .xls workbook: save it as .xlsx or CSV", field=name)
    rows: Callable[[bool], _Rows]
    for encoding in ("utf-8-sig", "gb18030"):
        rows = partial(_csv_rows, raw, encoding, name)
        try:
            repeats = _survey(rows(False), name, group_column)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise NormalizationError("is neither UTF-8 nor GB18030 text", field=name)
    yield from _group(rows(True), name, repeats, group_column)


def _transaction_column(header: Sequence[str], name: str) -> int:
    return _columns(header, name).index["transaction_id"]


def source_row_column(header: Sequence[str]) -> int | None:
    """Position of ``Source Row`` when the table is a record split off a file, else None."""
    keys = [_key(name) for name in header]
    return keys.index(_key(SOURCE_ROW)) if _key(SOURCE_ROW) in keys else None


def _table(
    rows: _Rows, name: str, group_column: GroupColumn
) -> tuple[int, str, Iterator[_Numbered]]:
    """The grouping column, the records' header line and the rows after it, blank rows left
    out."""
    numbered = enumerate(rows, start=1)
    for _, (header, line) in numbered:
        if _blank(header):
            continue
        at, source = group_column(header, name), source_row_column(header)
        kept = (
            (n, cells, text)
            for n, (cells, text) in numbered
            if _cell(cells, at) or not _blank(cells)
        )
        if source is not None:  # a record of ours, split again when a dead letter is replayed
            body = ((_row_number(cells, source), cells, text) for _, cells, text in kept)
        else:
            body = ((n, cells, f"{n},{text}") for n, cells, text in kept)
            line = f"{SOURCE_ROW},{line.lstrip(chr(0xFEFF))}"
        return at, line, body
    raise NormalizationError("is empty: no header row", field=name)


def _runs(at: int, body: Iterator[_Numbered]) -> Iterator[tuple[str, list[_Numbered]]]:
    """Adjacent rows of one transaction; a row with no transaction id is a run of its own."""
    for tid, run in groupby(body, key=lambda row: _cell(row[1], at) or f"\0{row[0]}"):
        yield tid, list(run)


def _survey(rows: _Rows, name: str, group_column: GroupColumn) -> dict[str, int]:
    """The last row of each transaction whose rows are not all adjacent."""
    at, _, body = _table(rows, name, group_column)
    seen: set[str] = set()
    repeats: dict[str, int] = {}
    for tid, run in _runs(at, body):
        if tid in seen:
            repeats[tid] = run[-1][0]
        seen.add(tid)
    return repeats


def _group(
    rows: _Rows, name: str, repeats: dict[str, int], group_column: GroupColumn
) -> Iterator[Record]:
    at, head, body = _table(rows, name, group_column)
    held: dict[str, list[_Numbered]] = {}
    for tid, run in _runs(at, body):
        if tid in repeats:
            held.setdefault(tid, []).extend(run)
            if run[-1][0] < repeats[tid]:
                continue
            run = held.pop(tid)
        numbers = [number for number, _, _ in run]
        label = ("rows " if len(numbers) > 1 else "row ") + _spans(numbers)
        document = "\n".join([head, *(line for _, _, line in run), ""])
        yield Record(raw=document.encode(), content_type="text/csv", label=label)


def _spans(numbers: list[int]) -> str:
    """``3-5, 9`` for rows 3, 4, 5 and 9."""
    spans: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], -1]:
        if number != previous + 1:
            spans.append(str(start) if start == previous else f"{start}-{previous}")
            start = number
        previous = number
    return ", ".join(spans)


def _cell(row: Sequence[str], position: int) -> str:
    return row[position].strip() if position < len(row) else ""


def _row_number(row: Sequence[str], position: int) -> int:
    value = _cell(row, position)
    return int(value) if value.isdigit() else 0


def _blank(row: Sequence[str]) -> bool:
    return not "".join(row).strip()


def _csv_rows(raw: bytes, encoding: str, name: str, text: bool) -> _Rows:
    stream = io.TextIOWrapper(io.BytesIO(raw), encoding=encoding, newline="")
    read: list[str] = []

    def lines() -> Iterator[str]:
        for line in stream:  # csv.reader asks for a line only while its row is unfinished
            read.append(line)
            yield line

    try:
        for cells in csv.reader(lines() if text else stream):
            yield cells, "".join(read).rstrip("\r\n")
            read.clear()
    except csv.Error as exc:
        raise NormalizationError(f"is not a readable CSV file ({exc})", field=name) from None


def _xlsx_as_csv(raw: bytes, name: str) -> bytes:
    """The active sheet as UTF-8 CSV, read row by row (openpyxl is too slow to read it twice)."""
    from openpyxl import load_workbook  # imported here: only XLSX imports need it

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # a broken upload fails in zipfile, the XML parser or openpyxl
        raise NormalizationError(f"is not a readable XLSX workbook ({exc})", field=name) from None
    output = io.BytesIO()
    stream = io.TextIOWrapper(output, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(stream, lineterminator="\n")
    try:
        sheet = workbook.active or workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers record a wrong size, which would cut rows off
        for values in sheet.iter_rows(values_only=True):
            writer.writerow([_cell_text(value) for value in values])
    finally:
        workbook.close()
    return output.getvalue()


def _cell_text(value: Any) -> str:
    if isinstance(value, time):  # Excel keeps times as fractions of a day: round to the second
        whole = datetime.combine(date(2000, 1, 1), value) + timedelta(microseconds=500_000)
        return whole.time().replace(microsecond=0).isoformat()
    if isinstance(value, datetime):
        return (value + timedelta(microseconds=500_000)).replace(microsecond=0).isoformat(" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)  # a float's str is its shortest exact decimal


# ----------------------------------------------------------------------------------------------
# Normalising one transaction


@dataclass
class _Row:
    number: int
    position: int
    """1 for the transaction's first row, and so on: the line id when there is no Token."""
    cells: dict[str, str]
    refund: bool
    quantity: int
    gross: Decimal
    discount: Decimal
    net: Decimal
    tax: Decimal
    at: datetime
    currency: str | None
    taxes_included: bool | None


def normalize(record: Record, context: AdapterContext) -> NormalizedOrder:
    try:
        document = record.raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        document = record.raw.decode("gb18030", errors="replace")
    try:
        reader = enumerate(csv.reader(io.StringIO(document, newline="")), start=1)
        table = [(number, cells) for number, cells in reader if not _blank(cells)]
    except csv.Error as exc:
        raise NormalizationError(f"is not a readable CSV record ({exc})") from None
    if len(table) < 2:
        raise NormalizationError("has no rows", field=record.label or None)
    columns = _columns(table[0][1], record.label or "record")
    rows = []
    for position, (number, cells) in enumerate(table[1:], start=1):
        if columns.source_row is not None:
            number = _row_number(cells, columns.source_row) or number
        rows.append(_read_row(cells, number, position, columns, context))
    ids = {row.cells["transaction_id"] for row in rows}
    if len(ids) > 1:
        raise NormalizationError(f"holds several transactions ({', '.join(sorted(ids))})")
    tid = ids.pop()
    currency = _agreed(rows, "currency", lambda row: row.currency) or context.currency
    included = _agreed(rows, "Tax Included", lambda row: row.taxes_included)
    taxes_included = included if included is not None else currency == "CNY"

    sales = [row for row in rows if not row.refund]
    basis = sales or rows
    lines = [_line(row, columns) for row in basis]
    for row in rows:
        if row.refund and sales:
            _refund(lines, row, tid, columns)
    for line in lines if not sales else []:
        line["refunded_quantity"] = line["quantity"]
    sold = sum(line["quantity"] for line in lines)
    refunded = sold > 0 and all(line["refunded_quantity"] == line["quantity"] for line in lines)
    tax = sum((row.tax for row in basis), _ZERO)
    net = sum((row.net for row in basis), _ZERO)
    events = dict.fromkeys(row.cells["event_type"] for row in rows if row.cells["event_type"])
    notes = dict.fromkeys(row.cells["notes"] for row in rows if row.cells["notes"])
    times = [row.at for row in rows]
    try:
        return NormalizedOrder(
            channel="pos_csv",
            external_id=tid if sales else f"{tid}/return/{min(times):%Y%m%dT%H%M%S}",
            status=OrderStatus.REFUNDED if refunded or not sales else OrderStatus.COMPLETED,
            raw_status=", ".join(events) or None,
            currency=currency,
            created_at=min(times),
            paid_at=min(row.at for row in sales) if sales else None,
            updated_at=max(times),
            buyer=Buyer(
                name=_first(rows, "customer_name"), channel_buyer_id=_first(rows, "customer_id")
            ),
            lines=[Line(**line) for line in lines],
            discount=sum((row.discount for row in basis), _ZERO),
            tax=tax,
            taxes_included=taxes_included,
            total=net if taxes_included else net + tax,
            notes=Notes(seller="; ".join(notes) or None),
        )
    except ValidationError as exc:
        raise NormalizationError(
            describe_validation_error(exc), field=f"transaction {tid}"
        ) from None


def _read_row(
    cells: list[str], number: int, position: int, columns: _Columns, context: AdapterContext
) -> _Row:
    values = columns.values(cells)

    def where(field: str) -> str:
        return columns.where(number, field)

    if not values["transaction_id"]:
        raise NormalizationError("is blank", field=where("transaction_id"))
    try:
        quantity = _quantity(values["qty"])
    except _BadValue as exc:
        raise NormalizationError(str(exc), field=where("qty")) from None
    amounts: dict[str, Decimal | None] = dict.fromkeys(MONEY_COLUMNS)
    currencies: set[str] = set()
    for field in ("gross_sales", "net_sales", "discounts", "tax"):
        if field in columns.index:
            try:
                amounts[field], symbol = _amount(values[field])
            except _BadValue as exc:
                raise NormalizationError(str(exc), field=where(field)) from None
            if symbol:
                currencies.add(symbol)
    if len(currencies) > 1:
        raise NormalizationError(
            f"amounts in {' and '.join(sorted(currencies))}", field=where("currency")
        )
    event = values["event_type"].casefold()
    if event and event not in PAYMENT_EVENTS | REFUND_EVENTS:
        message = f"{values['event_type']!r} is neither a payment nor a refund"
        raise NormalizationError(message, field=where("event_type"))
    refund = event in REFUND_EVENTS if event else quantity < 0
    if quantity < 0 and not refund:
        raise NormalizationError(f"{values['qty']!r} is negative on a sale", field=where("qty"))
    # Refund rows come negative (Square) or positive (Chinese POS): both are units given back.
    gross, net = (
        None if x is None else abs(x) if refund else x for x in map(amounts.get, MONEY_COLUMNS)
    )
    discount = abs(amounts.get("discounts") or _ZERO)
    tax = amounts.get("tax") or _ZERO
    return _Row(
        number=number,
        position=position,
        cells=values,
        refund=refund,
        quantity=abs(quantity),
        gross=gross if gross is not None else (net or _ZERO) + discount,
        discount=discount,
        net=net if net is not None else (gross or _ZERO) - discount,
        tax=abs(tax) if refund else tax,
        at=_when(values, where, context),
        currency=currencies.pop() if currencies else None,
        taxes_included=_flag(values["taxes_included"], lambda: where("taxes_included")),
    )


def _line(row: _Row, columns: _Columns) -> dict[str, Any]:
    if row.quantity == 0 and row.gross:
        raise NormalizationError(f"is 0 for {row.gross}", field=columns.where(row.number, "qty"))
    places = Decimal(1).scaleb(min(-2, int(row.gross.as_tuple().exponent)))
    try:
        unit = (row.gross / (row.quantity or 1)).quantize(places, ROUND_HALF_UP)
    except InvalidOperation:
        raise NormalizationError(f"{row.gross} is too large", field=f"row {row.number}") from None
    return {
        "external_line_id": row.cells["token"] or str(row.position),
        "sku": text(row.cells["sku"]),
        "title": row.cells["item"],
        "quantity": row.quantity,
        "unit_price": unit,
        "discount": row.discount,
        "total": row.net,
        "refunded_quantity": 0,
    }


def _refund(lines: list[dict[str, Any]], row: _Row, tid: str, columns: _Columns) -> None:
    sku = text(row.cells["sku"])
    key, value = ("sku", sku) if sku else ("title", row.cells["item"])
    left = row.quantity
    for line in (line for line in lines if line[key] == value):
        share = min(left, line["quantity"] - line["refunded_quantity"])
        line["refunded_quantity"] += share
        left -= share
    if left:
        message = f"refunds {row.quantity} of {key} {value!r}: transaction {tid} has " + (
            f"only {row.quantity - left} sold and not refunded" if left < row.quantity else "none"
        )
        raise NormalizationError(message, field=columns.where(row.number, "qty"))


def _agreed(rows: list[_Row], name: str, read: Callable[[_Row], Any]) -> Any:
    """The one value the transaction's rows give, or None when none gives one."""
    found: dict[Any, int] = {}
    for row in rows:
        if read(row) is not None:
            found.setdefault(read(row), row.number)
    if len(found) > 1:
        (first, _), (second, number) = list(found.items())[:2]
        raise NormalizationError(
            f"{second} where earlier rows say {first}", field=f"row {number}: {name}"
        )
    return next(iter(found), None)


def _first(rows: list[_Row], field: str) -> str | None:
    return next((row.cells[field] for row in rows if row.cells[field]), None)


# ----------------------------------------------------------------------------------------------
# Values


class _BadValue(ValueError):
    """A cell that cannot be read; the caller adds which row and column it is."""


# Value parsers are cached: a POS export repeats the same prices, quantities and dates on
# thousands of rows, and Decimal and str results are immutable.


@lru_cache(maxsize=4096)
def _quantity(value: str) -> int:
    cleaned = value.replace("−", "-").replace(" ", "")
    if not _NUMBER.fullmatch(cleaned):
        raise _BadValue(f"{value!r} is not a number" if value else "is blank")
    number = Decimal(cleaned.replace(",", ""))
    if number != number.to_integral_value():
        raise _BadValue(f"{value!r} is not a whole number")
    return int(number)


@lru_cache(maxsize=4096)
def _amount(value: str) -> tuple[Decimal, str | None]:
    """An amount and the currency its symbol names; blank is zero."""
    cleaned = value.replace("−", "-")
    if not cleaned:
        return _ZERO, None
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    match = _MONEY.fullmatch(cleaned[1:-1].strip() if negative else cleaned)
    if match is None:
        raise _BadValue(f"{value!r} is not a number")
    codes = {SYMBOLS.get(code, code) for code in (match["sym"], match["code"]) if code}
    amount = Decimal(match["num"].replace(",", ""))
    if len(codes) > 1 or amount.adjusted() >= 15:
        raise _BadValue(f"{value!r} is not a single amount")
    if [negative, match["s1"] == "-", match["s2"] == "-"].count(True) % 2:
        amount = -amount
    cents = amount.quantize(_ZERO)  # "45" is 45.00; "4.995" keeps its places
    return (cents if cents == amount else amount), (codes.pop() if codes else None)


def _flag(value: str, where: Callable[[], str]) -> bool | None:
    if value and value.casefold() not in YES | NO:
        raise NormalizationError(f"{value!r} is not yes or no", field=where())
    return (value.casefold() in YES) if value else None


def _when(values: dict[str, str], where: Callable[[str], str], context: AdapterContext) -> datetime:
    day_text, time_text, zone_text = values["date"], values["time"], values["time_zone"]
    if not day_text:
        raise NormalizationError("is blank", field=where("date"))
    try:
        day, clock, offset = _day(day_text)
        if time_text:
            clock = _clock(time_text)
    except _BadValue as exc:
        column = "time" if time_text and "time" in exc.args[1:] else "date"
        raise NormalizationError(str(exc.args[0]), field=where(column)) from None
    if offset is not None and not time_text:
        return offset  # an explicit offset says more than the zone column
    zone = _zone(zone_text) if zone_text else context.time_zone
    if zone is None:
        raise NormalizationError(
            f"{zone_text!r} is not a known time zone", field=where("time_zone")
        )
    return datetime.combine(day, clock).replace(tzinfo=zone).astimezone(UTC)


@lru_cache(maxsize=4096)
def _day(value: str) -> tuple[date, time, datetime | None]:
    """A date cell: the day, the time it carries (midnight if none) and, when it has an offset,
    the moment in UTC."""
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return (*_date(value), None)
    moment = stamp.astimezone(UTC) if stamp.tzinfo is not None else None
    return stamp.date(), stamp.time(), moment


def _date(value: str) -> tuple[date, time]:
    match = _YMD.match(value) or _SLASHED.match(value)
    if match is None:
        raise _BadValue(f"{value!r} is not a date")
    first, second, third = (int(part) for part in match.groups())
    if match.re is _YMD:
        year, month, day = first, second, third
    else:
        year = third + 2000 if third < 100 else third
        month, day = (second, first) if first > 12 else (first, second)
    try:
        result = date(year, month, day)
    except ValueError:
        raise _BadValue(f"{value!r} is not a date") from None
    rest = value[match.end() :].strip().removeprefix("T")
    return result, (_clock(rest, column="date") if rest else time(0))


@lru_cache(maxsize=4096)
def _clock(value: str, column: str = "time") -> time:
    """A time of day; a bad one raises :class:`_BadValue` naming ``column``."""
    match = _TIME.fullmatch(value)
    if match is None:
        if _YMD.match(value):  # a time cell some writers store as a date-time on 1899-12-30
            try:
                return _date(value)[1]
            except _BadValue as exc:
                raise _BadValue(exc.args[0], column) from None
        raise _BadValue(f"{value!r} is not a time", column)
    hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"] or 0)
    if match["cn"] or match["ampm"]:
        afternoon = match["cn"] == "下午" or match["ampm"] in ("P", "p")
        hour = hour % 12 + (12 if afternoon else 0) if 1 <= hour <= 12 else 99
    if hour > 23 or minute > 59 or second > 59:
        raise _BadValue(f"{value!r} is not a time", column)
    return time(hour, minute, second)


@lru_cache(maxsize=256)
def _zone(value: str) -> tzinfo | None:
    """An IANA name, a name of :data:`ZONE_NAMES` or a UTC offset; None when unknown."""
    name = ZONE_NAMES.get(value.casefold(), value)
    match = _OFFSET.fullmatch(name)
    if match is None:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            return None
    hours, minutes = int(match[2]), int(match[3] or 0)
    if hours > 14 or minutes > 59:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if match[1] == "-" else offset)


ADAPTER = Adapter(code="pos_csv", normalize=normalize, split=split, file_types=("csv", "xlsx"))
