"""Finding or creating the customer behind each order, merging duplicates as they show up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from omnioms.channels.contract import Address, Buyer
from omnioms.core.bulk import bulk_insert, new_rows
from omnioms.customers.domain import IdentityKey, identity_keys, normalize_email
from omnioms.customers.models import Customer, CustomerIdentity

_Entity = tuple[str, int]  # ("db", customer id) or ("new", index into new customers)
_new_customer = new_rows(Customer)
_new_identity = new_rows(CustomerIdentity)


@dataclass
class CustomerMatch:
    ids: list[int | None]
    """The customer id of each buyer, in order; ``None`` for one with nothing to identify them."""
    merged: dict[int, list[int]] = field(default_factory=dict)
    """Existing customers folded into another: survivor id -> the ids merged into it. Whatever
    points at a merged customer (orders) must be moved to the survivor by the caller."""


def resolve_customers(
    platform: str, buyers: Sequence[tuple[Buyer, Address | None]]
) -> CustomerMatch:
    """The customer behind each buyer, finding or creating them.

    Same phone, e-mail or channel buyer id means same customer: a buyer matching two existing
    customers merges them into the older one. Works on a whole batch with a constant number of
    queries. Call inside the caller's transaction.
    """
    keys_per_buyer = [identity_keys(platform, buyer, ship_to) for buyer, ship_to in buyers]
    values = {key.value for keys in keys_per_buyer for key in keys}
    if not values:
        return CustomerMatch([None] * len(buyers))

    known: dict[IdentityKey, int] = {
        IdentityKey(kind, scope, value): customer_id
        for kind, scope, value, customer_id in CustomerIdentity.objects.filter(
            value__in=values
        ).values_list("kind", "scope", "value", "customer_id")
    }

    parent: dict[_Entity, _Entity] = {}

    def find(entity: _Entity) -> _Entity:
        parent.setdefault(entity, entity)
        while parent[entity] != entity:
            parent[entity] = parent[parent[entity]]
            entity = parent[entity]
        return entity

    def union(a: _Entity, b: _Entity) -> None:
        root_a, root_b = find(a), find(b)
        if root_a == root_b:
            return
        # Existing customers win over new ones, and the oldest existing customer wins.
        keep, drop = sorted((root_a, root_b), key=lambda e: (e[0] != "db", e[1]))
        parent[drop] = keep

    new_customers: list[Customer] = []
    entity_of_key: dict[IdentityKey, _Entity] = {k: ("db", cid) for k, cid in known.items()}
    buyer_entity: list[_Entity | None] = []
    for (buyer, _ship_to), keys in zip(buyers, keys_per_buyer, strict=True):
        if not keys:
            buyer_entity.append(None)
            continue
        matched = [entity_of_key[key] for key in keys if key in entity_of_key]
        if matched:
            entity = matched[0]
            for other in matched[1:]:
                union(entity, other)
        else:
            entity = ("new", len(new_customers))
            new_customers.append(
                _new_customer(
                    # Cut to the columns, as the order's buyer fields are; the order's snapshot
                    # keeps the name whole.
                    name=(buyer.name or "")[:200],
                    email=normalize_email(buyer.email) or "",
                    phone=next((key.value for key in keys if key.kind == "phone"), "")[:50],
                )
            )
        for key in keys:
            entity_of_key.setdefault(key, entity)
        buyer_entity.append(entity)

    roots = {find(e) for e in buyer_entity if e is not None}
    to_create = [new_customers[i] for kind, i in sorted(roots) if kind == "new"]
    bulk_insert(to_create)

    def customer_id(entity: _Entity) -> int:
        kind, ref = find(entity)
        return ref if kind == "db" else int(new_customers[ref].pk)

    merged = _merge_existing(parent, find)

    bulk_insert(
        [
            _new_identity(
                customer_id=customer_id(entity), kind=key.kind, scope=key.scope, value=key.value
            )
            for key, entity in entity_of_key.items()
            if key not in known
        ],
        returning_ids=False,
        ignore_conflicts=True,  # a concurrent order of the same buyer may have written it first
    )
    return CustomerMatch([None if e is None else customer_id(e) for e in buyer_entity], merged)


def _merge_existing(
    parent: dict[_Entity, _Entity], find: Callable[[_Entity], _Entity]
) -> dict[int, list[int]]:
    """Fold every existing customer that turned out to be someone else into the survivor."""
    merges: dict[int, list[int]] = {}
    for entity in list(parent):
        root = find(entity)
        if entity[0] == "db" and root != entity and root[0] == "db":
            merges.setdefault(root[1], []).append(entity[1])
    for survivor, merged in merges.items():
        CustomerIdentity.objects.filter(customer_id__in=merged).update(customer_id=survivor)
        Customer.objects.filter(pk__in=merged).update(merged_into_id=survivor)
    return merges
