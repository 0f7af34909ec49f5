"""BOM and routing pages: a SKU's versions, one version's header and lines (or operations),
a new draft copied from the latest, and explicit activation.

The same shape serves both kinds; the BOM page shows what 100 units need through every level
and the standard cost, the routing page the minutes 100 units take on each work centre.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnioms.catalog.models import Sku
from omnioms.production import editing, selectors
from omnioms.production.domain import BomItem, OperationCost
from omnioms.production.forms import (
    BomLineFormSet,
    OperationFormSet,
    VersionHeaderForm,
    plain,
    read_only,
)
from omnioms.production.models import Bom, Routing, VersionStatus

VIEW = "production.view_workcenter"


@dataclass(frozen=True)
class Kind:
    key: str
    model: type[Bom] | type[Routing]
    children: str
    new: Callable[[Sku], Any]
    activate: Callable[[Any], list[editing.Version]]


KINDS = {
    "bom": Kind("bom", Bom, "lines", editing.new_bom_version, editing.activate_bom),
    "routing": Kind(
        "routing", Routing, "operations", editing.new_routing_version, editing.activate_routing
    ),
}


def _edit_url(kind: Kind, pk: int) -> str:
    return reverse(f"production:{kind.key}", args=[pk])


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def versions(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    spec = KINDS[kind]
    sku = get_object_or_404(Sku, pk=pk)
    rows: list[Bom | Routing] = list(
        spec.model.objects.filter(sku=sku).annotate(n=Count(spec.children)).order_by("-version")
    )
    context = {
        "kind": kind,
        "sku": sku,
        "rows": rows,
        "current": selectors.current_version_pk(rows, timezone.localdate()),
        "may_add": request.user.has_perm(f"production.add_{kind}"),
    }
    return render(request, "production/versions.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def new_version(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    spec = KINDS[kind]
    if not request.user.has_perm(f"production.add_{kind}"):
        raise PermissionDenied
    version = spec.new(get_object_or_404(Sku, pk=pk))
    messages.success(
        request, _("Version %(version)s opened as a draft.") % {"version": version.version}
    )
    return HttpResponseRedirect(_edit_url(spec, version.pk))


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def activate(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    spec = KINDS[kind]
    if not request.user.has_perm(f"production.change_{kind}"):
        raise PermissionDenied
    version = cast(Bom | Routing, get_object_or_404(spec.model, pk=pk))
    try:
        changed = spec.activate(version)
    except editing.MasterDataError as exc:
        messages.error(request, exc.message)
    else:
        text = _("Version %(version)s is active from %(start)s.") % {
            "version": version.version,
            "start": version.effective_from.isoformat(),
        }
        for other in changed:
            if other.status == VersionStatus.ARCHIVED:
                text += " " + _("Version %(version)s is archived.") % {"version": other.version}
            else:
                text += " " + _("Version %(version)s now ends on %(end)s.") % {
                    "version": other.version,
                    "end": other.effective_to.isoformat() if other.effective_to else "—",
                }
        messages.success(request, text)
    return HttpResponseRedirect(_edit_url(spec, version.pk))


def _header(data: Any, version: Bom | Routing) -> VersionHeaderForm:
    return VersionHeaderForm(
        data,
        prefix="head",
        current=version.status,
        with_note=isinstance(version, Bom),
        initial={
            "effective_from": version.effective_from,
            "effective_to": version.effective_to,
            "status": version.status,
            "note": getattr(version, "note", ""),
        },
    )


def _page(
    request: HttpRequest, kind: str, version: Bom | Routing, extra: dict[str, Any], posted: bool
) -> HttpResponse:
    siblings: list[Bom | Routing] = list(
        type(version).objects.filter(sku_id=version.sku_id).order_by("-version")
    )
    context = {
        "kind": kind,
        "version": version,
        "sku": version.sku,
        "siblings": siblings,
        "current": selectors.current_version_pk(siblings, timezone.localdate()),
        "lot": editing.STANDARD_LOT,
        "may_activate": request.user.has_perm(f"production.change_{kind}")
        and version.status != VersionStatus.ACTIVE,
        **extra,
    }
    return render(request, f"production/{kind}.html", context, status=400 if posted else 200)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def bom(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(Bom.objects.select_related("sku"), pk=pk)
    may_save = request.user.has_perm("production.change_bom")
    data = request.POST if request.method == "POST" else None
    if data is not None and not may_save:
        raise PermissionDenied
    saved = list(version.lines.select_related("component"))
    header = _header(data, version)
    lines = BomLineFormSet(
        data,
        prefix="lines",
        sku=version.sku,
        initial=[
            {
                "component": line.component.code,
                "quantity_per": plain(line.quantity_per),
                "scrap_factor": plain(line.scrap_factor),
            }
            for line in saved
        ],
    )
    problem = ""
    if data is not None and header.is_valid() and lines.is_valid():
        try:
            editing.save_bom(version, header.header(), lines.lines())
        except editing.MasterDataError as exc:
            problem = _field_problem(header, exc)
        else:
            messages.success(
                request, _("Version %(version)s saved.") % {"version": version.version}
            )
            return HttpResponseRedirect(_edit_url(KINDS["bom"], version.pk))
    if not may_save:
        read_only(header, lines)
    items = [BomItem(line.component.code, line.quantity_per, line.scrap_factor) for line in saved]
    extra = {
        "header": header,
        "lines": lines,
        "problem": problem,
        "may_save": may_save,
        "needs": editing.needs_of(version.sku.code, items=items),
    }
    return _page(request, "bom", version, extra, posted=data is not None)


def _field_problem(header: VersionHeaderForm, exc: editing.MasterDataError) -> str:
    """A use case's refusal on the header field it names, or as a sentence above the rows."""
    if exc.field in header.fields:
        header.add_error(exc.field, exc.message)
        return ""
    return exc.message


@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def routing(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(Routing.objects.select_related("sku"), pk=pk)
    may_save = request.user.has_perm("production.change_routing")
    data = request.POST if request.method == "POST" else None
    if data is not None and not may_save:
        raise PermissionDenied
    saved = list(version.operations.select_related("work_center").prefetch_related("alternatives"))
    header = _header(data, version)
    operations = OperationFormSet(
        data,
        prefix="operations",
        initial=[
            {
                "sequence": op.sequence,
                "name": op.name,
                "work_center": op.work_center_id,
                "alternatives": [w.pk for w in op.alternatives.all()],
                "setup_minutes": plain(op.setup_minutes),
                "run_seconds_per_unit": plain(op.run_seconds_per_unit),
                "min_transfer_batch": op.min_transfer_batch,
            }
            for op in saved
        ],
    )
    problem = ""
    if data is not None and header.is_valid() and operations.is_valid():
        try:
            editing.save_routing(version, header.header(), operations.operations())
        except editing.MasterDataError as exc:
            problem = _field_problem(header, exc)
        else:
            messages.success(
                request, _("Version %(version)s saved.") % {"version": version.version}
            )
            return HttpResponseRedirect(_edit_url(KINDS["routing"], version.pk))
    if not may_save:
        read_only(header, operations)
    costs = [
        OperationCost(op.setup_minutes, op.run_seconds_per_unit, op.work_center.hourly_cost)
        for op in saved
    ]
    extra = {
        "header": header,
        "operations": operations,
        "problem": problem,
        "may_save": may_save,
        "totals": editing.minutes_per_work_centre(version),
        "needs": editing.needs_of(version.sku.code, operations=costs),
    }
    return _page(request, "routing", version, extra, posted=data is not None)
