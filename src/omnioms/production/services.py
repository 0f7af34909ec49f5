"""Use cases of the production master data: the workbook import and export, the BOM and
routing in effect, calendars as the planning engines read them, and the standard cost."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.catalog.models import Sku, SkuKind
from omnioms.core.models import Location
from omnioms.production.domain import (
    BomError,
    BomItem,
    CalendarSpec,
    OperationCost,
    ShiftSpec,
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
    SupplyTerm,
    VersionStatus,
    WorkCenter,
)
from omnioms.production.spreadsheets import Problem, read_workbook, write_workbook


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def import_master_data(data: bytes) -> ImportReport:
    """Read a workbook (``production/spreadsheets.py``), check it whole against itself and the
    database, and write it in one transaction, or write nothing and return every problem.

    Work centres and calendars are matched by code and updated; a BOM or routing version
    (SKU, version) in the file replaces the stored one with its lines. Made SKUs named by a
    BOM or a routing become ``made``.
    """
    found = read_workbook(data)
    report = ImportReport(problems=list(found.problems))
    rows = found.rows
    check = _Checker(rows, report.problems)
    check.run()
    if report.problems:
        return report
    with transaction.atomic():
        _write(rows, check, report)
    return report


class _Checker:
    """Cross-checks that need the database or several rows; problems name the row."""

    def __init__(self, rows: dict[str, list[dict[str, Any]]], problems: list[Problem]) -> None:
        self.rows, self.problems = rows, problems
        self.calendars = set(Calendar.objects.values_list("code", flat=True)) | {
            r["code"] for r in rows.get("calendars", [])
        }
        self.centres = set(WorkCenter.objects.values_list("code", flat=True)) | {
            r["code"] for r in rows.get("work_centres", [])
        }
        named = {r["sku"] for key in ("boms", "routings") for r in rows.get(key, [])} | {
            r["component"] for r in rows.get("boms", [])
        }
        self.skus = dict(Sku.objects.filter(code__in=named).values_list("code", "pk"))
        sites = {r["site"] for r in rows.get("work_centres", []) if r["site"]}
        self.sites = dict(Location.objects.filter(code__in=sites).values_list("code", "pk"))

    def problem(self, sheet: str, row: int, column: str, message: str) -> None:
        self.problems.append(Problem(sheet, row, column, message))

    def run(self) -> None:
        self._unique("work_centres", ("code",))
        self._unique("calendars", ("code",))
        self._unique("calendar_days", ("calendar", "date"))
        self._unique("boms", ("sku", "version", "component"))
        self._unique("routings", ("sku", "version", "sequence"))
        for r in self.rows.get("calendars", []):
            try:
                ZoneInfo(r["time_zone"])
            except (ZoneInfoNotFoundError, ValueError):
                self.problem("calendars", r["row"], "time_zone", _("unknown time zone"))
        for sheet in ("work_centres", "shifts", "calendar_days"):
            for r in self.rows.get(sheet, []):
                if r["calendar"] not in self.calendars:
                    self.problem(
                        sheet,
                        r["row"],
                        "calendar",
                        _("no calendar %(code)r") % {"code": r["calendar"]},
                    )
        for r in self.rows.get("work_centres", []):
            if r["site"] and r["site"] not in self.sites:
                self.problem(
                    "work_centres",
                    r["row"],
                    "site",
                    _("no location %(code)r") % {"code": r["site"]},
                )
        for sheet, columns in (("boms", ("sku", "component")), ("routings", ("sku",))):
            for r in self.rows.get(sheet, []):
                for column in columns:
                    if r[column] not in self.skus:
                        self.problem(
                            sheet, r["row"], column, _("no SKU %(code)r") % {"code": r[column]}
                        )
        for r in self.rows.get("routings", []):
            for column, codes in (
                ("work_centre", [r["work_centre"]]),
                ("alternatives", r["alternatives"]),
            ):
                for code in codes:
                    if code not in self.centres:
                        self.problem(
                            "routings",
                            r["row"],
                            column,
                            _("no work centre %(code)r") % {"code": code},
                        )
        self._versions("boms")
        self._versions("routings")
        self._no_cycles()

    def _unique(self, sheet: str, keys: tuple[str, ...]) -> None:
        seen: dict[tuple[Any, ...], int] = {}
        for r in self.rows.get(sheet, []):
            key = tuple(r[k] for k in keys)
            if key in seen:
                self.problem(
                    sheet,
                    r["row"],
                    keys[-1],
                    _("repeats row %(row)s") % {"row": seen[key]},
                )
            seen.setdefault(key, r["row"])

    def _versions(self, sheet: str) -> None:
        """The rows of one version agree on its dates, and the dates make sense."""
        first: dict[tuple[str, int], dict[str, Any]] = {}
        for r in self.rows.get(sheet, []):
            head = first.setdefault((r["sku"], r["version"]), r)
            for column in ("effective_from", "effective_to"):
                if r[column] != head[column]:
                    self.problem(
                        sheet,
                        r["row"],
                        column,
                        _("differs from row %(row)s of the same version") % {"row": head["row"]},
                    )
            if r["effective_to"] is not None and r["effective_to"] <= r["effective_from"]:
                self.problem(sheet, r["row"], "effective_to", _("must be after effective from"))

    def _no_cycles(self) -> None:
        boms: dict[str, list[BomItem]] = _stored_boms(timezone.localdate())
        fresh: dict[str, list[BomItem]] = defaultdict(list)
        rows_of: dict[str, int] = {}
        for r in self.rows.get("boms", []):
            fresh[r["sku"]].append(BomItem(r["component"], r["quantity_per"], r["scrap_factor"]))
            rows_of.setdefault(r["sku"], r["row"])
        try:
            low_level_codes({**boms, **fresh})
        except BomError as exc:
            sku = str(exc).split(" → ")[0]
            self.problem("boms", rows_of.get(sku, 0), "component", str(exc))


def _write(rows: dict[str, list[dict[str, Any]]], check: _Checker, report: ImportReport) -> None:
    calendars: dict[str, Calendar] = {}
    for r in rows.get("calendars", []):
        calendar, created = Calendar.objects.update_or_create(
            code=r["code"], defaults={"name": r["name"], "time_zone": r["time_zone"]}
        )
        (report.created if created else report.updated)["calendars"] += 1
        calendars[r["code"]] = calendar
    calendars.update(
        {c.code: c for c in Calendar.objects.filter(code__in=check.calendars - set(calendars))}
    )
    shifts_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows.get("shifts", []):
        shifts_of[r["calendar"]].append(r)
    for code, shift_rows in shifts_of.items():  # a calendar's shifts in the file replace its shifts
        Shift.objects.filter(calendar=calendars[code]).delete()
        for r in shift_rows:
            shift = Shift.objects.create(
                calendar=calendars[code],
                weekday=r["weekday"],
                name=r["name"],
                start=r["start"],
                end=r["end"],
            )
            ShiftBreak.objects.bulk_create(
                ShiftBreak(shift=shift, start=a, end=b) for a, b in r["breaks"]
            )
            report.created["shifts"] += 1
    for r in rows.get("calendar_days", []):
        _day, created = CalendarDay.objects.update_or_create(
            calendar=calendars[r["calendar"]],
            date=r["date"],
            defaults={"kind": r["kind"], "works_like": r["works_like"], "note": r["note"]},
        )
        (report.created if created else report.updated)["calendar_days"] += 1
    for r in rows.get("work_centres", []):
        _centre, created = WorkCenter.objects.update_or_create(
            code=r["code"],
            defaults={
                "name": r["name"],
                "machines": r["machines"],
                "calendar": calendars[r["calendar"]],
                "hourly_cost": r["hourly_cost"],
                "currency": r["currency"],
                "site_id": check.sites.get(r["site"]) if r["site"] else None,
            },
        )
        (report.created if created else report.updated)["work_centres"] += 1
    centres = {c.code: c for c in WorkCenter.objects.all()}
    made: set[int] = set()
    for key, rows_of_version in _by_version(rows.get("boms", [])).items():
        sku_id, head = check.skus[key[0]], rows_of_version[0]
        bom, created = Bom.objects.update_or_create(
            sku_id=sku_id,
            version=key[1],
            defaults={
                "effective_from": head["effective_from"],
                "effective_to": head["effective_to"],
                "status": VersionStatus.ACTIVE,
            },
        )
        bom.lines.all().delete()
        BomLine.objects.bulk_create(
            BomLine(
                bom=bom,
                position=position,
                component_id=check.skus[r["component"]],
                quantity_per=r["quantity_per"],
                scrap_factor=r["scrap_factor"],
            )
            for position, r in enumerate(rows_of_version, start=1)
        )
        made.add(sku_id)
        (report.created if created else report.updated)["boms"] += 1
    for key, rows_of_version in _by_version(rows.get("routings", [])).items():
        sku_id, head = check.skus[key[0]], rows_of_version[0]
        routing, created = Routing.objects.update_or_create(
            sku_id=sku_id,
            version=key[1],
            defaults={
                "effective_from": head["effective_from"],
                "effective_to": head["effective_to"],
                "status": VersionStatus.ACTIVE,
            },
        )
        routing.operations.all().delete()
        for r in sorted(rows_of_version, key=lambda r: r["sequence"]):
            operation = RoutingOperation.objects.create(
                routing=routing,
                sequence=r["sequence"],
                name=r["operation"],
                work_center=centres[r["work_centre"]],
                setup_minutes=r["setup_minutes"],
                run_seconds_per_unit=r["run_seconds_per_unit"],
                min_transfer_batch=r["min_transfer_batch"],
            )
            operation.alternatives.set([centres[c] for c in r["alternatives"]])
        made.add(sku_id)
        (report.created if created else report.updated)["routings"] += 1
    Sku.objects.filter(pk__in=made).exclude(kind=SkuKind.MADE).update(kind=SkuKind.MADE)


def _by_version(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, int], list[dict[str, Any]]]:
    out: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[(r["sku"], r["version"])].append(r)
    return out


def export_master_data(*, chinese: bool = False) -> bytes:
    """Every calendar, work centre, BOM and routing as a workbook :func:`import_master_data`
    reads back unchanged."""
    tables: dict[str, list[dict[str, Any]]] = {
        "calendars": [
            {"code": c.code, "name": c.name, "time_zone": c.time_zone}
            for c in Calendar.objects.order_by("code")
        ],
        "shifts": [
            {
                "calendar": s.calendar.code,
                "weekday": s.weekday + 1,
                "name": s.name,
                "start": s.start,
                "end": s.end,
                "breaks": [(b.start, b.end) for b in s.breaks.all()],
            }
            for s in Shift.objects.select_related("calendar").prefetch_related("breaks")
        ],
        "calendar_days": [
            {
                "calendar": d.calendar.code,
                "date": d.date,
                "kind": d.kind,
                "works_like": None if d.works_like is None else d.works_like + 1,
                "note": d.note,
            }
            for d in CalendarDay.objects.select_related("calendar")
        ],
        "work_centres": [
            {
                "code": w.code,
                "name": w.name,
                "machines": w.machines,
                "calendar": w.calendar.code,
                "hourly_cost": w.hourly_cost,
                "currency": w.currency,
                "site": w.site.code if w.site else None,
            }
            for w in WorkCenter.objects.select_related("calendar", "site").order_by("code")
        ],
        "boms": [
            {
                "sku": line.bom.sku.code,
                "version": line.bom.version,
                "effective_from": line.bom.effective_from,
                "effective_to": line.bom.effective_to,
                "component": line.component.code,
                "quantity_per": line.quantity_per,
                "scrap_factor": line.scrap_factor,
            }
            for line in BomLine.objects.select_related("bom__sku", "component").order_by(
                "bom__sku__code", "bom__version", "position"
            )
        ],
        "routings": [
            {
                "sku": op.routing.sku.code,
                "version": op.routing.version,
                "effective_from": op.routing.effective_from,
                "effective_to": op.routing.effective_to,
                "sequence": op.sequence,
                "operation": op.name,
                "work_centre": op.work_center.code,
                "alternatives": [w.code for w in op.alternatives.order_by("code")],
                "setup_minutes": op.setup_minutes,
                "run_seconds_per_unit": op.run_seconds_per_unit,
                "min_transfer_batch": op.min_transfer_batch,
            }
            for op in RoutingOperation.objects.select_related("routing__sku", "work_center")
            .prefetch_related("alternatives")
            .order_by("routing__sku__code", "routing__version", "sequence")
        ],
    }
    return write_workbook(tables, chinese=chinese)


# ----------------------------------------------------------------------------------------------
# What is in effect


def in_effect(on: date) -> Q:
    """Active versions (BOMs, routings) whose dates cover ``on``."""
    return (
        Q(status=VersionStatus.ACTIVE)
        & Q(effective_from__lte=on)
        & (Q(effective_to__isnull=True) | Q(effective_to__gt=on))
    )


def _stored_boms(on: date) -> dict[str, list[BomItem]]:
    """The BOM in effect on ``on`` of every made SKU (the latest version when several are)."""
    boms: dict[str, list[BomItem]] = {}
    chosen: dict[str, int] = {}
    for bom in Bom.objects.filter(in_effect(on)).select_related("sku").order_by("-version"):
        chosen.setdefault(bom.sku.code, bom.pk)
    lines = BomLine.objects.filter(bom_id__in=chosen.values()).select_related(
        "bom__sku", "component"
    )
    for line in lines.order_by("bom", "position"):
        boms.setdefault(line.bom.sku.code, []).append(
            BomItem(line.component.code, line.quantity_per, line.scrap_factor)
        )
    return boms


def routing_in_effect(sku: Sku, on: date) -> Routing | None:
    """The routing version of ``sku`` in effect on ``on`` (the latest when several are)."""
    return (
        Routing.objects.filter(in_effect(on), sku=sku)
        .prefetch_related("operations__alternatives", "operations__work_center")
        .order_by("-version")
        .first()
    )


def routings_in_effect(on: date) -> dict[int, Routing]:
    """The routing in effect on ``on`` of every made SKU, by SKU id, operations prefetched."""
    chosen: dict[int, Routing] = {}
    for routing in (
        Routing.objects.filter(in_effect(on))
        .prefetch_related("operations__alternatives", "operations__work_center")
        .order_by("-version")
    ):
        chosen.setdefault(routing.sku_id, routing)
    return chosen


def boms_in_effect(on: date | None = None) -> dict[str, list[BomItem]]:
    return _stored_boms(on or timezone.localdate())


def calendar_spec(calendar: Calendar) -> CalendarSpec:
    shifts = tuple(
        ShiftSpec(s.weekday, s.start, s.end, tuple((b.start, b.end) for b in s.breaks.all()))
        for s in calendar.shifts.prefetch_related("breaks")
    )
    days = list(calendar.days.all())
    return CalendarSpec(
        time_zone=calendar.time_zone,
        shifts=shifts,
        holidays=frozenset(d.date for d in days if d.kind == "holiday"),
        workdays={
            d.date: (d.works_like if d.works_like is not None else 0)
            for d in days
            if d.kind == "workday"
        },
    )


@dataclass
class CostInputs:
    """What a standard cost is made of on one day: the BOMs and routings in effect and the
    prices of what is bought (preferred supplier first, else the SKU's unit cost)."""

    boms: dict[str, list[BomItem]]
    routings: dict[str, list[OperationCost]]
    prices: dict[str, Decimal]


def cost_inputs(on: date) -> CostInputs:
    boms = _stored_boms(on)
    routings: dict[str, list[OperationCost]] = {}
    chosen: dict[str, int] = {}
    for routing in Routing.objects.filter(in_effect(on)).select_related("sku").order_by("-version"):
        chosen.setdefault(routing.sku.code, routing.pk)
    for op in RoutingOperation.objects.filter(routing_id__in=chosen.values()).select_related(
        "routing__sku", "work_center"
    ):
        routings.setdefault(op.routing.sku.code, []).append(
            OperationCost(op.setup_minutes, op.run_seconds_per_unit, op.work_center.hourly_cost)
        )
    prices: dict[str, Decimal] = {}
    for term in SupplyTerm.objects.select_related("sku").order_by("-preferred"):
        if term.unit_price is not None:
            prices.setdefault(term.sku.code, term.unit_price)
    for code, cost in Sku.objects.exclude(unit_cost=None).values_list("code", "unit_cost"):
        if cost is not None:
            prices.setdefault(code, cost)
    return CostInputs(boms, routings, prices)


def roll_up_standard_costs(on: date | None = None, *, lot_size: Decimal = Decimal(100)) -> int:
    """Set ``Sku.standard_cost`` of every made SKU from its BOM and routing in effect; returns
    how many were set (a SKU with an unpriced material keeps no standard cost)."""
    inputs = cost_inputs(on or timezone.localdate())
    made = set(inputs.boms) | set(inputs.routings)
    costs = {
        code: standard_cost(
            code,
            boms=inputs.boms,
            routings=inputs.routings,
            bought_prices=inputs.prices,
            lot_size=lot_size,
        )
        for code in made
    }
    skus = list(Sku.objects.filter(code__in=made))
    for sku in skus:
        sku.standard_cost = costs[sku.code]
    Sku.objects.bulk_update(skus, ["standard_cost"])
    return sum(1 for cost in costs.values() if cost is not None)
