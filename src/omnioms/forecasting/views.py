"""Forecasting pages for planners and managers: runs (made as jobs), a SKU's or a family's
history and forecast as a chart, the accuracy of past runs, the sales team's grid and the event
calendar.

Every page needs a login and a forecasting permission (403 otherwise).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnioms.catalog.models import ProductFamily, Sku, SkuKind
from omnioms.core.actor import Actor
from omnioms.core.jobs import start_job
from omnioms.core.models import Job
from omnioms.forecasting.forms import EventForm, RunForm, ScheduleForm, UploadForm
from omnioms.forecasting.models import (
    DemandDay,
    DemandEvent,
    ForecastFigure,
    ForecastRun,
    Level,
    RollingSchedule,
    RunStatus,
    SalesInput,
)
from omnioms.forecasting.services import (
    SalesFigure,
    load_preset_events,
    read_sales_workbook,
    save_sales_input,
    write_sales_workbook,
)

HISTORY_PERIODS: dict[str, int] = {Level.DAY: 90, Level.WEEK: 52, Level.MONTH: 24}
GRID_MONTHS = 6
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _period(level: str, day: date) -> date:
    if level == Level.WEEK:
        return day - timedelta(days=day.weekday())
    if level == Level.MONTH:
        return day.replace(day=1)
    return day


def _months_from(start: date, n: int) -> list[date]:
    months, current = [], start.replace(day=1)
    for _i in range(n):
        months.append(current)
        current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


@login_required
@permission_required("forecasting.view_forecastrun", raise_exception=True)
@require_http_methods(["GET", "POST"])
def overview(request: HttpRequest) -> HttpResponse:
    form = RunForm(request.POST or None, initial={"as_of": timezone.localdate()})
    if request.method == "POST":
        if not request.user.has_perm("forecasting.add_forecastrun"):
            return HttpResponse(status=403)
        if form.is_valid():
            job = start_job(
                "forecasting.run",
                actor=Actor.for_user(request.user),
                label=_("Forecast as of %(day)s") % {"day": form.cleaned_data["as_of"]},
                as_of=form.cleaned_data["as_of"].isoformat(),
                horizon_months=form.cleaned_data["horizon_months"],
                rule=form.cleaned_data["rule"],
                frozen_days=form.cleaned_data["frozen_days"],
            )
            messages.success(request, _("The forecast run was queued; it runs in the background."))
            return HttpResponseRedirect(reverse("forecasting:overview") + f"?job={job.pk}")
    shown = None
    if request.GET.get("job", "").isdigit():
        shown = Job.objects.filter(pk=int(request.GET["job"]), kind="forecasting.run").first()
    running = Job.objects.filter(kind="forecasting.run", status__in=["queued", "running"])[:5]
    runs = ForecastRun.objects.select_related("job")[:20]
    latest = ForecastRun.objects.filter(status=RunStatus.READY).first()
    top: list[dict[str, Any]] = []
    if latest is not None:
        top = list(
            ForecastFigure.objects.filter(run=latest, level=Level.MONTH)
            .values("sku__code", "sku__name")
            .annotate(total=Sum("final"))
            .order_by("-total")[:25]
        )
    scheduled = Job.objects.filter(kind="forecasting.run", params__has_key="scheduled").first()
    return render(
        request,
        "forecasting/overview.html",
        {
            "form": form,
            "schedule_form": ScheduleForm(instance=RollingSchedule.objects.filter(pk=1).first()),
            "schedule_saved": RollingSchedule.objects.filter(pk=1).exists(),
            "last_scheduled": scheduled,
            "job": shown,
            "running": [j for j in running if shown is None or j.pk != shown.pk],
            "runs": runs,
            "latest": latest,
            "top": top,
            "families": ProductFamily.objects.all(),
        },
    )


@login_required
@permission_required("forecasting.change_rollingschedule", raise_exception=True)
@require_http_methods(["POST"])
def schedule(request: HttpRequest) -> HttpResponse:
    """Save the rolling forecast's rhythm; the worker starts the runs it calls for."""
    existing = RollingSchedule.objects.filter(pk=1).first()
    form = ScheduleForm(request.POST, instance=existing or RollingSchedule(pk=1))
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label}: {' '.join(str(e) for e in errors)}"
            if name in form.fields
            else str(errors[0])
            for name, errors in form.errors.items()
        )
        messages.error(
            request, _("The schedule was not saved: %(problems)s") % {"problems": problems}
        )
        return HttpResponseRedirect(reverse("forecasting:overview"))
    form.save()
    messages.success(request, _("The rolling forecast schedule was saved."))
    return HttpResponseRedirect(reverse("forecasting:overview"))


def _series(level: str, sku_ids: list[int], latest: ForecastRun | None) -> dict[str, Any]:
    """History and forecast of ``sku_ids`` summed, at ``level``, for the chart and the table."""
    today = timezone.localdate()
    periods = HISTORY_PERIODS[level]
    start = _period(
        level, today - timedelta(days={"day": 1, "week": 7, "month": 31}[level] * periods)
    )
    sold: dict[date, int] = defaultdict(int)
    for day, quantity in DemandDay.objects.filter(
        sku_id__in=sku_ids, day__gte=start, day__lt=today
    ).values_list("day", "quantity"):
        sold[_period(level, day)] += quantity
    rows: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    if latest is not None:
        figures = ForecastFigure.objects.filter(run=latest, level=level, sku_id__in=sku_ids)
        for start_, statistical, lower, upper, sales, final in figures.values_list(
            "period_start", "statistical", "lower", "upper", "sales", "final"
        ):
            row = rows[start_]
            row["statistical"] += statistical
            row["lower"] += lower or 0
            row["upper"] += upper or 0
            row["final"] += final
            if sales is not None:
                row["sales"] += sales
    history = sorted(sold.items())
    forecast = sorted(rows.items())
    events = list(
        DemandEvent.objects.filter(end__gte=start).order_by("start").values("name", "start", "end")
    )
    chart = {
        "history": [[d.isoformat(), n] for d, n in history],
        "statistical": [[d.isoformat(), float(r["statistical"])] for d, r in forecast],
        "lower": [[d.isoformat(), float(r["lower"])] for d, r in forecast],
        "upper": [[d.isoformat(), float(r["upper"])] for d, r in forecast],
        "final": [[d.isoformat(), float(r["final"])] for d, r in forecast],
        "sales": [[d.isoformat(), float(r["sales"])] for d, r in forecast if "sales" in r],
        "events": [
            {"name": e["name"], "start": e["start"].isoformat(), "end": e["end"].isoformat()}
            for e in events
        ],
        "labels": {
            "history": _("Sold"),
            "statistical": _("Statistical forecast"),
            "interval": _("Interval"),
            "final": _("Final forecast"),
            "sales": _("Sales input"),
        },
    }
    table = [
        {
            "period": d,
            "statistical": r["statistical"],
            "lower": r["lower"],
            "upper": r["upper"],
            "sales": r.get("sales"),
            "final": r["final"],
        }
        for d, r in forecast
    ]
    return {"chart": chart, "table": table, "history": history}


def _level(request: HttpRequest) -> str:
    level = request.GET.get("level", Level.WEEK)
    return level if level in Level.values else Level.WEEK


@login_required
@permission_required("forecasting.view_forecastfigure", raise_exception=True)
@require_GET
def sku_page(request: HttpRequest, code: str) -> HttpResponse:
    sku = get_object_or_404(Sku, code=code)
    level = _level(request)
    latest = ForecastRun.objects.filter(status=RunStatus.READY).first()
    model = None
    if latest is not None:
        model = (
            ForecastFigure.objects.filter(run=latest, sku=sku)
            .values_list("model", flat=True)
            .first()
        )
    return render(
        request,
        "forecasting/series.html",
        {
            "title": f"{sku.code} · {sku.name}",
            "subject": sku,
            "level": level,
            "levels": Level.choices,
            "latest": latest,
            "model": model,
            **_series(level, [sku.pk], latest),
        },
    )


@login_required
@permission_required("forecasting.view_forecastfigure", raise_exception=True)
@require_GET
def family_page(request: HttpRequest, code: str) -> HttpResponse:
    family = get_object_or_404(ProductFamily, code=code)
    level = _level(request)
    latest = ForecastRun.objects.filter(status=RunStatus.READY).first()
    skus = list(family.skus.order_by("code"))
    return render(
        request,
        "forecasting/series.html",
        {
            "title": f"{family.code} · {family.name}",
            "subject": family,
            "skus": skus,
            "level": level,
            "levels": Level.choices,
            "latest": latest,
            **_series(level, [s.pk for s in skus], latest),
        },
    )


@login_required
@permission_required("forecasting.view_forecastfigure", raise_exception=True)
@require_GET
def accuracy(request: HttpRequest) -> HttpResponse:
    from omnioms.forecasting.runs import accuracy_table  # pandas: loaded on this page only

    table = accuracy_table()
    rows = [
        {
            "level": Level(r.level).label,
            "lag": r.lag,
            "source": {
                "statistical": _("Statistical"),
                "final": pgettext("forecast", "Final"),
                "sales": _("Sales input"),
            }.get(r.source, r.source),
            "wape": r.wape,
            "bias": r.bias,
            "value_added": r.value_added,
        }
        for r in table.itertuples()
    ]
    return render(request, "forecasting/accuracy.html", {"rows": rows})


# ----------------------------------------------------------------------------------------------
# The sales team's grid


def _grid_subjects() -> tuple[list[Sku], list[ProductFamily]]:
    skus = list(
        Sku.objects.filter(is_active=True, kind__in=[SkuKind.MADE, SkuKind.RESOLD])
        .filter(Q(components__isnull=True))
        .order_by("code")[:300]
    )
    return skus, list(ProductFamily.objects.order_by("code"))


@login_required
@permission_required("forecasting.view_salesinput", raise_exception=True)
@require_http_methods(["GET", "POST"])
def sales_grid(request: HttpRequest) -> HttpResponse:
    months = _months_from(timezone.localdate(), GRID_MONTHS)
    skus, families = _grid_subjects()
    problems: list[str] = []
    if request.method == "POST":
        if not request.user.has_perm("forecasting.change_salesinput"):
            return HttpResponse(status=403)
        figures, problems = _figures_from_post(
            request, [s.code for s in skus] + [f.code for f in families], months
        )
        if not problems:
            report = save_sales_input(figures, actor=Actor.for_user(request.user))
            if report.ok:
                messages.success(request, _("The sales forecast was saved."))
                return HttpResponseRedirect(reverse("forecasting:sales"))
            problems = [str(p) for p in report.problems]
    current: dict[tuple[str, date], Decimal] = {}
    for sku_code, family_code, month, quantity in SalesInput.objects.filter(
        month__in=months
    ).values_list("sku__code", "family__code", "month", "quantity"):
        current[(sku_code or family_code, month)] = quantity
    subjects: list[tuple[str, str, bool]] = [(f.code, f.name, True) for f in families]
    subjects += [(s.code, s.name, False) for s in skus]
    rows = [
        {
            "code": code,
            "name": name,
            "is_family": is_family,
            "cells": [
                {"name": f"q-{code}-{m:%Y-%m}", "value": current.get((code, m))} for m in months
            ],
        }
        for code, name, is_family in subjects
    ]
    return render(
        request,
        "forecasting/sales.html",
        {"months": months, "rows": rows, "problems": problems, "upload": UploadForm()},
    )


def _figures_from_post(
    request: HttpRequest, codes: list[str], months: list[date]
) -> tuple[list[SalesFigure], list[str]]:
    figures: list[SalesFigure] = []
    problems: list[str] = []
    stored = {
        (sku or family, month)
        for sku, family, month in SalesInput.objects.filter(month__in=months).values_list(
            "sku__code", "family__code", "month"
        )
    }
    for code in codes:
        for month in months:
            raw = request.POST.get(f"q-{code}-{month:%Y-%m}", "").strip()
            if raw == "":
                if (code, month) in stored:  # emptied: the figure is cleared
                    figures.append(SalesFigure(code, month, None))
                continue
            try:
                quantity = Decimal(raw)
            except InvalidOperation:
                problems.append(
                    _("%(code)s, %(month)s: %(value)r is not a number")
                    % {"code": code, "month": f"{month:%Y-%m}", "value": raw}
                )
                continue
            if not quantity.is_finite() or quantity < 0:
                problems.append(
                    _("%(code)s, %(month)s: must be 0 or more")
                    % {"code": code, "month": f"{month:%Y-%m}"}
                )
                continue
            figures.append(SalesFigure(code, month, quantity))
    return figures, problems


@login_required
@permission_required("forecasting.change_salesinput", raise_exception=True)
@require_POST
def sales_upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose an Excel file (.xlsx) to upload."))
        return HttpResponseRedirect(reverse("forecasting:sales"))
    data = form.cleaned_data["file"].read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        messages.error(request, _("The file is larger than 5 MB."))
        return HttpResponseRedirect(reverse("forecasting:sales"))
    figures, problems = read_sales_workbook(data)
    if not problems:
        report = save_sales_input(figures, actor=Actor.for_user(request.user))
        problems = list(report.problems)
        if report.ok:
            messages.success(request, _("%(n)s figures were saved.") % {"n": report.written})
    for problem in problems[:20]:
        messages.error(request, str(problem))
    return HttpResponseRedirect(reverse("forecasting:sales"))


@login_required
@permission_required("forecasting.view_salesinput", raise_exception=True)
@require_GET
def sales_download(request: HttpRequest) -> HttpResponse:
    months = _months_from(timezone.localdate(), GRID_MONTHS)
    response = HttpResponse(
        write_sales_workbook(months),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="sales_forecast.xlsx"'
    return response


# ----------------------------------------------------------------------------------------------
# The event calendar


@login_required
@permission_required("forecasting.view_demandevent", raise_exception=True)
@require_http_methods(["GET", "POST"])
def events(request: HttpRequest) -> HttpResponse:
    form = EventForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("forecasting.add_demandevent"):
            return HttpResponse(status=403)
        if request.POST.get("preset"):
            report = load_preset_events()
            messages.success(
                request, _("%(n)s festival dates were loaded.") % {"n": report.written}
            )
            return HttpResponseRedirect(reverse("forecasting:events"))
        if form.is_valid():
            form.save()
            messages.success(request, _("The event was added."))
            return HttpResponseRedirect(reverse("forecasting:events"))
    since = timezone.localdate() - timedelta(days=400)
    return render(
        request,
        "forecasting/events.html",
        {
            "form": form,
            "events": DemandEvent.objects.filter(end__gte=since).select_related("family"),
        },
    )


@login_required
@permission_required("forecasting.delete_demandevent", raise_exception=True)
@require_POST
def event_delete(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(DemandEvent, pk=pk).delete()
    messages.success(request, _("The event was removed."))
    return HttpResponseRedirect(reverse("forecasting:events"))
