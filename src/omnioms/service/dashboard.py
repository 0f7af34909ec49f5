"""The customer-service dashboard: first-response and resolution time, SLA hit rate, backlog
and reopen rate per channel, team or agent, drawn with ECharts.

Figures cover tickets opened in the chosen window (backlog: open now). Times are counted as
the SLA clocks count them: in business hours of the calendar of the ticket's SLA policy
(shifts, holidays and make-up days; around the clock without a policy or calendar), less the
time the ticket waited on the customer; each group shows their median and 90th percentile.
A ticket's resolution ends when it was last solved (or closed without being solved).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from omnioms.service import domain, sla
from omnioms.service.models import (
    OPEN_STATUSES,
    SlaBreach,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)

DIMENSIONS = {"channel": "channel", "team": "team__name", "agent": "assignee__username"}
WINDOWS = (7, 30, 90)
DONE = (TicketStatus.SOLVED, TicketStatus.CLOSED)


@dataclass
class Row:
    key: str
    tickets: int
    first_response_hours: float | None
    """Median, business hours."""
    resolution_hours: float | None
    sla_hit_rate: float | None
    backlog: int
    reopen_rate: float | None
    first_response_p90_hours: float | None = None
    resolution_p90_hours: float | None = None


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


@dataclass(frozen=True)
class TicketTimes:
    first_response_seconds: float | None
    resolution_seconds: float | None
    resolved: bool


def ticket_times(
    rows: list[dict[str, Any]], tickets: QuerySet[Ticket], *, since: datetime, now: datetime
) -> dict[int, TicketTimes]:
    """Each ticket of ``rows`` (read from ``tickets``): business seconds to first response and
    to resolution (as of ``now``), less the spans it waited on the customer, from its status
    history."""
    changes: dict[int, list[tuple[datetime, str, str]]] = defaultdict(list)
    if rows:
        for ticket_id, at, data in (
            TicketEvent.objects.filter(
                ticket__in=tickets.values("pk"),
                kind=TicketEventKind.CHANGED,
                data__field="status",
            )
            .order_by("ticket_id", "at", "pk")
            .values_list("ticket_id", "at", "data")
        ):
            if at <= now:
                changes[ticket_id].append((at, str(data.get("old")), str(data.get("new"))))
    clocks: dict[int | None, domain.BusinessClock] = {}
    out = {}
    for row in rows:
        calendar_id = row["sla_policy__calendar_id"]
        if calendar_id not in clocks:
            clocks[calendar_id] = domain.BusinessClock(
                sla._spec(calendar_id), since - timedelta(days=1), now + timedelta(days=1)
            )
        clock = clocks[calendar_id]
        history = changes[row["pk"]]
        pauses = domain.pauses_from_statuses(
            history, waiting=TicketStatus.WAITING_CUSTOMER, until=now
        )
        opened = row["created_at"]
        answered = row["first_response_at"]
        first = (
            clock.seconds_less_pauses(opened, answered, pauses)
            if answered is not None and answered <= now
            else None
        )
        resolved_at = None
        if row["status"] in DONE:
            done = [at for at, _old, new in history if new in DONE]
            resolved_at = row["solved_at"] or (done[-1] if done else None)
        if resolved_at is not None and resolved_at > now:
            resolved_at = None
        resolution = clock.seconds_less_pauses(opened, resolved_at, pauses) if resolved_at else None
        out[row["pk"]] = TicketTimes(first, resolution, resolved_at is not None)
    return out


def figures(dimension: str, days: int, *, now: datetime | None = None) -> list[Row]:
    field = DIMENSIONS[dimension]
    now = now or timezone.now()
    since = now - timedelta(days=days)
    recent = Ticket.objects.filter(
        created_at__gte=since, created_at__lte=now, merged_into__isnull=True
    )
    rows = list(
        recent.values(
            "pk",
            field,
            "created_at",
            "first_response_at",
            "solved_at",
            "status",
            "reopen_count",
            "sla_policy_id",
            "sla_policy__calendar_id",
            "platform_due_at",
        )
    )
    times = ticket_times(rows, recent, since=since, now=now)
    breached = set(
        SlaBreach.objects.filter(ticket__in=recent.values("pk"), breached_at__lte=now)
        .values_list("ticket_id", flat=True)
        .distinct()
    )
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row[field]].append(row)
    backlog = dict(
        Ticket.objects.filter(status__in=OPEN_STATUSES, merged_into__isnull=True)
        .values(field)
        .annotate(n=Count("pk"))
        .values_list(field, "n")
    )
    out = []
    for key in sorted(groups, key=lambda k: (k is None, str(k or ""))):
        members = groups[key]
        first = [
            t.first_response_seconds
            for r in members
            if (t := times[r["pk"]]).first_response_seconds is not None
        ]
        resolution = [
            t.resolution_seconds
            for r in members
            if (t := times[r["pk"]]).resolution_seconds is not None
        ]
        first_median, first_p90 = domain.median_and_p90(first)
        resolution_median, resolution_p90 = domain.median_and_p90(resolution)
        with_target = [
            r for r in members if r["sla_policy_id"] is not None or r["platform_due_at"] is not None
        ]
        missed = sum(1 for r in with_target if r["pk"] in breached)
        finished = [r for r in members if times[r["pk"]].resolved or r["reopen_count"] > 0]
        reopened = sum(1 for r in finished if r["reopen_count"] > 0)
        out.append(
            Row(
                key=str(key or _("(none)")),
                tickets=len(members),
                first_response_hours=_hours(first_median),
                resolution_hours=_hours(resolution_median),
                sla_hit_rate=(round(1 - missed / len(with_target), 3) if with_target else None),
                backlog=backlog.get(key, 0),
                reopen_rate=round(reopened / len(finished), 3) if finished else None,
                first_response_p90_hours=_hours(first_p90),
                resolution_p90_hours=_hours(resolution_p90),
            )
        )
    for key, count in backlog.items():
        if key not in groups:
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
        "p90": {
            "first_response": [r.first_response_p90_hours for r in rows],
            "resolution": [r.resolution_p90_hours for r in rows],
        },
        "names": {"median": _("Median"), "p90": _("90th percentile")},
        "labels": {
            "first_response": _("First response (business hours)"),
            "resolution": _("Resolution (business hours)"),
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
