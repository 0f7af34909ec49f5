"""Pages of the daily close, the exceptions and the notifications."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnioms.core.actor import Actor
from omnioms.core.models import Job
from omnioms.floor import exceptions as floor_exceptions
from omnioms.floor.close_export import close_lines, close_pdf, close_workbook
from omnioms.floor.domain import FloorError
from omnioms.floor.jobs import start_close
from omnioms.floor.models import (
    DailyClose,
    ExceptionStatus,
    ExceptionType,
    FloorException,
    Notification,
    Recovery,
)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Http404("no such day") from None


@login_required
@permission_required("floor.view_dailyclose", raise_exception=True)
@require_http_methods(["GET", "POST"])
def closes(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not request.user.has_perm("floor.run_daily_close"):
            return HttpResponse(status=403)
        raw = request.POST.get("day") or timezone.localdate().isoformat()
        try:
            day = date.fromisoformat(raw.replace("\x00", ""))
        except ValueError:
            messages.error(request, _("The day is not a date (YYYY-MM-DD)."))
            return HttpResponseRedirect(reverse("floor:closes"))
        job = start_close(day, site=None, actor=Actor.for_user(request.user))
        messages.success(request, _("The daily close was queued; it runs in the background."))
        return HttpResponseRedirect(reverse("floor:closes") + f"?job={job.pk}")
    shown = None
    if request.GET.get("job", "").isdigit():
        shown = Job.objects.filter(pk=int(request.GET["job"]), kind="floor.daily_close").first()
    context = {
        "job": shown,
        "closes": DailyClose.objects.select_related("site")[:60],
        "today": timezone.localdate(),
    }
    return render(request, "floor/closes.html", context)


def _close(day: str) -> DailyClose:
    found = DailyClose.objects.filter(day=_day(day)).order_by("site_id").first()
    if found is None:
        raise Http404("no close of that day")
    return found


@login_required
@permission_required("floor.view_dailyclose", raise_exception=True)
@require_GET
def close_day(request: HttpRequest, day: str) -> HttpResponse:
    close = _close(day)
    lines = close_lines(close)
    context = {
        "close": close,
        "orders": [line for line in lines if line.scope == "order"],
        "centres": [line for line in lines if line.scope == "work_center"],
        "exceptions": FloorException.objects.filter(day=close.day).select_related("type"),
    }
    return render(request, "floor/close_day.html", context)


@login_required
@permission_required("floor.view_dailyclose", raise_exception=True)
@require_GET
def close_export(request: HttpRequest, day: str, fmt: str) -> HttpResponse:
    close = _close(day)
    if fmt == "xlsx":
        response = HttpResponse(
            close_workbook(close),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "pdf":
        response = HttpResponse(close_pdf(close), content_type="application/pdf")
    else:
        raise Http404("no such format")
    response["Content-Disposition"] = f'attachment; filename="daily-close-{close.day}.{fmt}"'
    return response


VIEWS = {
    "open": _("Open"),
    "overdue": _("Overdue"),
    "escalated": _("Escalated"),
    "closed": _("Closed"),
}


@login_required
@permission_required("floor.view_floorexception", raise_exception=True)
@require_GET
def exception_list(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", "open")
    if view not in VIEWS:
        view = "open"
    rows = floor_exceptions.listed(view).select_related(
        "type", "owner_user", "production_order", "work_center"
    )
    code = request.GET.get("type", "")
    if code:
        rows = rows.filter(type__code=code)
    context = {
        "rows": rows[:300],
        "view": view,
        "views": VIEWS,
        "types": ExceptionType.objects.all(),
        "type": code,
        "now": timezone.now(),
    }
    return render(request, "floor/exceptions.html", context)


@login_required
@permission_required("floor.view_floorexception", raise_exception=True)
@require_http_methods(["GET", "POST"])
def exception_detail(request: HttpRequest, pk: int) -> HttpResponse:
    exc = get_object_or_404(
        FloorException.objects.select_related(
            "type", "owner_user", "production_order", "customer_order", "work_center", "closed_by"
        ),
        pk=pk,
    )
    if request.method == "POST":
        if not request.user.has_perm("floor.work_exception"):
            return HttpResponse(status=403)
        post = {k: str(request.POST.get(k, "")).replace("\x00", "") for k in request.POST}
        try:
            if exc.type.code == "t3" and post.get("step") == "answer":
                from omnioms.floor.t3 import answer_t3

                answer_t3(
                    exc.pk,
                    user=request.user,
                    recovery=post.get("recovery", ""),
                    action=post.get("action", ""),
                    new_date=post.get("new_date", ""),
                )
            else:
                floor_exceptions.take_step(
                    exc.pk,
                    step=post.get("step", ""),
                    user=request.user,
                    cause=post.get("cause", ""),
                    action=post.get("action", ""),
                    due=post.get("due", ""),
                    note=post.get("note", ""),
                )
        except FloorError as err:
            messages.error(request, err.message)
        else:
            messages.success(request, _("Recorded."))
        return HttpResponseRedirect(reverse("floor:exception", args=[pk]))
    context = {
        "exc": exc,
        "events": exc.events.all(),
        "now": timezone.now(),
        "is_owner": floor_exceptions.is_owner(exc, request.user),
        "recoveries": Recovery.choices,
        "statuses": ExceptionStatus,
    }
    return render(request, "floor/exception.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    mine = Notification.objects.filter(user_id=request.user.pk or 0)
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        return HttpResponseRedirect(reverse("floor:notifications"))
    return render(
        request, "floor/notifications.html", {"rows": mine.select_related("exception")[:200]}
    )


@login_required
@permission_required("floor.run_daily_close", raise_exception=True)
@require_POST
def escalate_now(request: HttpRequest) -> HttpResponse:
    moved = floor_exceptions.escalate_due()
    messages.info(request, _("%(n)s exceptions escalated.") % {"n": moved})
    return HttpResponseRedirect(reverse("floor:exceptions") + "?view=escalated")
