"""The page where the company picks its inventory-days benchmark: a published peer figure
(segment, company, year, days and where the figure comes from) or its own days, and the band
around it (``KpiTargets``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from omnioms.floor.models import InventoryBenchmark, KpiTargets

MAX_DAYS = Decimal("9999999.9")


def _targets() -> KpiTargets:
    return KpiTargets.objects.select_related("benchmark").first() or KpiTargets()


def _choice(data: dict[str, str]) -> tuple[InventoryBenchmark | None, Decimal | None, str]:
    """(benchmark, own days, error) from the form."""
    picked = data.get("benchmark", "")
    if picked == "own":
        text = data.get("own_days", "").strip()
        try:
            days = Decimal(text)
        except InvalidOperation:
            return None, None, _("own days: give a number of days, e.g. 60")
        if not days.is_finite() or days <= 0 or days > MAX_DAYS:
            return None, None, _("own days: give a number of days above 0")
        return None, days.quantize(Decimal("0.1")), ""
    if picked == "":
        return None, None, ""
    try:
        return InventoryBenchmark.objects.get(pk=int(picked)), None, ""
    except (ValueError, InventoryBenchmark.DoesNotExist):
        return None, None, _("benchmark: choose one of the figures listed")


@login_required
@permission_required("floor.view_kpi_dashboard", raise_exception=True)
@require_http_methods(["GET", "POST"])
def benchmarks(request: HttpRequest) -> HttpResponse:
    targets = _targets()
    error = ""
    if request.method == "POST":
        if not request.user.has_perm("floor.change_kpitargets"):
            error = _("only someone who may change the KPI targets picks the benchmark")
        else:
            chosen, own, error = _choice(request.POST.dict())
            if not error:
                with transaction.atomic():
                    targets = KpiTargets.objects.select_for_update().first() or KpiTargets()
                    targets.benchmark, targets.own_benchmark_days = chosen, own
                    targets.save()
                messages.success(request, _("The inventory-days benchmark was saved."))
                return HttpResponseRedirect(reverse("floor:benchmarks"))
    context = {
        "rows": InventoryBenchmark.objects.all(),
        "targets": targets,
        "band_percent": (targets.inventory_band * 100).normalize(),
        "error": error,
        "posted": request.POST if request.method == "POST" else None,
        "may_change": request.user.has_perm("floor.change_kpitargets"),
    }
    return render(request, "floor/benchmarks.html", context, status=400 if error else 200)
