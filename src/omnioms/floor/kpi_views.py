"""KPI dashboards per role, with drill-down from each figure to what is behind it.

A manager sees every figure; a supervisor OEE and schedule adherence; a planner on-time
delivery, inventory days, forecast accuracy and adherence; customer service on-time delivery.
``?role=`` shows another role's dashboard. Each figure is drawn against its target (settings
in :class:`KpiTargets`) with ECharts; the drill pages list the orders, work centres and SKUs
behind it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from omnioms.core.roles import ROLE_LABELS, Role
from omnioms.floor import kpis
from omnioms.floor.models import InventoryBenchmark
from omnioms.orders.models import Order

ROLE_FIGURES = {
    Role.MANAGER: ["otd", "oee", "inventory", "adherence", "forecast"],
    Role.ADMINISTRATOR: ["otd", "oee", "inventory", "adherence", "forecast"],
    Role.SUPERVISOR: ["oee", "adherence"],
    Role.PLANNER: ["otd", "inventory", "forecast", "adherence"],
    Role.CUSTOMER_SERVICE: ["otd"],
}
TITLES = {
    "otd": gettext_lazy("On-time delivery"),
    "oee": gettext_lazy("OEE"),
    "inventory": gettext_lazy("Inventory days"),
    "adherence": gettext_lazy("Schedule adherence"),
    "forecast": gettext_lazy("Forecast accuracy"),
}


def _period(request: HttpRequest) -> kpis.Period:
    tz = ZoneInfo(str(timezone.get_current_timezone()))
    default = kpis.default_period(tz)
    try:
        start = (
            date.fromisoformat(request.GET.get("start", ""))
            if request.GET.get("start")
            else (default.start)
        )
        end = (
            date.fromisoformat(request.GET.get("end", ""))
            if request.GET.get("end")
            else (default.end)
        )
    except ValueError:
        return default
    if end < start or (end - start).days > 400:
        return default
    return kpis.Period(start, end, tz)


def _role(request: HttpRequest) -> str:
    asked = request.GET.get("role", "")
    if asked in ROLE_FIGURES:
        return asked
    names = set(request.user.groups.values_list("name", flat=True))
    for role in ROLE_FIGURES:
        if role in names:
            return role
    return Role.MANAGER


def _pct(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


def _tile(
    key: str,
    value: float | None,
    target: float | None,
    unit: str = "%",
    met: bool | None = None,
    note: str = "",
) -> dict[str, Any]:
    return {
        "key": key,
        "title": str(TITLES[key]),
        "value": value,
        "target": target,
        "unit": unit,
        "met": met,
        "note": note,
    }


def _figures(keys: list[str], period: kpis.Period) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    tiles: list[dict[str, Any]] = []
    charts: dict[str, Any] = {}
    targets = kpis.targets()
    if "otd" in keys:
        total, by_channel = kpis.otd_figures(period, by="channel")
        tiles.append(
            _tile(
                "otd",
                _pct(total.otd),
                _pct(targets.otd),
                met=total.met,
                note=_("%(on)s of %(n)s lines") % {"on": total.on_time, "n": total.lines},
            )
        )
        charts["otd"] = {
            "labels": list(by_channel),
            "values": [_pct(f.otd) for f in by_channel.values()],
            "target": _pct(targets.otd),
        }
    if "oee" in keys:
        oee_total, per_centre = kpis.oee_figures(period)
        tiles.append(
            _tile(
                "oee",
                _pct(oee_total.oee),
                _pct(targets.oee),
                met=oee_total.met,
                note=_("availability %(a)s %%, effectiveness %(e)s %%, quality %(q)s %%")
                % {
                    "a": _pct(oee_total.availability),
                    "e": _pct(oee_total.effectiveness),
                    "q": _pct(oee_total.quality),
                },
            )
        )
        charts["oee"] = {
            "labels": list(per_centre),
            "values": [_pct(f.oee) for f in per_centre.values()],
            "target": _pct(targets.oee),
        }
        charts["downtime"] = {
            "labels": [f"{d.state} {d.reason}".strip() for d in oee_total.downtime],
            "values": [round(float(d.seconds) / 3600, 1) for d in oee_total.downtime],
            "cumulative": [_pct(d.cumulative_share) for d in oee_total.downtime],
        }
        charts["scrap"] = {
            "labels": [s.reason or "—" for s in oee_total.scrap_reasons],
            "values": [s.quantity for s in oee_total.scrap_reasons],
            "cumulative": [_pct(s.cumulative_share) for s in oee_total.scrap_reasons],
        }
    if "inventory" in keys:
        report, _skus, source = kpis.inventory_figures(period)
        whole = report.total
        days = None if whole.days is None else round(float(whole.days), 1)
        bench = None if whole.benchmark is None else float(whole.benchmark)
        note = (
            _("no benchmark chosen")
            if bench is None
            else _("benchmark %(b)s days (%(src)s), band %(low)s–%(high)s")
            % {
                "b": bench,
                "src": str(source) if source else _("own figure"),
                "low": round(float(whole.low or 0), 1),
                "high": round(float(whole.high or 0), 1),
            }
        )
        tiles.append(_tile("inventory", days, bench, unit=_("days"), met=whole.met, note=note))
        charts["inventory"] = {
            "labels": [str(c.label if hasattr(c, "label") else c) for c in report.categories],
            "values": [
                None if f.days is None else round(float(f.days), 1)
                for f in report.categories.values()
            ],
            "target": bench,
        }
    if "adherence" in keys:
        adh, per_wc = kpis.adherence_figures(period)
        tiles.append(
            _tile(
                "adherence",
                _pct(adh.adherence),
                _pct(targets.adherence),
                met=adh.met,
                note=_("%(a)s of %(n)s operations") % {"a": adh.adhered, "n": adh.operations},
            )
        )
        charts["adherence"] = {
            "labels": list(per_wc),
            "values": [_pct(f.adherence) for f in per_wc.values()],
            "target": _pct(targets.adherence),
        }
    if "forecast" in keys:
        accuracy = kpis.forecast_accuracy()
        met = None if accuracy is None else accuracy >= targets.forecast_accuracy
        tiles.append(
            _tile(
                "forecast",
                _pct(accuracy),
                _pct(targets.forecast_accuracy),
                met=met,
                note=_("1 − WAPE, month level, a month ahead"),
            )
        )
    return tiles, charts


@login_required
@permission_required("floor.view_kpi_dashboard", raise_exception=True)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    role = _role(request)
    period = _period(request)
    tiles, charts = _figures(ROLE_FIGURES[role], period)
    charts["labels"] = {
        "target": _("Target"),
        "hours": _("Hours"),
        "units": _("Units"),
        "cumulative": _("Cumulative %"),
        "days": _("Days"),
    }
    context = {
        "role": role,
        "roles": [(r, ROLE_LABELS[r]) for r in ROLE_FIGURES if r != Role.ADMINISTRATOR],
        "period": period,
        "tiles": tiles,
        "charts": charts,
        "benchmarks": InventoryBenchmark.objects.all()[:50],
    }
    return render(request, "floor/kpi.html", context)


@login_required
@permission_required("floor.view_kpi_dashboard", raise_exception=True)
@require_GET
def drill(request: HttpRequest, figure: str) -> HttpResponse:
    period = _period(request)
    rows: list[list[Any]] = []
    headers: list[str] = []
    by = request.GET.get("by", "")
    if figure == "otd":
        by = by if by in ("channel", "customer", "sku", "month") else "channel"
        total, groups = kpis.otd_figures(period, by=by)
        headers = [_("Group"), _("Lines"), _("On time"), _("OTD %")]
        rows = [[k, f.lines, f.on_time, _pct(f.otd)] for k, f in groups.items()]
        missed = {order for order, _line in total.missed}
        extra = list(
            Order.objects.filter(pk__in=[int(m) for m in missed]).values_list("pk", "external_id")
        )
    elif figure == "oee":
        by = by if by in ("work_center", "shift", "line", "day") else "work_center"
        _total, oee_groups = kpis.oee_figures(
            period, by=by, work_center=request.GET.get("wc", "")[:50]
        )
        headers = [
            _("Group"),
            _("Availability %"),
            _("Effectiveness %"),
            _("Quality %"),
            _("OEE %"),
            _("Good"),
            _("Scrap"),
            _("Biggest loss"),
        ]
        rows = [
            [
                k,
                _pct(f.availability),
                _pct(f.effectiveness),
                _pct(f.quality),
                _pct(f.oee),
                f.good,
                f.scrap,
                f"{f.downtime[0].state} {f.downtime[0].reason}" if f.downtime else "—",
            ]
            for k, f in oee_groups.items()
        ]
        extra = []
    elif figure == "adherence":
        _total_a, groups_a = kpis.adherence_figures(period)
        headers = [_("Work centre"), _("Operations"), _("Adhered"), _("Adherence %")]
        rows = [[k, f.operations, f.adhered, _pct(f.adherence)] for k, f in groups_a.items()]
        extra = []
    elif figure == "inventory":
        report, per_sku, _source = kpis.inventory_figures(period)
        per_day = report.cogs_per_day.amount
        headers = [_("SKU"), _("Average value"), _("Days of cost of goods sold")]
        rows = [
            [code, round(float(value), 2), round(float(value / per_day), 1) if per_day else None]
            for code, value in sorted(per_sku.items(), key=lambda kv: -kv[1])[:200]
        ]
        extra = []
    else:
        raise Http404("no such figure")
    context = {
        "figure": figure,
        "title": TITLES.get(figure, figure),
        "period": period,
        "headers": headers,
        "rows": rows,
        "by": by,
        "missed_orders": extra,
    }
    return render(request, "floor/kpi_drill.html", context)
