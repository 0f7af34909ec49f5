"""Shop-floor pages for the tablet at the machine, job tickets, and the Excel upload.

The tablet page is made for gloved fingers: a work centre's queue as large cards, a job's
page with one large button per allowed report. Every form carries a report id made when the
page was drawn, so a double tap or a form sent again applies once. The job can be found by
scanning its ticket's QR code with the tablet's camera (ZXing, served from this site) or by
typing the code.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from omnioms.core.actor import Actor
from omnioms.floor.domain import ALLOWED, FloorError
from omnioms.floor.models import OperationReport, PauseReason, ReportSource, ScrapReason
from omnioms.floor.reporting import report_operation
from omnioms.floor.selectors import job_by_code, ticket_code, work_center_queue
from omnioms.floor.tickets import tickets_pdf
from omnioms.floor.upload import UploadRefused, apply_workbook, template_workbook
from omnioms.planning.models import ProductionOperation
from omnioms.production.models import WorkCenter

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _camera_allowed(response: HttpResponse) -> HttpResponse:
    """The site refuses every device API; the scanning page may use its own camera."""
    policy = dict(settings.PERMISSIONS_POLICY, camera=["self"])
    response._permissions_policy_override = ", ".join(  # type: ignore[attr-defined]
        f"{feature}=({' '.join(values)})" for feature, values in policy.items()
    )
    return response


@login_required
@permission_required("floor.report_operation", raise_exception=True)
@require_GET
def tablet(request: HttpRequest) -> HttpResponse:
    centres = WorkCenter.objects.filter(is_active=True).order_by("code")
    return _camera_allowed(render(request, "floor/tablet.html", {"centres": centres}))


@login_required
@permission_required("floor.report_operation", raise_exception=True)
@require_GET
def tablet_queue(request: HttpRequest, code: str) -> HttpResponse:
    centre = get_object_or_404(WorkCenter, code=code)
    context = {"centre": centre, "jobs": work_center_queue(centre)}
    return _camera_allowed(render(request, "floor/tablet_queue.html", context))


@login_required
@permission_required("floor.report_operation", raise_exception=True)
@require_GET
def find_job(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("code", "").strip()[:120].replace("\x00", "")
    job = job_by_code(code) if code else None
    if job is None:
        messages.error(request, _("No job has the code %(code)s.") % {"code": code or "—"})
        return HttpResponseRedirect(request.GET.get("back") or reverse("floor:tablet"))
    return HttpResponseRedirect(reverse("floor:tablet_job", args=[job.operation_id]))


@login_required
@permission_required("floor.report_operation", raise_exception=True)
@require_http_methods(["GET", "POST"])
def tablet_job(request: HttpRequest, pk: int) -> HttpResponse:
    operation = get_object_or_404(
        ProductionOperation.objects.select_related("production_order__sku"), pk=pk
    )
    job = job_by_code(f"op:{pk}")
    assert job is not None
    if request.method == "POST":
        return _post_report(request, operation)
    allowed = [kind for kind, statuses in ALLOWED.items() if operation.status in statuses]
    context = {
        "job": job,
        "allowed": allowed,
        "report_id": uuid.uuid4().hex,
        "pause_reasons": PauseReason.choices,
        "scrap_reasons": ScrapReason.choices,
        "reports": operation.floor_reports.order_by("-at", "-pk")[:10],
    }
    return _camera_allowed(render(request, "floor/tablet_job.html", context))


def _post_report(request: HttpRequest, operation: ProductionOperation) -> HttpResponse:
    back = reverse("floor:tablet_job", args=[operation.pk])
    try:
        good = int(request.POST.get("good") or 0)
        scrap = int(request.POST.get("scrap") or 0)
    except ValueError:
        messages.error(request, _("Good and scrap are whole numbers."))
        return HttpResponseRedirect(back)
    report_id = request.POST.get("report_id", "").replace("\x00", "")
    if OperationReport.objects.filter(report_id=report_id, operation=operation).exists():
        # A second tap on the same button: the time differs, the report is the same one.
        messages.info(request, _("This report had already been applied."))
        return HttpResponseRedirect(back)
    try:
        applied = report_operation(
            operation_id=operation.pk,
            report_id=report_id,
            kind=request.POST.get("kind", ""),
            at=timezone.now(),
            good=good,
            scrap=scrap,
            scrap_reason=request.POST.get("scrap_reason", ""),
            pause_reason=request.POST.get("pause_reason", ""),
            source=ReportSource.TABLET,
            actor=Actor.for_user(request.user),
        )
    except FloorError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(back)
    if applied.created:
        messages.success(
            request, _("Reported: %(kind)s.") % {"kind": applied.report.get_kind_display()}
        )
    else:
        messages.info(request, _("This report had already been applied."))
    return HttpResponseRedirect(back)


@login_required
@permission_required("floor.view_operationreport", raise_exception=True)
@require_GET
def ticket(request: HttpRequest, pk: int) -> HttpResponse:
    operation = get_object_or_404(
        ProductionOperation.objects.select_related("production_order"), pk=pk
    )
    job = job_by_code(f"op:{operation.pk}")
    assert job is not None
    response = HttpResponse(tickets_pdf([job]), content_type="application/pdf")
    name = ticket_code(operation.production_order.number, operation.sequence).replace("/", "-")
    response["Content-Disposition"] = f'inline; filename="ticket-{name}.pdf"'
    return response


@login_required
@permission_required("floor.view_operationreport", raise_exception=True)
@require_GET
def queue_tickets(request: HttpRequest, code: str) -> HttpResponse:
    centre = get_object_or_404(WorkCenter, code=code)
    response = HttpResponse(tickets_pdf(work_center_queue(centre)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="tickets-{centre.code}.pdf"'
    return response


@login_required
@permission_required("floor.report_operation", raise_exception=True)
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    errors: list[str] = []
    if request.method == "POST":
        file = request.FILES.get("file")
        if file is None:
            errors.append(_("Choose a workbook to upload."))
        elif file.size is not None and file.size > MAX_UPLOAD_BYTES:
            errors.append(_("The workbook is larger than 10 MB."))
        else:
            try:
                created = apply_workbook(file.read(), actor=Actor.for_user(request.user))
            except UploadRefused as refused:
                errors = [str(e) for e in refused.errors]
            else:
                messages.success(
                    request,
                    _("%(n)s reports applied (reports already applied were skipped).")
                    % {"n": created},
                )
                return HttpResponseRedirect(reverse("floor:upload"))
    status = 400 if errors else 200
    return render(request, "floor/upload.html", {"errors": errors}, status=status)


@login_required
@permission_required("floor.report_operation", raise_exception=True)
@require_GET
def upload_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="floor-reports.xlsx"'
    return response
