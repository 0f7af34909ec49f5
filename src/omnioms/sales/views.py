"""Pages of selling by people: orders keyed in, the store counter, inquiries and quotes.

Views check permissions, read through selectors, change through services; a refused input
is the same page with its errors (400), never a 500.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnioms.catalog.models import Sku
from omnioms.channels.models import ChannelAccount
from omnioms.core.actor import Actor
from omnioms.core.choices import Platform
from omnioms.core.models import Location
from omnioms.customers.models import Customer
from omnioms.inventory.models import Reservation
from omnioms.orders.selectors import user_store_id, visible_orders
from omnioms.sales import documents
from omnioms.sales.documents import DocLine
from omnioms.sales.domain import PriceLine, SaleDraft, may_approve, version_changes
from omnioms.sales.forms import (
    CounterCheckoutForm,
    CounterScanForm,
    EntryLineFormSet,
    InquiryForm,
    InvoiceForm,
    OrderEntryForm,
    PaymentForm,
    QuoteLineFormSet,
    QuoteTermsForm,
)
from omnioms.sales.models import Invoice, Quote, QuoteStatus, QuoteVersion
from omnioms.sales.selectors import (
    StockAt,
    find_customers,
    find_skus,
    inquiries,
    quotes,
    stock_by_location,
    stores_for,
    version_view,
    versions_of,
)
from omnioms.sales.services import (
    DEFAULT_VALIDITY,
    CounterSale,
    LineInput,
    LinkRefusal,
    LinkRefused,
    OutOfStock,
    SaleError,
    accept_quote,
    accept_quote_by_link,
    approve_quote,
    decline_quote,
    discount_policy,
    enter_order,
    entry_accounts,
    issue_invoice,
    link_refusal,
    make_quote,
    mark_sent,
    paid_so_far,
    quote_from_token,
    quote_link_token,
    quote_of_link,
    record_inquiry,
    revise_quote,
    sell_at_counter,
    take_payment,
)
from omnioms.sync.forms import ImportFileForm


def show_errors(form: Form, error: SaleError) -> None:
    """A service's errors onto the form: by field where it has one, else for the whole form."""
    for name, message in (error.errors or {"": str(error)}).items():
        if name in form.fields:
            form.add_error(name, message)
        else:
            form.add_error(None, f"{name}: {message}" if name else message)


def spreadsheet_accounts() -> list[ChannelAccount]:
    return list(
        ChannelAccount.objects.filter(platform=Platform.CSV, is_active=True).order_by("name")
    )


@login_required
@permission_required("orders.add_order", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_entry(request: HttpRequest) -> HttpResponse:
    """Key in an order: checked by the contract as ``POST /api/v1/orders`` checks it, and
    entered through the same path as every channel's orders."""
    accounts = entry_accounts(request.user)
    form = OrderEntryForm(request.POST or None, accounts=accounts)
    lines = EntryLineFormSet(request.POST or None, prefix="lines")
    status = 200
    if request.method == "POST":
        if form.is_valid() and lines.is_valid():
            data = form.cleaned_data
            draft = SaleDraft(
                external_id=(data.get("external_id") or "").strip(),
                status=data["status"],
                currency=form.accounts[data["account"]].default_currency,
                lines=[f.line() for f in lines.forms if f.is_valid() and f.cleaned_data.get("sku")],
                buyer={
                    "name": data["buyer_name"],
                    "phone": data.get("buyer_phone") or "",
                    "email": data.get("buyer_email") or "",
                },
                ship_to=form.ship_to() or None,
                shipping=data["shipping"],
                order_discount=data["order_discount"],
                note_seller=data.get("note") or "",
            )
            try:
                order = enter_order(
                    form.accounts[data["account"]], draft, actor=Actor.for_user(request.user)
                )
            except SaleError as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("Order %(id)s entered.") % {"id": order.external_id})
                return redirect("web:order_detail", pk=order.pk)
        status = 400
    context: dict[str, Any] = {
        "form": form,
        "lines": lines,
        "accounts": accounts,
        "spreadsheets": spreadsheet_accounts()
        if request.user.has_perm("orders.import_orders")
        else [],
        "import_form": ImportFileForm(),
        "may_map": request.user.has_perm("channels.configure_column_mapping"),
    }
    return render(request, "sales/order_entry.html", context, status=status)


# ----------------------------------------------------------------------------------------------
# The store counter


def _counter_store(request: HttpRequest) -> Location | None:
    """The clerk's store; someone who sees every store picks one (``?store=CODE``)."""
    stores = stores_for(request.user)
    code = request.GET.get("store") or request.POST.get("store") or ""
    if code:
        return stores.filter(code=code).first()
    store_id = user_store_id(request.user)
    if store_id is not None:
        return stores.filter(pk=store_id).first()
    return stores.first()


def _cart_key(store: Location) -> str:
    return f"omnioms.counter.{store.pk}"


def _cart(request: HttpRequest, store: Location) -> dict[str, int]:
    """SKU code -> quantity, in the order they were added (kept in the session)."""
    stored = request.session.get(_cart_key(store)) or {}
    return {str(k): int(v) for k, v in stored.items() if int(v) > 0}


def _save_cart(request: HttpRequest, store: Location, cart: dict[str, int]) -> None:
    request.session[_cart_key(store)] = {k: v for k, v in cart.items() if v > 0}


@dataclass
class CartLine:
    sku: Sku
    quantity: int
    here: int
    elsewhere: list[StockAt]

    @property
    def total(self) -> Decimal:
        return (self.sku.price or Decimal(0)) * self.quantity


def _cart_lines(cart: dict[str, int], store: Location) -> list[CartLine]:
    skus = {sku.code: sku for sku in Sku.objects.filter(code__in=list(cart))}
    stock = stock_by_location([sku.pk for sku in skus.values()], store.pk)
    return [
        CartLine(skus[code], quantity, *stock[skus[code].pk])
        for code, quantity in cart.items()
        if code in skus
    ]


def _counter_context(
    request: HttpRequest,
    store: Location,
    *,
    checkout: CounterCheckoutForm | None = None,
    invoice: InvoiceForm | None = None,
    matches: list[Sku] | None = None,
    searched: str = "",
) -> dict[str, Any]:
    lines = _cart_lines(_cart(request, store), store)
    total = sum((line.total for line in lines), Decimal(0))
    return {
        "store": store,
        "stores": stores_for(request.user),
        "scan": CounterScanForm(),
        "lines": lines,
        "total": total,
        "matches": matches or [],
        "searched": searched,
        "checkout": checkout or CounterCheckoutForm(initial=_buyer_initial(request)),
        "invoice": invoice or InvoiceForm(prefix="inv"),
    }


def _buyer_initial(request: HttpRequest) -> dict[str, str]:
    """The buyer of ``?customer=ID`` (picked from the search), to fill the checkout."""
    picked = request.GET.get("customer", "")
    customer = Customer.objects.filter(pk=int(picked)).first() if picked.isdigit() else None
    if customer is None:
        return {}
    return {"buyer_name": customer.name, "buyer_phone": customer.phone}


def _counter_page(
    request: HttpRequest, store: Location, status: int = 200, **extra: Any
) -> HttpResponse:
    context = _counter_context(request, store, **extra)
    fragment = bool(getattr(request, "htmx", False)) and request.method == "POST"
    template = "sales/_counter_cart.html" if fragment else "sales/counter.html"
    return render(request, template, context, status=status)


@login_required
@permission_required("sales.sell_at_counter", raise_exception=True)
@require_GET
def counter(request: HttpRequest) -> HttpResponse:
    store = _counter_store(request)
    if store is None:
        return render(request, "sales/counter_no_store.html", status=403)
    return _counter_page(request, store)


@login_required
@permission_required("sales.sell_at_counter", raise_exception=True)
@require_POST
def counter_scan(request: HttpRequest) -> HttpResponse:
    """A scanned code adds one unit; a search shows what matches, to pick from."""
    store = _counter_store(request)
    if store is None:
        raise Http404
    form = CounterScanForm(request.POST)
    if not form.is_valid():
        return _counter_page(request, store, status=400)
    term = form.cleaned_data["code"]
    found = find_skus(term)
    if len(found) == 1 and (found[0].code == term.strip() or request.POST.get("pick")):
        cart = _cart(request, store)
        cart[found[0].code] = cart.get(found[0].code, 0) + 1
        _save_cart(request, store, cart)
        return _counter_page(request, store)
    if not found:
        messages.warning(request, _("No SKU matches %(term)s.") % {"term": term})
    return _counter_page(request, store, matches=found, searched=term)


@login_required
@permission_required("sales.sell_at_counter", raise_exception=True)
@require_POST
def counter_line(request: HttpRequest) -> HttpResponse:
    """Set a line's quantity (0 removes it)."""
    store = _counter_store(request)
    if store is None:
        raise Http404
    code = request.POST.get("sku", "")
    try:
        quantity = int(request.POST.get("quantity", ""))
    except ValueError:
        quantity = -1
    cart = _cart(request, store)
    if code not in cart or not 0 <= quantity <= 100_000:
        messages.error(request, _("Give a quantity from 0 to 100000."))
        return _counter_page(request, store, status=400)
    cart[code] = quantity
    _save_cart(request, store, cart)
    return _counter_page(request, store)


@login_required
@permission_required("sales.sell_at_counter", raise_exception=True)
@require_GET
def counter_customers(request: HttpRequest) -> HttpResponse:
    """Customers matching a phone, e-mail or the start of a name, to fill the sale's buyer."""
    return render(
        request,
        "sales/_customer_matches.html",
        {"customers": find_customers(request.GET.get("q", "")[:200])},
    )


@login_required
@permission_required("sales.sell_at_counter", raise_exception=True)
@require_POST
def counter_checkout(request: HttpRequest) -> HttpResponse:
    store = _counter_store(request)
    if store is None:
        raise Http404
    checkout = CounterCheckoutForm(request.POST)
    wants_invoice = request.POST.get("want_invoice") == "on"
    invoice = InvoiceForm(request.POST if wants_invoice else None, prefix="inv")
    lines = _cart_lines(_cart(request, store), store)
    valid = checkout.is_valid() and (not wants_invoice or invoice.is_valid())
    if not valid:
        return render(
            request,
            "sales/counter.html",
            _counter_context(request, store, checkout=checkout, invoice=invoice),
            status=400,
        )
    data = checkout.cleaned_data
    sale = CounterSale(
        store=store,
        lines=[
            PriceLine(line.sku.code, line.sku.name, line.quantity, line.sku.price or Decimal(0))
            for line in lines
        ],
        buyer_name=data.get("buyer_name") or "",
        buyer_phone=data.get("buyer_phone") or "",
        paid=data.get("paid"),
        method=data["method"],
        hand_over=data["fulfilment"] == "hand_over",
        ship_to={
            "name": data.get("buyer_name") or "",
            "phone": data.get("buyer_phone") or "",
            "province": data.get("province") or "",
            "city": data.get("city") or "",
            "address": data.get("address") or "",
        }
        if data["fulfilment"] == "ship"
        else {},
        invoice=invoice.request() if wants_invoice else None,
        note=data.get("note") or "",
    )
    try:
        result = sell_at_counter(sale, user=request.user)
    except SaleError as exc:
        show_errors(checkout, exc)
        return render(
            request,
            "sales/counter.html",
            _counter_context(request, store, checkout=checkout, invoice=invoice),
            status=409 if isinstance(exc, OutOfStock) else 400,
        )
    _save_cart(request, store, {})
    messages.success(request, _("Sale %(id)s recorded.") % {"id": result.order.external_id})
    return redirect("sales:counter_receipt", pk=result.order.pk)


@login_required
@permission_required("sales.sell_at_counter", raise_exception=True)
@require_GET
def counter_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(visible_orders(request.user).select_related("location"), pk=pk)
    return render(
        request,
        "sales/counter_receipt.html",
        {
            "order": order,
            "lines": list(order.lines.order_by("position")),
            "payments": list(order.sales_payments.all()),
            "invoices": list(order.sales_invoices.all()),
            "reserved_at": sorted(
                set(
                    Reservation.objects.filter(order=order).values_list("location__code", flat=True)
                )
            ),
            "invoice_form": InvoiceForm(prefix="inv"),
            "due": order.total - paid_so_far(order),
            "payment_form": PaymentForm(initial={"amount": order.total - paid_so_far(order)}),
        },
    )


@login_required
@permission_required("sales.add_payment", raise_exception=True)
@require_POST
def order_payment(request: HttpRequest, pk: int) -> HttpResponse:
    """Take the balance of a deposit (or part of it); paid in full, the order moves on."""
    order = get_object_or_404(visible_orders(request.user), pk=pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            take_payment(
                order.pk,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                user=request.user,
            )
        except SaleError as exc:
            messages.error(request, "; ".join(exc.errors.values()) or str(exc))
        else:
            messages.success(request, _("Payment recorded."))
    else:
        messages.error(
            request,
            "; ".join(f"{name}: {' '.join(map(str, errs))}" for name, errs in form.errors.items()),
        )
    return redirect("sales:counter_receipt", pk=order.pk)


@login_required
@permission_required("sales.add_invoice", raise_exception=True)
@require_POST
def order_invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue the invoice of an order after the sale (the customer asks later)."""
    order = get_object_or_404(visible_orders(request.user), pk=pk)
    form = InvoiceForm(request.POST, prefix="inv")
    if form.is_valid():
        try:
            invoice = issue_invoice(order.pk, form.request(), user=request.user)
        except SaleError as exc:
            messages.error(request, "; ".join(exc.errors.values()) or str(exc))
        else:
            messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice.number})
    else:
        messages.error(
            request,
            "; ".join(
                f"{form.fields[k].label if k in form.fields else k}: {' '.join(map(str, v))}"
                for k, v in form.errors.items()
            ),
        )
    return redirect("sales:counter_receipt", pk=order.pk)


@login_required
@permission_required("sales.view_invoice", raise_exception=True)
@require_GET
def invoice_pdf(request: HttpRequest, number: str) -> HttpResponse:
    invoice = get_object_or_404(
        Invoice.objects.select_related("order__account", "order__location"),
        number=number,
        order__in=visible_orders(request.user),
    )
    order = invoice.order
    lines = [
        DocLine(line.sku_code, line.title, line.quantity, line.unit_price, line.total)
        for line in order.lines.order_by("position")
    ]
    seller = str(order.location or order.account)
    return _pdf(documents.invoice_pdf(invoice, lines, seller=seller), f"{invoice.number}.pdf")


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ----------------------------------------------------------------------------------------------
# Social selling: inquiries and quotes


@login_required
@permission_required("sales.view_inquiry", raise_exception=True)
@require_http_methods(["GET", "POST"])
def inquiry_list(request: HttpRequest) -> HttpResponse:
    """Inquiries, newest first, and the form to record one."""
    form = InquiryForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("sales.add_inquiry"):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            inquiry = record_inquiry(
                name=data["contact_name"],
                phone=data.get("contact_phone") or "",
                handle=data.get("contact_handle") or "",
                source=data["source"],
                wants=data["wants"],
                user=request.user,
            )
            messages.success(request, _("Inquiry recorded."))
            return redirect("sales:inquiry_detail", pk=inquiry.pk)
        status = 400
    return render(
        request,
        "sales/inquiry_list.html",
        {"form": form, "inquiries": list(inquiries()[:200])},
        status=status,
    )


def _quote_lines_formset(data: Any = None, initial: list[dict[str, Any]] | None = None) -> Any:
    return QuoteLineFormSet(data, prefix="lines", initial=initial)


def _quote_input(request: HttpRequest) -> tuple[Any, QuoteTermsForm, bool]:
    lines = _quote_lines_formset(request.POST)
    terms = QuoteTermsForm(request.POST)
    valid = lines.is_valid() and terms.is_valid()
    return lines, terms, valid


def _inputs(lines: Any) -> list[LineInput]:
    # Rows carried over from the last version count whether or not they were changed; empty
    # extra rows have no cleaned SKU and are left out.
    return [form.line() for form in lines.forms if form.is_valid() and form.cleaned_data.get("sku")]


@login_required
@permission_required("sales.view_inquiry", raise_exception=True)
@require_http_methods(["GET", "POST"])
def inquiry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An inquiry, its quotes, and the form to make a quote from it."""
    inquiry = get_object_or_404(inquiries(), pk=pk)
    lines = _quote_lines_formset()
    terms = QuoteTermsForm(initial={"valid_until": timezone.localdate() + DEFAULT_VALIDITY})
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("sales.add_quote"):
            raise PermissionDenied
        lines, terms, valid = _quote_input(request)
        if valid:
            try:
                quote = make_quote(
                    inquiry.pk,
                    _inputs(lines),
                    valid_until=terms.cleaned_data["valid_until"],
                    note=terms.cleaned_data.get("note") or "",
                    user=request.user,
                )
            except SaleError as exc:
                show_errors(terms, exc)
            else:
                messages.success(request, _("Quote %(number)s made.") % {"number": quote.number})
                return redirect("sales:quote_detail", pk=quote.pk)
        status = 400
    return render(
        request,
        "sales/inquiry_detail.html",
        {
            "inquiry": inquiry,
            "quotes": list(inquiry.quotes.order_by("-pk")),
            "lines": lines,
            "terms": terms,
        },
        status=status,
    )


@login_required
@permission_required("sales.view_quote", raise_exception=True)
@require_GET
def quote_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    found = quotes()
    if status in QuoteStatus.values:
        found = found.filter(status=status)
    return render(
        request,
        "sales/quote_list.html",
        {"quotes": list(found[:200]), "status": status, "statuses": QuoteStatus.choices},
    )


def _quote_page(
    request: HttpRequest,
    quote: Quote,
    *,
    lines: Any = None,
    terms: QuoteTermsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    versions = versions_of(quote)
    latest = versions[-1]
    history = []
    for before, after in itertools.pairwise(versions):
        history.append((after, version_changes(version_view(before), version_view(after))))
    policy = discount_policy(quote.account, request.user)
    maker_policy = (
        discount_policy(quote.account, latest.created_by) if latest.created_by else policy
    )
    initial = [
        {
            "sku": line.sku.code,
            "quantity": line.quantity,
            "list_price": line.list_price.quantize(Decimal("0.01")),
            "discount_percent": line.discount_percent,
        }
        for line in latest.lines.all()
    ]
    may_approve_here = (
        request.user.has_perm("sales.approve_quote")
        and quote.status == QuoteStatus.AWAITING_APPROVAL
        and may_approve(approver_id=request.user.pk, maker_id=latest.created_by_id, policy=policy)
    )
    context = {
        "quote": quote,
        "versions": versions,
        "latest": latest,
        "history": list(reversed(history)),
        "policy": policy,
        "maker_policy": maker_policy,
        "lines": lines or _quote_lines_formset(initial=initial),
        "terms": terms
        or QuoteTermsForm(initial={"valid_until": latest.valid_until, "note": latest.note}),
        "may_change": request.user.has_perm("sales.change_quote")
        and quote.status not in (QuoteStatus.ACCEPTED, QuoteStatus.DECLINED),
        "may_approve": may_approve_here,
        "self_approval_blocked": request.user.has_perm("sales.approve_quote")
        and quote.status == QuoteStatus.AWAITING_APPROVAL
        and not may_approve_here,
        "link": request.build_absolute_uri(
            reverse("sales:quote_public", args=[quote_link_token(quote, latest)])
        ),
    }
    return render(request, "sales/quote_detail.html", context, status=status)


@login_required
@permission_required("sales.view_quote", raise_exception=True)
@require_GET
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _quote_page(request, get_object_or_404(quotes(), pk=pk))


@login_required
@permission_required("sales.change_quote", raise_exception=True)
@require_POST
def quote_revise(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_object_or_404(quotes(), pk=pk)
    lines, terms, valid = _quote_input(request)
    if valid:
        try:
            version = revise_quote(
                quote.pk,
                _inputs(lines),
                valid_until=terms.cleaned_data["valid_until"],
                note=terms.cleaned_data.get("note") or "",
                user=request.user,
            )
        except SaleError as exc:
            show_errors(terms, exc)
        else:
            messages.success(request, _("Version %(number)s made.") % {"number": version.number})
            return redirect("sales:quote_detail", pk=quote.pk)
    return _quote_page(request, quote, lines=lines, terms=terms, status=400)


def _quote_step(request: HttpRequest, pk: int, step: Any, done: str) -> HttpResponse:
    quote = get_object_or_404(quotes(), pk=pk)
    try:
        step(quote.pk, user=request.user)
    except SaleError as exc:
        messages.error(request, "; ".join(exc.errors.values()) or str(exc))
        return redirect("sales:quote_detail", pk=quote.pk)
    messages.success(request, done)
    return redirect("sales:quote_detail", pk=quote.pk)


@login_required
@permission_required("sales.approve_quote", raise_exception=True)
@require_POST
def quote_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _quote_step(request, pk, approve_quote, _("Approved."))


@login_required
@permission_required("sales.change_quote", raise_exception=True)
@require_POST
def quote_send(request: HttpRequest, pk: int) -> HttpResponse:
    return _quote_step(request, pk, mark_sent, _("Marked as sent to the customer."))


@login_required
@permission_required("sales.change_quote", raise_exception=True)
@permission_required("orders.add_order", raise_exception=True)
@require_POST
def quote_accept(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_object_or_404(quotes(), pk=pk)
    try:
        order = accept_quote(quote.pk, user=request.user)
    except SaleError as exc:
        messages.error(request, "; ".join(exc.errors.values()) or str(exc))
        return redirect("sales:quote_detail", pk=quote.pk)
    messages.success(request, _("Accepted: order %(id)s entered.") % {"id": order.external_id})
    return redirect("web:order_detail", pk=order.pk)


@login_required
@permission_required("sales.change_quote", raise_exception=True)
@require_POST
def quote_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _quote_step(request, pk, decline_quote, _("Marked as declined."))


def _quote_document(quote: Quote, version: QuoteVersion) -> bytes:
    lines = [
        DocLine(
            line.sku.code,
            line.title,
            line.quantity,
            line.unit_price,
            line.total,
            extra=f"{line.list_price:,.2f}|{line.discount_percent:g}%",
        )
        for line in version.lines.select_related("sku").order_by("position")
    ]
    return documents.quote_pdf(quote, version, lines, seller=str(quote.account))


@login_required
@permission_required("sales.view_quote", raise_exception=True)
@require_GET
def quote_pdf(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    quote = get_object_or_404(quotes(), pk=pk)
    found = get_object_or_404(quote.versions, number=version)
    return _pdf(_quote_document(quote, found), f"{quote.number}-v{found.number}.pdf")


_REFUSALS = {
    LinkRefusal.EXPIRED: (410, gettext_lazy("This quote has expired. Ask us for a new one.")),
    LinkRefusal.SUPERSEDED: (
        410,
        gettext_lazy(
            "This version of the quote was replaced by a newer one: use the latest link we sent."
        ),
    ),
    LinkRefusal.ACCEPTED: (409, gettext_lazy("This quote has already been accepted. Thank you!")),
    LinkRefusal.DECLINED: (
        410,
        gettext_lazy("This quote was closed and can no longer be accepted."),
    ),
    LinkRefusal.APPROVAL: (
        409,
        gettext_lazy(
            "This quote is still being reviewed by a manager; it can be accepted once approved."
        ),
    ),
}


def _public_page(
    request: HttpRequest,
    token: str,
    quote: Quote,
    version: QuoteVersion,
    *,
    refusal: LinkRefusal | None,
    accepted: bool = False,
) -> HttpResponse:
    status, reason = _REFUSALS[refusal] if refusal else (200, "")
    context = {
        "quote": quote,
        "version": version,
        "lines": version.lines.select_related("sku").order_by("position"),
        "token": token,
        "reason": reason,
        "accepted": accepted,
    }
    return render(request, "sales/quote_public.html", context, status=status)


@require_http_methods(["GET", "POST"])
def quote_public(request: HttpRequest, token: str) -> HttpResponse:
    """What the customer opens from the link, without logging in: the version it was made for,
    and a button to accept it. Signed, so nobody reaches another quote by changing the address;
    a link that can no longer be accepted says why (4xx) and changes nothing."""
    found = quote_of_link(token)
    if found is None:
        raise Http404
    quote, version = found
    if request.method == "POST":
        try:
            accept_quote_by_link(token)
        except LinkRefused as refused:
            quote.refresh_from_db()
            return _public_page(request, token, quote, version, refusal=refused.reason)
        except SaleError as error:
            messages.error(request, "; ".join(error.errors.values()) or str(error))
            return redirect("sales:quote_public", token=token)
        return redirect(reverse("sales:quote_public", args=[token]) + "?accepted=1")
    refusal = link_refusal(quote, version)
    accepted = refusal == LinkRefusal.ACCEPTED and request.GET.get("accepted") == "1"
    return _public_page(
        request, token, quote, version, refusal=None if accepted else refusal, accepted=accepted
    )


@require_GET
def quote_public_pdf(request: HttpRequest, token: str) -> HttpResponse:
    """The link's version as PDF; it works until the version's validity."""
    found = quote_from_token(token)
    if found is None:
        raise Http404
    quote, version = found
    return _pdf(_quote_document(quote, version), f"{quote.number}-v{version.number}.pdf")
