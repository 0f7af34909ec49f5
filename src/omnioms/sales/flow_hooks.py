"""What the sales app gives the flows registries (``flows.registry``): the ``invoice_issued``
and ``quote_accepted`` guards reading this app's invoices and quotes, and the invoice issuer
the ``issue_invoice`` effect calls.

A flow may also walk a quote on the order itself (the social-selling preset's inquiry,
quote-sent and accept stages) or issue its invoice by an action: the guards then hold by the
flows default (the mark the action left on the order's timeline), which they keep as the
fallback. Registered at ``SalesConfig.ready()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy

from omnioms.flows.registry import (
    GUARDS,
    EffectContext,
    Guard,
    register_guard,
    register_invoice_issuer,
)
from omnioms.sales.models import Invoice, Quote, QuoteStatus

if TYPE_CHECKING:
    from omnioms.orders.models import Order


def _or_default(name: str, holds: Any) -> Guard:
    """A guard that holds when ``holds(order)`` does, else as the registry's default says
    (whose reason is the one given)."""
    default = GUARDS[name].check if name in GUARDS else None

    def check(order: Order) -> str | None:
        if holds(order):
            return None
        return default(order) if default is not None else str(GUARDS[name].label)

    return check


def has_invoice(order: Order) -> bool:
    return Invoice.objects.filter(order_id=order.pk).exists()


def made_from_accepted_quote(order: Order) -> bool:
    return Quote.objects.filter(order_id=order.pk, status=QuoteStatus.ACCEPTED).exists()


def issue_for_action(context: EffectContext) -> Any:
    """The order's invoice: the one the counter issued with the sale's VAT request, else a
    general invoice to the buyer now (``个人`` when the order names none)."""
    from omnioms.sales.services import invoice_for_order

    invoice = invoice_for_order(context.order, user_id=context.actor.user_id)
    return invoice.number


def register() -> None:
    register_guard(
        "invoice_issued",
        gettext_lazy("A numbered invoice is issued"),
        _or_default("invoice_issued", has_invoice),
        help=gettext_lazy("The order has a numbered invoice."),
    )
    register_guard(
        "quote_accepted",
        gettext_lazy("Made from an accepted quote"),
        _or_default("quote_accepted", made_from_accepted_quote),
        help=gettext_lazy("The order was made from a quote the customer accepted."),
    )
    register_invoice_issuer("sales", issue_for_action)
