"""Pure rules of selling by people: prices after discount, what needs approval, what changed
between two versions of a quote, the tax on an invoice, and the order a sale becomes.

No ORM here: the services read rows, call these with plain data and write what they return.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from omnioms.flows.definition import Discounts

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Rounded to the fen (all amounts these pages make are in a currency with cents)."""
    return value.quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class PriceLine:
    sku: str
    title: str
    quantity: int
    list_price: Decimal
    discount_percent: Decimal = Decimal(0)

    @property
    def unit_price(self) -> Decimal:
        return money(self.list_price * (HUNDRED - self.discount_percent) / HUNDRED)

    @property
    def total(self) -> Decimal:
        return money(self.unit_price * self.quantity)

    @property
    def discount_amount(self) -> Decimal:
        return money(self.list_price * self.quantity) - self.total


@dataclass(frozen=True)
class DiscountPolicy:
    """How far a seller may discount in an account, and when a manager must approve.

    ``limit``: no line may be discounted more (refused). ``approval_above``: a version with a
    line discounted more than this waits for someone with ``sales.approve_quote``.
    ``self_approval``: whether that person may be the one who made the version.
    """

    limit: Decimal = Decimal(30)
    approval_above: Decimal = Decimal(10)
    self_approval: bool = False

    @classmethod
    def from_limits(cls, limits: Discounts, roles: Iterable[str] = ()) -> DiscountPolicy:
        """The flow's discount limits as they apply to a person with ``roles``."""
        return cls(
            limit=limits.maximum,
            approval_above=limits.without_approval_for(roles),
            self_approval=limits.self_approval,
        )


class PriceError(ValueError):
    """A price or discount a seller may not give; the message names the line."""


def check_discounts(lines: Sequence[PriceLine], policy: DiscountPolicy) -> bool:
    """Raise :class:`PriceError` for a discount past the limit; return whether approval is
    needed (some line discounted more than ``policy.approval_above``)."""
    for position, line in enumerate(lines, start=1):
        if line.discount_percent < 0:
            raise PriceError(f"line {position} ({line.sku}): a discount cannot be negative")
        if line.discount_percent > policy.limit:
            raise PriceError(
                f"line {position} ({line.sku}): {line.discount_percent}% is more than the "
                f"{policy.limit}% the flow allows"
            )
    return any(line.discount_percent > policy.approval_above for line in lines)


def may_approve(*, approver_id: int | None, maker_id: int | None, policy: DiscountPolicy) -> bool:
    """The self-approval rule: the maker of a version approves it only where the policy says."""
    return policy.self_approval or approver_id is None or approver_id != maker_id


# ----------------------------------------------------------------------------------------------
# Versions


@dataclass(frozen=True)
class Change:
    """One difference between two versions, for people to read."""

    what: str
    """``added``, ``removed``, ``quantity``, ``price``, ``discount``, ``valid_until``,
    ``delivery_date``, ``note``."""
    sku: str = ""
    before: str = ""
    after: str = ""


@dataclass(frozen=True)
class VersionView:
    lines: Sequence[PriceLine]
    valid_until: date
    delivery_date: date | None
    note: str = ""


def version_changes(old: VersionView, new: VersionView) -> list[Change]:
    """What changed from ``old`` to ``new``: lines matched by SKU, then the terms."""
    changes: list[Change] = []
    before = {line.sku: line for line in old.lines}
    after = {line.sku: line for line in new.lines}
    for sku, line in after.items():
        was = before.get(sku)
        if was is None:
            changes.append(Change("added", sku, "", f"{line.quantity} × {line.unit_price}"))
            continue
        if was.quantity != line.quantity:
            changes.append(Change("quantity", sku, str(was.quantity), str(line.quantity)))
        if was.list_price != line.list_price:
            changes.append(Change("price", sku, str(was.list_price), str(line.list_price)))
        if was.discount_percent != line.discount_percent:
            changes.append(
                Change("discount", sku, f"{was.discount_percent}%", f"{line.discount_percent}%")
            )
    for sku, was in before.items():
        if sku not in after:
            changes.append(Change("removed", sku, f"{was.quantity} × {was.unit_price}", ""))
    if old.valid_until != new.valid_until:
        changes.append(Change("valid_until", "", str(old.valid_until), str(new.valid_until)))
    if old.delivery_date != new.delivery_date:
        changes.append(
            Change("delivery_date", "", str(old.delivery_date or ""), str(new.delivery_date or ""))
        )
    if old.note != new.note:
        changes.append(Change("note", "", old.note, new.note))
    return changes


# ----------------------------------------------------------------------------------------------
# Invoices

TAX_NUMBER = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{15}$|^[0-9A-HJ-NPQRTUWXY]{17,20}$")
"""A taxpayer identification number: the 18-character unified social credit code (GB 32100,
no I, O, S, V, Z), or an older 15 or 20 character one."""


@dataclass(frozen=True)
class InvoiceRequest:
    kind: str = "general"
    is_company: bool = False
    buyer_name: str = ""
    tax_number: str = ""
    address: str = ""
    phone: str = ""
    bank: str = ""
    bank_account: str = ""

    def problems(self) -> dict[str, str]:
        """What is missing or wrong, by field: empty when the request can be issued.

        A company needs its taxpayer number; a special VAT invoice, only for companies, also
        needs the registered address and phone, and the bank and account number.
        """
        found: dict[str, str] = {}
        if not self.buyer_name.strip():
            found["buyer_name"] = "the buyer's name is required"
        tax = self.tax_number.strip().upper()
        if self.is_company and not tax:
            found["tax_number"] = "a company's taxpayer identification number is required"
        elif tax and not TAX_NUMBER.match(tax):
            found["tax_number"] = "not a taxpayer identification number (15, 18 or 20 characters)"
        if self.kind == "special":
            if not self.is_company:
                found["kind"] = "a special VAT invoice is for companies only"
            for name in ("address", "phone", "bank", "bank_account"):
                if not getattr(self, name).strip():
                    found[name] = "required for a special VAT invoice"
        return found


def tax_included(total: Decimal, rate_percent: Decimal) -> Decimal:
    """The VAT inside a tax-inclusive ``total`` at ``rate_percent``."""
    return money(total * rate_percent / (HUNDRED + rate_percent))


# ----------------------------------------------------------------------------------------------
# Orders made by people


@dataclass
class SaleDraft:
    """What a person keyed in, as the normalised order (``channels.contract``) it becomes."""

    external_id: str
    status: str
    currency: str
    lines: list[PriceLine]
    buyer: dict[str, str] = field(default_factory=dict)
    ship_to: dict[str, str] | None = None
    shipping: Decimal = Decimal(0)
    order_discount: Decimal = Decimal(0)
    note_buyer: str = ""
    note_seller: str = ""
    created_at: str | None = None
    paid_at: str | None = None

    def total(self) -> Decimal:
        return (
            sum((line.total for line in self.lines), Decimal(0))
            + self.shipping
            - (self.order_discount)
        )

    def as_contract(self) -> dict[str, Any]:
        """The normalised order as a dict, for ``NormalizedOrder.model_validate`` (which then
        applies the same checks as ``POST /api/v1/orders``)."""
        line_discounts = sum((line.discount_amount for line in self.lines), Decimal(0))
        body: dict[str, Any] = {
            "channel": "manual",
            "external_id": self.external_id,
            "status": self.status,
            "currency": self.currency,
            "buyer": {k: v for k, v in self.buyer.items() if v},
            "lines": [
                {
                    "external_line_id": str(position),
                    "sku": line.sku,
                    "title": line.title,
                    "quantity": line.quantity,
                    "unit_price": str(line.list_price),
                    "discount": str(line.discount_amount),
                    "total": str(line.total),
                }
                for position, line in enumerate(self.lines, start=1)
            ],
            "shipping": str(self.shipping),
            "discount": str(line_discounts + self.order_discount),
            "taxes_included": True,
            "total": str(self.total()),
            "notes": {"buyer": self.note_buyer or None, "seller": self.note_seller or None},
        }
        if self.ship_to:
            body["ship_to"] = {k: v for k, v in self.ship_to.items() if v}
        if self.created_at:
            body["created_at"] = self.created_at
            body["updated_at"] = self.created_at
        if self.paid_at:
            body["paid_at"] = self.paid_at
        return body
