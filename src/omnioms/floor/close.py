"""The daily close (日清日结): what each production order and work centre did against the plan
and the bill of materials on one day, every gap beyond its tolerance given an owner.

Per production order and per work centre, for the site's local day:

- planned against reported quantities: the published plan's operation units falling in the
  day (an operation's quantity spread over its planned interval), against good and scrap
  reported that day; planned hours (the plan's intervals inside the day) against reported
  hours (the machine state intervals inside the day: running and stopped, planned stops left
  out);
- material issued to date against the BOM standard for the good quantity to date (the good
  units of the order's first operation, where material is taken), per material in units, value
  and per cent; back-flushed materials are left out until the order completes;
- scrap against its tolerance;
- the plan's finish against the projected one (the work left at the routing's rate from the
  end of the day).

Gaps beyond the tolerance of the exception types ``material_variance``, ``scrap``,
``behind_plan`` and ``late_finish`` open an exception each (one open per order or centre and
type; a gap found again updates its figures). Everything is read in a few set queries, so the
close of a thousand orders takes seconds (``bench/floor.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.core.actor import Actor
from omnioms.core.models import Location
from omnioms.floor.domain import standard_steps, variance_percent
from omnioms.floor.exceptions import NewException, open_exceptions
from omnioms.floor.models import (
    CloseLine,
    CloseScope,
    DailyClose,
    ExceptionType,
    MaterialMovement,
    MaterialPolicy,
    OperationReport,
    SiteClose,
    StateInterval,
)
from omnioms.planning.models import (
    OperationStatus,
    PlannedOperation,
    PlanStatus,
    ProductionOperation,
    ProductionOrder,
    ProductionStatus,
)
from omnioms.production.models import Bom, BomLine, VersionStatus, WorkCenter

HOUR = Decimal(3600)
CENT = Decimal("0.01")


def day_window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, start + timedelta(days=1)


def _overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> float:
    return max(0.0, (min(a1, b1) - max(a0, b0)).total_seconds())


@dataclass
class _Figures:
    planned_units: float = 0.0
    good: int = 0
    scrap: int = 0
    planned_seconds: float = 0.0
    reported_seconds: float = 0.0
    materials: list[dict[str, Any]] = field(default_factory=list)
    standard_value: Decimal = Decimal(0)
    issued_value: Decimal = Decimal(0)
    planned_finish: datetime | None = None
    projected_finish: datetime | None = None


def tolerances() -> dict[str, Decimal]:
    return dict(ExceptionType.objects.filter(is_active=True).values_list("code", "tolerance"))


def _site_filter(site: Location | None) -> Q:
    return Q() if site is None else Q(work_center__site=site)


def run_daily_close(
    day: date,
    *,
    site: Location | None = None,
    job_id: int | None = None,
    progress: Callable[[float, str], None] | None = None,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> DailyClose:
    """Close ``day`` for ``site`` (None: every work centre); replaces an earlier close of it.

    ``now``: the time of the close (a simulated clock; the wall clock by default). Exceptions
    are opened at the end of the day, or at ``now`` when the day has not ended yet."""
    actor = actor or Actor.system("daily close")
    setting = (
        SiteClose.objects.filter(site=site).first()
        or SiteClose.objects.filter(site__isnull=True).first()
    )
    tz = ZoneInfo(setting.time_zone if setting else "Asia/Shanghai")
    start, end = day_window(day, tz)
    per_order: dict[int, _Figures] = defaultdict(_Figures)
    per_centre: dict[int, _Figures] = defaultdict(_Figures)

    planned = list(
        PlannedOperation.objects.filter(
            _site_filter(site), plan__status=PlanStatus.PUBLISHED, start__lt=end, end__gt=start
        ).values(
            "operation_id",
            "work_center_id",
            "start",
            "end",
            "operation__production_order_id",
            "operation__production_order__quantity",
        )
    )
    for row in planned:
        span = max((row["end"] - row["start"]).total_seconds(), 1.0)
        inside = _overlap(row["start"], row["end"], start, end)
        units = row["operation__production_order__quantity"] * min(inside / span, 1.0)
        if row["end"] == row["start"] and start <= row["start"] < end:
            units = row["operation__production_order__quantity"]
        for figures in (
            per_order[row["operation__production_order_id"]],
            per_centre[row["work_center_id"]],
        ):
            figures.planned_units += units
            figures.planned_seconds += inside
    if progress:
        progress(0.2, "plan read")

    for rep in OperationReport.objects.filter(_site_filter(site), at__gte=start, at__lt=end).values(
        "work_center_id", "operation__production_order_id", "good", "scrap"
    ):
        for figures in (
            per_order[rep["operation__production_order_id"]],
            per_centre[rep["work_center_id"]],
        ):
            figures.good += rep["good"]
            figures.scrap += rep["scrap"]
    for iv in (
        StateInterval.objects.filter(_site_filter(site), start__lt=end, end__gt=start)
        .exclude(state="planned_stop")
        .values("work_center_id", "operation__production_order_id", "start", "end")
    ):
        inside = _overlap(iv["start"], iv["end"], start, end)
        per_order[iv["operation__production_order_id"]].reported_seconds += inside
        per_centre[iv["work_center_id"]].reported_seconds += inside
    if progress:
        progress(0.4, "reports read")

    orders = {
        o.pk: o
        for o in ProductionOrder.objects.filter(pk__in=list(per_order)).select_related("sku")
    }
    _materials(orders, per_order, end)
    if progress:
        progress(0.6, "materials read")
    _finishes(orders, per_order, end)
    if progress:
        progress(0.8, "finishes projected")

    limits = tolerances()
    with transaction.atomic():
        DailyClose.objects.filter(day=day, site=site).delete()
        close = DailyClose.objects.create(day=day, site=site, job_id=job_id)
        lines = [
            _line(close, CloseScope.ORDER, figures, limits, production_order_id=pk)
            for pk, figures in per_order.items()
        ] + [
            _line(close, CloseScope.WORK_CENTER, figures, limits, work_center_id=pk)
            for pk, figures in per_centre.items()
        ]
        CloseLine.objects.bulk_create(lines, batch_size=500)
        opened = _open_exceptions(close, lines, orders, actor, min(end, now or timezone.now()))
        close.summary = {
            "orders": len(per_order),
            "work_centers": len(per_centre),
            "gaps": sum(len(line.gaps) for line in lines),
            "exceptions_opened": opened,
        }
        close.save(update_fields=["summary"])
    if progress:
        progress(1.0, "done")
    return close


def _materials(
    orders: dict[int, ProductionOrder], per_order: dict[int, _Figures], end: datetime
) -> None:
    """Issued to date against the standard for the units that used it: the first operation's
    good units (materials go in there), or the order's quantity while that operation has not
    finished (a kit issued at release is no variance yet); a back-flushed material, judged
    once the order is done, against the last operation's good units (what the back-flush
    took), so scrap further down the routing is not counted twice."""
    if not orders:
        return
    first_good: dict[int, int] = {}
    last_good: dict[int, int] = {}
    for order_id, _sequence, good, status in (
        ProductionOperation.objects.filter(production_order_id__in=list(orders))
        .order_by("production_order_id", "sequence")
        .values_list("production_order_id", "sequence", "good", "status")
    ):
        if order_id not in first_good:
            done_first = status == OperationStatus.DONE
            first_good[order_id] = good if done_first else max(good, orders[order_id].quantity)
        last_good[order_id] = good
    boms: dict[int, int] = {}
    for order in orders.values():
        if order.bom_id:
            boms[order.pk] = order.bom_id
    missing = {o.sku_id for o in orders.values() if o.pk not in boms}
    active: dict[int, int] = {}
    for bom in Bom.objects.filter(sku_id__in=missing, status=VersionStatus.ACTIVE).order_by(
        "sku_id", "-effective_from", "-version"
    ):
        active.setdefault(bom.sku_id, bom.pk)
    for order in orders.values():
        if order.pk not in boms and order.sku_id in active:
            boms[order.pk] = active[order.sku_id]
    lines: dict[int, list[BomLine]] = defaultdict(list)
    for line in BomLine.objects.filter(bom_id__in=set(boms.values())).select_related("component"):
        lines[line.bom_id].append(line)
    issued: dict[tuple[int, int], int] = {
        (o, s): total
        for o, s, total in MaterialMovement.objects.filter(
            production_order_id__in=list(orders), at__lt=end
        )
        .values_list("production_order_id", "sku_id")
        .annotate(total=Sum("quantity"))
    }
    flushed = set(MaterialPolicy.objects.filter(backflush=True).values_list("sku_id", flat=True))
    for order_id, order in orders.items():
        figures = per_order[order_id]
        done = order.status in (ProductionStatus.COMPLETED, ProductionStatus.CLOSED)
        for line in lines.get(boms.get(order_id, 0), []):
            component = line.component
            if component.pk in flushed and not done:
                continue
            good = (last_good if component.pk in flushed else first_good).get(order_id, 0)
            scale = Decimal(10) ** component.unit_decimals
            std = standard_steps(line.quantity_per, line.scrap_factor, good, scale)
            out = issued.get((order_id, component.pk), 0)
            if not std and not out:
                continue
            cost = component.unit_cost or Decimal(0)
            std_value = (Decimal(std) / scale * cost).quantize(CENT, ROUND_HALF_UP)
            out_value = (Decimal(out) / scale * cost).quantize(CENT, ROUND_HALF_UP)
            figures.standard_value += std_value
            figures.issued_value += out_value
            percent = variance_percent(Decimal(out), Decimal(std))
            figures.materials.append(
                {
                    "sku": component.code,
                    "unit": component.unit,
                    "standard": str(Decimal(std) / scale),
                    "issued": str(Decimal(out) / scale),
                    "variance": str(Decimal(out - std) / scale),
                    "variance_value": str(out_value - std_value),
                    "variance_percent": None if percent is None else str(percent),
                }
            )


def _finishes(
    orders: dict[int, ProductionOrder], per_order: dict[int, _Figures], end: datetime
) -> None:
    """The plan's last end per order, and the end of the day plus the run time left."""
    if not orders:
        return
    for order_id, finish in (
        PlannedOperation.objects.filter(
            plan__status=PlanStatus.PUBLISHED, operation__production_order_id__in=list(orders)
        )
        .values_list("operation__production_order_id")
        .annotate(finish=Max("end"))
    ):
        per_order[order_id].planned_finish = finish
    left: dict[int, float] = defaultdict(float)
    for order_id, quantity, good, scrap, seconds in ProductionOperation.objects.filter(
        production_order_id__in=list(orders)
    ).values_list(
        "production_order_id",
        "production_order__quantity",
        "good",
        "scrap",
        "run_seconds_per_unit",
    ):
        left[order_id] += max(quantity - good - scrap, 0) * float(seconds)
    for order_id, figures in per_order.items():
        if order_id not in orders or left[order_id] <= 0:
            continue
        rest = end + timedelta(seconds=left[order_id])
        planned = figures.planned_finish
        figures.projected_finish = rest if planned is None else max(rest, planned)


def _ratio(part: float, whole: float) -> Decimal | None:
    if whole <= 0:
        return None
    return Decimal(part / whole).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _line(
    close: DailyClose, scope: str, f: _Figures, limits: dict[str, Decimal], **owner: int
) -> CloseLine:
    gaps: list[dict[str, Any]] = []
    planned = round(f.planned_units)
    behind = limits.get("behind_plan")
    if behind is not None and planned > 0:
        short = _ratio(planned - f.good, planned)
        if short is not None and short > behind:
            gaps.append({"type": "behind_plan", "figure": str(short), "tolerance": str(behind)})
    scrap_limit = limits.get("scrap")
    share = _ratio(f.scrap, f.good + f.scrap)
    if scrap_limit is not None and share is not None and share > scrap_limit:
        gaps.append({"type": "scrap", "figure": str(share), "tolerance": str(scrap_limit)})
    material_limit = limits.get("material_variance")
    if material_limit is not None:
        worst = [
            m
            for m in f.materials
            if m["variance_percent"] is not None
            and abs(Decimal(m["variance_percent"])) / 100 > material_limit
        ]
        if worst:
            gaps.append(
                {
                    "type": "material_variance",
                    "figure": ", ".join(f"{m['sku']} {m['variance_percent']} %" for m in worst),
                    "tolerance": str(material_limit),
                }
            )
    late_limit = limits.get("late_finish")
    if late_limit is not None and f.planned_finish and f.projected_finish:
        hours = Decimal((f.projected_finish - f.planned_finish).total_seconds()) / HOUR
        if hours > late_limit:
            gaps.append(
                {
                    "type": "late_finish",
                    "figure": str(hours.quantize(Decimal("0.1"))),
                    "tolerance": str(late_limit),
                }
            )
    return CloseLine(
        close=close,
        scope=scope,
        planned_quantity=planned,
        good=f.good,
        scrap=f.scrap,
        planned_hours=(Decimal(f.planned_seconds) / HOUR).quantize(CENT, ROUND_HALF_UP),
        reported_hours=(Decimal(f.reported_seconds) / HOUR).quantize(CENT, ROUND_HALF_UP),
        material_standard=f.standard_value,
        material_issued=f.issued_value,
        planned_finish=f.planned_finish,
        projected_finish=f.projected_finish,
        materials=f.materials,
        gaps=gaps,
        **owner,
    )


def _open_exceptions(
    close: DailyClose,
    lines: list[CloseLine],
    orders: dict[int, ProductionOrder],
    actor: Actor,
    now: datetime,
) -> int:
    centre_codes = dict(
        WorkCenter.objects.filter(
            pk__in=[line.work_center_id for line in lines if line.work_center_id]
        ).values_list("pk", "code")
    )
    titles = {
        "behind_plan": _("%(what)s is behind the plan: %(figure)s short"),
        "scrap": _("%(what)s scrapped %(figure)s"),
        "material_variance": _("%(what)s used material off the standard: %(figure)s"),
        "late_finish": _("%(what)s will finish %(figure)s h after the plan"),
    }
    wanted = []
    for line in lines:
        if not line.gaps:
            continue
        order = orders.get(line.production_order_id or 0)
        what = order.number if order else centre_codes.get(line.work_center_id or 0, "?")
        subject = f"order:{line.production_order_id}" if order else f"wc:{line.work_center_id}"
        for gap in line.gaps:
            wanted.append(
                NewException(
                    gap["type"],
                    key=f"{subject}:{gap['type']}",
                    title=titles[gap["type"]] % {"what": what, "figure": gap["figure"]},
                    figures={**gap, "day": close.day.isoformat()},
                    production_order_id=order.pk if order else None,
                    work_center_id=line.work_center_id,
                    family_id=order.sku.family_id if order else None,
                    day=close.day,
                )
            )
    # Gaps found again (most of them, day after day) update the open exception; new ones are
    # opened together, their owners found and their people told in a few inserts.
    opened = open_exceptions(wanted, actor=actor, now=now)
    return len(opened)
