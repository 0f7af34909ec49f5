"""Any spreadsheet a store or a small platform exports (CSV or XLSX), read by a column mapping.

Platform code ``csv``. The mapping is built by a person on the account's mapping page (no code)
and saved in ``ChannelAccount.options["column_mapping"]``; the adapter reads it from
``AdapterContext.options``. Its JSON shape (every key but ``columns`` is optional)::

    {
      "columns": {                     # target field -> the file's header text
        "order_id": "订单编号", "sku": "商家编码", "title": "商品名称", "quantity": "数量",
        "unit_price": "单价", "created_at": "下单时间", "status": "订单状态", ...
      },
      "money_unit": "major",           # "major": 12.50 yuan/dollars; "minor": 1250 fen/cents
      "date_format": "auto",           # "auto", "unix" (seconds or ms), or "%d/%m/%Y %H:%M"
      "time_zone": "",                 # zone of naive times; "" = the account's zone
      "currency": "",                  # "": a currency column, money symbols, else the account's
      "status_map": {"已付款": "paid"}, # the file's status text -> unified status
      "default_status": "paid",        # when no status column is mapped
      "order_values": "first",         # "first": order columns repeat or sit on the first row;
                                       # "sum": each row carries its share (shipping, total ...)
      "taxes_included": false
    }

Target fields are :data:`ORDER_FIELDS` (one value per order) and :data:`LINE_FIELDS` (one per
row). Required: ``order_id``; ``unit_price`` or ``line_total``; ``title`` or ``sku``.

Rows are one line each and group into orders by the ``order_id`` column; the reading, the
encodings (UTF-8, else GB18030), XLSX and the streaming grouping are those of
:mod:`~omnioms.channels.adapters.pos_csv` (:func:`~.pos_csv.split_rows`), so an order's rows
need not be adjacent and each record names the file rows it came from.

Amounts: ``unit_price`` is per unit before discount, ``line_total`` after the line's discount.
With only one of the two the other is derived (a unit price that is not exact to the cent is
rounded half-up and the line keeps the file's total). ``line_discount`` defaults to what unit
price × quantity exceeds the line total. The order's ``total`` is the ``order_total`` column,
else lines + shipping + tax (unless included) − order discount.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import ValidationError

from omnioms.channels.adapters.base import (
    Adapter,
    AdapterContext,
    NormalizationError,
    Record,
    parse_unix,
    text,
)
from omnioms.channels.adapters.manual import describe_validation_error
from omnioms.channels.adapters.pos_csv import (
    SYMBOLS,
    _amount,
    _blank,
    _cell,
    _date,
    _key,
    _quantity,
    _row_number,
    _zone,
    source_row_column,
    split_rows,
)
from omnioms.channels.contract import Address, Buyer, Line, NormalizedOrder, Notes
from omnioms.core.choices import OrderStatus

_T = TypeVar("_T")

OPTION = "column_mapping"
"""The key of ``ChannelAccount.options`` that holds the mapping."""

ORDER_FIELDS = (
    "order_id", "status", "currency", "created_at", "paid_at", "updated_at",
    "buyer_name", "buyer_phone", "buyer_email", "buyer_id",
    "ship_name", "ship_phone", "country", "province", "city", "district", "address", "postal_code",
    "shipping", "order_discount", "tax", "order_total", "buyer_note", "seller_note",
)  # fmt: skip
LINE_FIELDS = ("line_id", "sku", "title", "quantity", "unit_price", "line_total", "line_discount")
FIELDS = ORDER_FIELDS + LINE_FIELDS
SUMMABLE = frozenset({"shipping", "order_discount", "tax", "order_total"})
"""Order amounts that ``"order_values": "sum"`` adds up over the order's rows."""
MONEY_FIELDS = SUMMABLE | {"unit_price", "line_total", "line_discount"}
TIME_FIELDS = frozenset({"created_at", "paid_at", "updated_at"})

MONEY_UNITS = ("major", "minor")
ORDER_VALUES = ("first", "sum")
DATE_AUTO, DATE_UNIX = "auto", "unix"

_CODE = re.compile(r"[A-Z]{3}")
_ZERO = Decimal("0.00")


class MappingError(NormalizationError):
    """The mapping itself is wrong (not the file): names the mapping's key."""

    def __init__(self, message: str, *, key: str = "") -> None:
        super().__init__(message, field=f"{OPTION}.{key}" if key else OPTION)


@dataclass(frozen=True)
class ColumnMapping:
    columns: dict[str, str]
    money_unit: str = "major"
    date_format: str = DATE_AUTO
    time_zone: str = ""
    currency: str = ""
    status_map: dict[str, str] = field(default_factory=dict)
    default_status: str = OrderStatus.PAID.value
    order_values: str = "first"
    taxes_included: bool = False

    def as_options(self) -> dict[str, Any]:
        """The JSON saved in ``ChannelAccount.options["column_mapping"]``."""
        return {
            "columns": dict(self.columns),
            "money_unit": self.money_unit,
            "date_format": self.date_format,
            "time_zone": self.time_zone,
            "currency": self.currency,
            "status_map": dict(self.status_map),
            "default_status": self.default_status,
            "order_values": self.order_values,
            "taxes_included": self.taxes_included,
        }

    def zone(self, context: AdapterContext) -> tzinfo:
        return (_zone(self.time_zone) if self.time_zone else None) or context.time_zone


def read_mapping(options: Mapping[str, Any]) -> ColumnMapping:
    """The account's mapping, checked; :class:`MappingError` names what is wrong with it."""
    data = options.get(OPTION) if isinstance(options, Mapping) else None
    if not data:
        raise MappingError(
            "no column mapping is set for this account: build one on its spreadsheet mapping page"
        )
    try:
        return _parse_mapping(json.dumps(data, sort_keys=True, ensure_ascii=False))
    except TypeError:
        raise MappingError("is not a JSON object") from None


@lru_cache(maxsize=32)
def _parse_mapping(document: str) -> ColumnMapping:
    """Parsed once per distinct mapping: every record of an import repeats the same one."""
    data = json.loads(document)
    if not isinstance(data, dict):
        raise MappingError("is not a JSON object")
    unknown = sorted(set(data) - set(ColumnMapping.__dataclass_fields__))
    if unknown:
        raise MappingError(f"unknown setting(s) {', '.join(unknown)}")
    columns = data.get("columns")
    if not isinstance(columns, dict):
        raise MappingError("must map target fields to column names", key="columns")
    columns = {key: value for key, value in columns.items() if value not in (None, "")}
    for key, value in columns.items():
        if key not in FIELDS:
            raise MappingError(f"{key!r} is not a target field", key="columns")
        if not isinstance(value, str):
            raise MappingError(f"{value!r} is not a column name", key=f"columns.{key}")
    if "order_id" not in columns:
        raise MappingError("choose the column that holds the order id", key="columns.order_id")
    if "unit_price" not in columns and "line_total" not in columns:
        raise MappingError("choose a unit price or a line total column", key="columns.unit_price")
    if "title" not in columns and "sku" not in columns:
        raise MappingError("choose a title or a SKU column", key="columns.title")
    mapping = ColumnMapping(
        columns=columns,
        **{key: value for key, value in data.items() if key != "columns"},
    )
    _check_settings(mapping)
    return mapping


def _check_settings(mapping: ColumnMapping) -> None:
    choices = {"money_unit": MONEY_UNITS, "order_values": ORDER_VALUES}
    for key, allowed in choices.items():
        if getattr(mapping, key) not in allowed:
            message = f"{getattr(mapping, key)!r} is not one of {', '.join(allowed)}"
            raise MappingError(message, key=key)
    if not isinstance(mapping.date_format, str) or not (
        mapping.date_format in (DATE_AUTO, DATE_UNIX) or "%" in mapping.date_format
    ):
        raise MappingError(
            f"{mapping.date_format!r} is not auto, unix or a format like %Y-%m-%d %H:%M:%S",
            key="date_format",
        )
    if not isinstance(mapping.time_zone, str) or (
        mapping.time_zone and _zone(mapping.time_zone) is None
    ):
        raise MappingError(f"{mapping.time_zone!r} is not a known time zone", key="time_zone")
    if not isinstance(mapping.currency, str) or (
        mapping.currency and not _CODE.fullmatch(mapping.currency)
    ):
        raise MappingError(f"{mapping.currency!r} is not an ISO 4217 code", key="currency")
    if mapping.default_status not in OrderStatus.values:
        raise MappingError(f"{mapping.default_status!r} is not a status", key="default_status")
    if not isinstance(mapping.status_map, dict):
        raise MappingError("must map the file's values to statuses", key="status_map")
    for raw, status in mapping.status_map.items():
        if status not in OrderStatus.values:
            raise MappingError(f"{status!r} is not a status", key=f"status_map.{raw}")
    if not isinstance(mapping.taxes_included, bool):
        raise MappingError(f"{mapping.taxes_included!r} is not true or false", key="taxes_included")


# ----------------------------------------------------------------------------------------------
# Columns


@dataclass(frozen=True)
class _Columns:
    index: dict[str, int]
    """Target field -> position in the header."""
    header: tuple[str, ...]
    source_row: int | None

    def where(self, number: int, target: str) -> str:
        """``row 4: 数量``: the row as the file numbers it and the column as the file names it."""
        return f"row {number}: {self.header[self.index[target]].strip()}"


@lru_cache(maxsize=64)
def _resolve(
    header: tuple[str, ...], columns: tuple[tuple[str, str], ...]
) -> tuple[_Columns, tuple[str, ...]]:
    """Each mapped column's place in a header (case, spaces and a BOM ignored), and the mapped
    names the header lacks; cached, since every record of a file repeats the file's header."""
    positions: dict[str, int] = {}
    for position, name in enumerate(header):
        positions.setdefault(_key(name), position)
    index: dict[str, int] = {}
    missing: list[str] = []
    for target, name in columns:
        if _key(name) in positions:
            index[target] = positions[_key(name)]
        elif name not in missing:
            missing.append(name)
    clean = tuple(name.lstrip("\ufeff") for name in header)
    found = _Columns(index=index, header=clean, source_row=source_row_column(header))
    return found, tuple(missing)


def _columns(header: Sequence[str], mapping: ColumnMapping, where: str) -> _Columns:
    found, missing = _resolve(tuple(header), tuple(sorted(mapping.columns.items())))
    if missing:
        names = ", ".join(name.strip() for name in header if name.strip())
        raise NormalizationError(
            f"missing mapped column(s) {', '.join(missing)} (found: {names})", field=where
        )
    return found


# ----------------------------------------------------------------------------------------------
# Splitting


def split(raw: bytes, filename: str = "") -> Iterator[Record]:
    """Without an account there is no mapping, so nothing says which column is the order id."""
    raise NormalizationError(
        "the csv channel reads files with an account's column mapping: import the file into "
        "an account (omnioms import --account NAME)",
        field=filename or None,
    )


def split_with_options(raw: bytes, filename: str, context: AdapterContext) -> Iterator[Record]:
    """One ``text/csv`` record per order id, as :func:`~.pos_csv.split_rows` groups them.

    A generator: like every split, it raises (no mapping, a missing column) only once read,
    inside the caller's handling of unreadable files."""
    mapping = read_mapping(context.options)

    def order_column(header: Sequence[str], name: str) -> int:
        return _columns(header, mapping, name).index["order_id"]

    yield from split_rows(raw, filename, order_column)


# ----------------------------------------------------------------------------------------------
# Normalising one order


_BUYER = {"buyer_name": "name", "buyer_email": "email", "buyer_phone": "phone",
          "buyer_id": "channel_buyer_id"}  # fmt: skip
_ADDRESS = {"ship_name": "name", "ship_phone": "phone", "country": "country",
            "province": "province", "city": "city", "district": "district",
            "address": "address", "postal_code": "postal_code"}  # fmt: skip


@dataclass
class _Line:
    number: int
    line_id: str
    sku: str | None
    title: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    total: Decimal


def normalize(record: Record, context: AdapterContext) -> NormalizedOrder:
    mapping = read_mapping(context.options)
    table = _table(record)
    columns = _columns(table[0][1], mapping, record.label or "record")
    reader = _Reader(mapping, columns, context)
    rows = []
    for number, cells in table[1:]:
        if columns.source_row is not None:
            number = _row_number(cells, columns.source_row) or number
        rows.append((number, {target: _cell(cells, at) for target, at in columns.index.items()}))
    ids = {values["order_id"] for _, values in rows}
    if "" in ids:
        number = next(number for number, values in rows if not values["order_id"])
        raise NormalizationError("is blank", field=columns.where(number, "order_id"))
    if len(ids) > 1:
        raise NormalizationError(f"holds several orders ({', '.join(sorted(ids))})")
    order_id = ids.pop()
    order = reader.order_values(rows)
    lines = [reader.line(number, cells, n) for n, (number, cells) in enumerate(rows, start=1)]
    seen: dict[str, int] = {}
    for line in lines:
        if line.line_id in seen:
            raise NormalizationError(
                f"line id {line.line_id!r} repeats row {seen[line.line_id]}",
                field=columns.where(line.number, "line_id"),
            )
        seen[line.line_id] = line.number
    currency = reader.currency(order)
    shipping = order.get("shipping", _ZERO)
    tax = order.get("tax", _ZERO)
    order_discount = order.get("order_discount", _ZERO)
    goods = sum((line.total for line in lines), _ZERO)
    computed = goods + shipping + (_ZERO if mapping.taxes_included else tax) - order_discount
    status, raw_status = reader.status(order)
    address = {name: order[target] for target, name in _ADDRESS.items() if target in order}
    try:
        return NormalizedOrder(
            channel="csv",
            external_id=order_id,
            status=status,
            raw_status=raw_status,
            currency=currency,
            created_at=order.get("created_at"),
            paid_at=order.get("paid_at"),
            updated_at=order.get("updated_at"),
            buyer=Buyer(**{name: order[t] for t, name in _BUYER.items() if t in order}),
            ship_to=Address(**address) if address else None,
            lines=[
                Line(
                    external_line_id=line.line_id,
                    sku=line.sku,
                    title=line.title,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    discount=line.discount,
                    total=line.total,
                )
                for line in lines
            ],
            shipping=shipping,
            discount=sum((line.discount for line in lines), order_discount),
            tax=tax,
            taxes_included=mapping.taxes_included,
            total=order.get("order_total", computed),
            notes=Notes(buyer=order.get("buyer_note"), seller=order.get("seller_note")),
        )
    except ValidationError as exc:
        raise NormalizationError(
            describe_validation_error(exc), field=f"order {order_id}"
        ) from None


def _table(record: Record) -> list[tuple[int, list[str]]]:
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
    return table


def _cell_value(parse: Callable[[str], _T], cell: str, where: str) -> _T:
    """A value read by one of :mod:`.pos_csv`'s parsers, its error naming row and column."""
    try:
        return parse(cell)
    except ValueError as exc:  # pos_csv's _BadValue, or a NormalizationError
        message = getattr(exc, "message", None) or str(exc.args[0] if exc.args else exc)
        raise NormalizationError(message, field=where) from None


class _Reader:
    """Reads one order's cells by the mapping; every error names the row and the column."""

    def __init__(self, mapping: ColumnMapping, columns: _Columns, context: AdapterContext) -> None:
        self.mapping = mapping
        self.columns = columns
        self.context = context
        self.zone = mapping.zone(context)
        self.symbols: dict[str, int] = {}
        """Currencies named by money symbols, with the first row naming each."""
        self.source: dict[str, int] = {}
        """Order field -> the row its value was read from, for errors found later."""

    def where(self, number: int, target: str) -> str:
        return self.columns.where(number, target)

    def order_values(self, rows: list[tuple[int, dict[str, str]]]) -> dict[str, Any]:
        """One value per order field: the first row that has one (others must agree), or the
        sum of the rows' amounts where the mapping says each row carries its share."""
        values: dict[str, Any] = {}
        first: dict[str, tuple[int, str]] = {}
        for target in (t for t in ORDER_FIELDS if t in self.columns.index and t != "order_id"):
            summed = self.mapping.order_values == "sum" and target in SUMMABLE
            for number, cells in rows:
                cell = cells[target]
                if not cell:
                    continue
                if summed:
                    values[target] = values.get(target, _ZERO) + self.money(cell, number, target)
                    continue
                if target in first:
                    if cell != first[target][1]:
                        raise NormalizationError(
                            f"{cell!r} where row {first[target][0]} says {first[target][1]!r}",
                            field=self.where(number, target),
                        )
                    continue
                first[target] = (number, cell)
                self.source[target] = number
                values[target] = self.value(cell, number, target)
        return {key: value for key, value in values.items() if value is not None}

    def value(self, cell: str, number: int, target: str) -> Any:
        if target in MONEY_FIELDS:
            return self.money(cell, number, target)
        if target in TIME_FIELDS:
            return self.time(cell, number, target)
        return cell

    def line(self, number: int, cells: dict[str, str], position: int) -> _Line:
        if "quantity" in cells:
            quantity = _cell_value(_quantity, cells["quantity"], self.where(number, "quantity"))
            if quantity < 0:
                raise NormalizationError(
                    f"{cells['quantity']!r} is negative", field=self.where(number, "quantity")
                )
        else:
            quantity = 1
        sku, title = text(cells.get("sku")), cells.get("title", "")
        if sku is None and not title:
            where = self.where(number, "title" if "title" in cells else "sku")
            raise NormalizationError("is blank: a line needs a title or a SKU", field=where)
        unit = self.amount(cells, number, "unit_price")
        total = self.amount(cells, number, "line_total")
        discount = self.amount(cells, number, "line_discount")
        if unit is None and total is None:
            target = "unit_price" if "unit_price" in cells else "line_total"
            raise NormalizationError("is blank", field=self.where(number, target))
        if unit is not None and total is not None and discount is None:
            # Both amounts given and no discount column: the difference is the discount.
            discount = max(unit * quantity - total, _ZERO) if "line_discount" not in cells else None
        discount = discount or _ZERO
        if unit is None:
            assert total is not None
            unit = self._unit_price(total + discount, quantity, number)
        elif total is None:
            total = unit * quantity - discount
        return _Line(
            number=number,
            line_id=cells.get("line_id") or str(position),
            sku=sku,
            title=title,
            quantity=quantity,
            unit_price=unit,
            discount=discount,
            total=total,
        )

    def _unit_price(self, gross: Decimal, quantity: int, number: int) -> Decimal:
        if quantity == 0:
            if gross:
                raise NormalizationError(f"is 0 for {gross}", field=self.where(number, "quantity"))
            return _ZERO
        places = Decimal(1).scaleb(min(-2, int(gross.as_tuple().exponent)))
        return (gross / quantity).quantize(places, ROUND_HALF_UP)

    def amount(self, cells: dict[str, str], number: int, target: str) -> Decimal | None:
        cell = cells.get(target, "")
        return self.money(cell, number, target) if cell else None

    def money(self, cell: str, number: int, target: str) -> Decimal:
        where = self.where(number, target)
        amount, symbol = _cell_value(_amount, cell, where)
        if symbol:
            self.symbols.setdefault(symbol, number)
        if self.mapping.money_unit == "minor":
            if amount != amount.to_integral_value():
                raise NormalizationError(
                    f"{cell!r} is not a whole number of fen or cents", field=where
                )
            try:
                amount = amount.scaleb(-2).quantize(_ZERO)
            except InvalidOperation:
                raise NormalizationError(f"{cell!r} is too large an amount", field=where) from None
        return amount

    def time(self, cell: str, number: int, target: str) -> datetime | None:
        where = self.where(number, target)
        fmt = self.mapping.date_format
        if cell.startswith("0001-01-01"):
            return None  # an exporter's "not yet" (JD's unpaid payment time)
        if fmt == DATE_UNIX:
            return parse_unix(cell, where)
        parsed: datetime | None = None
        if fmt != DATE_AUTO:
            try:
                parsed = datetime.strptime(cell, fmt)
            except ValueError:
                parsed = None
        if parsed is None:
            try:  # XLSX date cells arrive as ISO text whatever the format says
                parsed = datetime.fromisoformat(cell.replace("Z", "+00:00"))
            except ValueError:
                if fmt != DATE_AUTO:
                    raise NormalizationError(
                        f"{cell!r} does not match the date format {fmt}", field=where
                    ) from None
                day, clock = _cell_value(_date, cell, where)
                parsed = datetime.combine(day, clock)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.zone)
        return parsed.astimezone(UTC)

    def currency(self, order: dict[str, Any]) -> str:
        named = order.get("currency")
        if named is not None:
            code = SYMBOLS.get(named.strip(), named.strip().upper())
            if not _CODE.fullmatch(code):
                raise NormalizationError(
                    f"{named!r} is not a currency code",
                    field=self.where(self.source["currency"], "currency"),
                )
        else:
            code = self.mapping.currency or next(iter(self.symbols), "") or self.context.currency
        for symbol, number in self.symbols.items():
            if symbol != code:
                raise NormalizationError(
                    f"an amount in {symbol} on an order in {code}", field=f"row {number}"
                )
        return code

    def status(self, order: dict[str, Any]) -> tuple[OrderStatus, str | None]:
        raw = order.get("status")
        if raw is None:
            return OrderStatus(self.mapping.default_status), None
        mapped = self.mapping.status_map.get(raw)
        if mapped is None:
            folded = {
                key.strip().casefold(): value for key, value in self.mapping.status_map.items()
            }
            mapped = folded.get(raw.casefold())
        if mapped is None and raw.casefold() in OrderStatus.values:
            mapped = raw.casefold()
        if mapped is None:
            known = ", ".join(repr(key) for key in self.mapping.status_map) or "none"
            raise NormalizationError(
                f"{raw!r} is not in the status mapping (mapped values: {known})",
                field=self.where(self.source["status"], "status"),
            )
        return OrderStatus(mapped), raw


ADAPTER = Adapter(
    code="csv",
    normalize=normalize,
    split=split,
    split_with_options=split_with_options,
    file_types=("csv", "xlsx"),
)
