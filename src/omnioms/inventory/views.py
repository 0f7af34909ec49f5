"""Stock pages: stock by SKU and location with the ledger behind each figure, what each
channel may sell, alerts, backorders, and the receipt, adjustment and transfer forms.

Every page needs a login and a permission; a store clerk sees and changes their own store's
stock only (another location's page is a 404), and no page names an order the user may not
see, even one that holds or took stock at their store.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from omnioms.channels.clients.registry import has_client, is_connected
from omnioms.channels.models import ChannelAccount
from omnioms.core.actor import Actor
from omnioms.core.models import Location
from omnioms.inventory import selectors
from omnioms.inventory.availability import push_problems
from omnioms.inventory.forms import AdjustmentForm, ReceiptForm, StockFilterForm, TransferForm
from omnioms.inventory.models import IncomingStock, PlannedOutput, SupplyStatus
from omnioms.inventory.rules import routing_config
from omnioms.inventory.services import (
    AboveCeiling,
    StockError,
    adjust_stock,
    count_stock,
    receive_stock,
    transfer_stock,
)

PAGE_SIZE = 100
_FIELD_OF = {"quantity_delta": "quantity", "counted": "quantity", "incoming": "reference"}


def _detail_url(sku: str, location: str) -> str:
    return reverse("inventory:stock_detail", args=[sku, location])


@login_required
@permission_required("inventory.view_stockbalance", raise_exception=True)
@require_GET
def stock_list(request: HttpRequest) -> HttpResponse:
    locations = selectors.visible_locations(request.user)
    form = StockFilterForm(request.GET, locations=locations)
    rows = selectors.stock_list(request.user).none()
    if form.is_valid():
        rows = selectors.stock_list(
            request.user,
            sku=form.cleaned_data["sku"].strip(),
            location=form.cleaned_data["location"],
            below_reorder=form.cleaned_data["low"],
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    fragment = bool(getattr(request, "htmx", False))
    context = {"form": form, "page": page, "query": query.urlencode(), "fragment": fragment}
    template = "inventory/_stock_results.html" if fragment else "inventory/stock_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@permission_required("inventory.view_stockbalance", raise_exception=True)
@require_GET
def stock_detail(request: HttpRequest, sku: str, location: str) -> HttpResponse:
    balance = get_object_or_404(
        selectors.visible_balances(request.user).select_related("sku", "location"),
        sku__code=sku,
        location__code=location,
    )
    supply_filter = {
        "sku_id": balance.sku_id,
        "location_id": balance.location_id,
        "status": SupplyStatus.OPEN,
    }
    context = {
        "balance": balance,
        # Each row names its order only if the user may see that order (selectors.OrderRef).
        "movements": selectors.ledger(request.user, balance),
        "holders": selectors.holders(request.user, balance),
        "timeline": selectors.available_to_promise(
            balance.sku_id, [balance.location_id], today=selectors.today()
        ),
        "incoming": IncomingStock.objects.filter(**supply_filter).order_by("expected_on"),
        "planned": PlannedOutput.objects.filter(**supply_filter).order_by("due_on"),
        "may_adjust": request.user.has_perm("inventory.adjust_stock"),
        "may_transfer": request.user.has_perm("inventory.transfer_stock"),
        "may_receive": request.user.has_perm("inventory.receive_stock"),
    }
    return render(request, "inventory/stock_detail.html", context)


@login_required
@permission_required(
    ["inventory.view_stockbalance", "inventory.view_all_stock"], raise_exception=True
)
@require_GET
def availability(request: HttpRequest) -> HttpResponse:
    rules = routing_config().rules
    accounts = [
        account
        for account in ChannelAccount.objects.filter(is_active=True).order_by("name")
        if rules.get(account.pk) is not None
    ]
    chosen = next((a for a in accounts if a.name == request.GET.get("account")), None)
    chosen = chosen or (accounts[0] if accounts else None)
    rule = rules.get(chosen.pk) if chosen else None
    context = {
        "accounts": accounts,
        "chosen": chosen,
        "connected": chosen is not None and is_connected(chosen.platform, chosen.api_credentials),
        "has_api": chosen is not None and has_client(chosen.platform),
        "push_problem": push_problems([chosen.pk]).get(chosen.pk) if chosen else None,
        "rule": rule,
        "rule_locations": Location.objects.filter(pk__in=rule.locations) if rule else [],
        "figures": selectors.channel_availability(chosen.pk) if chosen else [],
    }
    return render(request, "inventory/availability.html", context)


@login_required
@permission_required("inventory.view_stockbalance", raise_exception=True)
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    low = (
        selectors.visible_balances(request.user)
        .filter(selectors.low_stock_condition())
        .select_related("sku", "location")
        .order_by("location__code", "sku__code")
    )
    return render(
        request,
        "inventory/alerts.html",
        {"low": low[:500], "unbacked": selectors.unbacked(request.user, limit=200)},
    )


@login_required
@permission_required("inventory.view_orderstock", raise_exception=True)
@require_GET
def backorders(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.backorders(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    shortages = selectors.shortages_of([row.order_id for row in page.object_list])
    rows = [(row, shortages.get(row.order_id, [])) for row in page.object_list]
    return render(request, "inventory/backorders.html", {"page": page, "rows": rows})


def _stock_form_page(
    request: HttpRequest,
    form: Any,
    template: str,
    run: Any,
) -> HttpResponse:
    """Render ``form``; on a valid POST call ``run(data, confirmed)`` and go to the stock it
    changed. A movement above the ceiling comes back (409) with the figure, what it would do,
    and the box to confirm it; nothing is recorded until it is ticked."""
    confirmation = None
    if request.method == "POST" and form.is_valid():
        try:
            message, target = run(form.cleaned_data, form.confirmed())
        except AboveCeiling as exc:
            confirmation = exc
        except StockError as exc:
            field = _FIELD_OF.get(exc.field, exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, message)
            return HttpResponseRedirect(target)
    status = (409 if confirmation else 400) if request.method == "POST" else 200
    context = {"form": form, "confirmation": confirmation}
    return render(request, template, context, status=status)


def _initial(request: HttpRequest) -> dict[str, str]:
    return {
        key: request.GET[key] for key in ("sku", "location", "from_location") if key in request.GET
    }


@login_required
@permission_required("inventory.receive_stock", raise_exception=True)
@require_http_methods(["GET", "POST"])
def receive(request: HttpRequest) -> HttpResponse:
    locations = selectors.visible_locations(request.user).filter(is_active=True)
    data = request.POST if request.method == "POST" else None
    form = ReceiptForm(data, initial=_initial(request), locations=locations)

    def run(cleaned: dict[str, Any], confirmed: bool) -> tuple[str, str]:
        movement = receive_stock(
            sku=cleaned["sku"],
            location=cleaned["location"],
            quantity=cleaned["quantity"],
            unit_cost=cleaned["unit_cost"],
            reference=cleaned["reference"],
            actor=Actor.for_user(request.user),
            confirmed=confirmed,
        )
        text = _("Received %(n)s × %(sku)s; %(after)s on hand.") % {
            "n": movement.quantity,
            "sku": cleaned["sku"],
            "after": movement.on_hand_after,
        }
        return text, _detail_url(cleaned["sku"], cleaned["location"])

    return _stock_form_page(request, form, "inventory/receive.html", run)


@login_required
@permission_required("inventory.adjust_stock", raise_exception=True)
@require_http_methods(["GET", "POST"])
def adjust(request: HttpRequest) -> HttpResponse:
    locations = selectors.visible_locations(request.user).filter(is_active=True)
    data = request.POST if request.method == "POST" else None
    form = AdjustmentForm(data, initial=_initial(request), locations=locations)

    def run(cleaned: dict[str, Any], confirmed: bool) -> tuple[str, str]:
        actor = Actor.for_user(request.user)
        if cleaned["mode"] == AdjustmentForm.COUNT:
            if cleaned["quantity"] < 0:
                raise StockError("counted", _("a count cannot find fewer than zero"))
            movement = count_stock(
                sku=cleaned["sku"],
                location=cleaned["location"],
                counted=cleaned["quantity"],
                reason=cleaned["reason"],
                actor=actor,
                confirmed=confirmed,
            )
        else:
            movement = adjust_stock(
                sku=cleaned["sku"],
                location=cleaned["location"],
                quantity_delta=cleaned["quantity"],
                reason=cleaned["reason"],
                actor=actor,
                confirmed=confirmed,
            )
        if movement is None:
            text = _("The count agrees with the record; nothing changed.")
        else:
            text = _("Stock changed by %(n)+d; %(after)s on hand.") % {
                "n": movement.quantity,
                "after": movement.on_hand_after,
            }
        return text, _detail_url(cleaned["sku"], cleaned["location"])

    return _stock_form_page(request, form, "inventory/adjust.html", run)


@login_required
@permission_required("inventory.transfer_stock", raise_exception=True)
@require_http_methods(["GET", "POST"])
def transfer(request: HttpRequest) -> HttpResponse:
    sources = selectors.visible_locations(request.user).filter(is_active=True)
    targets = Location.objects.filter(is_active=True).order_by("code")
    data = request.POST if request.method == "POST" else None
    form = TransferForm(data, initial=_initial(request), locations=sources, targets=targets)

    def run(cleaned: dict[str, Any], confirmed: bool) -> tuple[str, str]:
        out, _into = transfer_stock(
            sku=cleaned["sku"],
            from_location=cleaned["from_location"],
            to_location=cleaned["to_location"],
            quantity=cleaned["quantity"],
            reason=cleaned["reason"],
            actor=Actor.for_user(request.user),
            confirmed=confirmed,
        )
        text = _("Moved %(n)s × %(sku)s from %(source)s to %(target)s.") % {
            "n": -out.quantity,
            "sku": cleaned["sku"],
            "source": cleaned["from_location"],
            "target": cleaned["to_location"],
        }
        return text, _detail_url(cleaned["sku"], cleaned["from_location"])

    return _stock_form_page(request, form, "inventory/transfer.html", run)
