"""Production pages for planners and managers: the overview, work centres with their setup
times, calendars with shifts and exceptional days, suppliers and supply terms, SKU kinds and
units, and the workbook import and export. BOM and routing versions are in ``versions.py``.

Every page needs a login and the production app's view permission; saving needs its add or
change permission (403 otherwise), and someone who may only look sees the forms disabled.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnioms.catalog.models import Sku
from omnioms.production import editing, selectors
from omnioms.production.forms import (
    CalendarDayFormSet,
    CalendarForm,
    SetupTimeFormSet,
    ShiftFormSet,
    SkuFilterForm,
    SkuKindFormSet,
    SupplierForm,
    SupplyTermFormSet,
    UploadForm,
    WorkCenterForm,
    read_only,
    shift_initial,
)
from omnioms.production.models import Calendar, Supplier, WorkCenter
from omnioms.production.services import calendar_spec, export_master_data, import_master_data
from omnioms.production.spreadsheets import SHEETS

PAGE_SIZE = 100
SKU_PAGE_SIZE = 50
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DAYS_SHOWN_BACK = timedelta(days=366)
"""The calendar page edits exceptional days from a year ago on; older ones stay as they are."""

VIEW = "production.view_workcenter"
IMPORT_PERMISSIONS = [
    f"production.{action}_{model}"
    for model in ("workcenter", "calendar", "bom", "routing")
    for action in ("add", "change")
]


def _require(request: HttpRequest, *permissions: str) -> None:
    if not request.user.has_perms(permissions):
        raise PermissionDenied


def _may(request: HttpRequest, model: str, creating: bool = False) -> bool:
    action = "add" if creating else "change"
    return request.user.has_perm(f"production.{action}_{model}")


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    page = Paginator(selectors.made_skus(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "today": today,
        "week_end": today + selectors.WEEK,
        "centres": selectors.work_centre_rows(today),
        "page": page,
        "made": selectors.made_rows(list(page.object_list), today),
        "calendars": selectors.calendar_rows(today),
        "suppliers": selectors.suppliers(),
    }
    return render(request, "production/overview.html", context)


def _saved(request: HttpRequest, message: str, target: str) -> HttpResponse:
    messages.success(request, message)
    return HttpResponseRedirect(target)


# ----------------------------------------------------------------------------------------------
# Work centres


@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def work_centre(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    centre = get_object_or_404(WorkCenter, pk=pk) if pk else WorkCenter()
    may_save = _may(request, "workcenter", creating=pk is None)
    data = request.POST if request.method == "POST" else None
    if data is not None and not may_save:
        raise PermissionDenied
    form = WorkCenterForm(data, instance=centre)
    setups = SetupTimeFormSet(data, instance=centre, prefix="setups")
    if data is not None and form.is_valid() and setups.is_valid():
        with transaction.atomic():
            centre = form.save()
            setups.instance = centre
            setups.save()
        text = _("Work centre %(code)s saved.") % {"code": centre.code}
        return _saved(request, text, reverse("production:work_centre", args=[centre.pk]))
    if not may_save:
        read_only(form, setups)
    context = {"centre": centre, "form": form, "setups": setups, "may_save": may_save}
    return render(
        request, "production/work_centre.html", context, status=400 if data is not None else 200
    )


# ----------------------------------------------------------------------------------------------
# Calendars


def _calendar_page(
    request: HttpRequest,
    calendar: Calendar,
    *,
    data: Any = None,
    upload: UploadForm | None = None,
    report: editing.DaysReport | None = None,
    refused: bool = False,
) -> HttpResponse:
    may_save = _may(request, "calendar", creating=calendar.pk is None)
    today = timezone.localdate()
    form = CalendarForm(data, instance=calendar)
    shifts = ShiftFormSet(
        data, prefix="shifts", initial=shift_initial(calendar) if calendar.pk else _day_shifts()
    )
    days = CalendarDayFormSet(
        data,
        instance=calendar,
        prefix="days",
        queryset=calendar.days.filter(date__gte=today - DAYS_SHOWN_BACK) if calendar.pk else None,
    )
    if data is not None and form.is_valid() and shifts.is_valid() and days.is_valid():
        with transaction.atomic():
            calendar = form.save()
            editing.save_shifts(calendar, shifts.shifts())
            days.instance = calendar
            days.save()
        text = _("Calendar %(code)s saved.") % {"code": calendar.code}
        return _saved(request, text, reverse("production:calendar", args=[calendar.pk]))
    if not may_save:
        read_only(form, shifts, days)
    context = {
        "calendar": calendar,
        "form": form,
        "shifts": shifts,
        "days": days,
        "upload": upload or UploadForm(),
        "report": report,
        "may_save": may_save,
        "weeks": selectors.four_weeks(calendar_spec(calendar), today) if calendar.pk else [],
        "today": today,
    }
    refused = refused or data is not None
    return render(request, "production/calendar.html", context, status=400 if refused else 200)


def _day_shifts() -> list[dict[str, Any]]:
    """A new calendar starts with a day shift from Monday to Friday, to edit."""
    return [
        {"weekday": day, "start": time(8), "end": time(17), "breaks": "12:00-13:00"}
        for day in range(5)
    ]


@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def calendar(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    found = get_object_or_404(Calendar, pk=pk) if pk else Calendar()
    if request.method == "POST" and not _may(request, "calendar", creating=pk is None):
        raise PermissionDenied
    return _calendar_page(request, found, data=request.POST if request.method == "POST" else None)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def calendar_days(request: HttpRequest, pk: int) -> HttpResponse:
    """Load holidays and make-up days from a CSV file: all its rows, or none."""
    found = get_object_or_404(Calendar, pk=pk)
    _require(request, "production.change_calendar")
    upload = UploadForm(request.POST, request.FILES)
    data = _read_upload(upload) if upload.is_valid() else None
    if data is None:
        return _calendar_page(request, found, upload=upload, refused=True)
    report = editing.load_calendar_days(found, data)
    if report.problems:
        return _calendar_page(request, found, upload=upload, report=report, refused=True)
    text = _("Days loaded: %(created)s new, %(updated)s updated.") % {
        "created": report.created,
        "updated": report.updated,
    }
    return _saved(request, text, reverse("production:calendar", args=[found.pk]))


def _read_upload(upload: UploadForm) -> bytes | None:
    file = upload.cleaned_data["file"]
    if file.size > MAX_UPLOAD_BYTES:
        upload.add_error(
            "file", _("the file is larger than %(n)s MB") % {"n": MAX_UPLOAD_BYTES >> 20}
        )
        return None
    data: bytes = file.read()
    return data


# ----------------------------------------------------------------------------------------------
# Suppliers


@login_required
@permission_required("production.view_supplier", raise_exception=True)
@require_GET
def suppliers(request: HttpRequest) -> HttpResponse:
    return render(request, "production/suppliers.html", {"suppliers": selectors.suppliers()})


@login_required
@permission_required("production.view_supplier", raise_exception=True)
@require_http_methods(["GET", "POST"])
def supplier(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    found = get_object_or_404(Supplier, pk=pk) if pk else Supplier()
    may_save = _may(request, "supplier", creating=pk is None)
    data = request.POST if request.method == "POST" else None
    if data is not None and not may_save:
        raise PermissionDenied
    form = SupplierForm(data, instance=found)
    terms = SupplyTermFormSet(data, instance=found, prefix="terms")
    if data is not None and form.is_valid() and terms.is_valid():
        with transaction.atomic():
            found = form.save()
            terms.instance = found
            terms.save()
        text = _("Supplier %(code)s saved.") % {"code": found.code}
        return _saved(request, text, reverse("production:supplier", args=[found.pk]))
    if not may_save:
        read_only(form, terms)
    context = {"supplier": found, "form": form, "terms": terms, "may_save": may_save}
    return render(
        request, "production/supplier.html", context, status=400 if data is not None else 200
    )


# ----------------------------------------------------------------------------------------------
# SKU kinds and units


@login_required
@permission_required([VIEW, "catalog.view_sku"], raise_exception=True)
@require_http_methods(["GET", "POST"])
def skus(request: HttpRequest) -> HttpResponse:
    """Which SKUs are made, bought or resold, and their stock units, a page at a time."""
    may_save = request.user.has_perm("catalog.change_sku")
    if request.method == "POST" and not may_save:
        raise PermissionDenied
    query = SkuFilterForm(request.GET)
    rows = Sku.objects.select_related("family").order_by("code")
    if query.is_valid():
        text, kind = query.cleaned_data["q"].strip(), query.cleaned_data["kind"]
        if text:
            rows = rows.filter(Q(code__icontains=text) | Q(name__icontains=text))
        if kind:
            rows = rows.filter(kind=kind)
    page = Paginator(rows, SKU_PAGE_SIZE).get_page(request.GET.get("page"))
    if request.method == "POST":
        # The rows posted are the ones edited, whatever the list holds by now.
        posted = Sku.objects.filter(pk__in=_posted_ids(request.POST, "skus")).order_by("code")
        formset = SkuKindFormSet(request.POST, queryset=posted, prefix="skus")
        if formset.is_valid():
            changed = formset.save()
            text = ngettext("%(n)s SKU saved.", "%(n)s SKUs saved.", len(changed)) % {
                "n": len(changed)
            }
            return _saved(request, text, request.get_full_path())
    else:
        ids = [sku.pk for sku in page.object_list]
        formset = SkuKindFormSet(queryset=rows.filter(pk__in=ids), prefix="skus")
    if not may_save:
        read_only(formset)
    parameters = request.GET.copy()
    parameters.pop("page", None)
    fragment = bool(getattr(request, "htmx", False)) and request.method == "GET"
    context = {
        "query": query,
        "page": page,
        "formset": formset,
        "may_save": may_save,
        "parameters": parameters.urlencode(),
    }
    template = "production/_sku_results.html" if fragment else "production/skus.html"
    status = 400 if request.method == "POST" else 200
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _posted_ids(data: Any, prefix: str) -> list[int]:
    ids = []
    for key, value in data.items():
        if key.startswith(f"{prefix}-") and key.endswith("-id") and str(value).isdigit():
            ids.append(int(value))
    return ids


# ----------------------------------------------------------------------------------------------
# Workbook import and export


@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def workbook(request: HttpRequest) -> HttpResponse:
    """Upload a workbook: its report, or every problem with nothing written; and the export."""
    may_import = request.user.has_perms(IMPORT_PERMISSIONS)
    chinese = _chinese(request)
    context: dict[str, Any] = {"may_import": may_import, "report": None, "chinese": chinese}
    if request.method == "GET":
        context["upload"] = UploadForm()
        return render(request, "production/workbook.html", context)
    if not may_import:
        raise PermissionDenied
    upload = UploadForm(request.POST, request.FILES)
    context["upload"] = upload
    data = _read_upload(upload) if upload.is_valid() else None
    if data is None:
        return render(request, "production/workbook.html", context, status=400)
    report = import_master_data(data)
    context["report"] = report
    context["counts"] = [
        (_sheet_name(sheet, chinese), report.created.get(sheet, 0), report.updated.get(sheet, 0))
        for sheet in SHEETS
        if sheet in report.created or sheet in report.updated
    ]
    context["problems"] = [
        (_sheet_name(p.sheet, chinese), p.row, _column_name(p.sheet, p.column, chinese), p.message)
        for p in report.problems
    ]
    status = 200 if report.ok else 400
    return render(request, "production/workbook.html", context, status=status)


def _chinese(request: HttpRequest) -> bool:
    return str(getattr(request, "LANGUAGE_CODE", "en")).lower().startswith("zh")


def _sheet_name(sheet: str, chinese: bool) -> str:
    """A sheet as the user's language names it in a workbook."""
    return SHEETS[sheet][0] if chinese and sheet in SHEETS else sheet


def _column_name(sheet: str, columns: str, chinese: bool) -> str:
    """Columns (one key, or several headers a header row lacks) as the workbook heads them."""
    known = {c.key: c for c in SHEETS[sheet][1]} if sheet in SHEETS else {}
    known.update({c.english: c for c in known.values()})
    names = []
    for name in filter(None, (part.strip() for part in columns.split(","))):
        column = known.get(name)
        names.append((column.chinese if chinese else column.english) if column else name)
    return ", ".join(names)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The master data as a workbook, headers in the language asked for, else the user's."""
    asked = request.GET.get("lang")
    chinese = asked.lower().startswith("zh") if asked else _chinese(request)
    content = export_master_data(chinese=chinese)
    name = f"production-{timezone.localdate():%Y%m%d}{'-zh' if chinese else ''}.xlsx"
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
