"""Reads of the production pages: the overview's figures, versions of a SKU, working hours."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from omnioms.catalog.models import Sku, SkuKind
from omnioms.production.domain import CalendarSpec, working_hours
from omnioms.production.models import Bom, Calendar, Routing, Supplier, WorkCenter
from omnioms.production.services import calendar_spec, in_effect

WEEK = timedelta(days=6)


@dataclass(frozen=True)
class CentreRow:
    centre: WorkCenter
    hours: Decimal
    """Working hours of its calendar over the coming week."""

    @property
    def capacity(self) -> Decimal:
        """Machine-hours: every machine works its calendar's hours."""
        return self.hours * self.centre.machines


def calendar_specs(calendars: Sequence[Calendar]) -> dict[int, CalendarSpec]:
    return {calendar.pk: calendar_spec(calendar) for calendar in calendars}


def work_centre_rows(today: date) -> list[CentreRow]:
    centres = list(WorkCenter.objects.select_related("calendar", "site").order_by("code"))
    specs = calendar_specs(list({c.calendar_id: c.calendar for c in centres}.values()))
    hours = {pk: working_hours(spec, today, today + WEEK) for pk, spec in specs.items()}
    return [CentreRow(centre, hours[centre.calendar_id]) for centre in centres]


@dataclass(frozen=True)
class CalendarRow:
    calendar: Calendar
    hours: Decimal
    days: int


def calendar_rows(today: date) -> list[CalendarRow]:
    calendars = list(Calendar.objects.annotate(n_days=Count("days")).order_by("code"))
    specs = calendar_specs(calendars)
    return [
        CalendarRow(c, working_hours(specs[c.pk], today, today + WEEK), c.n_days) for c in calendars
    ]


def suppliers() -> QuerySet[Supplier]:
    return Supplier.objects.annotate(n_terms=Count("terms")).order_by("code")


@dataclass(frozen=True)
class MadeRow:
    sku: Sku
    bom: Bom | None
    """The BOM in effect today (the latest version when several are)."""
    routing: Routing | None
    drafts: int


def made_skus() -> QuerySet[Sku]:
    """SKUs made here, and any SKU with a BOM or a routing (a draft for one to be made)."""
    return (
        Sku.objects.filter(Q(kind=SkuKind.MADE) | Q(boms__isnull=False) | Q(routings__isnull=False))
        .distinct()
        .order_by("code")
    )


def made_rows(skus: list[Sku], today: date) -> list[MadeRow]:
    ids = [sku.pk for sku in skus]
    boms: dict[int, Bom] = {}
    for bom in (
        Bom.objects.filter(in_effect(today), sku_id__in=ids)
        .annotate(n_lines=Count("lines"))
        .order_by("-version")
    ):
        boms.setdefault(bom.sku_id, bom)
    routings: dict[int, Routing] = {}
    for routing in (
        Routing.objects.filter(in_effect(today), sku_id__in=ids)
        .annotate(n_operations=Count("operations"))
        .order_by("-version")
    ):
        routings.setdefault(routing.sku_id, routing)
    drafts: dict[int, int] = {}
    for model in (Bom, Routing):
        for sku_id, n in (
            model.objects.filter(sku_id__in=ids, status="draft")
            .values_list("sku_id")
            .annotate(n=Count("pk"))
        ):
            drafts[sku_id] = drafts.get(sku_id, 0) + n
    return [
        MadeRow(sku, boms.get(sku.pk), routings.get(sku.pk), drafts.get(sku.pk, 0)) for sku in skus
    ]


def current_version_pk(versions: Sequence[Bom | Routing], today: date) -> int | None:
    """The version in effect today among ``versions`` (highest number first)."""
    for version in sorted(versions, key=lambda v: -v.version):
        if (
            version.status == "active"
            and version.effective_from <= today
            and (version.effective_to is None or version.effective_to > today)
        ):
            return version.pk
    return None


def four_weeks(spec: CalendarSpec, today: date) -> list[list[tuple[date, Decimal]]]:
    """Working hours of each day of four weeks from this week's Monday, one list per week."""
    monday = today - timedelta(days=today.weekday())
    return [
        [
            (day, working_hours(spec, day, day))
            for day in (monday + timedelta(days=7 * week + i) for i in range(7))
        ]
        for week in range(4)
    ]
