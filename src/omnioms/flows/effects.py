"""The effects a flow's transition may name (:data:`omnioms.flows.registry.EFFECTS`).

Each runs in the action's transaction, after the order moved and before the stock effect
(which runs last for every change: the stage's unified status decides what stock the order
holds, so cancelling releases and shipping consumes whatever the flow calls its stages).
"""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from omnioms.catalog.models import Sku
from omnioms.channels.clients.registry import is_connected
from omnioms.channels.models import CommandKind
from omnioms.core.models import Location, LocationKind
from omnioms.flows.operations import ActionRefused
from omnioms.flows.registry import EffectContext, invoice_issuers, register_effect
from omnioms.inventory.models import OrderStock
from omnioms.inventory.reservations import apply_orders
from omnioms.inventory.services import StockError, record_return
from omnioms.orders.models import OrderEvent
from omnioms.orders.services import line_key
from omnioms.sync.outbound import queue_command

logger = logging.getLogger(__name__)


def _action_event(context: EffectContext) -> OrderEvent | None:
    return next((e for e in context.change.events if e.data.get("action")), None)


def _mark(context: EffectContext, mark: str, text: str = "") -> None:
    """Put ``mark`` (and a sentence) on the action's timeline row: what guards such as
    ``invoice_issued`` read back."""
    event = _action_event(context)
    if event is None:
        return
    event.data.setdefault("marks", {})[mark] = True
    if text:
        event.data.setdefault("notes", []).append(text)
    OrderEvent.objects.filter(pk=event.pk).update(data=event.data)


def _note(context: EffectContext, text: str) -> None:
    event = _action_event(context)
    if event is None:
        return
    event.data.setdefault("notes", []).append(text)
    OrderEvent.objects.filter(pk=event.pk).update(data=event.data)


def stock_now(context: EffectContext) -> None:
    """Bring the order's stock to what its new stage's status calls for now (the stock effect
    that follows finds nothing left to do), and say where it stands."""
    apply_orders([context.order], actor=context.actor)
    status = OrderStock.objects.filter(order=context.order).values_list("status", flat=True).first()
    context.results["stock"] = status or ""


def issue_invoice(context: EffectContext) -> None:
    issuers = invoice_issuers()
    for issue in issuers:
        context.results["invoice"] = issue(context)
    if issuers:
        _mark(context, "invoice_issued", _("Invoice issued."))
    else:
        _mark(context, "invoice_issued", _("Invoice to be issued (no invoicing is installed)."))


def record_quote_accepted(context: EffectContext) -> None:
    _mark(context, "quote_accepted", _("The customer accepted the quote."))


def notify_customer(context: EffectContext) -> None:
    """An e-mail to the buyer after the commit, when the order has an address for it."""
    order = context.order
    if not order.buyer_email:
        return
    subject = _("Your order %(id)s: %(action)s") % {
        "id": order.external_id,
        "action": _(context.transition.label),
    }
    body = subject
    if context.change.shipment is not None:
        body += "\n" + _("Carrier %(carrier)s, tracking number %(tracking)s.") % {
            "carrier": context.change.shipment.carrier,
            "tracking": context.change.shipment.tracking_number,
        }

    def send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [order.buyer_email])
        except OSError:
            logger.warning("could not e-mail the buyer of order %s", order.pk, exc_info=True)

    transaction.on_commit(send)
    context.results["notified"] = order.buyer_email
    _note(context, _("The customer is told by e-mail."))


WRITE_BACK_KINDS = {
    "cancel": CommandKind.CANCEL_ORDER,
    "refund": CommandKind.REFUND,
    "change_address": CommandKind.CHANGE_ADDRESS,
}
"""The operations whose change is sent to the platform by an outbound command of this kind
(shipments are queued by ``sync.outbound``'s own effect)."""

CENT = Decimal("0.01")


def queue_write_back(context: EffectContext) -> None:
    """Tell the channel, in the action's transaction. A shipment is queued by the outbound
    effect (``sync.outbound``); a cancellation, refund or new address is queued here as an
    outbound command when the platform's API has the call (``sync.outbound.queue_command``),
    which the outbound worker sends with retries. Where it has none, the timeline tells the
    person to make the same change in the platform's seller centre."""
    order = context.order
    account = order.account
    if context.change.shipment is not None or not is_connected(
        account.platform, account.api_credentials
    ):
        return
    kind = WRITE_BACK_KINDS.get(context.transition.operation or "")
    payload = _write_back_payload(context, kind) if kind else None
    command = queue_command(order, kind, payload, context.actor) if kind and payload else None
    if command is not None:
        context.results["write_back"] = "queued"
        context.results["outbound_command"] = command
        event = _action_event(context)
        if event is not None:
            event.data["command"] = command.pk
        _note(
            context,
            _("%(account)s is told of this by outbound command %(command)s.")
            % {"account": account, "command": command.pk},
        )
        return
    context.results["write_back"] = "manual"
    _note(
        context,
        _(
            "%(account)s cannot be told of this through its API: make the same change in the "
            "platform's seller centre."
        )
        % {"account": account},
    )


def _write_back_payload(context: EffectContext, kind: str) -> dict[str, Any] | None:
    fields = context.fields
    reason = str(fields.get("reason") or "")
    if kind == CommandKind.CANCEL_ORDER:
        return {"reason": reason}
    if kind == CommandKind.CHANGE_ADDRESS:
        address = fields.get("address") or context.order.ship_to
        return {"address": address, "reason": reason} if address else None
    refunded = getattr(context.move, "refunded", {}) or {}
    lines = []
    for line in context.order.lines.all():
        units = refunded.get(line_key(line), 0)
        if not units:
            continue
        worth = line.total if line.total else line.unit_price * line.quantity - line.discount
        amount = (worth * units / line.quantity).quantize(CENT, ROUND_HALF_UP)
        lines.append({"line": line_key(line), "quantity": units, "amount": str(amount)})
    if not lines:
        return None
    given = fields.get("amount")
    total = given if given is not None else sum(Decimal(item["amount"]) for item in lines)
    return {
        "lines": lines,
        "amount": str(total),
        "currency": context.order.currency,
        "reason": reason,
    }


QUARANTINE = "quarantine"


def quarantine_location() -> Location:
    """Where returned goods that failed inspection wait: a location no channel sells from
    (inactive, so no stock rule routes orders to it)."""
    code = getattr(settings, "OMNIOMS_QUARANTINE_LOCATION", QUARANTINE)
    location, _created = Location.objects.get_or_create(
        code=code,
        defaults={"name": _("Quarantine"), "kind": LocationKind.WAREHOUSE, "is_active": False},
    )
    return location


def receive_returned(context: EffectContext) -> None:
    """The return operation's stock: each returned unit back on the ledger, at the location it
    left from when sellable, else in quarantine (``inventory.services.record_return``)."""
    returned = getattr(context.move, "returned", {}) or {}
    if not returned:
        return
    quarantined = context.fields.get("inspection") == "quarantine"
    place = quarantine_location() if quarantined else None
    reason = context.fields.get("reason", "")
    for line in context.order.lines.prefetch_related("components"):
        units = returned.get(line_key(line), 0)
        if not units:
            continue
        parts = [(c.sku_id, c.quantity) for c in line.components.all()] or [(line.sku_id, 1)]
        for sku_id, per in parts:
            if sku_id is None:
                continue
            try:
                record_return(
                    context.order.pk,
                    sku=_sku(sku_id),
                    quantity=units * per,
                    actor=context.actor,
                    location=place,
                    reason=reason,
                )
            except StockError as exc:  # fewer went out than the lines say (shipped elsewhere)
                raise ActionRefused(exc.message) from exc
    context.results["returned_to"] = place.code if place else "sellable"


def _sku(sku_id: int) -> Sku:
    return Sku.objects.get(pk=sku_id)


for _name, _label, _run in (
    ("reserve_stock", gettext_lazy("Reserve stock"), stock_now),
    ("release_stock", gettext_lazy("Release stock"), stock_now),
    ("issue_invoice", gettext_lazy("Issue an invoice"), issue_invoice),
    (
        "record_quote_accepted",
        gettext_lazy("Record that the quote was accepted"),
        record_quote_accepted,
    ),
    ("notify_customer", gettext_lazy("Notify the customer"), notify_customer),
    ("queue_write_back", gettext_lazy("Tell the channel"), queue_write_back),
):
    register_effect(_name, _label, _run)
