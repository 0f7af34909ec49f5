"""The customer-service pages: the inbox, the agent's screen (conversation on one side, the
customer with every order on the other), logging a call or a visit, search, the dashboard.

Every page needs ``service.view_ticket``; answering, noting and changing need
``service.answer_ticket`` / ``service.change_ticket`` (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from omnioms.core.actor import Actor
from omnioms.customers.models import Customer
from omnioms.flows.fields import ADDRESS_PARTS
from omnioms.orders.selectors import visible_orders
from omnioms.service import media, order_actions, search, selectors, services, sla
from omnioms.service.domain import fill_placeholders
from omnioms.service.forms import (
    ChangeForm,
    LinkOrderForm,
    LogContactForm,
    MergeForm,
    ReplyForm,
    SearchForm,
)
from omnioms.service.models import (
    AgentState,
    Attachment,
    CannedReply,
    MediaFetch,
    SearchKind,
    Ticket,
)

VIEW = "service.view_ticket"
ANSWER = "service.answer_ticket"
CHANGE = "service.change_ticket"
PAGE_SIZE = 50


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", "mine")
    if view not in selectors.INBOX_VIEWS:
        view = "mine"
    page = Paginator(selectors.inbox(request.user, view), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    rows = [(ticket, sla.time_left(ticket, now=now)) for ticket in page.object_list]
    state = AgentState.objects.filter(user_id=request.user.pk or 0).first()
    return render(
        request,
        "service/inbox.html",
        {
            "rows": rows,
            "page": page,
            "view": view,
            "views": [
                ("mine", _("Mine")),
                ("unassigned", _("Unassigned")),
                ("at_risk", _("About to breach")),
                ("open", _("All open")),
                ("all", _("Everything")),
            ],
            "available": state.available if state else True,
            "search_form": SearchForm(),
        },
    )


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related(
            "customer", "assignee", "team", "sla_policy", "source", "merged_into"
        ),
        pk=ticket_id,
    )


def ticket_context(request: HttpRequest, ticket: Ticket, **forms: Any) -> dict[str, Any]:
    links = list(ticket.order_links.select_related("order", "line"))
    linked_ids = {link.order_id for link in links}
    orders = selectors.customer_orders(request.user, ticket.customer, linked_ids)
    skus = {line.sku_code for view in orders if view.linked for line in view.lines if line.sku_code}
    skus |= {link.line.sku_code for link in links if link.line and link.line.sku_code}
    if not skus and orders:
        skus = {line.sku_code for line in orders[0].lines if line.sku_code}
    values = selectors.placeholder_values(ticket, orders)
    canned = [(reply, fill_placeholders(reply.body, values)) for reply in CannedReply.objects.all()]
    return {
        "ticket": ticket,
        "messages_": selectors.conversation(ticket),
        "orders": orders,
        "links": links,
        "stock": selectors.stock_of(request.user, skus),
        "earlier": selectors.earlier_tickets(ticket),
        "events": ticket.events.select_related("actor_user").order_by("-at", "-pk")[:50],
        "time_left": sla.time_left(ticket),
        "canned": canned,
        "actions": {
            view.order.pk: order_actions.available(view.order, request.user) for view in orders
        },
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "change_form": forms.get("change_form")
        or ChangeForm(
            initial={
                "status": ticket.status,
                "priority": ticket.priority,
                "ticket_type": ticket.ticket_type,
                "assignee": ticket.assignee_id,
                "tags": ", ".join(ticket.tags.values_list("name", flat=True)),
            }
        ),
        "merge_form": forms.get("merge_form") or MergeForm(),
        "link_form": forms.get("link_form") or LinkOrderForm(),
        "address_parts": ADDRESS_PARTS,
        "can_answer": request.user.has_perm(ANSWER),
        "can_change": request.user.has_perm(CHANGE),
    }


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    return render(request, "service/ticket.html", ticket_context(request, ticket))


def _back(ticket: Ticket) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("service:ticket", args=[ticket.pk]))


def _invalid(request: HttpRequest, ticket: Ticket, **forms: Any) -> HttpResponse:
    return render(
        request, "service/ticket.html", ticket_context(request, ticket, **forms), status=400
    )


@login_required
@permission_required(ANSWER, raise_exception=True)
@require_POST
def answer(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, reply_form=form)
    try:
        message = services.reply(
            ticket.pk,
            form.cleaned_data["text"],
            actor=_actor(request),
            note=form.cleaned_data["note"],
        )
    except services.TicketError as exc:
        form.add_error("text", str(exc))
        return _invalid(request, ticket, reply_form=form)
    if message.direction == "note":
        messages.success(request, _("Note added."))
    elif message.delivery:
        messages.success(
            request,
            _("Answer queued on %(source)s.") % {"source": message.conversation.source},
        )
    else:
        messages.success(request, _("Answer recorded."))
    return _back(ticket)


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def change(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    form = ChangeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, change_form=form)
    data = form.cleaned_data
    try:
        services.change_ticket(
            ticket.pk,
            actor=_actor(request),
            tags=data["tags"],
            status=data["status"],
            priority=data["priority"],
            ticket_type=data["ticket_type"],
            assignee_id=data["assignee"].pk if data["assignee"] else None,
        )
    except services.TicketError as exc:
        form.add_error(None, str(exc))
        return _invalid(request, ticket, change_form=form)
    messages.success(request, _("Ticket saved."))
    return _back(ticket)


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def merge(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, merge_form=form)
    into = Ticket.objects.filter(number__iexact=form.cleaned_data["into"]).first()
    if into is None:
        form.add_error("into", _("No ticket has that number."))
        return _invalid(request, ticket, merge_form=form)
    try:
        services.merge_tickets(ticket.pk, into.pk, actor=_actor(request))
    except services.TicketError as exc:
        form.add_error("into", str(exc))
        return _invalid(request, ticket, merge_form=form)
    messages.success(request, _("Merged into %(number)s.") % {"number": into.number})
    return _back(into)


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def link_order(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    form = LinkOrderForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, link_form=form)
    order = visible_orders(request.user).filter(external_id=form.cleaned_data["order"]).first()
    if order is None:
        form.add_error("order", _("No order you can see has that number."))
        return _invalid(request, ticket, link_form=form)
    services.link_order(ticket.pk, order.pk, actor=_actor(request))
    return _back(ticket)


@login_required
@permission_required(ANSWER, raise_exception=True)
@require_POST
def order_action(request: HttpRequest, ticket_id: int, order_id: int) -> HttpResponse:
    """An order action (refund, return, resend, change address) through the order's flow;
    the flow checks the user's role. The ticket records what was done."""
    ticket = _ticket(request, ticket_id)
    order = get_object_or_404(visible_orders(request.user), pk=order_id)
    action = request.POST.get("action", "")[:50]
    try:
        result = order_actions.take(
            order, action, request.POST, request.user, seen_stage=request.POST.get("stage", "")
        )
    except order_actions.ActionRefused as exc:
        messages.error(request, str(exc))
        return _back(ticket)
    services.record_order_action(ticket.pk, order.pk, action, actor=_actor(request), result=result)
    messages.success(
        request,
        _("%(action)s done on order %(order)s.") % {"action": action, "order": order.external_id},
    )
    return _back(ticket)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def attachment(request: HttpRequest, ticket_id: int, attachment_id: int) -> HttpResponse:
    found = get_object_or_404(
        Attachment, pk=attachment_id, message__conversation__ticket_id=ticket_id
    )
    response = HttpResponse(bytes(found.data), content_type="application/octet-stream")
    # RFC 6266 with filename*: a Chinese file name (a WeCom file) arrives whole.
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=found.filename) or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@permission_required(ANSWER, raise_exception=True)
@require_POST
def retry_media(request: HttpRequest, ticket_id: int, media_id: int) -> HttpResponse:
    """Fetch a file the platform failed to give again (it may have been down)."""
    found = get_object_or_404(MediaFetch, pk=media_id, message__conversation__ticket_id=ticket_id)
    media.retry(found.pk)
    messages.success(request, _("The file will be fetched again."))
    return HttpResponseRedirect(reverse("service:ticket", args=[ticket_id]))


@login_required
@permission_required(ANSWER, raise_exception=True)
@require_POST
def set_available(request: HttpRequest) -> HttpResponse:
    services.set_available(request.user.pk or 0, request.POST.get("available") == "1")
    return HttpResponseRedirect(reverse("service:inbox"))


@login_required
@permission_required("service.add_ticket", raise_exception=True)
def log_contact(request: HttpRequest) -> HttpResponse:
    form = LogContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        customer = _find_customer(data["customer"]) if data["customer"] else None
        order = (
            visible_orders(request.user).filter(external_id=data["order"]).first()
            if data["order"]
            else None
        )
        if data["order"] and order is None:
            form.add_error("order", _("No order you can see has that number."))
        elif data["customer"] and customer is None and order is None:
            form.add_error("customer", _("No customer matches; give their order number instead."))
        else:
            if customer is None and order is not None and order.customer_id:
                customer = Customer.objects.filter(pk=order.customer_id).first()
            ticket = services.log_contact(
                customer_id=customer.pk if customer else None,
                kind=data["kind"],
                text=data["text"],
                actor=_actor(request),
                order_ids=[order.pk] if order else [],
                ticket_type=data["ticket_type"],
            )
            messages.success(request, _("Logged as %(number)s.") % {"number": ticket.number})
            return _back(ticket)
    return render(
        request, "service/log_contact.html", {"form": form}, status=400 if form.errors else 200
    )


def _find_customer(text: str) -> Customer | None:
    try:
        hits = search.matching_entries(text, kinds=[SearchKind.CUSTOMER], limit=2)
    except search.QueryTooShort:
        return None
    if len(hits) != 1:
        return None
    return Customer.objects.filter(pk=hits[0].object_id).first()


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results: dict[str, list[search.Hit]] = {}
    if form.is_valid():
        try:
            results = search.search(form.cleaned_data["q"], request.user)
        except search.QueryTooShort as exc:
            form.add_error("q", str(exc))
    labels = dict(SearchKind.choices)
    sections = [(labels[kind], kind, hits) for kind, hits in results.items()]
    return render(
        request,
        "service/search.html",
        {"form": form, "sections": sections, "searched": form.is_bound},
        status=400 if form.errors else 200,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def customer_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    if not request.user.has_perm("customers.view_customer"):
        raise PermissionDenied
    customer = get_object_or_404(Customer, pk=customer_id)
    orders = selectors.customer_orders(request.user, customer, set())
    tickets = Ticket.objects.filter(customer_id__in=selectors.customer_ids(customer)).order_by(
        "-created_at"
    )[:50]
    return render(
        request,
        "service/customer.html",
        {
            "customer": customer,
            "orders": orders,
            "tickets": tickets,
            "identities": customer.identities.all(),
        },
    )
