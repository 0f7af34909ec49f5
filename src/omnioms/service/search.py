"""Search across orders, customers and tickets by any part of what an agent knows.

One ``SearchEntry`` per object holds a lower-cased document (phones as digits). Substring
queries are answered by an index on both databases: PostgreSQL's ``pg_trgm`` GIN index serves
``LIKE '%term%'``; on SQLite an FTS5 table with the trigram tokenizer mirrors the entries
(triggers keep it in step) and serves ``MATCH '"term"'``. Both need terms of three characters
or more; shorter queries are refused with a message rather than scanning a million rows.

A term that looks like a whole code (an order id, tracking number, SKU, phone, e-mail, ticket
number) is first looked up in ``SearchKey``, an ordinary B-tree index of each document's codes:
the trigram indexes are slow for codes that share long prefixes (every tracking number of a
carrier starts alike), the B-tree answers in a lookup. Exact matches come first and are the
answer when there are any; an e-mail typed from its start is then a range of the same index;
otherwise the substring path runs.

Entries follow every order change (the ``service.search`` effect, in the change's
transaction) and every ticket change; :func:`rebuild_search` (a job) rebuilds them all.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnioms.core.actor import Actor
from omnioms.core.bulk import bulk_insert, bulk_set, new_rows
from omnioms.core.jobs import JobContext, job_kind
from omnioms.customers.models import Customer, CustomerIdentity
from omnioms.orders.models import Order, OrderEvent, OrderLine
from omnioms.orders.selectors import visible_orders
from omnioms.service import batch
from omnioms.service.domain import code_key, document, document_keys, looks_like_code, query_terms
from omnioms.service.models import Conversation, SearchEntry, SearchKey, SearchKind, Ticket

if TYPE_CHECKING:
    from omnioms.orders.effects import OrderChange

MIN_TERM = 3
_NOT_DIGIT = re.compile(r"\D+")


class QueryTooShort(ValueError):
    pass


# ----------------------------------------------------------------------------------------------
# Writing entries


def _save(entries: list[SearchEntry], unseen: Collection[int] = ()) -> None:
    """Write the entries (new ones inserted, existing ones updated in place, both by
    ``core.bulk``) and replace their keys. ``unseen`` are objects known to have no entry yet
    (orders seen for the first time), not looked up.

    Every order an import or a webhook writes comes through here, in its transaction:
    Django's ``bulk_create(update_conflicts=True)`` ran its SQL compiler over every value and
    was half of a file import's time. All ``entries`` are of one kind."""
    if not entries:
        return
    existing = _entry_ids(
        entries[0].kind, [e.object_id for e in entries if e.object_id not in unseen]
    )
    fresh: list[SearchEntry] = []
    known: list[SearchEntry] = []
    for entry in entries:
        entry.pk = existing.get(entry.object_id)
        (fresh if entry.pk is None else known).append(entry)
    if fresh:
        try:
            with transaction.atomic():  # a savepoint: the fallback runs in the same transaction
                bulk_insert(fresh)
        except IntegrityError:
            # Another transaction indexed one of them after the look-up (two orders of one
            # customer at once): insert or update, as the unique constraint decides.
            _upsert(fresh)
    if known:
        bulk_set(known, ["title", "document", "updated_at"])
        SearchKey.objects.filter(entry_id__in=[e.pk for e in known]).delete()
    key = new_rows(SearchKey)
    bulk_insert(
        [
            key(entry_id=e.pk, key=code, updated_at=e.updated_at)
            for e in entries
            for code in document_keys(e.document)
        ],
        returning_ids=False,
    )


def _entry_ids(kind: str, object_ids: list[int]) -> dict[int, int]:
    """The ids of the entries of these objects that exist, by object."""
    return dict(
        SearchEntry.objects.filter(kind=kind, object_id__in=object_ids).values_list(
            "object_id", "pk"
        )
    )


def _upsert(entries: list[SearchEntry]) -> None:
    SearchEntry.objects.bulk_create(
        entries,
        update_conflicts=True,
        unique_fields=["kind", "object_id"],
        update_fields=["title", "document", "updated_at"],
    )
    ids = _entry_ids(entries[0].kind, [e.object_id for e in entries])
    for entry in entries:
        entry.pk = ids[entry.object_id]
    SearchKey.objects.filter(entry_id__in=list(ids.values())).delete()


def index_orders(order_ids: Iterable[int], unseen: Collection[int] = ()) -> None:
    ids = list(order_ids)
    if not ids:
        return
    skus: dict[int, list[str]] = defaultdict(list)
    for order_id, sku in OrderLine.objects.filter(order_id__in=ids).values_list(
        "order_id", "sku_code"
    ):
        if sku:
            skus[order_id].append(sku)
    tracking: dict[int, list[str]] = defaultdict(list)
    for order_id, data in OrderEvent.objects.filter(
        order_id__in=ids, data__has_key="shipment"
    ).values_list("order_id", "data"):
        number = (data.get("shipment") or {}).get("tracking_number")
        if number:
            tracking[order_id].append(str(number))
    now = timezone.now()
    entries, entry = [], new_rows(SearchEntry)
    for order in Order.objects.filter(pk__in=ids).only(
        "pk", "external_id", "buyer_name", "buyer_email", "buyer_phone", "ship_to", "channel"
    ):
        ship_to = order.ship_to or {}
        external = order.external_id
        entries.append(
            entry(
                kind=SearchKind.ORDER,
                object_id=order.pk,
                title=f"{order.channel} {external} {order.buyer_name}"[:300],
                document=document(
                    external,
                    _NOT_DIGIT.sub("", external) if _NOT_DIGIT.search(external) else "",
                    order.buyer_name,
                    order.buyer_email,
                    str(ship_to.get("name") or ""),
                    *skus[order.pk],
                    *tracking[order.pk],
                    phones=[order.buyer_phone, str(ship_to.get("phone") or "")],
                ),
                updated_at=now,
            )
        )
    _save(entries, unseen)


def index_customers(customer_ids: Iterable[int]) -> None:
    ids = [i for i in set(customer_ids) if i is not None]
    if not ids:
        return
    identities: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for customer_id, kind, value in CustomerIdentity.objects.filter(
        customer_id__in=ids
    ).values_list("customer_id", "kind", "value"):
        identities[customer_id].append((kind, value))
    now = timezone.now()
    entries, entry = [], new_rows(SearchEntry)
    for customer in Customer.objects.filter(pk__in=ids, merged_into__isnull=True):
        known = identities[customer.pk]
        entries.append(
            entry(
                kind=SearchKind.CUSTOMER,
                object_id=customer.pk,
                title=str(customer)[:300],
                document=document(
                    customer.name,
                    customer.email,
                    *(v for k, v in known if k != "phone"),
                    phones=[customer.phone, *(v for k, v in known if k == "phone")],
                ),
                updated_at=now,
            )
        )
    merged = set(ids) - {e.object_id for e in entries}
    SearchEntry.objects.filter(kind=SearchKind.CUSTOMER, object_id__in=merged).delete()
    _save(entries)


def index_tickets(ticket_ids: Iterable[int]) -> None:
    """The tickets' entries; inside an intake batch, written once at its end (``flush``)."""
    ids = list(ticket_ids)
    if not ids or batch.defer_ticket_index(ids):
        return
    _index_tickets(ids)


def flush(current: batch.Batch) -> None:
    """Write the entries of the tickets a batch deferred (before its commit)."""
    if current.tickets_to_index:
        _index_tickets(sorted(current.tickets_to_index))
        current.tickets_to_index.clear()


def _index_tickets(ids: list[int]) -> None:
    contacts: dict[int, list[str]] = defaultdict(list)
    for ticket_id, contact, name in Conversation.objects.filter(ticket_id__in=ids).values_list(
        "ticket_id", "contact", "contact_name"
    ):
        contacts[ticket_id].extend([contact, name])
    now = timezone.now()
    entries, entry = [], new_rows(SearchEntry)
    for ticket in Ticket.objects.filter(pk__in=ids).select_related("customer"):
        customer = ticket.customer
        entries.append(
            entry(
                kind=SearchKind.TICKET,
                object_id=ticket.pk,
                title=f"{ticket.number} {ticket.subject}"[:300],
                document=document(
                    ticket.number,
                    ticket.subject,
                    ticket.external_ref,
                    customer.name if customer else "",
                    customer.email if customer else "",
                    *contacts[ticket.pk],
                    phones=[customer.phone] if customer else [],
                ),
                updated_at=now,
            )
        )
    _save(entries)


def index_order_changes(changes: Sequence[OrderChange], actor: Actor) -> None:
    """The ``service.search`` effect: the changed orders' entries and their customers'."""
    index_orders(
        [c.order.pk for c in changes],
        unseen={c.order.pk for c in changes if c.first_seen},
    )
    index_customers([c.order.customer_id for c in changes if c.order.customer_id])


@job_kind("service.rebuild_search", label=_("Rebuild the customer service search"))
def rebuild_search(job: JobContext | None = None, *, batch: int = 2000) -> dict[str, Any]:
    """Every order, customer and ticket indexed again (after an import that bypassed the
    effects, or a change to what documents hold)."""
    done = 0
    for model, index in (
        (Order, index_orders),
        (Customer, index_customers),
        (Ticket, index_tickets),
    ):
        ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), batch):
            if job is not None:
                job.check()
            index(ids[start : start + batch])
            done += len(ids[start : start + batch])
            if job is not None:
                job.progress(min(0.99, done / max(1, done + 1)), _("%(n)s entries") % {"n": done})
    return {"entries": done}


# ----------------------------------------------------------------------------------------------
# Searching


@dataclass(frozen=True)
class Hit:
    kind: str
    object_id: int
    title: str


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matching_entries(query: str, *, kinds: Sequence[str] = (), limit: int = 50) -> list[Hit]:
    """Entries whose document contains every term of ``query``, newest first."""
    terms = query_terms(query)
    if not terms:
        return []
    for code, others in _code_candidates(terms):
        exact = exact_entries(code, others, kinds, limit)
        if exact:
            return exact
    if len(terms) == 1 and "@" in terms[0] and looks_like_code(terms[0]):
        # An e-mail typed from its start: a range of the same B-tree.
        started = prefix_entries(terms[0], kinds, limit)
        if started:
            return started
    if any(len(t) < MIN_TERM for t in terms):
        raise QueryTooShort(
            _("Type at least %(n)s characters (or digits of a phone).") % {"n": MIN_TERM}
        )
    kind_sql = ""
    params: list[Any] = []
    if connection.vendor == "postgresql":
        where = " AND ".join(["e.document LIKE %s ESCAPE '\\'"] * len(terms))
        params = [f"%{_escape_like(t)}%" for t in terms]
        sql = f"SELECT e.kind, e.object_id, e.title FROM service_searchentry e WHERE {where}"  # noqa: S608 (placeholders only)
    else:
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
        params = [match]
        sql = (
            "SELECT e.kind, e.object_id, e.title FROM service_search_fts f "
            "JOIN service_searchentry e ON e.id = f.rowid WHERE service_search_fts MATCH %s"
        )
    if kinds:
        kind_sql = " AND e.kind IN (" + ", ".join(["%s"] * len(kinds)) + ")"
        params.extend(kinds)
    sql += kind_sql + " ORDER BY e.updated_at DESC LIMIT %s"
    params.append(limit)
    with connection.cursor() as cursor:
        # Only placeholders are joined into the text; every value is a parameter.
        cursor.execute(sql, params)
        return [Hit(kind, int(object_id), title) for kind, object_id, title in cursor.fetchall()]


def _code_candidates(terms: Sequence[str]) -> list[tuple[str, list[str]]]:
    """The whole codes a query may be, most likely first: all its words as one code
    (``SF 1402 0394 41234``), then its first word that is a code with the others as words
    the entry must also contain."""
    candidates: list[tuple[str, list[str]]] = []
    if len(terms) > 1 and looks_like_code("".join(terms)):
        candidates.append(("".join(terms), []))
    code = next((t for t in terms if looks_like_code(t)), None)
    if code is not None:
        candidates.append((code, [t for t in terms if t != code]))
    return candidates


def exact_entries(code: str, others: Sequence[str], kinds: Sequence[str], limit: int) -> list[Hit]:
    """Entries that hold ``code`` as a whole code (the B-tree of ``SearchKey``, newest first)
    and contain every other term."""
    sql = (
        "SELECT e.kind, e.object_id, e.title FROM service_searchkey k "
        "JOIN service_searchentry e ON e.id = k.entry_id WHERE k.key = %s"
    )
    params: list[Any] = [code_key(code)]
    for term in others:
        sql += " AND e.document LIKE %s ESCAPE '\\'"
        params.append(f"%{_escape_like(term)}%")
    if kinds:
        sql += " AND e.kind IN (" + ", ".join(["%s"] * len(kinds)) + ")"
        params.extend(kinds)
    sql += " ORDER BY k.updated_at DESC LIMIT %s"
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Hit(kind, int(object_id), title) for kind, object_id, title in cursor.fetchall()]


def prefix_entries(start: str, kinds: Sequence[str], limit: int) -> list[Hit]:
    """Entries with a code that begins with ``start`` (a range scan of ``SearchKey``'s index,
    in key order; ``LIKE`` keeps the answer exact whatever the database's collation)."""
    key = code_key(start)
    sql = (
        "SELECT e.kind, e.object_id, e.title FROM service_searchkey k "
        "JOIN service_searchentry e ON e.id = k.entry_id "
        "WHERE k.key >= %s AND k.key < %s AND k.key LIKE %s ESCAPE '\\'"
    )
    params: list[Any] = [key, key + chr(0x10FFFF), _escape_like(key) + "%"]
    if kinds:
        sql += " AND e.kind IN (" + ", ".join(["%s"] * len(kinds)) + ")"
        params.extend(kinds)
    sql += " ORDER BY k.key, k.updated_at DESC LIMIT %s"
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        hits = [Hit(kind, int(object_id), title) for kind, object_id, title in cursor.fetchall()]
    return list(dict.fromkeys(hits))


def search(query: str, user: User | AnonymousUser, *, limit: int = 20) -> dict[str, list[Hit]]:
    """What ``user`` may see of the matches, per kind (orders through ``visible_orders``)."""
    kinds = []
    if user.has_perm("orders.view_order"):
        kinds.append(SearchKind.ORDER)
    if user.has_perm("customers.view_customer"):
        kinds.append(SearchKind.CUSTOMER)
    if user.has_perm("service.view_ticket"):
        kinds.append(SearchKind.TICKET)
    if not kinds:
        return {}
    hits = matching_entries(query, kinds=kinds, limit=limit * 3)
    grouped: dict[str, list[Hit]] = {str(k): [] for k in kinds}
    order_ids = [h.object_id for h in hits if h.kind == SearchKind.ORDER]
    visible = (
        set(visible_orders(user).filter(pk__in=order_ids).values_list("pk", flat=True))
        if order_ids
        else set()
    )
    for hit in hits:
        if hit.kind == SearchKind.ORDER and hit.object_id not in visible:
            continue
        if len(grouped[hit.kind]) < limit:
            grouped[hit.kind].append(hit)
    return grouped
