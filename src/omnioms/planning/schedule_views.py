"""Schedule pages: plans (runs as jobs, load against capacity, publish), the Gantt chart with its
move check, production orders by priority with how each score was made, the planner's weights,
rush requests with their what-if and approval, and promise dates.

Every page needs a login and a planning permission (403 otherwise).
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Max, Min, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnioms.catalog.models import Sku
from omnioms.core.actor import Actor
from omnioms.core.inputs import NUL
from omnioms.core.jobs import start_job
from omnioms.core.models import Job
from omnioms.planning.models import (
    Plan,
    PlannedOperation,
    PlanningSettings,
    PlanStatus,
    ProductionOrder,
    ProductionStatus,
    RushRequest,
    RushStatus,
)
from omnioms.production.models import WorkCenter

SORTS = {
    "priority": ("-priority", "due", "number"),
    "due": ("due", "-priority", "number"),
    "number": ("number",),
}


def has_nul(text: str) -> bool:
    return NUL in text


def _tz() -> ZoneInfo:
    return ZoneInfo(django_settings.TIME_ZONE)


def _job(request: HttpRequest, kind: str) -> Job | None:
    if request.GET.get("job", "").isdigit():
        return Job.objects.filter(pk=int(request.GET["job"]), kind=kind).first()
    return None


# ----------------------------------------------------------------------------------------------
# Plans


@login_required
@permission_required("planning.view_plan", raise_exception=True)
@require_http_methods(["GET", "POST"])
def plans(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not request.user.has_perm("planning.add_plan"):
            return HttpResponse(status=403)
        try:
            limit = float(request.POST.get("time_limit") or 60)
        except ValueError:
            limit = -1
        if not 1 <= limit <= 600:
            messages.error(request, _("The time limit must be 1 to 600 seconds."))
            return HttpResponseRedirect(reverse("planning:plans"))
        job = start_job(
            "planning.schedule",
            actor=Actor.for_user(request.user),
            label=_("Planning run"),
            time_limit=limit,
            bottleneck_first="bottleneck_first" in request.POST,
        )
        messages.success(request, _("The planning run was queued; it runs in the background."))
        return HttpResponseRedirect(reverse("planning:plans") + f"?job={job.pk}")
    rows = Plan.objects.select_related("published_by", "based_on")
    if request.GET.get("what_if") != "1":
        rows = rows.filter(what_if=False)
    return render(
        request,
        "planning/plans.html",
        {"job": _job(request, "planning.schedule"), "plans": rows[:50]},
    )


@login_required
@permission_required("planning.view_plan", raise_exception=True)
@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(Plan.objects.select_related("published_by", "based_on"), pk=pk)
    figures = plan.objective or {}
    late = _late_orders(plan)
    chart = {
        "labels": {
            "load": _("Load (h)"),
            "capacity": _("Capacity (h)"),
            "utilisation": _("Utilisation"),
        },
        "load": figures.get("load", []),
        "daily": figures.get("daily", {}),
        "bottlenecks": figures.get("bottlenecks", []),
    }
    return render(
        request,
        "planning/plan_detail.html",
        {
            "plan": plan,
            "figures": figures,
            "late": late[:100],
            "late_count": len(late),
            "chart": chart,
            "rush": RushRequest.objects.filter(what_if=plan).first(),
        },
    )


def _late_orders(plan: Plan) -> list[dict[str, Any]]:
    tz = _tz()
    rows = (
        plan.operations.values(
            "operation__production_order_id",
            "operation__production_order__number",
            "operation__production_order__due",
            "operation__production_order__priority",
        )
        .annotate(end=Max("end"), start=Min("start"))
        .order_by("operation__production_order__due")
    )
    late = []
    for row in rows:
        due: date = row["operation__production_order__due"]
        due_end = datetime.combine(due + timedelta(days=1), time(0), tz)
        if row["end"] > due_end:
            late.append(
                {
                    "pk": row["operation__production_order_id"],
                    "number": row["operation__production_order__number"],
                    "due": due,
                    "end": row["end"],
                    "hours": round((row["end"] - due_end).total_seconds() / 3600, 1),
                    "priority": row["operation__production_order__priority"],
                }
            )
    return sorted(late, key=lambda r: -r["hours"])


@login_required
@permission_required("planning.publish_plan", raise_exception=True)
@require_POST
def plan_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    from omnioms.planning.schedules import ScheduleError, copy_plan, discard, publish

    plan = get_object_or_404(Plan, pk=pk)
    try:
        if action == "publish":
            if plan.what_if:
                raise ScheduleError(_("A what-if plan is published by accepting its rush request."))
            publish(plan, request.user)
            messages.success(request, _("Plan v%(v)s is published.") % {"v": plan.version})
        elif action == "discard":
            discard(plan)
            messages.success(request, _("Plan v%(v)s is discarded.") % {"v": plan.version})
        elif action == "copy":
            copy = copy_plan(plan)
            messages.success(request, _("Plan v%(v)s is a copy to edit.") % {"v": copy.version})
            return HttpResponseRedirect(reverse("planning:gantt", args=[copy.pk]))
        else:
            raise Http404
    except ScheduleError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(reverse("planning:plan", args=[pk]))


# ----------------------------------------------------------------------------------------------
# The Gantt chart


@login_required
@permission_required("planning.view_plan", raise_exception=True)
@require_GET
def gantt(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(Plan, pk=pk)
    order = request.GET.get("order", "")
    if has_nul(order) or len(order) > 30:
        return HttpResponse(_("order: not an order number"), status=400)
    config = {
        "data": reverse("planning:gantt_data", args=[pk])
        + (f"?order={quote(order)}" if order else ""),
        "move": reverse("planning:move", args=[pk]),
        "editable": plan.status == PlanStatus.PROPOSED
        and request.user.has_perm("planning.change_plan"),
        "now": timezone.now().isoformat(),
        "start": plan.horizon_start.isoformat(),
        "labels": {
            "accepted": _("Moved. Knock-on:"),
            "nothing": _("Moved; nothing else had to move."),
            "refused": _("Refused:"),
            "late": _("late orders after the move:"),
            "checking": _("Checking the move…"),
            "order_view": _("Order view"),
        },
    }
    return render(request, "planning/gantt.html", {"plan": plan, "config": config, "order": order})


@login_required
@permission_required("planning.view_plan", raise_exception=True)
@require_GET
def gantt_data(request: HttpRequest, pk: int) -> JsonResponse:
    plan = get_object_or_404(Plan, pk=pk)
    order = request.GET.get("order", "")
    return JsonResponse(gantt_payload(plan, order=order))


def gantt_payload(plan: Plan, *, order: str = "") -> dict[str, Any]:
    """Rows (machines), bars (operations, coloured by priority and lateness) and days off."""
    tz = _tz()
    rows: QuerySet[PlannedOperation] = plan.operations.select_related(
        "work_center", "operation__production_order__sku"
    )
    if order:
        rows = rows.filter(operation__production_order__number=order)
    ends: dict[int, datetime] = dict(
        plan.operations.values("operation__production_order_id")
        .annotate(end=Max("end"))
        .values_list("operation__production_order_id", "end")
    )
    items = []
    used: set[tuple[int, int]] = set()
    for row in rows:
        po = row.operation.production_order
        due_end = datetime.combine(po.due + timedelta(days=1), time(0), tz)
        late = ends.get(po.pk, row.end) > due_end
        level = "high" if po.priority >= 60 else "mid" if po.priority >= 30 else "low"
        used.add((row.work_center_id, row.machine))
        items.append(
            {
                "id": row.pk,
                "group": f"{row.work_center.code}/{row.machine}",
                "start": row.start.isoformat(),
                "end": max(row.end, row.start + timedelta(minutes=1)).isoformat(),
                "content": f"{po.number}/{row.operation.sequence}",
                "className": " ".join(
                    c
                    for c in (f"prio-{level}", "late" if late else "", "fixed" if row.fixed else "")
                    if c
                ),
                "editable": not row.fixed,
                "title": (
                    f"{po.number} {po.sku.code} × {po.quantity} · {row.operation.name} · "
                    f"{row.start.astimezone(tz):%m-%d %H:%M}–{row.end.astimezone(tz):%m-%d %H:%M}"
                    f" · {_('due')} {po.due} · {_('priority')} {po.priority:.0f}"
                    + (f" · {_('late')}" if late else "")
                    + (f" · {_('fixed')}" if row.fixed else "")
                ),
                "order": po.number,
            }
        )
    centres = WorkCenter.objects.filter(is_active=True) | WorkCenter.objects.filter(
        pk__in={wc for wc, _m in used}
    )
    groups: list[dict[str, Any]] = []
    background: list[dict[str, Any]] = []
    start = plan.horizon_start.astimezone(tz).date()
    last = max((row.end for row in rows), default=plan.horizon_start).astimezone(tz).date()
    days = min(120, (last - start).days + 8)
    off_days: dict[int, list[date]] = {}
    from omnioms.production.domain import working_intervals
    from omnioms.production.services import calendar_spec

    for wc in centres.select_related("calendar").order_by("code"):
        if wc.calendar_id not in off_days:
            spec = calendar_spec(wc.calendar)
            off_days[wc.calendar_id] = [
                start + timedelta(days=n)
                for n in range(days)
                if not working_intervals(spec, start + timedelta(days=n), start + timedelta(days=n))
            ]
        for machine in range(wc.machines):
            if order and (wc.pk, machine) not in used:
                continue
            group = f"{wc.code}/{machine}"
            groups.append(
                {
                    "id": group,
                    "content": f"{wc.code} {machine + 1}",
                    "title": wc.name,
                    "work_center": wc.code,
                    "machine": machine,
                    "order": len(groups),
                }
            )
            for day in off_days[wc.calendar_id]:
                background.append(
                    {
                        "id": f"off-{group}-{day}",
                        "group": group,
                        "start": datetime.combine(day, time(0), tz).isoformat(),
                        "end": datetime.combine(day + timedelta(days=1), time(0), tz).isoformat(),
                        "type": "background",
                        "className": "day-off",
                    }
                )
    return {"groups": groups, "items": items + background}


@login_required
@permission_required("planning.change_plan", raise_exception=True)
@require_POST
def move(request: HttpRequest, pk: int) -> JsonResponse:
    """The Gantt chart's drag: JSON in ({operation, start, work_center, machine}), the engine's
    answer out ({accepted, reason, knock_on, late, weighted_tardiness_hours})."""
    from omnioms.planning.schedules import move_operation, outcome_json

    plan = get_object_or_404(Plan, pk=pk)
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": _("The body is not JSON.")}, status=400)
    parsed = parse_move(body)
    if isinstance(parsed, str):
        return JsonResponse({"error": parsed}, status=400)
    outcome = move_operation(plan, **parsed)
    return JsonResponse(outcome_json(outcome))


def parse_move(body: Any) -> dict[str, Any] | str:
    """The move's fields, or what is wrong with them."""
    if not isinstance(body, dict):
        return _("The body must be a JSON object.")
    operation = body.get("operation")
    if not isinstance(operation, int) or isinstance(operation, bool) or operation < 1:
        return _("operation: the id of a planned operation")
    start = None
    if body.get("start") is not None:
        raw = body["start"]
        if not isinstance(raw, str) or has_nul(raw):
            return _("start: a date and time with its offset")
        try:
            start = parse_datetime(raw)
        except ValueError:
            start = None
        if start is None or start.tzinfo is None:
            return _("start: a date and time with its offset")
    work_center = body.get("work_center")
    if work_center is not None and (
        not isinstance(work_center, str) or has_nul(work_center) or len(work_center) > 50
    ):
        return _("work_center: a work centre's code")
    machine = body.get("machine")
    if machine is not None and (
        not isinstance(machine, int) or isinstance(machine, bool) or not 0 <= machine < 10_000
    ):
        return _("machine: a machine number from 0")
    return {
        "planned_id": operation,
        "start": start,
        "work_center": work_center,
        "machine": machine,
    }


# ----------------------------------------------------------------------------------------------
# Production orders by priority


@login_required
@permission_required("planning.view_productionorder", raise_exception=True)
@require_http_methods(["GET", "POST"])
def production_orders(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not request.user.has_perm("planning.change_planningsettings"):
            return HttpResponse(status=403)
        from omnioms.planning.priority import score_open_orders

        count = score_open_orders(timezone.localdate())
        messages.success(request, _("%(n)s open orders scored.") % {"n": count})
        return HttpResponseRedirect(reverse("planning:orders"))
    sort = request.GET.get("sort", "priority")
    if sort not in SORTS:
        sort = "priority"
    status = request.GET.get("status", "open")
    rows = ProductionOrder.objects.select_related("sku", "customer_order__customer")
    if status == "open":
        rows = rows.filter(status__in=(ProductionStatus.RELEASED, ProductionStatus.IN_PROGRESS))
    elif status in ProductionStatus.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "planning/orders.html",
        {
            "orders": rows.order_by(*SORTS[sort])[:500],
            "sort": sort,
            "status": status,
            "statuses": ProductionStatus.choices,
        },
    )


@login_required
@permission_required("planning.view_productionorder", raise_exception=True)
@require_GET
def production_order(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(
        ProductionOrder.objects.select_related("sku", "customer_order__customer", "routing"),
        pk=pk,
    )
    published = Plan.objects.filter(status=PlanStatus.PUBLISHED).first()
    planned = (
        published.operations.filter(operation__production_order=order).select_related(
            "work_center", "operation"
        )
        if published
        else []
    )
    reasons = order.priority_reasons or {}
    parts = [
        (gettext_lazy("Urgency"), reasons.get("urgency")),
        (gettext_lazy("Customer"), reasons.get("customer")),
        (gettext_lazy("Margin"), reasons.get("margin")),
    ]
    return render(
        request,
        "planning/order_detail.html",
        {
            "order": order,
            "parts": [(label, part) for label, part in parts if part],
            "reasons": reasons,
            "published": published,
            "planned": planned,
            "operations": order.operations.select_related("work_center"),
        },
    )


class WeightsForm(forms.ModelForm):
    class Meta:
        model = PlanningSettings
        fields = ["urgency_weight", "customer_weight", "margin_weight", "urgency_days"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        total = sum(
            data.get(f) or 0 for f in ("urgency_weight", "customer_weight", "margin_weight")
        )
        for name in ("urgency_weight", "customer_weight", "margin_weight"):
            value = data.get(name)
            if value is not None and value < 0:
                self.add_error(name, _("A weight must not be negative."))
        if total <= 0:
            raise ValidationError(_("At least one weight must be more than 0."))
        return data


@login_required
@permission_required("planning.view_planningsettings", raise_exception=True)
@require_http_methods(["GET", "POST"])
def weights(request: HttpRequest) -> HttpResponse:
    row = PlanningSettings.load()
    if request.method == "POST" and "suggest_tiers" in request.POST:
        if not request.user.has_perm("planning.change_planningsettings"):
            return HttpResponse(status=403)
        from omnioms.planning.priority import suggest_tiers

        letters = suggest_tiers(timezone.localdate())
        counts = {k: sum(1 for v in letters.values() if v == k) for k in "ABC"}
        messages.success(
            request,
            _("Tiers suggested for %(n)s customers: A %(a)s, B %(b)s, C %(c)s.")
            % {"n": len(letters), "a": counts["A"], "b": counts["B"], "c": counts["C"]},
        )
        return HttpResponseRedirect(reverse("planning:weights"))
    form = WeightsForm(request.POST or None, instance=row)
    if request.method == "POST":
        if not request.user.has_perm("planning.change_planningsettings"):
            return HttpResponse(status=403)
        if form.is_valid():
            saved = form.save(commit=False)
            saved.changed_at = timezone.now()
            saved.save()
            from omnioms.planning.priority import score_open_orders

            score_open_orders(timezone.localdate())
            messages.success(request, _("Saved; the open orders were scored again."))
            return HttpResponseRedirect(reverse("planning:weights"))
    return render(
        request, "planning/weights.html", {"form": form}, status=400 if form.errors else 200
    )


# ----------------------------------------------------------------------------------------------
# Rush requests


class RushForm(forms.Form):
    sku = forms.CharField(label=gettext_lazy("SKU"), max_length=100)
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, max_value=10**9)
    wanted = forms.DateField(
        label=gettext_lazy("Wanted by"), widget=forms.DateInput(attrs={"type": "date"})
    )
    customer_order = forms.CharField(
        label=gettext_lazy("Customer order (external id)"), max_length=200, required=False
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)

    def clean_sku(self) -> Sku:
        code = self.cleaned_data["sku"].strip()
        sku = Sku.objects.filter(code=code).first()
        if sku is None:
            raise ValidationError(_("There is no SKU %(code)s.") % {"code": code})
        return sku

    def clean_customer_order(self) -> Any:
        from omnioms.orders.models import Order

        ref = self.cleaned_data.get("customer_order", "").strip()
        if not ref:
            return None
        found = Order.objects.filter(external_id=ref).first()
        if found is None:
            raise ValidationError(_("There is no order %(ref)s.") % {"ref": ref})
        return found


@login_required
@permission_required("planning.view_rushrequest", raise_exception=True)
@require_http_methods(["GET", "POST"])
def rush_list(request: HttpRequest) -> HttpResponse:
    from omnioms.planning.rush import RushError, request_rush

    form = RushForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("planning.add_rushrequest"):
            return HttpResponse(status=403)
        if form.is_valid():
            data = form.cleaned_data
            try:
                rush = request_rush(
                    sku=data["sku"],
                    quantity=data["quantity"],
                    wanted=data["wanted"],
                    user=request.user,
                    customer_order=data["customer_order"],
                    note=data["note"],
                )
            except RushError as exc:
                form.add_error(None, str(exc))
            else:
                job = start_job(
                    "planning.rush",
                    actor=Actor.for_user(request.user),
                    label=_("What-if for %(n)s") % {"n": rush.number},
                    request=rush.pk,
                )
                return HttpResponseRedirect(
                    reverse("planning:rush", args=[rush.pk]) + f"?job={job.pk}"
                )
    rows = RushRequest.objects.select_related("sku", "customer", "requested_by")[:100]
    return render(
        request,
        "planning/rush_list.html",
        {"form": form, "requests": rows},
        status=400 if form.errors else 200,
    )


@login_required
@permission_required("planning.view_rushrequest", raise_exception=True)
@require_GET
def rush_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rush = get_object_or_404(
        RushRequest.objects.select_related("sku", "customer", "what_if", "production_order"),
        pk=pk,
    )
    user = request.user
    can_pmc = user.has_perm("planning.propose_rushrequest")
    can_decide = user.has_perm("planning.decide_rushrequest")
    open_for_pmc = rush.status in (RushStatus.REQUESTED, RushStatus.CHANGES)
    return render(
        request,
        "planning/rush_detail.html",
        {
            "rush": rush,
            "job": _job(request, "planning.rush") or rush.job,
            "impact": rush.impact or {},
            "steps": rush.steps.select_related("by"),
            "can_assess": can_pmc and open_for_pmc,
            "can_propose": can_pmc and open_for_pmc and rush.what_if_id is not None,
            "can_revise": can_pmc and open_for_pmc,
            "can_decide": can_decide and rush.status == RushStatus.PROPOSED,
            "can_ask": (can_pmc or can_decide)
            and rush.status in (RushStatus.REQUESTED, RushStatus.PROPOSED),
        },
    )


@login_required
@permission_required("planning.view_rushrequest", raise_exception=True)
@require_POST
def rush_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    from omnioms.planning import rush as flow

    rush = get_object_or_404(RushRequest, pk=pk)
    comment = request.POST.get("comment", "")
    back = HttpResponseRedirect(reverse("planning:rush", args=[pk]))
    if has_nul(comment) or len(comment) > 5000:
        messages.error(request, _("The comment is not text, or too long."))
        return back
    needs = {
        "assess": "planning.propose_rushrequest",
        "propose": "planning.propose_rushrequest",
        "revise": "planning.propose_rushrequest",
        "accept": "planning.decide_rushrequest",
        "reject": "planning.decide_rushrequest",
    }
    if action == "changes":
        allowed = request.user.has_perm("planning.propose_rushrequest") or request.user.has_perm(
            "planning.decide_rushrequest"
        )
    elif action in needs:
        allowed = request.user.has_perm(needs[action])
    else:
        raise Http404
    if not allowed:
        return HttpResponse(status=403)
    try:
        if action == "assess":
            if rush.status not in (RushStatus.REQUESTED, RushStatus.CHANGES):
                raise flow.RushError(_("This rush order is already decided or proposed."))
            job = start_job(
                "planning.rush",
                actor=Actor.for_user(request.user),
                label=_("What-if for %(n)s") % {"n": rush.number},
                request=rush.pk,
            )
            return HttpResponseRedirect(reverse("planning:rush", args=[pk]) + f"?job={job.pk}")
        if action == "propose":
            flow.propose(rush, request.user, comment)
        elif action == "changes":
            flow.ask_changes(rush, request.user, comment)
        elif action == "revise":
            form = RushRevise(request.POST)
            if not form.is_valid():
                messages.error(request, _("Give a quantity of at least 1 and a date."))
                return back
            flow.revise(
                rush,
                request.user,
                quantity=form.cleaned_data["quantity"],
                wanted=form.cleaned_data["wanted"],
                comment=comment,
            )
        elif action == "accept":
            flow.accept(rush, request.user, comment)
            messages.success(request, _("Accepted; its plan is published."))
        elif action == "reject":
            flow.reject(rush, request.user, comment)
    except flow.RushError as exc:
        messages.error(request, str(exc))
    return back


class RushRevise(forms.Form):
    quantity = forms.IntegerField(min_value=1, max_value=10**9)
    wanted = forms.DateField()


# ----------------------------------------------------------------------------------------------
# Promise dates


class PromiseForm(forms.Form):
    sku = forms.CharField(label=gettext_lazy("SKU"), max_length=100)
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, max_value=10**9)


@login_required
@permission_required("planning.view_rushrequest", raise_exception=True)
@require_GET
def promise(request: HttpRequest) -> HttpResponse:
    from omnioms.planning.promise import promise_date

    form = PromiseForm(request.GET or None)
    answer = None
    if request.GET and form.is_valid():
        sku = Sku.objects.filter(code=form.cleaned_data["sku"].strip()).first()
        if sku is None:
            form.add_error("sku", _("There is no such SKU."))
        else:
            answer = promise_date(sku, form.cleaned_data["quantity"])
    return render(
        request,
        "planning/promise.html",
        {"form": form, "answer": answer},
        status=400 if form.errors else 200,
    )
