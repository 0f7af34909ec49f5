"""Long jobs on a page: their progress, message and result, and a cancel button.

Pages that start a job (a forecast run, a requirements or planning run) include
``web/_job.html``; while the job runs the fragment asks for itself again every second (htmx), so
the person sees it move without the page being held by the work.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from omnioms.core.jobs import cancel_job, kinds
from omnioms.core.models import Job


@login_required
@permission_required("core.view_job", raise_exception=True)
@require_GET
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=pk)
    return render(request, "web/_job.html", {"job": job, "kind": kinds().get(job.kind)})


@login_required
@permission_required("core.change_job", raise_exception=True)
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=pk)
    if cancel_job(job.pk):
        messages.info(request, _("The job was asked to stop."))
    else:
        messages.warning(request, _("The job had already ended."))
    if getattr(request, "htmx", False):
        job.refresh_from_db()
        return render(request, "web/_job.html", {"job": job, "kind": kinds().get(job.kind)})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("web:home")
    return HttpResponseRedirect(target)
