"""The customer-service dashboard: first-response and resolution time, SLA hit rate, backlog
and reopen rate per channel, team or agent, drawn with ECharts.

Figures cover tickets opened in the chosen window (backlog: open now). Times are averages of
wall-clock hours; the SLA targets themselves count business hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from omnioms.service.models import OPEN_STATUSES, Ticket

DIMENSIONS = {"channel": "channel", "team": "team__name", "agent": "assignee__username"}
WINDOWS = (7, 30, 90)


@dataclass
class Row:
    key: str
    tickets: int
    first_response_hours: float | None
    resolution_hours: float | None
    sla_hit_rate: float | None
    backlog: int
    reopen_rate: float | None


def _hours(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return round(value.total_seconds() / 3600, 2)
    return round(float(value) / 3_600_000_000, 2)  # microseconds, where a backend gives a number


def figures(dimension: str, days: int) -> list[Row]:
    field = DIMENSIONS[dimension]
    since = timezone.now() - timedelta(days=days)
    recent = Ticket.objects.filter(created_at__gte=since, merged_into__isnull=True)
    response = ExpressionWrapper(
        F("first_response_at") - F("created_at"), output_field=DurationField()
    )
    resolution = ExpressionWrapper(F("solved_at") - F("created_at"), output_field=DurationField())
    rows = (
        recent.values(field)
        .annotate(
            tickets=Count("pk"),
            response=Avg(response, filter=Q(first_response_at__isnull=False)),
            resolution=Avg(resolution, filter=Q(solved_at__isnull=False)),
            with_policy=Count(
                "pk", filter=Q(sla_policy__isnull=False) | Q(platform_due_at__isnull=False)
            ),
            breached=Count("pk", filter=Q(breaches__isnull=False), distinct=True),
            solved=Count("pk", filter=Q(solved_at__isnull=False) | Q(reopen_count__gt=0)),
            reopened=Count("pk", filter=Q(reopen_count__gt=0)),
        )
        .order_by(field)
    )
    backlog = dict(
        Ticket.objects.filter(status__in=OPEN_STATUSES, merged_into__isnull=True)
        .values(field)
        .annotate(n=Count("pk"))
        .values_list(field, "n")
    )
    out = []
    seen = set()
    for row in rows:
        key = row[field]
        seen.add(key)
        out.append(
            Row(
                key=str(key or _("(none)")),
                tickets=row["tickets"],
                first_response_hours=_hours(row["response"]),
                resolution_hours=_hours(row["resolution"]),
                sla_hit_rate=(
                    round(1 - row["breached"] / row["with_policy"], 3)
                    if row["with_policy"]
                    else None
                ),
                backlog=backlog.get(key, 0),
                reopen_rate=round(row["reopened"] / row["solved"], 3) if row["solved"] else None,
            )
        )
    for key, count in backlog.items():
        if key not in seen:
            out.append(Row(str(key or _("(none)")), 0, None, None, None, count, None))
    return out


@login_required
@permission_required("service.view_service_dashboard", raise_exception=True)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    dimension = request.GET.get("by", "channel")
    if dimension not in DIMENSIONS:
        dimension = "channel"
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = 30
    if days not in WINDOWS:
        days = 30
    rows = figures(dimension, days)
    chart = {
        "keys": [r.key for r in rows],
        "series": {
            "first_response": [r.first_response_hours for r in rows],
            "resolution": [r.resolution_hours for r in rows],
            "sla": [
                None if r.sla_hit_rate is None else round(r.sla_hit_rate * 100, 1) for r in rows
            ],
            "backlog": [r.backlog for r in rows],
            "reopen": [
                None if r.reopen_rate is None else round(r.reopen_rate * 100, 1) for r in rows
            ],
        },
        "labels": {
            "first_response": _("First response (hours)"),
            "resolution": _("Resolution (hours)"),
            "sla": _("SLA hit rate (%)"),
            "backlog": _("Backlog (open tickets)"),
            "reopen": _("Reopen rate (%)"),
        },
    }
    return render(
        request,
        "service/dashboard.html",
        {
            "rows": rows,
            "chart": chart,
            "dimension": dimension,
            "days": days,
            "dimensions": [("channel", _("Channel")), ("team", _("Team")), ("agent", _("Agent"))],
            "windows": WINDOWS,
        },
    )
