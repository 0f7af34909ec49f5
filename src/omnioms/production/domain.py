"""Pure rules of the production master data: working time, BOM explosion, standard cost.

No ORM: the services read rows into these dataclasses, and the planning, forecasting and
simulation code reuse the same functions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

# ----------------------------------------------------------------------------------------------
# Working time


@dataclass(frozen=True)
class ShiftSpec:
    weekday: int
    """0 = Monday."""
    start: time
    end: time
    """At or before ``start``: the shift runs past midnight."""
    breaks: tuple[tuple[time, time], ...] = ()


@dataclass(frozen=True)
class CalendarSpec:
    time_zone: str
    shifts: tuple[ShiftSpec, ...]
    holidays: frozenset[date] = frozenset()
    workdays: Mapping[date, int] = field(default_factory=dict)
    """Make-up working days (调休) and the weekday whose shifts they work."""

    def pattern_of(self, day: date) -> int | None:
        """Whose shifts ``day`` works: its weekday, another's, or None on a holiday."""
        if day in self.holidays:
            return None
        return self.workdays.get(day, day.weekday())


def working_intervals(
    calendar: CalendarSpec, start: date, end: date
) -> list[tuple[datetime, datetime]]:
    """Aware UTC intervals of work from ``start`` to ``end`` (inclusive days), shifts less their
    breaks, sorted and merged. A night shift belongs to the day it starts on."""
    zone = ZoneInfo(calendar.time_zone)
    by_weekday: dict[int, list[ShiftSpec]] = {}
    for shift in calendar.shifts:
        by_weekday.setdefault(shift.weekday, []).append(shift)
    pieces: list[tuple[datetime, datetime]] = []
    day = start
    while day <= end:
        pattern = calendar.pattern_of(day)
        for shift in by_weekday.get(pattern, []) if pattern is not None else []:
            pieces.extend(_shift_pieces(day, shift, zone))
        day += timedelta(days=1)
    return _merged(sorted(pieces))


def _shift_pieces(
    day: date, shift: ShiftSpec, zone: ZoneInfo
) -> Iterator[tuple[datetime, datetime]]:
    begin = datetime.combine(day, shift.start, zone)
    finish = datetime.combine(day, shift.end, zone)
    if finish <= begin:
        finish += timedelta(days=1)
    cuts = []
    for break_start, break_end in shift.breaks:
        b0 = datetime.combine(day, break_start, zone)
        if b0 < begin:
            b0 += timedelta(days=1)
        b1 = datetime.combine(b0.date(), break_end, zone)
        if b1 <= b0:
            b1 += timedelta(days=1)
        cuts.append((max(b0, begin), min(b1, finish)))
    cursor = begin
    for b0, b1 in sorted(cuts):
        if b0 > cursor:
            yield _utc(cursor), _utc(b0)
        cursor = max(cursor, b1)
    if cursor < finish:
        yield _utc(cursor), _utc(finish)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo("UTC"))


def _merged(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for begin, finish in intervals:
        if out and begin <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], finish))
        else:
            out.append((begin, finish))
    return out


def working_hours(calendar: CalendarSpec, start: date, end: date) -> Decimal:
    seconds = sum(
        (finish - begin).total_seconds()
        for begin, finish in working_intervals(calendar, start, end)
    )
    return (Decimal(int(seconds)) / 3600).quantize(Decimal("0.01"))


# ----------------------------------------------------------------------------------------------
# Bills of materials


class BomError(ValueError):
    """A bill of materials that cannot be exploded (a cycle); the message names the path."""


@dataclass(frozen=True)
class BomItem:
    component: str
    quantity_per: Decimal
    scrap_factor: Decimal = Decimal(0)

    @property
    def gross_per(self) -> Decimal:
        """What one unit of the parent uses, scrap included."""
        return self.quantity_per * (1 + self.scrap_factor)


def explode(
    sku: str,
    quantity: Decimal,
    boms: Mapping[str, Sequence[BomItem]],
) -> dict[str, Decimal]:
    """Every bought or not-further-made component and the quantity ``quantity`` of ``sku``
    needs, through every level (``boms``: the BOM in effect of each made SKU).

    Raises :class:`BomError` when a SKU contains itself at any depth.
    """
    needs: dict[str, Decimal] = {}

    def walk(code: str, amount: Decimal, path: tuple[str, ...]) -> None:
        for item in boms.get(code, ()):
            if item.component in path or item.component == code:
                raise BomError(" → ".join((*path, code, item.component)) + ": a cycle")
            amount_of = amount * item.gross_per
            if item.component in boms:
                walk(item.component, amount_of, (*path, code))
            else:
                needs[item.component] = needs.get(item.component, Decimal(0)) + amount_of

    walk(sku, quantity, ())
    return needs


def low_level_codes(boms: Mapping[str, Sequence[BomItem]]) -> dict[str, int]:
    """The deepest level each SKU appears at (0: a top-level product), the order in which net
    requirements are computed level by level. Raises :class:`BomError` on a cycle."""
    level: dict[str, int] = {}

    def visit(code: str, depth: int, path: tuple[str, ...]) -> None:
        if code in path:
            raise BomError(" → ".join((*path, code)) + ": a cycle")
        if level.get(code, -1) >= depth:
            return
        level[code] = depth
        for item in boms.get(code, ()):
            visit(item.component, depth + 1, (*path, code))

    parents = set(boms)
    children = {item.component for items in boms.values() for item in items}
    for top in sorted(parents - children) or sorted(parents):
        visit(top, 0, ())
    for code in sorted(parents | children):
        level.setdefault(code, 0)
    return level


# ----------------------------------------------------------------------------------------------
# Standard cost


@dataclass(frozen=True)
class OperationCost:
    setup_minutes: Decimal
    run_seconds_per_unit: Decimal
    hourly_cost: Decimal


def standard_cost(
    sku: str,
    *,
    boms: Mapping[str, Sequence[BomItem]],
    routings: Mapping[str, Sequence[OperationCost]],
    bought_prices: Mapping[str, Decimal],
    lot_size: Decimal = Decimal(100),
) -> Decimal | None:
    """Materials (bought prices through the BOM, scrap included) plus work (run time and the
    setup spread over ``lot_size`` units, at each work centre's hourly cost), per unit.

    None when a material has no price: a standard cost that silently leaves a material out
    would make every margin look better than it is.
    """
    memo: dict[str, Decimal | None] = {}

    def cost(code: str) -> Decimal | None:
        if code in memo:
            return memo[code]
        if code not in boms and code not in routings:
            memo[code] = bought_prices.get(code)
            return memo[code]
        total = Decimal(0)
        for item in boms.get(code, ()):
            part = cost(item.component)
            if part is None:
                memo[code] = None
                return None
            total += part * item.gross_per
        for op in routings.get(code, ()):
            seconds = op.run_seconds_per_unit + op.setup_minutes * 60 / lot_size
            total += seconds / 3600 * op.hourly_cost
        memo[code] = total
        return total

    found = cost(sku)
    return None if found is None else found.quantize(Decimal("0.0001"))
