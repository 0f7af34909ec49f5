"""Simulation pages: past runs, a run's report, and a new run with a few values changed.

Planners and managers (``simulation.view_simulationrun`` / ``add_simulationrun``); 403 otherwise.
"""

from __future__ import annotations

from pathlib import Path

from csp.decorators import csp_replace, csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods

from omnioms.core.actor import Actor
from omnioms.simulation.forms import RunForm
from omnioms.simulation.models import SimulationRun
from omnioms.simulation.report import ECHARTS
from omnioms.simulation.scenario import ScenarioError, load_scenario, shipped_names
from omnioms.simulation.services import start_run

REPORT_FILES = {"report.html", "kpis.json", "kpis.csv", "report.js", "report.css", ECHARTS}


@login_required
@permission_required("simulation.view_simulationrun", raise_exception=True)
@require_http_methods(["GET", "POST"])
def runs(request: HttpRequest) -> HttpResponse:
    form = RunForm(request.POST or None, initial={"scenario": "demo", "days": 365})
    if request.method == "POST":
        if not request.user.has_perm("simulation.add_simulationrun"):
            return HttpResponse(status=403)
        if form.is_valid():
            try:
                run = start_run(
                    form.cleaned_data["scenario"],
                    days=form.cleaned_data["days"],
                    changes=form.changes(),
                    actor=Actor.for_user(request.user),
                )
            except ScenarioError as exc:
                for where, problem in exc.problems:
                    form.add_error(None, f"{where}: {problem}")
            else:
                messages.success(
                    request, _("The simulation was queued; it runs in the background.")
                )
                return HttpResponseRedirect(reverse("simulation:run", args=[run.pk]))
    centres = {
        name: [wc.code for wc in load_scenario(name).work_centers] for name in shipped_names()
    }
    return render(
        request,
        "simulation/runs.html",
        {
            "form": form,
            "runs": SimulationRun.objects.select_related("job")[:50],
            "centres": centres,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@permission_required("simulation.view_simulationrun", raise_exception=True)
@require_GET
# the report is shown in a frame of this page (django-csp types views as one argument)
@csp_update({"frame-src": ["'self'"]})  # type: ignore[arg-type]
def run(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(SimulationRun.objects.select_related("job"), pk=pk)
    rerun = RunForm(initial={"scenario": found.scenario, "days": found.days, **found.changes})
    return render(request, "simulation/run.html", {"run": found, "job": found.job, "form": rerun})


@login_required
@permission_required("simulation.view_simulationrun", raise_exception=True)
@require_GET
@xframe_options_sameorigin
# the run's page shows the report in a frame (django-csp types views as one argument)
@csp_replace({"frame-ancestors": ["'self'"]})  # type: ignore[arg-type]
def report_file(request: HttpRequest, pk: int, name: str) -> FileResponse:
    found = get_object_or_404(SimulationRun, pk=pk)
    if name not in REPORT_FILES or not found.out_dir:
        raise Http404
    path = Path(found.out_dir) / name
    if not path.is_file():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=name.endswith((".json", ".csv")))
