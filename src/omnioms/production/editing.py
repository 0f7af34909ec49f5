"""Use cases of the production pages: BOM and routing versions (saved whole, copied into a new
draft, activated explicitly), a calendar's shifts, and exceptional days loaded from a file.

Each function owns its transaction; bad input raises :class:`MasterDataError` naming the
field, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.catalog.models import Sku, SkuKind
from omnioms.production.domain import (
    BomError,
    BomItem,
    OperationCost,
    explode,
    low_level_codes,
    standard_cost,
)
from omnioms.production.models import (
    Bom,
    BomLine,
    Calendar,
    CalendarDay,
    Routing,
    RoutingOperation,
    Shift,
    ShiftBreak,
    VersionStatus,
    WorkCenter,
)
from omnioms.production.services import boms_in_effect, cost_inputs
from omnioms.production.spreadsheets import Problem, read_calendar_days_csv

STANDARD_LOT = Decimal(100)
"""The lot the pages explode and cost: setup time is spread over this many units."""


class MasterDataError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Header:
    effective_from: date
    effective_to: date | None
    status: str
    note: str = ""


@dataclass(frozen=True)
class Line:
    component: Sku
    quantity_per: Decimal
    scrap_factor: Decimal = Decimal(0)


@dataclass(frozen=True)
class Operation:
    sequence: int
    name: str
    work_center: WorkCenter
    alternatives: tuple[WorkCenter, ...] = ()
    setup_minutes: Decimal = Decimal(0)
    run_seconds_per_unit: Decimal = Decimal(0)
    min_transfer_batch: int | None = None


Version = Bom | Routing


# ----------------------------------------------------------------------------------------------
# Checks shared by BOMs and routings


def cycle_in(sku: str, items: Sequence[BomItem], on: date | None = None) -> str | None:
    """The cycle the BOMs in effect would have with ``items`` as ``sku``'s BOM, as a sentence
    naming its path; None when there is none."""
    boms = boms_in_effect(on)
    boms[sku] = list(items)
    try:
        low_level_codes(boms)
    except BomError as exc:
        return _("The components make a cycle: %(path)s") % {
            "path": str(exc).removesuffix(": a cycle")
        }
    return None


def _overlapping(version: Version, start: date, end: date | None) -> list[Version]:
    """The other active versions of the same SKU whose dates meet [start, end)."""
    others = type(version).objects.filter(sku_id=version.sku_id, status=VersionStatus.ACTIVE)
    return [
        other
        for other in others.exclude(pk=version.pk).order_by("effective_from")
        if (end is None or other.effective_from < end)
        and (other.effective_to is None or start < other.effective_to)
    ]


def _overlap_message(other: Version) -> str:
    return _("overlaps version %(version)s, in effect from %(start)s to %(end)s") % {
        "version": other.version,
        "start": other.effective_from.isoformat(),
        "end": other.effective_to.isoformat() if other.effective_to else "—",
    }


def _check_header(version: Version, header: Header) -> None:
    if header.effective_to is not None and header.effective_to <= header.effective_from:
        raise MasterDataError("effective_to", _("must be after effective from"))
    if header.status == VersionStatus.ACTIVE and version.status != VersionStatus.ACTIVE:
        raise MasterDataError("status", _("a version is activated with its own button"))
    if header.status == VersionStatus.ACTIVE:
        clash = _overlapping(version, header.effective_from, header.effective_to)
        if clash:
            raise MasterDataError("effective_from", _overlap_message(clash[0]))


def _set_header(version: Version, header: Header) -> None:
    version.effective_from = header.effective_from
    version.effective_to = header.effective_to
    version.status = header.status
    if isinstance(version, Bom):
        version.note = header.note
    version.save()


def _lock_sku(sku_id: int) -> Sku:
    """Version changes of one SKU queue behind each other (numbers, activation)."""
    return Sku.objects.select_for_update().get(pk=sku_id)


def _activate(version: Version, empty: str | None) -> list[Version]:
    """Make ``version`` the active one from its first day: an active version that began
    earlier ends there, one that began the same day is archived (superseded), and one that
    begins later is refused, to be archived or moved first. Returns the versions changed.
    ``empty``: why the version cannot be activated yet (no lines), if so."""
    if empty:
        raise MasterDataError("status", empty)
    start, end = version.effective_from, version.effective_to
    changed: list[Version] = []
    for other in _overlapping(version, start, end):
        if other.effective_from < start:
            other.effective_to = start
        elif other.effective_from == start and (
            end is None or (other.effective_to is not None and other.effective_to <= end)
        ):
            other.status = VersionStatus.ARCHIVED
        else:
            raise MasterDataError(
                "effective_to",
                _(
                    "version %(version)s is active from %(start)s: end this version before "
                    "then, or archive version %(version)s first"
                )
                % {"version": other.version, "start": other.effective_from.isoformat()},
            )
        other.save(update_fields=["effective_to", "status"])
        changed.append(other)
    version.status = VersionStatus.ACTIVE
    version.save(update_fields=["status"])
    Sku.objects.filter(pk=version.sku_id).exclude(kind=SkuKind.MADE).update(kind=SkuKind.MADE)
    return changed


def _next_number(model: type[Bom] | type[Routing], sku: Sku) -> int:
    latest = model.objects.filter(sku=sku).order_by("-version").values_list("version", flat=True)
    return (latest.first() or 0) + 1


# ----------------------------------------------------------------------------------------------
# Bills of materials


def _items(lines: Sequence[Line]) -> list[BomItem]:
    return [BomItem(line.component.code, line.quantity_per, line.scrap_factor) for line in lines]


def save_bom(bom: Bom, header: Header, lines: Sequence[Line]) -> Bom:
    """The version's dates, status and note, and its lines in this order (they replace the
    stored ones)."""
    with transaction.atomic():
        _lock_sku(bom.sku_id)
        _check_header(bom, header)
        codes = [line.component.code for line in lines]
        if bom.sku.code in codes:
            raise MasterDataError("lines", _("a SKU cannot be its own component"))
        if len(set(codes)) != len(codes):
            raise MasterDataError("lines", _("a component is listed twice"))
        cycle = cycle_in(bom.sku.code, _items(lines))
        if cycle:
            raise MasterDataError("lines", cycle)
        if header.status == VersionStatus.ACTIVE and not lines:
            raise MasterDataError("lines", _("an active version needs at least one line"))
        _set_header(bom, header)
        bom.lines.all().delete()
        BomLine.objects.bulk_create(
            BomLine(
                bom=bom,
                position=position,
                component=line.component,
                quantity_per=line.quantity_per,
                scrap_factor=line.scrap_factor,
            )
            for position, line in enumerate(lines, start=1)
        )
    return bom


def new_bom_version(sku: Sku) -> Bom:
    """A draft copy of the SKU's latest version (or an empty first one), in effect from today
    once activated."""
    with transaction.atomic():
        _lock_sku(sku.pk)
        latest = sku.boms.order_by("-version").first()
        bom = Bom.objects.create(
            sku=sku,
            version=_next_number(Bom, sku),
            effective_from=timezone.localdate(),
            status=VersionStatus.DRAFT,
            note=latest.note if latest else "",
        )
        if latest is not None:
            BomLine.objects.bulk_create(
                BomLine(
                    bom=bom,
                    position=line.position,
                    component_id=line.component_id,
                    quantity_per=line.quantity_per,
                    scrap_factor=line.scrap_factor,
                )
                for line in latest.lines.all()
            )
    return bom


def activate_bom(bom: Bom) -> list[Version]:
    with transaction.atomic():
        _lock_sku(bom.sku_id)
        bom.refresh_from_db()
        lines = [
            BomItem(line.component.code, line.quantity_per, line.scrap_factor)
            for line in bom.lines.select_related("component")
        ]
        cycle = cycle_in(bom.sku.code, lines, bom.effective_from)
        if cycle:
            raise MasterDataError("lines", cycle)
        return _activate(bom, None if lines else _("add lines before activating"))


@dataclass
class Needs:
    """What a lot of a version needs, through every level, and what it costs per unit."""

    materials: list[tuple[Sku | str, str]] = field(default_factory=list)
    """Each material (its SKU, or its code when unknown) and the quantity, as plain text."""
    cost: Decimal | None = None
    unpriced: list[str] = field(default_factory=list)
    problem: str = ""


def needs_of(
    sku: str,
    *,
    items: Sequence[BomItem] | None = None,
    operations: Sequence[OperationCost] | None = None,
    quantity: Decimal = STANDARD_LOT,
) -> Needs:
    """The materials ``quantity`` units need and the standard cost per unit, with ``items``
    or ``operations`` in place of the SKU's BOM or routing in effect today."""
    inputs = cost_inputs(timezone.localdate())
    if items is not None:
        inputs.boms[sku] = list(items)
    if operations is not None:
        inputs.routings[sku] = list(operations)
    try:
        found = explode(sku, quantity, inputs.boms)
    except BomError as exc:
        return Needs(problem=str(exc))
    known = {s.code: s for s in Sku.objects.filter(code__in=found)}
    return Needs(
        materials=[
            (known.get(code, code), _plain(amount)) for code, amount in sorted(found.items())
        ],
        cost=standard_cost(
            sku,
            boms=inputs.boms,
            routings=inputs.routings,
            bought_prices=inputs.prices,
            lot_size=STANDARD_LOT,
        ),
        unpriced=sorted(
            code for code in found if code not in inputs.prices and code not in inputs.routings
        ),
    )


def _plain(amount: Decimal) -> str:
    """1.5, 148 or 0.0042: four places at most, no trailing zeros, never 1E+2."""
    return format(amount.quantize(Decimal("0.0001")).normalize(), "f")


# ----------------------------------------------------------------------------------------------
# Routings


def save_routing(routing: Routing, header: Header, operations: Sequence[Operation]) -> Routing:
    with transaction.atomic():
        _lock_sku(routing.sku_id)
        _check_header(routing, header)
        sequences = [op.sequence for op in operations]
        if len(set(sequences)) != len(sequences):
            raise MasterDataError("operations", _("a sequence number is used twice"))
        if header.status == VersionStatus.ACTIVE and not operations:
            raise MasterDataError("operations", _("an active version needs at least one operation"))
        _set_header(routing, header)
        routing.operations.all().delete()
        for op in sorted(operations, key=lambda op: op.sequence):
            _create_operation(routing, op)
    return routing


def _create_operation(routing: Routing, op: Operation) -> None:
    row = RoutingOperation.objects.create(
        routing=routing,
        sequence=op.sequence,
        name=op.name,
        work_center=op.work_center,
        setup_minutes=op.setup_minutes,
        run_seconds_per_unit=op.run_seconds_per_unit,
        min_transfer_batch=op.min_transfer_batch,
    )
    row.alternatives.set([w for w in op.alternatives if w.pk != op.work_center.pk])


def new_routing_version(sku: Sku) -> Routing:
    with transaction.atomic():
        _lock_sku(sku.pk)
        latest = sku.routings.order_by("-version").first()
        routing = Routing.objects.create(
            sku=sku,
            version=_next_number(Routing, sku),
            effective_from=timezone.localdate(),
            status=VersionStatus.DRAFT,
        )
        if latest is not None:
            for op in latest.operations.select_related("work_center").prefetch_related(
                "alternatives"
            ):
                _create_operation(
                    routing,
                    Operation(
                        sequence=op.sequence,
                        name=op.name,
                        work_center=op.work_center,
                        alternatives=tuple(op.alternatives.all()),
                        setup_minutes=op.setup_minutes,
                        run_seconds_per_unit=op.run_seconds_per_unit,
                        min_transfer_batch=op.min_transfer_batch,
                    ),
                )
    return routing


def activate_routing(routing: Routing) -> list[Version]:
    with transaction.atomic():
        _lock_sku(routing.sku_id)
        routing.refresh_from_db()
        empty = not routing.operations.exists()
        return _activate(routing, _("add operations before activating") if empty else None)


def minutes_per_work_centre(
    routing: Routing, quantity: Decimal = STANDARD_LOT
) -> list[tuple[WorkCenter, Decimal]]:
    """Setup plus run time of ``quantity`` units on each work centre, in minutes."""
    totals: dict[int, Decimal] = {}
    centres: dict[int, WorkCenter] = {}
    for op in routing.operations.select_related("work_center"):
        centres[op.work_center_id] = op.work_center
        minutes = op.setup_minutes + quantity * op.run_seconds_per_unit / 60
        totals[op.work_center_id] = totals.get(op.work_center_id, Decimal(0)) + minutes
    return [
        (centres[pk], total.quantize(Decimal("0.1")))
        for pk, total in sorted(totals.items(), key=lambda item: centres[item[0]].code)
    ]


# ----------------------------------------------------------------------------------------------
# Calendars


@dataclass(frozen=True)
class ShiftInput:
    weekday: int
    start: time
    end: time
    name: str = ""
    breaks: tuple[tuple[time, time], ...] = ()


def save_shifts(calendar: Calendar, shifts: Sequence[ShiftInput]) -> None:
    """The calendar's weekly shifts with their breaks, replacing the stored ones (as the
    workbook import does)."""
    keys = [(s.weekday, s.start) for s in shifts]
    if len(set(keys)) != len(keys):
        raise MasterDataError("shifts", _("two shifts start at the same time on one weekday"))
    with transaction.atomic():
        calendar.shifts.all().delete()
        for spec in shifts:
            shift = Shift.objects.create(
                calendar=calendar,
                weekday=spec.weekday,
                name=spec.name,
                start=spec.start,
                end=spec.end,
            )
            ShiftBreak.objects.bulk_create(
                ShiftBreak(shift=shift, start=a, end=b) for a, b in spec.breaks
            )


@dataclass
class DaysReport:
    created: int = 0
    updated: int = 0
    problems: list[Problem] = field(default_factory=list)


def load_calendar_days(calendar: Calendar, data: bytes) -> DaysReport:
    """Holidays and make-up days from a CSV file (``date,kind,works_like,note``; see
    ``docs/production.md``): every row is stored, by date, or none when any row is wrong."""
    found = read_calendar_days_csv(data)
    report = DaysReport(problems=found.problems)
    if report.problems:
        return report
    rows: list[dict[str, Any]] = found.rows.get("calendar_days", [])
    with transaction.atomic():
        for r in rows:
            _day, created = CalendarDay.objects.update_or_create(
                calendar=calendar,
                date=r["date"],
                defaults={"kind": r["kind"], "works_like": r["works_like"], "note": r["note"]},
            )
            if created:
                report.created += 1
            else:
                report.updated += 1
    return report
