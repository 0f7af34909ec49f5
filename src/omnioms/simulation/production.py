"""The omnioms policy's factory in the database: production runs through the real services.

:class:`DatabaseFactory` is attached to the omnioms policy when the run has a database
(``omnioms simulate``; see docs/simulation.md, "Through the planning and floor services"):

- :func:`build_factory` writes the scenario's factory as production master data: one calendar
  (its shifts and holidays), the work centres with their machines, the family changeovers as
  setup times, the materials and products as SKUs (their family, unit, cost), each product's
  BOM and routing (standard minutes per unit; the expected scrap of the first step as the BOM's
  scrap factor), the suppliers and their lead times, and the default site's close time zone;
- a work order released to the floor becomes a production order
  (``planning.services.release_planned_order`` of a planned order of the day's requirements
  run); its materials are back-flushed when it completes (the BOM's standard for the good
  units, ``floor.materials.complete_order``); materials bought arrive through
  ``inventory.services.receive_stock``;
- the planning runs: ``planning.schedules.run_schedule`` + ``publish`` with the simulated
  clock's ``now``, at the policy's rhythm (each requirements run, and after a rush order is
  accepted); between runs the day's dispatching follows the published plan's sequence;
- what the machines did is reported through ``floor.reporting.report_operation`` (start,
  pause for a breakdown, resume, finish with good and scrap), each report sent the evening of
  the day it happened, never ahead of the simulated clock; the last operation's finish
  completes the order and receives its good units (``floor.materials.complete_order``);
- each simulated evening the daily close (``floor.close.run_daily_close``) and the T-3 scan
  (``floor.t3.scan_t3``) run; what they found is counted per month for the report.
"""

from __future__ import annotations

import math
import time as _time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from omnioms.catalog.models import ProductFamily, Sku, SkuKind
from omnioms.catalog.services import create_product
from omnioms.core.actor import Actor
from omnioms.core.models import Location
from omnioms.floor.close import run_daily_close
from omnioms.floor.models import FloorException, MaterialPolicy, SiteClose
from omnioms.floor.reporting import report_operation
from omnioms.floor.t3 import scan_t3
from omnioms.inventory.services import receive_stock
from omnioms.kpi import MachineState, StateRecord
from omnioms.planning.adapter import build_problem
from omnioms.planning.dispatching import Rule, dispatch
from omnioms.planning.model import check_plan
from omnioms.planning.models import (
    PlannedKind,
    PlannedOperation,
    PlannedOrder,
    ProductionOperation,
    ProductionOrder,
    RequirementsRun,
)
from omnioms.planning.schedules import publish, run_schedule, save_plan
from omnioms.planning.scheduling import best_of
from omnioms.planning.services import release_planned_order
from omnioms.production.models import (
    Bom,
    BomLine,
    Calendar,
    CalendarDay,
    DayKind,
    Routing,
    RoutingOperation,
    SetupTime,
    Shift,
    Supplier,
    SupplyTerm,
    WorkCenter,
)
from omnioms.simulation.floor import DAY, Clock, WorkOrder
from omnioms.simulation.scenario import Scenario

ACTOR = Actor.system("simulation floor")
STEP = 10
"""Routing operations are numbered 10, 20, 30, ..."""
MATERIAL_DECIMALS = 3
RANK = {"start": 0, "resume": 1, "output": 2, "pause": 3, "finish": 4}
"""Reports at the same minute go in this order (output while running, before a pause)."""
QUICK_RULES: tuple[Rule, ...] = ("edd", "mwkr", "atc")
SCHEDULE_SECONDS = 2.0
"""Time limit of a planning run (the engine's rules first, then its search)."""


def build_factory(scenario: Scenario, site_code: str) -> None:
    """The scenario's factory as production master data (see the module's doc)."""
    site = Location.objects.get(code=site_code)
    SiteClose.objects.update_or_create(site=None, defaults={"time_zone": scenario.time_zone})
    calendar = Calendar.objects.create(
        code="SIM", name=f"{scenario.name} calendar", time_zone=scenario.time_zone
    )
    for weekday in scenario.calendar.weekdays:
        for n, shift in enumerate(scenario.calendar.shifts):
            Shift.objects.create(
                calendar=calendar,
                weekday=weekday - 1,
                name=f"shift {n + 1}",
                start=shift.start,
                end=shift.end,
            )
    CalendarDay.objects.bulk_create(
        CalendarDay(calendar=calendar, date=day, kind=DayKind.HOLIDAY)
        for day in sorted(set(scenario.calendar.holidays))
    )
    centres = {
        wc.code: WorkCenter.objects.create(
            code=wc.code,
            name=wc.name or wc.code,
            machines=wc.machines,
            calendar=calendar,
            site=site,
            currency=scenario.currency,
        )
        for wc in scenario.work_centers
    }
    families = {
        code: ProductFamily.objects.get_or_create(code=code, defaults={"name": code})[0]
        for code in sorted({p.family for p in scenario.products})
    }
    SetupTime.objects.bulk_create(
        SetupTime(
            work_center=centres[wc.code],
            from_family=families[a],
            to_family=families[b],
            minutes=round(wc.setup_minutes),
        )
        for wc in scenario.work_centers
        if wc.setup_minutes
        for a in families
        for b in families
        if a != b
    )
    suppliers = {
        s.code: Supplier.objects.create(code=s.code, name=s.name or s.code)
        for s in scenario.suppliers
    }
    lead = {s.code: s.lead_time_days for s in scenario.suppliers}
    materials: dict[str, Sku] = {}
    for m in scenario.materials:
        sku = create_product(
            sku=m.code,
            name=m.name or m.code,
            unit_cost=Decimal(str(m.unit_cost)),
            currency=scenario.currency,
        )
        sku.kind, sku.unit, sku.unit_decimals = SkuKind.BOUGHT, m.unit, MATERIAL_DECIMALS
        sku.save(update_fields=["kind", "unit", "unit_decimals"])
        SupplyTerm.objects.create(
            sku=sku,
            supplier=suppliers[m.supplier],
            lead_time_days=lead[m.supplier],
            min_order_quantity=Decimal(str(m.min_order)),
            unit_price=Decimal(str(m.unit_cost)),
            preferred=True,
        )
        # back-flushed: the standard for the good units leaves stock when the order completes
        MaterialPolicy.objects.update_or_create(sku=sku, defaults={"backflush": True})
        if m.opening_stock > 0:
            receive_stock(
                sku=sku,
                location=site,
                quantity=steps_up(m.opening_stock),
                unit_cost=sku.unit_cost,
                actor=ACTOR,
                reference="opening stock",
                confirmed=True,
            )
        materials[m.code] = sku
    speed = {wc.code: wc for wc in scenario.work_centers}
    for p in scenario.products:
        sku = Sku.objects.get(code=p.sku)
        sku.kind, sku.family = SkuKind.MADE, families[p.family]
        sku.save(update_fields=["kind", "family"])
        first = speed[p.routing[0].work_center].scrap_rate
        bom = Bom.objects.create(sku=sku, version=1, effective_from=scenario.start)
        BomLine.objects.bulk_create(
            BomLine(
                bom=bom,
                position=n + 1,
                component=materials[line.material],
                quantity_per=Decimal(str(line.quantity)),
                scrap_factor=Decimal(first / (1 - first)).quantize(Decimal("0.0001")),
            )
            for n, line in enumerate(p.bom)
        )
        routing = Routing.objects.create(sku=sku, version=1, effective_from=scenario.start)
        RoutingOperation.objects.bulk_create(
            RoutingOperation(
                routing=routing,
                sequence=(n + 1) * STEP,
                name=speed[step.work_center].name or step.work_center,
                work_center=centres[step.work_center],
                setup_minutes=Decimal(0),
                run_seconds_per_unit=Decimal(str(round(step.minutes_per_unit * 60, 3))),
            )
            for n, step in enumerate(p.routing)
        )


def steps_up(quantity: float) -> int:
    """A bought quantity in the ledger's steps, rounded up (what arrives is never less)."""
    return math.ceil(round(quantity * 10**MATERIAL_DECIMALS, 6))


def steps_down(quantity: float) -> int:
    """An issued quantity in the ledger's steps, rounded down (never more than arrived)."""
    return math.floor(round(quantity * 10**MATERIAL_DECIMALS, 6))


@dataclass
class _Report:
    at: datetime
    wo: str
    order: int
    """The work order's number of reports so far (ids and order of sending)."""
    operation: int
    kind: str
    machine: int
    good: int = 0
    scrap: int = 0
    pause_reason: str = ""


@dataclass
class FactoryFigures:
    """What the floor services found, per month (``YYYY-MM``)."""

    production_orders: int = 0
    plans: int = 0
    plans_dispatched: int = 0
    """Of the plans, those a dispatching rule had on time for every order."""
    plan_seconds: float = 0.0
    reports: int = 0
    closes: int = 0
    close_seconds: float = 0.0
    exceptions: dict[str, dict[str, int]] = field(default_factory=dict)
    """Exceptions opened per month per type (the daily close's and T-3's)."""


class DatabaseFactory:
    def __init__(self, scenario: Scenario, clock: Clock, site_code: str) -> None:
        self.scenario = scenario
        self.clock = clock
        self.site_code = site_code
        self.skus = dict(Sku.objects.values_list("code", "pk"))
        self.orders: dict[str, int] = {}
        """Work order id -> production order pk."""
        self.numbers: dict[str, str] = {}
        """Production order number -> work order id."""
        self.operations: dict[tuple[str, int], int] = {}
        """(work order id, step index) -> ProductionOperation pk."""
        self.queue: list[_Report] = []
        self.sent: dict[str, int] = defaultdict(int)
        self.sequence: dict[str, float] = {}
        """Engine operation id (``WO000012/1``) -> its planned start in the published plan."""
        self.replan = True
        self.figures = FactoryFigures()
        self._run: RequirementsRun | None = None
        self._run_day: date | None = None
        self._planned = 0

    # -- materials and orders -------------------------------------------------------------

    def arrived(self, material: str, quantity: float, day: date) -> None:
        receive_stock(
            sku=material,
            location=self.site_code,
            quantity=steps_up(quantity),
            unit_cost=None,
            actor=ACTOR,
            reference=f"purchase {day.isoformat()}",
            confirmed=True,
        )

    def released(self, wo: WorkOrder, needs: dict[str, float], today: date) -> None:
        """The work order's materials were issued: a production order on the floor."""
        if self._run_day != today or self._run is None:
            self._run = RequirementsRun.objects.create(
                as_of=today, summary={"simulation": self.scenario.name}
            )
            self._run_day, self._planned = today, 0
        self._planned += 1
        due = self.clock.day(wo.due)
        planned = PlannedOrder.objects.create(
            run=self._run,
            number=self._planned,
            kind=PlannedKind.MAKE,
            sku_id=self.skus[wo.sku],
            quantity=Decimal(wo.quantity),
            proposed_quantity=Decimal(wo.quantity),
            start=today,
            due=due,
        )
        released_at = self.clock.at((today - self.clock.start).days * 24 * 60)
        order = release_planned_order(planned.pk, actor=ACTOR, now=released_at)
        assert isinstance(order, ProductionOrder)
        # the engine's weight (1 + priority // 10): the policy's weight of the work order
        ProductionOrder.objects.filter(pk=order.pk).update(priority=Decimal((wo.weight - 1) * 10))
        self.orders[wo.id] = order.pk
        self.numbers[order.number] = wo.id
        for pk, sequence in ProductionOperation.objects.filter(production_order=order).values_list(
            "pk", "sequence"
        ):
            self.operations[wo.id, sequence // STEP - 1] = pk
        self.figures.production_orders += 1

    # -- planning -------------------------------------------------------------------------

    def plan(self, minute: int) -> None:
        """A planning run from ``minute`` (the simulated clock), published; its sequence kept.

        The engine's dispatching rules first, on the problem the planning app builds from the
        database (``adapter.build_problem``): when one of them is on time for every order, that
        plan is stored (``schedules.save_plan``) and published, as the engine would have
        ended with it; otherwise ``schedules.run_schedule`` with a short time limit."""
        began = _time.process_time()
        now = self.clock.at(minute)
        adapted = build_problem(now)
        plan = None
        if adapted.problem.orders:
            best = best_of([dispatch(adapted.problem, rule) for rule in QUICK_RULES])
            if best.weighted_tardiness == 0 and not check_plan(adapted.problem, best):
                plan = save_plan(adapted, best)
                self.figures.plans_dispatched += 1
        if plan is None:
            plan = run_schedule(now, time_limit=SCHEDULE_SECONDS, workers=1, score=False)
        publish(plan, None, now=now)
        self.sequence = {}
        for number, sequence, start in PlannedOperation.objects.filter(plan=plan).values_list(
            "operation__production_order__number", "operation__sequence", "start"
        ):
            wo = self.numbers.get(number)
            if wo is not None:
                moment = (start - self.clock.origin).total_seconds() / 60
                self.sequence[f"{wo}/{sequence // STEP - 1}"] = moment
        self.replan = False
        self.figures.plans += 1
        self.figures.plan_seconds += _time.process_time() - began

    def priorities(self, operations: dict[str, int]) -> dict[str, float]:
        """The day's dispatching order: the published plan's starts; operations of orders
        released since the last run after the planned ones due before them (their due)."""
        return {op: self.sequence.get(op, float(due)) for op, due in operations.items()}

    # -- the floor ------------------------------------------------------------------------

    def ran(self, wo: WorkOrder, index: int, records: list[StateRecord], scrap: int) -> None:
        """Operation ``index`` of ``wo`` ran (its whole run is known when it starts): queue its
        reports (start, each breakdown as a pause and its repair as a resume, finish)."""
        op = wo.ops[index]
        assert op.start is not None
        assert op.end is not None
        assert op.machine is not None
        machine = op.machine
        reports = [_Report(self.clock.at(op.start), wo.id, 0, index, "start", machine)]
        down = False
        last_end = reports[0].at
        for record in records:
            broken = record.state == MachineState.BREAKDOWN
            if broken and not down:
                reports.append(
                    _Report(
                        record.start, wo.id, 0, index, "pause", machine, pause_reason="breakdown"
                    )
                )
            elif down and not broken:
                reports.append(_Report(last_end, wo.id, 0, index, "resume", machine))
            down, last_end = broken, record.end
        reports.extend(
            self._outputs(wo.id, index, machine, (op.start, op.end), records, reports, wo.good)
        )
        reported = min(sum(r.good for r in reports), wo.good)
        reports.append(
            _Report(
                self.clock.at(op.end),
                wo.id,
                0,
                index,
                "finish",
                machine,
                good=wo.good - reported,
                scrap=scrap,
            )
        )
        reports.sort(key=lambda r: (r.at, RANK[r.kind]))
        for report in reports:
            report.order = self.sent[wo.id]
            self.sent[wo.id] += 1
        self.queue.extend(reports)

    def _outputs(
        self,
        wo: str,
        index: int,
        machine: int,
        span: tuple[int, int],
        records: list[StateRecord],
        stops: list[_Report],
        good: int,
    ) -> list[_Report]:
        """The units made by each evening an operation runs through, reported as output at
        23:59 (not while the machine is down: a paused job reports nothing)."""
        out: list[_Report] = []
        made = 0
        start, end = span
        for day in range(start // DAY, (end - 1) // DAY):
            evening = self.clock.at((day + 1) * DAY - 1)
            last = [r.kind for r in stops if r.at <= evening]
            if last and last[-1] == "pause":
                continue
            units = sum(
                r.produced
                for r in records
                if r.state == MachineState.PRODUCING and r.end <= evening
            )
            units = min(units, good)
            if units > made:
                out.append(_Report(evening, wo, 0, index, "output", machine, good=units - made))
                made = units
        return out

    def report_until(self, minute: int) -> None:
        """Send every queued report that happened by ``minute`` (the end of the day), in the
        order they happened, with the simulated clock as the reports' ``now``."""
        now = self.clock.at(minute)
        due = sorted((r for r in self.queue if r.at <= now), key=lambda r: (r.at, r.wo, r.order))
        self.queue = [r for r in self.queue if r.at > now]
        for report in due:
            report_operation(
                operation_id=self.operations[report.wo, report.operation],
                report_id=f"{report.wo}/{report.order}",
                kind=report.kind,
                at=report.at,
                actor=ACTOR,
                source="api",
                good=report.good,
                scrap=report.scrap,
                scrap_reason="quality" if report.scrap else "",
                pause_reason=report.pause_reason,
                machine=report.machine,
                now=now,
            )
            self.figures.reports += 1

    def close(self, day: date, minute: int) -> None:
        """The evening: the daily close of ``day`` and the T-3 scan, at the simulated clock."""
        began = _time.process_time()
        with transaction.atomic():
            run_daily_close(day, actor=ACTOR, now=self.clock.at(minute))
            scan_t3(self.clock.at(minute), actor=ACTOR)
        self.figures.closes += 1
        self.figures.close_seconds += _time.process_time() - began

    def summary(self) -> dict[str, Any]:
        """Exceptions opened per month and type, and the services' counts and seconds."""
        months: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        tz = self.clock.zone
        # by the closed day where there is one (the close stamps the wall clock on days after
        # today's date), else when it was opened (T-3: at the simulated clock)
        for code, day, opened in FloorException.objects.values_list(
            "type__code", "day", "opened_at"
        ):
            months[f"{day or opened.astimezone(tz):%Y-%m}"][code] += 1
        t3_open = FloorException.objects.filter(type__code="t3").exclude(status="closed").count()
        f = self.figures
        return {
            "production_orders": f.production_orders,
            "plans_published": f.plans,
            "plans_by_dispatching": f.plans_dispatched,
            "plan_cpu_seconds": round(f.plan_seconds, 1),
            "floor_reports": f.reports,
            "daily_closes": f.closes,
            "close_cpu_seconds": round(f.close_seconds, 1),
            "exceptions_by_month": {m: dict(v) for m, v in sorted(months.items())},
            "t3_warnings": sum(v.get("t3", 0) for v in months.values()),
            "t3_open_at_end": t3_open,
        }
