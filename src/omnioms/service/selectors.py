"""Reads for the agent's screen: the customer's orders from every channel with lines,
shipments and tracking, the stock of what they ask about, earlier tickets; the inbox."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet, Sum

from omnioms.customers.models import Customer
from omnioms.inventory.models import OrderStock
from omnioms.inventory.selectors import visible_balances
from omnioms.orders.models import Order, OrderEvent, OrderLine
from omnioms.orders.selectors import visible_orders
from omnioms.service import domain
from omnioms.service.models import OPEN_STATUSES, Ticket

ORDERS_SHOWN = 50


@dataclass
class Shipment:
    carrier: str
    tracking_number: str
    shipped_at: str
    link: str


@dataclass
class OrderView:
    order: Order
    lines: list[OrderLine]
    shipments: list[Shipment] = field(default_factory=list)
    promise_date: date | None = None
    linked: bool = False


@dataclass
class StockRow:
    sku: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def customer_ids(customer: Customer | None) -> list[int]:
    """The customer and every record merged into them (orders may still point at those)."""
    if customer is None:
        return []
    ids = [customer.pk]
    frontier = [customer.pk]
    for _depth in range(5):
        frontier = list(
            Customer.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True)
        )
        if not frontier:
            break
        ids.extend(frontier)
    return ids


def shipments_of(order_ids: list[int]) -> dict[int, list[Shipment]]:
    found: dict[int, list[Shipment]] = defaultdict(list)
    events = OrderEvent.objects.filter(order_id__in=order_ids, data__has_key="shipment")
    for order_id, data in events.order_by("at").values_list("order_id", "data"):
        shipment = data.get("shipment") or {}
        number = str(shipment.get("tracking_number") or "")
        carrier = str(shipment.get("carrier") or "")
        found[order_id].append(
            Shipment(
                carrier,
                number,
                str(shipment.get("shipped_at") or "")[:16].replace("T", " "),
                domain.tracking_link(carrier, number),
            )
        )
    return found


def customer_orders(
    user: User | AnonymousUser, customer: Customer | None, linked_ids: set[int]
) -> list[OrderView]:
    """Every order of the customer (all channels, merged records too) the user may see,
    newest first, plus the orders the ticket names; each with lines and shipments."""
    ids = customer_ids(customer)
    found = (
        visible_orders(user)
        .filter(Q(customer_id__in=ids) | Q(pk__in=linked_ids))
        .select_related("account")
        .order_by("-placed_at")[:ORDERS_SHOWN]
    )
    orders = list(found)
    order_ids = [o.pk for o in orders]
    lines: dict[int, list[OrderLine]] = defaultdict(list)
    for line in OrderLine.objects.filter(order_id__in=order_ids).order_by("position"):
        lines[line.order_id].append(line)
    shipments = shipments_of(order_ids)
    promises = dict(
        OrderStock.objects.filter(order_id__in=order_ids).values_list("order_id", "promise_date")
    )
    return [
        OrderView(
            order=o,
            lines=lines[o.pk],
            shipments=shipments[o.pk],
            promise_date=promises.get(o.pk),
            linked=o.pk in linked_ids,
        )
        for o in orders
    ]


def stock_of(user: User | AnonymousUser, skus: set[str]) -> list[StockRow]:
    """On hand and reserved over the locations the user may see, per SKU code asked about."""
    if not skus or not user.has_perm("inventory.view_stockbalance"):
        return []
    rows = (
        visible_balances(user)
        .filter(sku__code__in=skus)
        .values("sku__code")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
        .order_by("sku__code")
    )
    return [StockRow(r["sku__code"], r["on_hand"] or 0, r["reserved"] or 0) for r in rows]


def earlier_tickets(ticket: Ticket) -> QuerySet[Ticket]:
    ids = customer_ids(ticket.customer)
    if not ids:
        return Ticket.objects.none()
    return (
        Ticket.objects.filter(customer_id__in=ids)
        .exclude(pk=ticket.pk)
        .order_by("-created_at")[:20]
    )


def placeholder_values(ticket: Ticket, orders: list[OrderView]) -> dict[str, str]:
    """What canned replies fill in: the ticket's first linked order (else the newest)."""
    chosen = next((o for o in orders if o.linked), orders[0] if orders else None)
    values = {
        "ticket_number": ticket.number,
        "customer_name": ticket.customer.name if ticket.customer else "",
    }
    if chosen is not None:
        values["order_number"] = chosen.order.external_id
        if chosen.shipments:
            values["tracking_link"] = chosen.shipments[-1].link
        values["promised_date"] = domain.format_date(chosen.promise_date, ticket.language)
    return values


INBOX_VIEWS = ("mine", "unassigned", "open", "at_risk", "all")


def inbox(user: User | AnonymousUser, view: str) -> QuerySet[Ticket]:
    tickets = Ticket.objects.select_related("assignee", "customer", "team").filter(
        merged_into__isnull=True
    )
    if view == "mine":
        tickets = tickets.filter(assignee_id=user.pk, status__in=OPEN_STATUSES)
    elif view == "unassigned":
        tickets = tickets.filter(assignee__isnull=True, status__in=OPEN_STATUSES)
    elif view == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif view == "at_risk":
        tickets = tickets.filter(at_risk=True, status__in=OPEN_STATUSES)
    return tickets.order_by("-updated_at")


def conversation(ticket: Ticket) -> list[Any]:
    from omnioms.service.models import Message

    return list(
        Message.objects.filter(conversation__ticket=ticket)
        .select_related("author", "conversation__source")
        .prefetch_related("attachments", "media")
        .order_by("at", "pk")
    )
