"""Rush orders (插单) and the PMC <-> production loop.

1. :func:`request_rush` (sales or PMC): a SKU, a quantity, a wanted date, maybe the customer
   or their order. A production order is made from the routing in effect, with the status
   ``requested``: no planning run sees it until it is accepted.
2. :func:`assess` (a job, ``planning.rush``): the what-if. The published plan is rebuilt as
   the engine's problem with the rush order added; ``moves.insert_order`` plans it in (what
   started before now stays, the published sequence with the rush order first is the hint);
   the result is stored as a *what-if* plan based on the published one, which is not touched.
   The impact report: the orders that finish later, by how much, whose customers they are,
   the on-time share before and after, the date the rush order can be promised, and the same
   what-if with an extra Saturday shift on the work centres the rush order uses (the overtime
   that would avoid the lateness, or how much of it).
3. :func:`propose` (PMC), :func:`ask_changes` (either side), :func:`revise` (PMC: a new
   quantity or date, assessed again), :func:`accept` / :func:`reject` (production, with a
   comment). Every step is a :class:`~omnioms.planning.models.RushStep` with who and when.
   Accepting releases the production order and publishes its what-if plan, only if that plan
   is still based on the published plan (otherwise it must be assessed again).
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.catalog.models import Sku
from omnioms.customers.models import Customer
from omnioms.inventory.models import PlannedOutput
from omnioms.orders.models import Order
from omnioms.planning import model as engine
from omnioms.planning.adapter import Adapted, with_order
from omnioms.planning.calendar import Calendar
from omnioms.planning.models import (
    Plan,
    PlanStatus,
    ProductionOperation,
    ProductionOrder,
    ProductionStatus,
    RushRequest,
    RushStatus,
    RushStep,
)
from omnioms.planning.moves import compare_plans, insert_order
from omnioms.planning.promise import published_view
from omnioms.planning.schedules import publish as publish_plan
from omnioms.planning.schedules import published_plan, save_plan
from omnioms.planning.services import factory_location
from omnioms.production.services import routing_in_effect

RUSH_PRIORITY = 100
Progress = Callable[[float, str], None]


class RushError(ValueError):
    """A step the request's state does not allow; the message says why."""


def _step(request: RushRequest, action: str, user: Any, comment: str = "") -> RushStep:
    return RushStep.objects.create(
        request=request,
        action=action,
        by=user if getattr(user, "pk", None) else None,
        by_label=user.get_username() if getattr(user, "pk", None) else _("system"),
        comment=comment,
    )


def request_rush(
    *,
    sku: Sku,
    quantity: int,
    wanted: date,
    user: Any,
    customer: Customer | None = None,
    customer_order: Order | None = None,
    note: str = "",
) -> RushRequest:
    if quantity <= 0:
        raise RushError(_("quantity: must be more than 0"))
    routing = routing_in_effect(sku, wanted)
    if routing is None or not routing.operations.exists():
        raise RushError(_("sku: %(sku)s has no routing in effect to make it") % {"sku": sku.code})
    if customer is None and customer_order is not None:
        customer = customer_order.customer
    with transaction.atomic():
        last = RushRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        number = f"RUSH-{last + 1:05d}"
        order = ProductionOrder.objects.create(
            number=number,
            sku=sku,
            quantity=quantity,
            due=wanted,
            status=ProductionStatus.REQUESTED,
            location=factory_location(),
            customer_order=customer_order,
            routing=routing,
            priority=RUSH_PRIORITY,
            priority_reasons={"rush": True},
        )
        for op in routing.operations.all():
            copied = ProductionOperation.objects.create(
                production_order=order,
                sequence=op.sequence,
                name=op.name,
                work_center=op.work_center,
                setup_minutes=op.setup_minutes,
                run_seconds_per_unit=op.run_seconds_per_unit,
                min_transfer_batch=op.min_transfer_batch,
            )
            copied.alternatives.set(op.alternatives.all())
        request = RushRequest.objects.create(
            number=number,
            sku=sku,
            quantity=quantity,
            wanted=wanted,
            customer=customer,
            customer_order=customer_order,
            note=note,
            production_order=order,
            requested_by=user if getattr(user, "pk", None) else None,
        )
        _step(request, "requested", user, note)
    return request


def assess(
    request: RushRequest,
    *,
    now: datetime | None = None,
    time_limit: float = 10.0,
    workers: int = 2,
    overtime: bool = True,
    progress: Progress | None = None,
) -> RushRequest:
    """The what-if plan and the impact report (see the module's doc)."""
    report = progress or (lambda fraction, message: None)
    began = clock.perf_counter()
    base = published_plan()
    if base is None:
        raise RushError(_("There is no published plan to insert the rush order into."))
    now = now or timezone.now()
    report(0.05, _("reading the published plan"))
    order = request.production_order
    # the published plan's problem and plan, kept in this process once read (a published plan
    # never changes): only the rush order itself is read
    published, before = published_view(base)
    try:
        adapted, rush = with_order(published, order.pk)
    except ValueError as error:
        raise RushError(
            _(
                "The rush order uses a work centre the published plan does not have (%(error)s):"
                " run and publish a plan first."
            )
            % {"error": error}
        ) from error
    rush = replace(rush, weight=max(rush.weight, 11))
    without = published.problem
    frozen = max(0, adapted.minute(now))
    settings = engine.Settings(time_limit=time_limit, workers=workers)
    report(0.1, _("planning the rush order in"))
    what_if = insert_order(without, before, rush, settings, frozen_until=frozen)
    rush_late = any(r.tardiness > 0 for r in what_if.after.orders if r.order == rush.id)
    extra: dict[str, Any] | None = None
    needed = bool(what_if.made_late) or rush_late
    if overtime and needed:
        # the overtime variant only when someone is late: it says what would avoid it
        report(0.55, _("the same with an extra Saturday shift"))
        extra = _with_saturdays(adapted, without, before, rush, settings, frozen, request)
    seconds = clock.perf_counter() - began
    report(0.9, _("writing the what-if plan"))
    tz = ZoneInfo(django_settings.TIME_ZONE)
    rush_end = next(r.completion for r in what_if.after.orders if r.order == order.number)
    promisable = adapted.moment(rush_end).astimezone(tz).date()
    with transaction.atomic():
        if request.what_if_id and request.what_if and request.what_if.status == "proposed":
            Plan.objects.filter(pk=request.what_if_id).update(status=PlanStatus.DISCARDED)
        plan = save_plan(adapted, what_if.after, based_on=base)
        Plan.objects.filter(pk=plan.pk).update(what_if=True)
        request.what_if = plan
        request.promisable = promisable
        request.impact = {
            **_impact(adapted, what_if.before, what_if.after, order.number),
            "seconds": round(seconds, 1),
            "rush_end": adapted.moment(rush_end).isoformat(),
            "promisable": promisable.isoformat(),
            "wanted": request.wanted.isoformat(),
            "on_time": promisable <= request.wanted,
            "overtime": extra,
            "overtime_needed": needed,
            "based_on": base.version,
        }
        request.save(update_fields=["what_if", "promisable", "impact"])
        _step(
            request,
            "assessed",
            None,
            _("What-if plan v%(version)s: can be made by %(date)s.")
            % {"version": plan.version, "date": promisable},
        )
    report(1.0, _("done"))
    return request


def _impact(adapted: Adapted, before: engine.Plan, after: engine.Plan, rush: str) -> dict[str, Any]:
    rows = compare_plans(before, after)
    numbers = [r.order for r in rows if r.order != rush]
    customers = {
        number: str(customer) if customer else ""
        for number, customer in (
            (o.number, o.customer_order.customer if o.customer_order else None)
            for o in ProductionOrder.objects.filter(number__in=numbers).select_related(
                "customer_order__customer"
            )
        )
    }
    later = [
        {
            "order": r.order,
            "customer": customers.get(r.order, ""),
            "due": adapted.moment(r.due).isoformat(),
            "end_before": adapted.moment(r.end_before).isoformat() if r.end_before else None,
            "end_after": adapted.moment(r.end_after).isoformat(),
            "late_hours_before": round(r.lateness_before / 60, 1),
            "late_hours_after": round(r.lateness_after / 60, 1),
            "becomes_late": r.becomes_late,
        }
        for r in rows
        if r.order != rush and r.lateness_after > r.lateness_before
    ]
    others_after = [r for r in after.orders if r.order != rush]
    return {
        "later": later,
        "becomes_late": sum(1 for r in later if r["becomes_late"]),
        "on_time_before": round(before.on_time_share, 4),
        "on_time_after": round(sum(r.tardiness == 0 for r in others_after) / len(others_after), 4)
        if others_after
        else 1.0,
    }


def _with_saturdays(
    adapted: Adapted,
    without: engine.Problem,
    before: engine.Plan,
    rush: engine.Order,
    settings: engine.Settings,
    frozen: int,
    request: RushRequest,
) -> dict[str, Any]:
    """The what-if again with the rush order's work centres working Saturdays (like a Monday)
    from now until the later of the wanted date and two weeks on."""
    codes = sorted({code for op in rush.operations for code in op.durations})
    tz = ZoneInfo(django_settings.TIME_ZONE)
    today = adapted.moment(max(0, frozen)).astimezone(tz).date()
    until = max(request.wanted, today + timedelta(days=14))
    centres = []
    added = 0
    for wc in without.work_centers:
        if wc.code not in codes or wc.calendar is None:
            centres.append(wc)
            continue
        extra = _saturday_windows(adapted, wc.calendar, today, until)
        added += sum(e - s for s, e in extra) * wc.machines
        centres.append(
            replace(wc, calendar=Calendar(wc.calendar.code, (*wc.calendar.windows, *extra)))
        )
    longer = replace(without, work_centers=tuple(centres))
    settings = replace(settings, time_limit=max(2.0, settings.time_limit / 2))
    what_if = insert_order(longer, before, rush, settings, frozen_until=frozen)
    rush_end = next(r.completion for r in what_if.after.orders if r.order == rush.id)
    impact = _impact(adapted, before, what_if.after, rush.id)
    return {
        "work_centers": codes,
        "until": until.isoformat(),
        "extra_hours": round(added / 60, 1),
        "rush_end": adapted.moment(rush_end).isoformat(),
        "becomes_late": impact["becomes_late"],
        "on_time_after": impact["on_time_after"],
        "later": impact["later"][:20],
    }


def _saturday_windows(
    adapted: Adapted, calendar: Calendar, first: date, until: date
) -> list[tuple[int, int]]:
    """Monday's working windows copied onto each Saturday in ``[first, until]`` not worked."""
    tz = ZoneInfo(django_settings.TIME_ZONE)
    monday_windows: list[tuple[time, int]] = []
    day = first
    while day.weekday() != 0:
        day += timedelta(days=1)
    lo = adapted.minute(datetime.combine(day, time(0), tz))
    for s, e in calendar.windows:
        if lo <= s < lo + 24 * 60:
            monday_windows.append(((datetime.min + timedelta(minutes=s - lo)).time(), e - s))
    out = []
    day = first
    while day <= until:
        if day.weekday() == 5:
            start_of_day = adapted.minute(datetime.combine(day, time(0), tz))
            if not any(start_of_day <= s < start_of_day + 1440 for s, _ in calendar.windows):
                for at, length in monday_windows:
                    s = adapted.minute(datetime.combine(day, at, tz))
                    if s >= 0:
                        out.append((s, s + length))
        day += timedelta(days=1)
    return out


# ----------------------------------------------------------------------------------------------
# The approval loop


def _locked(request: RushRequest) -> RushRequest:
    return RushRequest.objects.select_for_update().get(pk=request.pk)


def propose(request: RushRequest, user: Any, comment: str = "") -> RushRequest:
    """PMC proposes the assessed rush order to production."""
    with transaction.atomic():
        row = _locked(request)
        if row.status not in (RushStatus.REQUESTED, RushStatus.CHANGES):
            raise RushError(_("Only a requested rush order, or one sent back, can be proposed."))
        if row.what_if_id is None:
            raise RushError(_("Assess the rush order (its what-if plan) before proposing it."))
        row.status = RushStatus.PROPOSED
        row.save(update_fields=["status"])
        _step(row, "proposed", user, comment)
    return row


def ask_changes(request: RushRequest, user: Any, comment: str) -> RushRequest:
    """Either side sends the request back with what should change."""
    if not comment.strip():
        raise RushError(_("comment: say what should change"))
    with transaction.atomic():
        row = _locked(request)
        if row.status not in (RushStatus.REQUESTED, RushStatus.PROPOSED):
            raise RushError(_("This rush order is already decided."))
        row.status = RushStatus.CHANGES
        row.save(update_fields=["status"])
        _step(row, "changes_asked", user, comment)
    return row


def revise(
    request: RushRequest, user: Any, *, quantity: int, wanted: date, comment: str = ""
) -> RushRequest:
    """PMC changes the quantity or the date; the what-if must be assessed again."""
    if quantity <= 0:
        raise RushError(_("quantity: must be more than 0"))
    with transaction.atomic():
        row = _locked(request)
        if row.status not in (RushStatus.REQUESTED, RushStatus.CHANGES):
            raise RushError(_("Only a requested rush order, or one sent back, can be changed."))
        row.quantity, row.wanted = quantity, wanted
        if row.what_if_id:
            Plan.objects.filter(pk=row.what_if_id, status=PlanStatus.PROPOSED).update(
                status=PlanStatus.DISCARDED
            )
        row.what_if, row.impact, row.promisable = None, {}, None
        row.save(update_fields=["quantity", "wanted", "what_if", "impact", "promisable"])
        ProductionOrder.objects.filter(pk=row.production_order_id).update(
            quantity=quantity, due=wanted
        )
        _step(
            row,
            "revised",
            user,
            comment or _("%(quantity)s by %(date)s") % {"quantity": quantity, "date": wanted},
        )
    return row


def accept(request: RushRequest, user: Any, comment: str = "") -> RushRequest:
    """Production accepts: the production order is released and its what-if plan published."""
    with transaction.atomic():
        row = _locked(request)
        if row.status != RushStatus.PROPOSED:
            raise RushError(_("Only a proposed rush order can be accepted."))
        plan = row.what_if
        current = published_plan()
        if plan is None or current is None or plan.based_on_id != current.pk:
            raise RushError(
                _(
                    "The published plan changed since this what-if was made: "
                    "assess the rush order again."
                )
            )
        order = row.production_order
        order.status = ProductionStatus.RELEASED
        order.planned_output = PlannedOutput.objects.create(
            sku=order.sku,
            location=order.location,
            quantity=order.quantity,
            due_on=row.promisable or order.due,
            reference=order.number,
        )
        order.save(update_fields=["status", "planned_output"])
        row.status = RushStatus.ACCEPTED
        row.save(update_fields=["status"])
        _step(row, "accepted", user, comment)
        publish_plan(plan, user)
        _step(row, "published", user, _("Plan v%(version)s published.") % {"version": plan.version})
    return row


def reject(request: RushRequest, user: Any, comment: str) -> RushRequest:
    """Production rejects, saying why; the production order is cancelled."""
    if not comment.strip():
        raise RushError(_("comment: say why it is rejected"))
    with transaction.atomic():
        row = _locked(request)
        if row.status != RushStatus.PROPOSED:
            raise RushError(_("Only a proposed rush order can be rejected."))
        row.status = RushStatus.REJECTED
        row.save(update_fields=["status"])
        ProductionOrder.objects.filter(pk=row.production_order_id).update(
            status=ProductionStatus.CANCELLED
        )
        if row.what_if_id:
            Plan.objects.filter(pk=row.what_if_id, status=PlanStatus.PROPOSED).update(
                status=PlanStatus.DISCARDED
            )
        _step(row, "rejected", user, comment)
    return row
