"""Planning pages: requirements runs (jobs) and their planned orders, with why each quantity,
released or dismissed by the planner.

Every page needs a login and a planning permission (403 otherwise).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnioms.core.actor import Actor
from omnioms.core.jobs import start_job
from omnioms.core.models import Job
from omnioms.planning.models import PlannedOrder, PlannedStatus, RequirementsRun
from omnioms.planning.services import PlanningError, release_planned_order


@login_required
@permission_required("planning.view_requirementsrun", raise_exception=True)
@require_http_methods(["GET", "POST"])
def requirements(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not request.user.has_perm("planning.add_requirementsrun"):
            return HttpResponse(status=403)
        job = start_job(
            "planning.requirements",
            actor=Actor.for_user(request.user),
            label=_("Net requirements as of %(day)s") % {"day": timezone.localdate()},
            as_of=timezone.localdate().isoformat(),
        )
        messages.success(request, _("The requirements run was queued; it runs in the background."))
        return HttpResponseRedirect(reverse("planning:requirements") + f"?job={job.pk}")
    shown = None
    if request.GET.get("job", "").isdigit():
        shown = Job.objects.filter(pk=int(request.GET["job"]), kind="planning.requirements").first()
    return render(
        request,
        "planning/requirements.html",
        {"job": shown, "runs": RequirementsRun.objects.select_related("forecast_run")[:20]},
    )


@login_required
@permission_required("planning.view_plannedorder", raise_exception=True)
@require_GET
def requirements_run(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(RequirementsRun.objects.select_related("forecast_run"), pk=pk)
    kind = request.GET.get("kind", "")
    orders = run.orders.select_related("sku").prefetch_related("pegs")
    if kind in ("make", "buy"):
        orders = orders.filter(kind=kind)
    return render(
        request,
        "planning/requirements_run.html",
        {"run": run, "orders": orders, "kind": kind, "today": timezone.localdate()},
    )


@login_required
@permission_required("planning.change_plannedorder", raise_exception=True)
@permission_required("planning.add_productionorder", raise_exception=True)
@require_POST
def release(request: HttpRequest, pk: int) -> HttpResponse:
    planned = get_object_or_404(PlannedOrder, pk=pk)
    back = reverse("planning:requirements_run", args=[planned.run_id]) + f"#planned-{pk}"
    try:
        quantity = Decimal(request.POST["quantity"]) if request.POST.get("quantity") else None
    except InvalidOperation:
        messages.error(request, _("The quantity is not a number."))
        return HttpResponseRedirect(back)
    due = parse_date(request.POST.get("due", "") or "") if request.POST.get("due") else None
    if request.POST.get("due") and due is None:
        messages.error(request, _("The due date is not a date."))
        return HttpResponseRedirect(back)
    try:
        released = release_planned_order(
            pk, actor=Actor.for_user(request.user), quantity=quantity, due=due
        )
    except PlanningError as exc:
        messages.error(request, _("Not released: %(reason)s") % {"reason": exc})
    else:
        messages.success(
            request, _("Released as %(what)s.") % {"what": getattr(released, "number", released)}
        )
    return HttpResponseRedirect(back)


@login_required
@permission_required("planning.change_plannedorder", raise_exception=True)
@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    planned = get_object_or_404(PlannedOrder, pk=pk)
    updated = PlannedOrder.objects.filter(pk=pk, status=PlannedStatus.PROPOSED).update(
        status=PlannedStatus.DISMISSED
    )
    if not updated:
        messages.error(request, _("Only a proposed order can be dismissed."))
    return HttpResponseRedirect(reverse("planning:requirements_run", args=[planned.run_id]))
