"""Production master data as a workbook: read and checked whole, or written for editing.

Factories keep their BOMs, routings and work centres in spreadsheets. One sheet per table
(``work_centres``, ``boms``, ``routings``, ``calendars``, ``shifts``, ``calendar_days``; every
sheet optional), a header row naming the columns in English or Chinese, one row per record.
Reading is pure: :func:`read_workbook` returns every row as data, or every problem found with
its sheet, row and column; the service writes nothing unless there is no problem at all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

MAX_ROWS = 100_000


@dataclass(frozen=True)
class Column:
    key: str
    english: str
    chinese: str
    required: bool = True


SHEETS: dict[str, tuple[str, list[Column]]] = {
    "work_centres": (
        "工作中心",
        [
            Column("code", "code", "编码"),
            Column("name", "name", "名称"),
            Column("machines", "machines", "机台数"),
            Column("calendar", "calendar", "日历"),
            Column("hourly_cost", "hourly cost", "小时成本", required=False),
            Column("currency", "currency", "币种", required=False),
            Column("site", "site", "厂区", required=False),
        ],
    ),
    "boms": (
        "物料清单",
        [
            Column("sku", "sku", "产品编码"),
            Column("version", "version", "版本"),
            Column("effective_from", "effective from", "生效日期"),
            Column("effective_to", "effective to", "失效日期", required=False),
            Column("component", "component", "子件编码"),
            Column("quantity_per", "quantity per unit", "单位用量"),
            Column("scrap_factor", "scrap factor", "损耗率", required=False),
        ],
    ),
    "routings": (
        "工艺路线",
        [
            Column("sku", "sku", "产品编码"),
            Column("version", "version", "版本"),
            Column("effective_from", "effective from", "生效日期"),
            Column("effective_to", "effective to", "失效日期", required=False),
            Column("sequence", "sequence", "工序号"),
            Column("operation", "operation", "工序名称"),
            Column("work_centre", "work centre", "工作中心"),
            Column("alternatives", "alternatives", "替代工作中心", required=False),
            Column("setup_minutes", "setup minutes", "准备时间(分钟)", required=False),
            Column("run_seconds_per_unit", "run seconds per unit", "单件工时(秒)"),
            Column("min_transfer_batch", "minimum transfer batch", "最小转移批量", required=False),
        ],
    ),
    "calendars": (
        "日历",
        [
            Column("code", "code", "编码"),
            Column("name", "name", "名称"),
            Column("time_zone", "time zone", "时区", required=False),
        ],
    ),
    "shifts": (
        "班次",
        [
            Column("calendar", "calendar", "日历"),
            Column("weekday", "weekday", "星期"),
            Column("name", "name", "名称", required=False),
            Column("start", "start", "开始"),
            Column("end", "end", "结束"),
            Column("breaks", "breaks", "休息", required=False),
        ],
    ),
    "calendar_days": (
        "特殊日期",
        [
            Column("calendar", "calendar", "日历"),
            Column("date", "date", "日期"),
            Column("kind", "kind", "类型"),
            Column("works_like", "works like", "按星期", required=False),
            Column("note", "note", "备注", required=False),
        ],
    ),
}

WEEKDAYS = {
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{
        name: i
        for i, name in enumerate(
            ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
        )
    },
    **{name: i for i, name in enumerate(("周一", "周二", "周三", "周四", "周五", "周六", "周日"))},
    "星期天": 6,
    "周天": 6,
}
DAY_KINDS = {
    "holiday": "holiday",
    "假日": "holiday",
    "节假日": "holiday",
    "workday": "workday",
    "调休": "workday",
    "补班": "workday",
}


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = _("sheet %(sheet)s, row %(row)s") % {"sheet": self.sheet, "row": self.row}
        if self.column:
            where += _(", column %(column)s") % {"column": self.column}
        return f"{where}: {self.message}"


@dataclass
class ReadResult:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


class _Row:
    """One row being read: typed values, problems named with the row's sheet and number."""

    def __init__(self, sheet: str, number: int, cells: dict[str, Any], found: ReadResult) -> None:
        self.sheet, self.number, self.cells, self.found = sheet, number, cells, found
        self.ok = True

    def problem(self, column: str, message: str) -> None:
        self.ok = False
        self.found.problems.append(Problem(self.sheet, self.number, column, message))

    def get(self, key: str, parse: Callable[[Any], Any], *, required: bool = True) -> Any:
        value = self.cells.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(key, _("is required"))
            return None
        try:
            return parse(value)
        except (ValueError, InvalidOperation, TypeError) as exc:
            self.problem(key, str(exc) or _("is not valid"))
            return None


def text(limit: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        result = str(value).strip()
        if "\x00" in result:
            raise ValueError(_("contains the NUL character"))
        if len(result) > limit:
            raise ValueError(_("is longer than %(n)s characters") % {"n": limit})
        return result

    return parse


def number(
    *, minimum: Decimal = Decimal(0), places: int = 6, above: bool = False
) -> Callable[[Any], Decimal]:
    def parse(value: Any) -> Decimal:
        if isinstance(value, bool):
            raise ValueError(_("is not a number"))
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(_("%(value)r is not a number") % {"value": value}) from None
        if not result.is_finite():
            raise ValueError(_("is not a number"))
        if result < minimum or (above and result == minimum):
            raise ValueError(
                (_("must be more than %(n)s") if above else _("must be at least %(n)s"))
                % {"n": minimum}
            )
        if result != result.quantize(Decimal(1).scaleb(-places)):
            raise ValueError(_("has more than %(n)s decimal places") % {"n": places})
        if result >= Decimal(10) ** 12:
            raise ValueError(_("is too large"))
        return result

    return parse


def whole(*, minimum: int = 0, maximum: int = 2_147_483_647) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        result = number(minimum=Decimal(minimum), places=0)(value)
        if result > maximum:
            raise ValueError(_("must be at most %(n)s") % {"n": maximum})
        return int(result)

    return parse


def day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(_("%(value)r is not a date (YYYY-MM-DD)") % {"value": value}) from None


def clock(value: Any) -> time:
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(_("%(value)r is not a time (HH:MM)") % {"value": value}) from None


def weekday(value: Any) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value <= 7:
        return int(value) - 1  # 1 = Monday, as people number them
    key = str(value).strip().lower()
    if key.isdigit() and 1 <= int(key) <= 7:
        return int(key) - 1
    if key in WEEKDAYS:
        return WEEKDAYS[key]
    raise ValueError(_("%(value)r is not a weekday (1-7 or Monday-Sunday)") % {"value": value})


def day_kind(value: Any) -> str:
    key = str(value).strip().lower()
    if key in DAY_KINDS:
        return DAY_KINDS[key]
    raise ValueError(_("%(value)r is not holiday or workday") % {"value": value})


def breaks(value: Any) -> list[tuple[time, time]]:
    """``12:00-13:00; 17:00-17:30``."""
    out = []
    for part in str(value).replace("；", ";").split(";"):
        if not part.strip():
            continue
        begin, _dash, end = part.partition("-")
        if not _dash:
            raise ValueError(
                _("%(value)r is not a break like 12:00-13:00") % {"value": part.strip()}
            )
        out.append((clock(begin), clock(end)))
    return out


def codes(value: Any) -> list[str]:
    return [code.strip() for code in str(value).replace("，", ",").split(",") if code.strip()]


# ----------------------------------------------------------------------------------------------


def read_workbook(data: bytes) -> ReadResult:
    """Every row of every known sheet as typed values, or the problems found. Pure."""
    found = ReadResult()
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        found.problems.append(Problem("-", 0, "", _("the file is not an Excel workbook (.xlsx)")))
        return found
    names = {_sheet_key(name): name for name in book.sheetnames}
    if not set(names) & set(SHEETS):
        found.problems.append(
            Problem(
                "-",
                0,
                "",
                _("no known sheet; name them %(names)s") % {"names": ", ".join(SHEETS)},
            )
        )
        return found
    for key, (_chinese, columns) in SHEETS.items():
        if key not in names:
            continue
        rows = list(_sheet_rows(book[names[key]], key, columns, found))
        found.rows[key] = [row for row in (_READERS[key](r, found) for r in rows) if row]
    book.close()
    return found


def _sheet_key(name: str) -> str:
    clean = name.strip().lower().replace(" ", "_")
    for key, (chinese, _columns) in SHEETS.items():
        if clean in (key, key.rstrip("s"), chinese) or (
            key == "work_centres" and clean == "work_centers"
        ):
            return key
    return clean


def _sheet_rows(sheet: Any, key: str, columns: list[Column], found: ReadResult) -> Iterator[_Row]:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        return
    names = {
        **{c.english.lower(): c.key for c in columns},
        **{c.key: c.key for c in columns},
        **{c.chinese: c.key for c in columns},
    }
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        name = names.get(str(title).strip().lower() if title is not None else "")
        if name is not None:
            positions[name] = index
    missing = [c.english for c in columns if c.required and c.key not in positions]
    if missing:
        found.problems.append(
            Problem(key, 1, ", ".join(missing), _("the header row lacks these columns"))
        )
        return
    for number_, values in enumerate(rows, start=2):
        if number_ > MAX_ROWS:
            found.problems.append(Problem(key, number_, "", _("too many rows")))
            return
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        cells = {k: values[i] if i < len(values) else None for k, i in positions.items()}
        yield _Row(key, number_, cells, found)


def _work_centre(r: _Row, found: ReadResult) -> dict[str, Any] | None:
    out = {
        "code": r.get("code", text(50)),
        "name": r.get("name", text(200)),
        "machines": r.get("machines", whole(minimum=1, maximum=10_000)),
        "calendar": r.get("calendar", text(50)),
        "hourly_cost": r.get("hourly_cost", number(places=4), required=False) or Decimal(0),
        "currency": (r.get("currency", text(3), required=False) or "CNY").upper(),
        "site": r.get("site", text(50), required=False),
        "row": r.number,
    }
    return out if r.ok else None


def _bom(r: _Row, found: ReadResult) -> dict[str, Any] | None:
    out = {
        "sku": r.get("sku", text(100)),
        "version": r.get("version", whole(minimum=1)),
        "effective_from": r.get("effective_from", day),
        "effective_to": r.get("effective_to", day, required=False),
        "component": r.get("component", text(100)),
        "quantity_per": r.get("quantity_per", number(above=True)),
        "scrap_factor": r.get("scrap_factor", number(places=4), required=False) or Decimal(0),
        "row": r.number,
    }
    if r.ok and out["scrap_factor"] >= 1:
        r.problem("scrap_factor", _("must be below 1 (0.05 is 5 %)"))
    if r.ok and out["sku"] == out["component"]:
        r.problem("component", _("a SKU cannot be its own component"))
    return out if r.ok else None


def _routing(r: _Row, found: ReadResult) -> dict[str, Any] | None:
    out = {
        "sku": r.get("sku", text(100)),
        "version": r.get("version", whole(minimum=1)),
        "effective_from": r.get("effective_from", day),
        "effective_to": r.get("effective_to", day, required=False),
        "sequence": r.get("sequence", whole(minimum=1)),
        "operation": r.get("operation", text(200)),
        "work_centre": r.get("work_centre", text(50)),
        "alternatives": r.get("alternatives", codes, required=False) or [],
        "setup_minutes": r.get("setup_minutes", number(places=2), required=False) or Decimal(0),
        "run_seconds_per_unit": r.get("run_seconds_per_unit", number(places=3)),
        "min_transfer_batch": r.get("min_transfer_batch", whole(minimum=1), required=False),
        "row": r.number,
    }
    return out if r.ok else None


def _calendar(r: _Row, found: ReadResult) -> dict[str, Any] | None:
    out = {
        "code": r.get("code", text(50)),
        "name": r.get("name", text(200)),
        "time_zone": r.get("time_zone", text(64), required=False) or "Asia/Shanghai",
        "row": r.number,
    }
    return out if r.ok else None


def _shift(r: _Row, found: ReadResult) -> dict[str, Any] | None:
    out = {
        "calendar": r.get("calendar", text(50)),
        "weekday": r.get("weekday", weekday),
        "name": r.get("name", text(50), required=False) or "",
        "start": r.get("start", clock),
        "end": r.get("end", clock),
        "breaks": r.get("breaks", breaks, required=False) or [],
        "row": r.number,
    }
    return out if r.ok else None


def _calendar_day(r: _Row, found: ReadResult) -> dict[str, Any] | None:
    out = {
        "calendar": r.get("calendar", text(50)),
        "date": r.get("date", day),
        "kind": r.get("kind", day_kind),
        "works_like": r.get("works_like", weekday, required=False),
        "note": r.get("note", text(200), required=False) or "",
        "row": r.number,
    }
    return out if r.ok else None


def slashed_day(value: Any) -> date:
    """A date as Excel writes it into a CSV file in China (2027/2/11), or ISO."""
    parts = str(value).strip().replace("/", "-").split("-")
    if len(parts) == 3 and all(part.isdigit() for part in parts):
        try:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            pass
    raise ValueError(_("%(value)r is not a date (YYYY-MM-DD)") % {"value": value})


def _day_of_file(r: _Row, found: ReadResult) -> dict[str, Any] | None:
    out = {
        "date": r.get("date", slashed_day),
        "kind": r.get("kind", day_kind),
        "works_like": r.get("works_like", weekday, required=False),
        "note": r.get("note", text(200), required=False) or "",
        "row": r.number,
    }
    if r.ok and out["kind"] == "holiday" and out["works_like"] is not None:
        r.problem("works_like", _("only a make-up working day works like a weekday"))
    return out if r.ok else None


CSV_DAY_COLUMNS = [c for c in SHEETS["calendar_days"][1] if c.key != "calendar"]
MAX_CSV_BYTES = 1_000_000


class _CsvSheet:
    def __init__(self, rows: list[list[str]]) -> None:
        self.rows = rows

    def iter_rows(self, values_only: bool = True) -> Iterator[tuple[Any, ...]]:
        return (tuple(row) for row in self.rows)


def read_calendar_days_csv(data: bytes) -> ReadResult:
    """A calendar's exceptional days from a CSV file: a header row ``date,kind,works_like,
    note`` (or the workbook's English or Chinese column names), then one day per row. UTF-8
    (with or without the BOM Excel writes) or GB18030, as Chinese Excel saves CSV. Pure."""
    found = ReadResult()
    if len(data) > MAX_CSV_BYTES:
        found.problems.append(Problem("csv", 0, "", _("the file is too large")))
        return found
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            content = data.decode("gb18030")
        except UnicodeDecodeError:
            found.problems.append(
                Problem("csv", 0, "", _("the file is not text in UTF-8 or GB18030"))
            )
            return found
    if "\x00" in content:
        found.problems.append(Problem("csv", 0, "", _("the file is not a CSV file")))
        return found
    # The header row decides the separator: Excel writes ";" or tabs in some locales.
    first = content.split("\n", 1)[0]
    delimiter = next((d for d in (",", "\t", ";") if d in first), ",")
    try:
        rows = list(csv.reader(io.StringIO(content), delimiter=delimiter))
    except csv.Error as exc:
        found.problems.append(Problem("csv", 0, "", str(exc)))
        return found
    sheet = _CsvSheet(rows)
    days = _sheet_rows(sheet, "csv", CSV_DAY_COLUMNS, found)
    found.rows["calendar_days"] = [row for row in (_day_of_file(r, found) for r in days) if row]
    seen: dict[date, int] = {}
    for row in found.rows["calendar_days"]:
        if row["date"] in seen:
            found.problems.append(
                Problem(
                    "csv", row["row"], "date", _("repeats row %(row)s") % {"row": seen[row["date"]]}
                )
            )
        seen.setdefault(row["date"], row["row"])
    if not rows:
        found.problems.append(Problem("csv", 0, "", _("the file is empty")))
    return found


_READERS: dict[str, Callable[[_Row, ReadResult], dict[str, Any] | None]] = {
    "work_centres": _work_centre,
    "boms": _bom,
    "routings": _routing,
    "calendars": _calendar,
    "shifts": _shift,
    "calendar_days": _calendar_day,
}


def write_workbook(
    tables: Mapping[str, Iterable[dict[str, Any]]], *, chinese: bool = False
) -> bytes:
    """A workbook of ``tables`` (sheet key -> rows keyed like the columns), headers in English
    or Chinese; :func:`read_workbook` reads it back unchanged."""
    book = Workbook()
    book.remove(book.active)
    for key, rows in tables.items():
        chinese_name, columns = SHEETS[key]
        sheet = book.create_sheet(chinese_name if chinese else key)
        sheet.append([c.chinese if chinese else c.english for c in columns])
        for row in rows:
            sheet.append([_cell(row.get(c.key)) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, list):
        if value and isinstance(value[0], tuple):
            return "; ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in value)
        return ", ".join(str(v) for v in value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value
