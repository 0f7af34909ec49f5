"""The flow editor for managers: the accounts' flows, a flow's stages and actions as tables
with a diagram drawn from them, the sandbox, and publishing with the open orders' mapping."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from omnioms.channels.models import ChannelAccount
from omnioms.core.actor import Actor
from omnioms.core.choices import OrderStatus
from omnioms.core.roles import ROLE_LABELS
from omnioms.flows import editor
from omnioms.flows.definition import Definition, Problem
from omnioms.flows.models import FlowVersion, VersionState
from omnioms.flows.publishing import (
    DefinitionInvalid,
    check,
    own_flow,
    plan_publishing,
    publish,
    save_draft,
)
from omnioms.flows.registry import EFFECTS, FIELDS, GUARDS, OPERATIONS
from omnioms.flows.selectors import flow_of


def _registries() -> dict[str, Any]:
    return {
        "statuses": OrderStatus.choices,
        "operations": sorted(OPERATIONS.items()),
        "guards": sorted((name, entry.label) for name, entry in GUARDS.items()),
        "effects": sorted((name, entry.label) for name, entry in EFFECTS.items()),
        "fields": sorted((name, spec.label) for name, spec in FIELDS.items()),
        "roles": sorted(ROLE_LABELS.items()),
    }


@login_required
@permission_required("flows.view_flow", raise_exception=True)
def flow_list(request: HttpRequest) -> HttpResponse:
    accounts = []
    for account in ChannelAccount.objects.order_by("name"):
        flow = flow_of(account)
        accounts.append(
            {
                "account": account,
                "flow": flow,
                "own": flow.account_id == account.pk,
                "version": flow.current.number if flow.current else None,
                "draft": flow.versions.filter(state=VersionState.DRAFT).exists()
                if flow.account_id == account.pk
                else False,
            }
        )
    return render(request, "flows/flow_list.html", {"accounts": accounts})


def _draft_or_current(account: ChannelAccount) -> tuple[dict[str, Any], FlowVersion | None]:
    flow = flow_of(account)
    draft = (
        flow.versions.filter(state=VersionState.DRAFT).first()
        if flow.account_id == account.pk
        else None
    )
    source = draft or flow.current
    assert source is not None
    return dict(source.definition), draft


@login_required
@permission_required("flows.view_flow", raise_exception=True)
@require_http_methods(["GET", "POST"])
def flow_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_object_or_404(ChannelAccount, pk=account_id)
    data, draft = _draft_or_current(account)
    found: list[Problem] = []
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("flows.change_flow"):
            return HttpResponse(status=403)
        data = editor.from_form(request.POST)
        _definition, found = check(data)
        if not found and request.POST.get("do") == "save":
            draft = save_draft(own_flow(account), data, user=request.user)
            messages.success(
                request, _("Draft version %(n)s saved. Publish it to use it.") % {"n": draft.number}
            )
            return HttpResponseRedirect(reverse("flows:edit", args=[account.pk]))
        if found:
            status = 400
            messages.error(request, _("Not saved: the flow has problems (listed below)."))
        else:
            messages.success(request, _("The flow has no problems."))
    else:
        _definition, found = check(data)
    flow = flow_of(account)
    context = {
        "account": account,
        "flow": flow,
        "draft": draft,
        "table": editor.rows(data),
        "diagram": editor.diagram(data),
        "problems": found,
        "may_change": request.user.has_perm("flows.change_flow"),
        "may_publish": request.user.has_perm("flows.publish_flow") and draft is not None,
        **_registries(),
    }
    return render(request, "flows/flow_edit.html", context, status=status)


@login_required
@permission_required("flows.view_flow", raise_exception=True)
def flow_sandbox(request: HttpRequest, account_id: int) -> HttpResponse:
    """Walk a sample order through the draft (or the current version) step by step; the steps
    are in the address, so nothing is stored."""
    account = get_object_or_404(ChannelAccount, pk=account_id)
    data, draft = _draft_or_current(account)
    definition, found = check(data)
    start = request.GET.get("start", "")
    if start not in OrderStatus.values:
        start = ""
    steps = [s for s in request.GET.get("steps", "").split(",") if s][:100]
    walked = editor.walk(definition, start, steps) if definition is not None else None
    labels = {s.key: s.label for s in definition.stages} if definition is not None else {}
    context = {
        "account": account,
        "draft": draft,
        "problems": found,
        "walk": walked,
        "start": start,
        "steps": ",".join(steps),
        "statuses": OrderStatus.choices,
        "path": [(action, stage, _(labels.get(stage, stage))) for action, stage in walked.path]
        if walked is not None
        else [],
    }
    return render(request, "flows/flow_sandbox.html", context)


@login_required
@permission_required("flows.publish_flow", raise_exception=True)
@require_http_methods(["GET", "POST"])
def flow_publish(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_object_or_404(ChannelAccount, pk=account_id)
    flow = own_flow(account)
    draft = flow.versions.filter(state=VersionState.DRAFT).first()
    if draft is None:
        messages.error(request, _("There is no draft to publish."))
        return HttpResponseRedirect(reverse("flows:edit", args=[account.pk]))
    plan = plan_publishing(flow, draft)
    found: list[Problem] = []
    status = 200
    if request.method == "POST":
        mapping = {
            stage: request.POST.get(f"map-{stage}", "")
            for stage in plan.open_by_stage
            if request.POST.get(f"map-{stage}")
        }
        try:
            version, moved = publish(flow, draft, mapping, actor=Actor.for_user(request.user))
        except DefinitionInvalid as exc:
            found, status = exc.problems, 400
        else:
            messages.success(
                request,
                _("Version %(n)s published; %(moved)s open orders moved to it.")
                % {"n": version.number, "moved": moved},
            )
            return HttpResponseRedirect(reverse("flows:edit", args=[account.pk]))
    new = Definition.model_validate(draft.definition)
    context = {
        "account": account,
        "flow": flow,
        "draft": draft,
        "plan": plan,
        "rows": [
            {
                "stage": stage,
                "count": count,
                "mapped": plan.mapping.get(stage, ""),
                "choices": [(key, new.stage(key).label) for key in plan.choices.get(stage, [])],  # type: ignore[union-attr]
            }
            for stage, count in sorted(plan.open_by_stage.items())
        ],
        "problems": found,
    }
    return render(request, "flows/flow_publish.html", context, status=status)
