"""Read queries of the web UI, on top of :mod:`omnioms.orders.selectors`.

Every order query starts from :func:`visible_orders`, so a store clerk never sees, counts or
opens another store's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F, Prefetch, QuerySet, TextChoices
from django.utils.translation import gettext_lazy as _

from omnioms.channels.bodies import with_body_head
from omnioms.channels.models import ChannelAccount, DeadLetter, InboundPayload
from omnioms.core.models import Location
from omnioms.core.roles import ROLE_LABELS
from omnioms.orders.models import Order, OrderEvent, OrderLine, OrderLineComponent
from omnioms.orders.selectors import (
    BadCursor,
    OrderFilters,
    Page,
    filter_orders,
    page_orders,
    user_store_id,
    visible_orders,
)
from omnioms.sales import order_queries
from omnioms.sales.order_queries import SortedPage

WebUser = User | AnonymousUser

ORDER_PAGE_SIZE = 50
DEAD_LETTER_PAGE_SIZE = 50
DEAD_LETTER_PREVIEW = 2_000
"""Bytes of each body read for the dead-letter list; a letter's own page shows more."""


def visible_accounts(user: WebUser) -> QuerySet[ChannelAccount]:
    """Accounts for the account filter: all of them, or those of a store clerk's store."""
    accounts = ChannelAccount.objects.order_by("name")
    if user.has_perm("orders.view_all_orders"):
        return accounts
    store_id = user_store_id(user)
    return accounts.filter(location_id=store_id) if store_id is not None else accounts.none()


@dataclass(frozen=True)
class ListFilters:
    """The order list's filters on stock, lines and deadlines, and its sorting."""

    location_id: int | None = None
    sku: str | None = None
    ship_by: datetime | None = None
    """Orders still to ship whose deadline is before this time."""
    sort: str = "-placed"


def list_locations() -> QuerySet[Location]:
    return Location.objects.filter(is_active=True).order_by("code")


def filtered_orders(
    user: WebUser, filters: OrderFilters, more: ListFilters | None = None
) -> QuerySet[Order]:
    """The orders of the list: what ``user`` sees, narrowed by every filter."""
    orders = filter_orders(visible_orders(user), filters)
    more = more or ListFilters()
    if more.location_id is not None:
        orders = order_queries.fulfilled_from(orders, more.location_id)
    if more.sku:
        orders = order_queries.with_sku(orders, more.sku)
    if more.ship_by is not None:
        orders = order_queries.must_ship_by(orders, more.ship_by)
    return orders


def order_list_page(
    user: WebUser,
    filters: OrderFilters,
    *,
    cursor: str | None,
    more: ListFilters | None = None,
) -> Page | SortedPage:
    """One page of the order list, newest first unless sorted otherwise. Raises
    ``BadCursor`` for a broken cursor."""
    more = more or ListFilters()
    orders = filtered_orders(user, filters, more).select_related("account")
    if more.sort == "-placed":
        return page_orders(orders, cursor=cursor, size=ORDER_PAGE_SIZE)
    try:
        return order_queries.sorted_page(
            orders, sort=more.sort, cursor=cursor, size=ORDER_PAGE_SIZE
        )
    except order_queries.BadSortCursor as exc:
        raise BadCursor(str(exc)) from exc


def order_detail_queryset(user: WebUser) -> QuerySet[Order]:
    return visible_orders(user).select_related(
        "account", "location", "customer", "flow_version", "commit_date"
    )


def order_lines(order: Order) -> list[OrderLine]:
    components = OrderLineComponent.objects.select_related("sku").order_by("pk")
    return list(
        order.lines.select_related("sku")
        .prefetch_related(Prefetch("components", queryset=components))
        .order_by("position")
    )


def order_events(order: Order) -> list[OrderEvent]:
    return list(order.events.order_by("at", "pk"))


def order_payloads(order: Order) -> list[InboundPayload]:
    """The stored deliveries and file records that built or touched ``order``, oldest first,
    each with the head of its body only (``channels.bodies.with_body_head``)."""
    return list(with_body_head(order.payloads.order_by("received_at", "pk")))


def other_orders_of_customer(user: WebUser, order: Order) -> int:
    if order.customer_id is None:
        return 0
    return visible_orders(user).filter(customer_id=order.customer_id).exclude(pk=order.pk).count()


def role_labels(user: WebUser) -> list[str]:
    """The translated labels of the user's roles, in the order of the role table."""
    if not user.is_authenticated:
        return []
    names = set(user.groups.values_list("name", flat=True))
    labels = [str(label) for role, label in ROLE_LABELS.items() if role in names]
    if not labels and user.is_superuser:
        labels.append(str(ROLE_LABELS["administrator"]))
    return labels


class DeadLetterState(TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")
    ALL = "all", _("All")


def dead_letters(state: DeadLetterState) -> QuerySet[DeadLetter]:
    """Dead letters to show: open ones first (newest first), then the most recently resolved
    or dismissed; each with the first :data:`DEAD_LETTER_PREVIEW` bytes of its body."""
    letters = with_body_head(
        DeadLetter.objects.select_related("account", "payload"),
        "payload__body",
        DEAD_LETTER_PREVIEW,
    )
    if state == DeadLetterState.OPEN:
        letters = letters.filter(resolved_at__isnull=True)
    elif state == DeadLetterState.RESOLVED:
        letters = letters.filter(resolved_at__isnull=False, dismissed_at__isnull=True)
    elif state == DeadLetterState.DISMISSED:
        letters = letters.filter(dismissed_at__isnull=False)
    return letters.order_by(F("resolved_at").desc(nulls_first=True), "-created_at", "-pk")


def dead_letter(pk: int) -> DeadLetter:
    """One dead letter for its page, with the first :data:`BODY_DISPLAY_LIMIT` bytes of its body.

    Raises ``DeadLetter.DoesNotExist``.
    """
    return with_body_head(
        DeadLetter.objects.select_related("account", "payload"), "payload__body"
    ).get(pk=pk)


def dead_letter_raw_body(pk: int) -> tuple[InboundPayload, bytes]:
    """A dead letter's payload and its whole body, for a download. Raises ``DoesNotExist``."""
    payload = InboundPayload.objects.get(dead_letter__pk=pk)
    return payload, bytes(payload.body)
