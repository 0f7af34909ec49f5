"""Pages of the web UI. Views check permissions, read through selectors, change through services.

Every page needs a login; a missing permission is a 403, an order the user may not see a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from omnioms.channels.adapters import UnknownPlatform
from omnioms.channels.bodies import attachment
from omnioms.channels.models import DeadLetter, InboundPayload, PayloadOutcome
from omnioms.core.actor import Actor
from omnioms.core.choices import OrderStatus
from omnioms.core.jobs import cancel_job
from omnioms.core.models import Job
from omnioms.flows.registry import FIELDS
from omnioms.flows.services import (
    ActionForbidden,
    ActionNotFound,
    ActionRefused,
    FieldErrors,
    offers,
    take_action,
)
from omnioms.orders.domain import ShipmentError, make_shipment
from omnioms.orders.flows import TransitionNotAllowed, allowed_targets
from omnioms.orders.models import Order
from omnioms.orders.selectors import BadCursor, Page, visible_orders
from omnioms.orders.services import add_order_note, line_key, ship_order
from omnioms.sales import documents, order_queries
from omnioms.sales.exports import write_workbook
from omnioms.sales.order_queries import SortedPage
from omnioms.sync.forms import DismissForm
from omnioms.sync.services import DeadLetterClosed, dismiss_dead_letter, replay_dead_letter
from omnioms.web import exports, selectors
from omnioms.web.forms import (
    BulkShipForm,
    DeadLetterFilterForm,
    NoteForm,
    OrderFilterForm,
    ShipmentForm,
)
from omnioms.web.order_actions import action_forms, flow_summary
from omnioms.web.presenters import status_story, timeline_entry


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _swaps_fragment(request: HtmxHttpRequest) -> bool:
    """An htmx request swaps part of the page; a history restore needs the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _page_url(request: HttpRequest, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    params = request.GET.copy()
    params["cursor"] = cursor
    for key in [key for key, value in params.items() if value == ""]:
        del params[key]
    return f"{reverse('web:order_list')}?{params.urlencode()}"


def _filter_form(request: HttpRequest) -> OrderFilterForm:
    return OrderFilterForm(
        request.GET,
        accounts=selectors.visible_accounts(request.user),
        locations=selectors.list_locations(),
    )


def _export_url(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("cursor", None)
    for key in [key for key, value in params.items() if value == ""]:
        del params[key]
    query = params.urlencode()
    return reverse("web:order_export") + (f"?{query}" if query else "")


@login_required
@permission_required("orders.view_order", raise_exception=True)
@require_GET
def order_list(request: HtmxHttpRequest) -> HttpResponse:
    form = _filter_form(request)
    page: Page | SortedPage | None = None
    count: tuple[int, bool] | None = None
    if form.is_valid():
        try:
            page = selectors.order_list_page(
                request.user,
                form.filters(),
                cursor=form.cleaned_data["cursor"] or None,
                more=form.list_filters(),
            )
            count = order_queries.bounded_count(
                selectors.filtered_orders(request.user, form.filters(), form.list_filters())
            )
        except BadCursor:
            form.add_error(
                "cursor",
                _("This page link is not valid (any more); start again from the first page."),
            )
    for order in page.items if page else []:
        order.ship_by = order_queries.ship_by(order)  # type: ignore[attr-defined]
    context = {
        "form": form,
        "page": page,
        "next_url": _page_url(request, page.next_cursor) if page else None,
        "previous_url": _page_url(request, page.previous_cursor) if page else None,
        "filtered": any(
            value for key, value in request.GET.items() if key not in ("cursor", "sort")
        ),
        "fragment": _swaps_fragment(request),
        "count": count,
        "export_url": _export_url(request),
        "may_ship": request.user.has_perm("orders.change_order"),
    }
    template = "web/_order_results.html" if context["fragment"] else "web/order_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


# ----------------------------------------------------------------------------------------------
# Bulk actions on the order list


def _selected(request: HttpRequest) -> list[int]:
    """The ids of the ticked orders (``order``), at most ``BULK_LIMIT``; others are ignored."""
    ids = []
    for value in request.POST.getlist("order")[: order_queries.BULK_LIMIT]:
        if value.isdigit() and len(value) < 19:
            ids.append(int(value))
    return ids


@login_required
@permission_required("orders.view_order", raise_exception=True)
@require_POST
def order_bulk(request: HttpRequest) -> HttpResponse:
    """What to do with the ticked orders: pick list or packing slips (PDF), or ship them."""
    ids = _selected(request)
    orders = visible_orders(request.user).filter(pk__in=ids)
    action = request.POST.get("action", "")
    if not ids or not orders.exists():
        messages.error(request, _("Tick at least one order first."))
        return redirect(_back(request))
    if action == "pick_list":
        content = documents.pick_list_pdf(order_queries.slip_orders(orders))
        return _pdf_response(content, "pick-list.pdf")
    if action == "packing_slips":
        content = documents.packing_slips_pdf(order_queries.slip_orders(orders))
        return _pdf_response(content, "packing-slips.pdf")
    if action == "ship":
        if not request.user.has_perm("orders.change_order"):
            raise PermissionDenied
        return _bulk_ship_page(request, list(orders.select_related("account")), BulkShipForm())
    return HttpResponse(_("Unknown action."), status=400, content_type="text/plain")


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _bulk_ship_page(
    request: HttpRequest,
    orders: list[Order],
    form: BulkShipForm,
    *,
    errors: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    shippable, skipped = [], []
    for order in orders:
        reason = _ship_refusal(order, request.user)
        if reason is None or order.pk in (errors or {}):
            shippable.append(order)
        else:
            skipped.append((order, reason))
    return render(
        request,
        "web/order_bulk_ship.html",
        {
            "form": form,
            "orders": shippable,
            "skipped": skipped,
            "errors": errors or {},
            "back": _back(request),
        },
        status=status,
    )


BULK_SHIP_ACTION = "ship"
"""The flows action the list's bulk ship takes on each ticked order (every preset has it)."""


def _ship_refusal(order: Order, user: Any) -> str | None:
    """None when the user may take the order's ``ship`` action now, else why not."""
    for offer in offers(order, user):
        if offer.transition.action == BULK_SHIP_ACTION:
            return None if offer.allowed else offer.reason
    return _("its flow has no shipping step at its stage %(stage)s") % {"stage": order.stage}


@login_required
@permission_required("orders.view_order", raise_exception=True)
@permission_required("orders.change_order", raise_exception=True)
@require_POST
def order_bulk_ship(request: HttpRequest) -> HttpResponse:
    """Ship each ticked order with the carrier and its own tracking number through its flow's
    ``ship`` action (its roles, guards and effects: write-back, notice, stock), one
    transaction per order: one that cannot ship is named, the others ship."""
    orders = list(
        visible_orders(request.user).filter(pk__in=_selected(request)).select_related("account")
    )
    form = BulkShipForm(request.POST)
    if not form.is_valid():
        return _bulk_ship_page(request, orders, form, status=400)
    shipped: list[str] = []
    errors: dict[int, str] = {}
    for order in orders:
        fields = {
            "carrier": form.cleaned_data["carrier"],
            "tracking_number": request.POST.get(f"tracking_{order.pk}", "").strip()[:100],
        }
        try:
            take_action(order, BULK_SHIP_ACTION, fields, request.user)
        except FieldErrors as exc:
            errors[order.pk] = "; ".join(
                f"{FIELDS[name].label if name in FIELDS else name}: {message}"
                for name, message in exc.errors.items()
            )
        except (ActionNotFound, ActionForbidden, ActionRefused) as exc:
            errors[order.pk] = str(exc)
        else:
            shipped.append(order.external_id)
    if shipped:
        messages.success(
            request,
            _("%(count)d orders marked shipped: %(ids)s")
            % {"count": len(shipped), "ids": ", ".join(shipped)},
        )
    if errors:
        rest = [order for order in orders if order.pk in errors]
        for order in rest:
            order.refresh_from_db()
        return _bulk_ship_page(request, rest, form, errors=errors, status=400)
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    """The list page the bulk action came from (its filters and page), on this site only."""
    target = request.POST.get("back", "")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return reverse("web:order_list")
    return target


@login_required
@permission_required("orders.view_order", raise_exception=True)
@require_GET
def order_export(request: HttpRequest) -> HttpResponse | FileResponse:
    """The filtered list, every page of it, as an Excel workbook: written and sent at once when
    it is short, else an export job the person follows on "My exports"."""
    query = exports.filter_query(request.GET)
    try:
        orders = exports.filtered(request.user, query)
    except exports.BadFilter as exc:
        return HttpResponse(
            _("The filter cannot be exported: %(errors)s") % {"errors": exc},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    limit = exports.inline_limit()
    if orders.order_by()[: limit + 1].count() > limit:
        job = exports.start_export(request.user, query_dict(query))
        messages.info(
            request,
            _(
                "The list has more than %(n)s orders: it is exported in the background "
                "(export %(job)s). Download it here when it is ready."
            )
            % {"n": limit, "job": job.pk},
        )
        return redirect("web:order_exports")
    workbook = write_workbook(
        exports.header(), order_queries.export_rows(orders), title=_("Orders")
    )
    filename = f"orders-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(
        workbook,
        as_attachment=True,
        filename=filename,
        content_type=XLSX,
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def query_dict(query: str) -> QueryDict:
    return QueryDict(query)


def _own_exports(request: HttpRequest) -> QuerySet[Job]:
    return Job.objects.filter(kind=exports.KIND, created_by_id=request.user.pk)


@login_required
@permission_required("orders.view_order", raise_exception=True)
@require_GET
def order_exports(request: HtmxHttpRequest) -> HttpResponse:
    """The person's exports, newest first: the filter that made each, its progress, the file."""
    jobs = list(_own_exports(request).order_by("-created_at", "-pk")[:50])
    rows = [
        {
            "job": job,
            "filter": exports.describe(str(job.params.get("query", ""))),
            "query": job.params.get("query", ""),
            "rows": (job.result or {}).get("rows") if isinstance(job.result, dict) else None,
            "file": exports.file_of(job) is not None,
            "removed": isinstance(job.result, dict) and "removed_at" in job.result,
        }
        for job in jobs
    ]
    context = {
        "rows": rows,
        "keep_days": exports.keep_days(),
        "running": any(not job.is_finished for job in jobs),
        "fragment": _swaps_fragment(request),
    }
    return render(request, "web/order_exports.html", context)


@login_required
@permission_required("orders.view_order", raise_exception=True)
@require_GET
def order_export_download(request: HttpRequest, pk: int) -> FileResponse:
    job = get_object_or_404(_own_exports(request), pk=pk)
    path = exports.file_of(job)
    if path is None:
        raise Http404(_("This export has no file (it did not finish, or was removed)."))
    filename = f"orders-{timezone.localtime(job.created_at):%Y%m%d-%H%M}-{job.pk}.xlsx"
    return FileResponse(path.open("rb"), as_attachment=True, filename=filename, content_type=XLSX)


@login_required
@permission_required("orders.view_order", raise_exception=True)
@require_POST
def order_export_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_own_exports(request), pk=pk)
    if cancel_job(job.pk):
        messages.info(request, _("The export was asked to stop."))
    else:
        messages.warning(request, _("The export had already ended."))
    return redirect("web:order_exports")


def _may_ship(order: Order) -> bool:
    """Whether the order's status lets a person mark it shipped (not again once shipped)."""
    return OrderStatus.SHIPPED in allowed_targets(order.status)


def order_detail_page(
    request: HttpRequest,
    order_id: int,
    *,
    note_form: NoteForm | None = None,
    ship_form: ShipmentForm | None = None,
    status: int = 200,
    failed_action: str = "",
    action_errors: dict[str, str] | None = None,
) -> HttpResponse:
    order = get_object_or_404(selectors.order_detail_queryset(request.user), pk=order_id)
    may_change = request.user.has_perm("orders.change_order")
    lines = selectors.order_lines(order)
    events = selectors.order_events(order)
    context: dict[str, Any] = {
        "order": order,
        "status": status_story(order, events),
        "lines": lines,
        "line_keys": [(line, line_key(line)) for line in lines],
        "flow": flow_summary(order),
        "actions": action_forms(order, request.user, failed=failed_action, errors=action_errors)
        if may_change
        else [],
        "timeline": [timeline_entry(event) for event in events],
        "payloads": selectors.order_payloads(order),
        "other_orders": selectors.other_orders_of_customer(request.user, order),
        "note_form": note_form or NoteForm(),
        "may_add_note": request.user.has_perm("orders.add_order_note"),
        "ship_form": ship_form or ShipmentForm(),
        "may_ship": may_change and _may_ship(order),
    }
    return render(request, "web/order_detail.html", context, status=status)


_order_detail_page = order_detail_page


@login_required
@permission_required("orders.view_order", raise_exception=True)
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_detail_page(request, pk)


@login_required
@permission_required("orders.view_order", raise_exception=True)
@permission_required("orders.add_order_note", raise_exception=True)
@require_POST
def order_add_note(request: HttpRequest, pk: int) -> HttpResponse:
    order_id = get_object_or_404(visible_orders(request.user).only("pk"), pk=pk).pk
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _order_detail_page(request, order_id, note_form=form, status=400)
    add_order_note(order_id, form.cleaned_data["text"], actor=Actor.for_user(request.user))
    messages.success(request, _("Note added."))
    return HttpResponseRedirect(reverse("web:order_detail", args=[order_id]) + "#timeline")


@login_required
@permission_required("orders.view_order", raise_exception=True)
@permission_required("orders.change_order", raise_exception=True)
@require_POST
def order_ship(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the whole order shipped; the platform is told through the outbound queue.

    Like ``POST /api/v1/orders/{id}/shipments`` except that an order already shipped is
    refused here (the API takes a further tracking number for it): a second click or a stale
    page must not queue a second shipment.
    """
    order_id = get_object_or_404(visible_orders(request.user).only("pk"), pk=pk).pk
    form = ShipmentForm(request.POST)
    if not form.is_valid():
        return _order_detail_page(request, order_id, ship_form=form, status=400)
    carrier, tracking = form.cleaned_data["carrier"], form.cleaned_data["tracking_number"]
    try:
        shipment = make_shipment(carrier, tracking, shipped_at=timezone.now())
        # Refused once shipped: two clerks shipping at once (the order row is locked) or a
        # second click record one shipment.
        change = ship_order(order_id, shipment, actor=Actor.for_user(request.user), again=False)
    except TransitionNotAllowed as exc:
        messages.error(
            request,
            _("This order is %(status)s and cannot be marked shipped; nothing was changed.")
            % {"status": OrderStatus(exc.current).label},
        )
        return _order_detail_page(request, order_id, status=409)
    except ShipmentError as exc:
        form.add_error(None, _("The shipment was refused: %(reason)s") % {"reason": exc})
        return _order_detail_page(request, order_id, ship_form=form, status=400)
    command = change.results.get("outbound_command")
    values = {"carrier": carrier, "tracking": tracking}
    if command is not None:
        messages.success(
            request,
            _(
                "Marked shipped with %(carrier)s, tracking number %(tracking)s. "
                "The channel will be told shortly."
            )
            % values,
        )
    else:
        messages.warning(
            request,
            _(
                "Marked shipped with %(carrier)s, tracking number %(tracking)s. This order's "
                "channel has no API connection, so it is not told; update it there if needed."
            )
            % values,
        )
    return HttpResponseRedirect(reverse("web:order_detail", args=[order_id]) + "#timeline")


@login_required
@permission_required("channels.view_deadletter", raise_exception=True)
@require_GET
def dead_letter_list(request: HttpRequest) -> HttpResponse:
    form = DeadLetterFilterForm(request.GET)
    state = form.state_value()
    paginator = Paginator(selectors.dead_letters(state), selectors.DEAD_LETTER_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "web/dead_letter_list.html",
        {
            "form": form,
            "state": state,
            "page": page,
            "preview_limit": selectors.DEAD_LETTER_PREVIEW,
            "may_replay": request.user.has_perm("channels.replay_deadletter"),
            "may_dismiss": request.user.has_perm("channels.dismiss_deadletter"),
        },
    )


def _dead_letter_page(
    request: HttpRequest, pk: int, *, dismiss_form: DismissForm | None = None, status: int = 200
) -> HttpResponse:
    try:
        letter = selectors.dead_letter(pk)
    except DeadLetter.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "web/dead_letter_detail.html",
        {
            "letter": letter,
            "payload": letter.payload,
            "may_replay": request.user.has_perm("channels.replay_deadletter"),
            "may_dismiss": request.user.has_perm("channels.dismiss_deadletter"),
            "dismiss_form": dismiss_form or DismissForm(),
        },
        status=status,
    )


@login_required
@permission_required("channels.view_deadletter", raise_exception=True)
@require_GET
def dead_letter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _dead_letter_page(request, pk)


@login_required
@permission_required("channels.view_deadletter", raise_exception=True)
@permission_required("channels.dismiss_deadletter", raise_exception=True)
@require_POST
def dead_letter_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    """Close an open dead letter without replaying it; the reason is required."""
    form = DismissForm(request.POST)
    if not form.is_valid():
        return _dead_letter_page(request, pk, dismiss_form=form, status=400)
    try:
        dismiss_dead_letter(
            pk, reason=form.cleaned_data["reason"], actor=Actor.for_user(request.user)
        )
    except DeadLetter.DoesNotExist:
        raise Http404 from None
    except DeadLetterClosed as exc:
        messages.error(
            request,
            _("Dead letter %(id)s is %(state)s already; nothing was changed.")
            % {"id": pk, "state": exc.state.label},
        )
        return redirect("web:dead_letter_detail", pk=pk)
    messages.success(request, _("Dead letter %(id)s dismissed.") % {"id": pk})
    return redirect(_next_page(request))


@login_required
@permission_required("channels.view_deadletter", raise_exception=True)
@require_GET
def dead_letter_body(request: HttpRequest, pk: int) -> HttpResponse:
    """The raw body, byte for byte, as a download: never rendered by the browser, whatever
    content type the sender claimed (``attachment``, ``nosniff``)."""
    try:
        payload, raw = selectors.dead_letter_raw_body(pk)
    except InboundPayload.DoesNotExist:
        raise Http404 from None
    return attachment(raw, payload.content_type, f"dead-letter-{pk}")


@login_required
@permission_required("channels.replay_deadletter", raise_exception=True)
@require_POST
def dead_letter_replay(request: HttpRequest, pk: int) -> HttpResponse:
    letter = get_object_or_404(DeadLetter, pk=pk)
    try:
        outcome = replay_dead_letter(letter.pk, actor=Actor.for_user(request.user))
    except UnknownPlatform as exc:
        messages.error(
            request,
            _("Dead letter %(id)s cannot be replayed: %(reason)s")
            % {"id": letter.pk, "reason": exc},
        )
    else:
        if outcome == PayloadOutcome.DEAD_LETTERED:
            letter.refresh_from_db(fields=["reason"])
            messages.error(
                request,
                _("Dead letter %(id)s still fails: %(reason)s")
                % {"id": letter.pk, "reason": letter.reason},
            )
        else:
            label = PayloadOutcome(outcome).label if outcome in PayloadOutcome.values else outcome
            messages.success(
                request,
                _("Dead letter %(id)s replayed: %(outcome)s.")
                % {"id": letter.pk, "outcome": label},
            )
    return redirect(_next_page(request))


def _next_page(request: HttpRequest) -> str:
    """The form's ``next`` address on this site, else the dead-letter list."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("web:dead_letter_list")
    return target
