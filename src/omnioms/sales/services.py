"""Use cases of selling by people; each owns its transaction.

Every order made here enters through the one path every channel's orders take
(``sync.services.submit_order`` -> ``orders.services.upsert_orders``), in a channel account of
platform ``manual`` (a store's counter account, the social-selling account, any manual account
staff key orders into). Stock is reserved there by the effects of that path; a counter sale
checks the outcome in the same transaction and is undone whole when stock is short.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as DjangoUser
from django.core import signing
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from omnioms.catalog.models import Sku
from omnioms.channels.contract import Buyer, NormalizedOrder
from omnioms.channels.models import ChannelAccount
from omnioms.core.actor import Actor
from omnioms.core.choices import OrderStatus, Platform
from omnioms.core.models import Location, LocationKind
from omnioms.customers.models import Customer
from omnioms.customers.services import resolve_customers
from omnioms.flows.selectors import create_from_preset, discount_limits
from omnioms.flows.services import (
    ActionForbidden,
    ActionRefused,
    FieldErrors,
    flow_definition,
    take_action,
)
from omnioms.inventory.models import (
    ChannelStockRule,
    OrderStock,
    OrderStockStatus,
    Reservation,
    ReservationState,
    ReserveOn,
    RuleLocation,
    Shortage,
)
from omnioms.inventory.rules import forget_rules
from omnioms.orders.domain import make_shipment
from omnioms.orders.models import Order
from omnioms.orders.selectors import user_store_id
from omnioms.orders.services import change_order_status, ship_order
from omnioms.planning.promise import promise_date
from omnioms.sales.domain import (
    DiscountPolicy,
    InvoiceRequest,
    PriceError,
    PriceLine,
    SaleDraft,
    check_discounts,
    may_approve,
    tax_included,
)
from omnioms.sales.models import (
    Inquiry,
    InquiryStatus,
    Invoice,
    NumberSequence,
    Payment,
    PaymentKind,
    Quote,
    QuoteLine,
    QuoteStatus,
    QuoteVersion,
)
from omnioms.sync.services import create_account, submit_order

User = DjangoUser | AnonymousUser


class SaleError(ValueError):
    """A sale, quote or invoice that cannot be made; ``errors`` maps fields to messages."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class OutOfStock(SaleError):
    """The stock is not there at the moment of sale; nothing was written."""

    def __init__(self, shorts: list[tuple[str, int, int]]) -> None:
        self.shorts = shorts
        text = "; ".join(
            f"{sku}: wanted {wanted}, available {avail}" for sku, wanted, avail in shorts
        )
        super().__init__(f"not enough stock: {text}")


def next_number(kind: str, prefix: str) -> str:
    """``PREFIX-2026-000042``: the next of ``kind`` this year. Call inside a transaction; the
    sequence row stays locked until it commits, so two sales never share a number."""
    year = timezone.localdate().year
    NumberSequence.objects.get_or_create(kind=kind, year=year)
    sequence = NumberSequence.objects.select_for_update().get(kind=kind, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{prefix}-{year}-{sequence.last:06d}"


def _new_external_id(prefix: str) -> str:
    return f"{prefix}-{timezone.localtime():%Y%m%d%H%M%S}-{secrets.token_hex(3).upper()}"


# ----------------------------------------------------------------------------------------------
# Orders keyed in by staff


def entry_accounts(user: User) -> list[ChannelAccount]:
    """Manual accounts ``user`` may key orders into: every one with ``orders.view_all_orders``,
    else their store's (the rule of ``POST /api/v1/orders``)."""
    accounts = ChannelAccount.objects.filter(platform=Platform.MANUAL, is_active=True)
    if not user.has_perm("orders.view_all_orders"):
        store_id = user_store_id(user)
        accounts = accounts.filter(location_id=store_id) if store_id else accounts.none()
    return list(accounts.order_by("name"))


def _field_of(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location) or "order"


def validated_order(body: dict[str, Any]) -> NormalizedOrder:
    """The contract's validation, as ``POST /api/v1/orders`` applies it; a ``SaleError`` with
    the field of each problem otherwise."""
    try:
        return NormalizedOrder.model_validate(body)
    except ValidationError as exc:
        errors = {_field_of(error["loc"]): error["msg"] for error in exc.errors()}
        raise SaleError("the order is not valid", errors) from None


def enter_order(account: ChannelAccount, draft: SaleDraft, *, actor: Actor) -> Order:
    """An order a person keyed in, through the one path; a ``SaleError`` naming the fields."""
    if not draft.external_id:
        draft.external_id = _new_external_id("M")
    if Order.objects.filter(account=account, external_id=draft.external_id).exists():
        raise SaleError(
            "order id taken", {"external_id": "this account has an order with this id already"}
        )
    order = validated_order(draft.as_contract())
    payload = submit_order(account, order, actor=actor)
    assert payload.order_id is not None  # upsert_orders always links the payload
    return Order.objects.get(pk=payload.order_id)


# ----------------------------------------------------------------------------------------------
# The store counter


def counter_account(store: Location) -> ChannelAccount:
    """The store's counter account (``counter-CODE``, platform manual), made the first time.

    Its stock rule reserves when the order is created (a deposit holds the goods) and looks at
    the store first, then every active warehouse: what the store lacks is reserved where it is,
    to be shipped from there.
    """
    name = f"counter-{store.code}"[:50]
    found = ChannelAccount.objects.filter(name=name).first()
    if found is not None:
        return found
    with transaction.atomic():
        account = create_account(
            name=name,
            platform=Platform.MANUAL,
            display_name=f"{store.name} counter",
            location_code=store.code,
        )
        rule = ChannelStockRule.objects.create(
            account=account, reserve_on=ReserveOn.CREATED, push_enabled=False
        )
        places = [store, *Location.objects.filter(kind=LocationKind.WAREHOUSE, is_active=True)]
        RuleLocation.objects.bulk_create(
            RuleLocation(rule=rule, location=place, priority=i)
            for i, place in enumerate(places, start=1)
            if place.pk == store.pk or place.kind == LocationKind.WAREHOUSE
        )
        # A manual account would start with the social-selling flow; a counter's is the store's.
        create_from_preset("store_counter", account=account)
    forget_rules()
    return account


@dataclass
class CounterSale:
    store: Location
    lines: list[PriceLine]
    buyer_name: str = ""
    buyer_phone: str = ""
    paid: Decimal | None = None
    """None: paid in full."""
    method: str = "cash"
    hand_over: bool = True
    ship_to: dict[str, str] = field(default_factory=dict)
    invoice: InvoiceRequest | None = None
    note: str = ""


@dataclass
class SaleResult:
    order: Order
    invoice: Invoice | None
    fulfilled_from: list[str]
    """Codes of the locations the goods are reserved at or taken from."""


def sell_at_counter(sale: CounterSale, *, user: User) -> SaleResult:
    """Take an order at the counter: the order, its stock, the payment, the hand-over or the
    reservation to ship, the invoice: all, or nothing when anything is refused.

    Paid in full, the order is ``paid``; a deposit leaves it ``pending_payment`` (the counter's
    rule reserves at creation, so the goods are held either way). Stock is reserved through
    the one path; when it is short anywhere the rule looks, :class:`OutOfStock` is raised and
    the transaction is undone, so the counter never sells what is not there, even when two
    clerks sell the last unit at once (the reconcile plans under row locks on PostgreSQL, and
    SQLite's IMMEDIATE transaction serialises writers).
    """
    if not sale.lines:
        raise SaleError("empty sale", {"lines": "add at least one SKU"})
    if sale.invoice is not None:
        problems = sale.invoice.problems()
        if problems:
            raise SaleError("the invoice request is incomplete", problems)
    actor = Actor.for_user(user)
    account = counter_account(sale.store)
    now = timezone.now()
    draft = SaleDraft(
        external_id=_new_external_id(sale.store.code.upper()[:10]),
        status=OrderStatus.PENDING_PAYMENT,
        currency=account.default_currency,
        lines=sale.lines,
        buyer={"name": sale.buyer_name, "phone": sale.buyer_phone},
        ship_to=sale.ship_to or None,
        note_seller=sale.note,
        created_at=now.isoformat(),
    )
    total = draft.total()
    paid = total if sale.paid is None else sale.paid
    if paid < 0 or paid > total:
        raise SaleError("payment", {"paid": f"between 0 and the total, {total}"})
    in_full = paid == total
    if sale.hand_over and not in_full:
        raise SaleError("payment", {"paid": "goods handed over now must be paid in full"})
    if not sale.hand_over and not sale.ship_to.get("address"):
        raise SaleError("address", {"address": "an order shipped to the customer needs an address"})
    if in_full:
        draft.status = OrderStatus.PAID
        draft.paid_at = now.isoformat()
    normalized = validated_order(draft.as_contract())
    with transaction.atomic():
        payload = submit_order(account, normalized, actor=actor)
        assert payload.order_id is not None
        order = Order.objects.get(pk=payload.order_id)
        _check_stock(order)
        places = list(
            Reservation.objects.filter(order=order, state=ReservationState.RESERVED)
            .values_list("location__code", flat=True)
            .distinct()
        )
        if sale.hand_over and any(code != sale.store.code for code in places):
            raise SaleError(
                "not here",
                {"lines": "not all of it is in stock at this store: ship it to the customer"},
            )
        if paid:
            Payment.objects.create(
                order=order,
                kind=PaymentKind.PAYMENT if in_full else PaymentKind.DEPOSIT,
                method=sale.method,
                amount=paid,
                currency=order.currency,
                received_by_id=user.pk,
            )
        invoice = None
        if sale.invoice is not None:
            invoice = _issue(order, sale.invoice, user)
            _flow_step(order, "issue_invoice", {}, user, required=False)
        if sale.hand_over and not _flow_step(order, "hand_over", {}, user, required=True):
            # A flow without a hand-over: the goods leave through the one path directly.
            shipment = make_shipment("counter", order.external_id, shipped_at=timezone.now())
            ship_order(order.pk, shipment, actor=actor, again=False)
        order.refresh_from_db()
    return SaleResult(order, invoice, sorted(set(places)))


def _flow_step(
    order: Order, action: str, fields: dict[str, Any], user: User, *, required: bool
) -> bool:
    """Take ``action`` of the order's flow (``flows.services.take_action``: its roles, guards
    and effects) when the flow has it; False when it has not. When the flow has it but the
    order's stage does not allow it: a ``SaleError`` if ``required``, else nothing. A refusal
    undoes the whole sale (the caller's transaction)."""
    order.refresh_from_db()
    transition = flow_definition(order).transition(action)
    if transition is None:
        return False
    if order.stage not in transition.sources:
        if required:
            raise SaleError(action, {"lines": f"the order's flow does not allow {action} now"})
        return False
    try:
        take_action(order, action, fields, user)
    except (ActionRefused, ActionForbidden, FieldErrors) as exc:
        raise SaleError(action, {"lines": str(exc)}) from None
    return True


def _check_stock(order: Order) -> None:
    stock = OrderStock.objects.filter(order=order).first()
    if stock is not None and stock.unmapped_lines:
        raise SaleError("unknown SKU", {"lines": "a line's SKU is not in the catalogue"})
    if stock is None or stock.status != OrderStockStatus.BACKORDER:
        return
    shorts = [
        (code, wanted, max(0, available))
        for code, wanted, available in Shortage.objects.filter(order=order)
        .order_by("sku__code")
        .values_list("sku__code", "wanted", "available")
    ]
    raise OutOfStock(shorts)


def take_payment(order_id: int, *, amount: Decimal, method: str, user: User) -> Payment:
    """The rest of a deposit order's price (or part of it). When what was taken reaches the
    total the order becomes paid: by its flow's ``take_payment`` action where the flow has
    one at the order's stage, else through the one status path."""
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).get(pk=order_id)
        taken = sum((p.amount for p in Payment.objects.filter(order=order)), Decimal(0))
        if amount <= 0 or taken + amount > order.total:
            raise SaleError("payment", {"amount": f"between 0 and {order.total - taken}"})
        payment = Payment.objects.create(
            order=order,
            kind=PaymentKind.BALANCE,
            method=method,
            amount=amount,
            currency=order.currency,
            received_by_id=user.pk,
        )
        paid_up = taken + amount == order.total and order.status == OrderStatus.PENDING_PAYMENT
        if paid_up and not _flow_step(
            order, "take_payment", {"amount": str(order.total)}, user, required=False
        ):
            change_order_status(order.pk, OrderStatus.PAID, actor=Actor.for_user(user))
    return payment


def paid_so_far(order: Order) -> Decimal:
    return sum((p.amount for p in Payment.objects.filter(order=order)), Decimal(0))


# ----------------------------------------------------------------------------------------------
# Invoices


def issue_invoice(order_id: int, request: InvoiceRequest, *, user: User) -> Invoice:
    """A numbered invoice for an order; a ``SaleError`` naming the fields when the request is
    incomplete or the order has one already."""
    problems = request.problems()
    if problems:
        raise SaleError("the invoice request is incomplete", problems)
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).get(pk=order_id)
        return _issue(order, request, user)


INVOICE_TAX_RATE = Decimal(13)
"""The standard VAT rate on goods in China."""


def _issue(order: Order, request: InvoiceRequest, user: User) -> Invoice:
    if Invoice.objects.filter(order=order).exists():
        raise SaleError("invoiced", {"order": "this order has an invoice already"})
    return _new_invoice(order, request, user.pk)


def _new_invoice(order: Order, request: InvoiceRequest, user_id: int | None) -> Invoice:
    return Invoice.objects.create(
        number=next_number("invoice", "INV"),
        order=order,
        kind=request.kind,
        is_company=request.is_company,
        buyer_name=request.buyer_name.strip(),
        buyer_tax_number=request.tax_number.strip().upper(),
        buyer_address=request.address.strip(),
        buyer_phone=request.phone.strip(),
        buyer_bank=request.bank.strip(),
        buyer_bank_account=request.bank_account.strip(),
        currency=order.currency,
        total=order.total,
        tax_rate=INVOICE_TAX_RATE,
        tax=tax_included(order.total, INVOICE_TAX_RATE),
        issued_by_id=user_id,
    )


PERSONAL_BUYER = "个人"
"""The title of a Chinese invoice to a private person who gives no name."""


def invoice_for_order(order: Order, *, user_id: int | None) -> Invoice:
    """The order's invoice, issued now (general, to the buyer) when it has none: what the
    flows ``issue_invoice`` effect calls, in the action's transaction."""
    found = Invoice.objects.filter(order=order).first()
    if found is not None:
        return found
    request = InvoiceRequest(buyer_name=order.buyer_name or PERSONAL_BUYER)
    return _new_invoice(order, request, user_id)


# ----------------------------------------------------------------------------------------------
# Social selling


def social_account() -> ChannelAccount:
    """The account quotes become orders in when none is chosen (``social``, platform manual)."""
    found = ChannelAccount.objects.filter(name="social").first()
    if found is not None:
        return found
    return create_account(name="social", platform=Platform.MANUAL, display_name="Social selling")


def find_or_create_customer(name: str, phone: str = "", email: str = "") -> Customer:
    """The customer with this phone or e-mail (``customers.services.resolve_customers``), or a
    new one; a name alone makes a new customer."""
    buyer = Buyer(name=name or None, phone=phone or None, email=email or None)
    match = resolve_customers(Platform.MANUAL, [(buyer, None)])
    customer_id = match.ids[0]
    if customer_id is None:
        return Customer.objects.create(name=name[:200])
    customer = Customer.objects.get(pk=customer_id)
    if not customer.name and name:
        customer.name = name[:200]
        customer.save(update_fields=["name"])
    return customer


def record_inquiry(
    *, name: str, phone: str, handle: str, source: str, wants: str, user: User
) -> Inquiry:
    with transaction.atomic():
        customer = find_or_create_customer(name, phone)
        return Inquiry.objects.create(
            customer=customer,
            contact_name=name,
            contact_phone=phone,
            contact_handle=handle,
            source=source,
            wants=wants,
            created_by_id=user.pk,
        )


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int
    discount_percent: Decimal = Decimal(0)
    list_price: Decimal | None = None
    """None: the catalogue's price."""


def _priced(lines: Sequence[LineInput]) -> tuple[list[PriceLine], dict[str, Sku]]:
    codes = [line.sku for line in lines]
    skus = {sku.code: sku for sku in Sku.objects.filter(code__in=codes)}
    errors: dict[str, str] = {}
    priced: list[PriceLine] = []
    seen: set[str] = set()
    for position, line in enumerate(lines, start=1):
        sku = skus.get(line.sku)
        if sku is None:
            errors[f"line {position}"] = f"no SKU {line.sku!r} in the catalogue"
            continue
        if line.sku in seen:
            errors[f"line {position}"] = f"{line.sku} is on the quote twice"
            continue
        seen.add(line.sku)
        price = line.list_price if line.list_price is not None else sku.price
        if price is None:
            errors[f"line {position}"] = f"{line.sku} has no price in the catalogue: give one"
            continue
        if line.quantity <= 0:
            errors[f"line {position}"] = "the quantity must be at least 1"
            continue
        priced.append(PriceLine(sku.code, sku.name, line.quantity, price, line.discount_percent))
    if not lines:
        errors["lines"] = "add at least one line"
    if errors:
        raise SaleError("the quote's lines are not valid", errors)
    return priced, skus


def promise_dates(wanted: dict[Sku, int], *, today: date) -> dict[int, date | None]:
    """When each SKU's wanted quantity can be delivered: capable-to-promise
    (``planning.promise.promise_date``: stock now, then incoming receipts and planned
    production by date, then what the published plan's free capacity can make). None when
    nothing known covers it."""
    return {sku.pk: promise_date(sku, quantity, today).date for sku, quantity in wanted.items()}


def discount_policy(account: ChannelAccount, user: Any) -> DiscountPolicy:
    """The discount limits of the account's flow (its current version) as they apply to
    ``user``'s roles."""
    roles = user.groups.values_list("name", flat=True) if getattr(user, "pk", None) else []
    return DiscountPolicy.from_limits(discount_limits(account), list(roles))


def _write_version(
    quote: Quote,
    number: int,
    lines: Sequence[LineInput],
    *,
    valid_until: date,
    note: str,
    user: User,
) -> QuoteVersion:
    priced, skus = _priced(lines)
    policy = discount_policy(quote.account, user)
    try:
        needs_approval = check_discounts(priced, policy)
    except PriceError as exc:
        raise SaleError("discount", {"discount": str(exc)}) from None
    today = timezone.localdate()
    if valid_until < today:
        raise SaleError("validity", {"valid_until": "must not be in the past"})
    dates = promise_dates({skus[line.sku]: line.quantity for line in priced}, today=today)
    line_dates = [dates[skus[line.sku].pk] for line in priced]
    delivery = None if any(d is None for d in line_dates) else max(d for d in line_dates if d)
    version = QuoteVersion.objects.create(
        quote=quote,
        number=number,
        valid_until=valid_until,
        delivery_date=delivery,
        note=note,
        total=sum((line.total for line in priced), Decimal(0)),
        max_discount=max(line.discount_percent for line in priced),
        needs_approval=needs_approval,
        created_by_id=user.pk,
    )
    QuoteLine.objects.bulk_create(
        QuoteLine(
            version=version,
            position=position,
            sku=skus[line.sku],
            title=line.title[:300],
            quantity=line.quantity,
            list_price=line.list_price,
            discount_percent=line.discount_percent,
            unit_price=line.unit_price,
            total=line.total,
            promise_date=day,
        )
        for position, (line, day) in enumerate(zip(priced, line_dates, strict=True), start=1)
    )
    quote.status = QuoteStatus.AWAITING_APPROVAL if needs_approval else QuoteStatus.APPROVED
    quote.save(update_fields=["status"])
    return version


DEFAULT_VALIDITY = timedelta(days=14)


def make_quote(
    inquiry_id: int,
    lines: Sequence[LineInput],
    *,
    valid_until: date | None = None,
    note: str = "",
    account: ChannelAccount | None = None,
    user: User,
) -> Quote:
    """A quote from an inquiry, version 1. Waits for approval when a discount passes the
    account's threshold; refused past its limit."""
    with transaction.atomic():
        inquiry = Inquiry.objects.select_for_update().get(pk=inquiry_id)
        account = account or social_account()
        quote = Quote.objects.create(
            number=next_number("quote", "Q"),
            inquiry=inquiry,
            account=account,
            currency=account.default_currency,
            created_by_id=user.pk,
        )
        _write_version(
            quote,
            1,
            lines,
            valid_until=valid_until or timezone.localdate() + DEFAULT_VALIDITY,
            note=note,
            user=user,
        )
        if inquiry.status == InquiryStatus.OPEN:
            inquiry.status = InquiryStatus.QUOTED
            inquiry.save(update_fields=["status"])
    return quote


def _open_quote(quote_id: int) -> Quote:
    quote = Quote.objects.select_for_update().select_related("account").get(pk=quote_id)
    if quote.status in (QuoteStatus.ACCEPTED, QuoteStatus.DECLINED):
        raise SaleError("closed", {"quote": f"the quote is {quote.get_status_display()}"})
    return quote


def latest_version(quote: Quote) -> QuoteVersion:
    return quote.versions.order_by("-number").first()  # type: ignore[return-value]


def revise_quote(
    quote_id: int,
    lines: Sequence[LineInput],
    *,
    valid_until: date,
    note: str = "",
    user: User,
) -> QuoteVersion:
    """A new version; the earlier ones stay as they were, to compare."""
    with transaction.atomic():
        quote = _open_quote(quote_id)
        number = latest_version(quote).number + 1
        return _write_version(quote, number, lines, valid_until=valid_until, note=note, user=user)


def approve_quote(quote_id: int, *, user: User) -> QuoteVersion:
    """Approve the latest version. The self-approval rule: its maker may not, unless the
    account's policy allows it. The caller checks ``sales.approve_quote``."""
    with transaction.atomic():
        quote = _open_quote(quote_id)
        version = latest_version(quote)
        if quote.status != QuoteStatus.AWAITING_APPROVAL:
            raise SaleError("approval", {"quote": "this version does not wait for approval"})
        policy = discount_policy(quote.account, user)
        if not may_approve(approver_id=user.pk, maker_id=version.created_by_id, policy=policy):
            raise SaleError(
                "self-approval", {"quote": "the person who made a version may not approve it"}
            )
        version.approved_at = timezone.now()
        version.approved_by_id = user.pk
        version.save(update_fields=["approved_at", "approved_by"])
        quote.status = QuoteStatus.APPROVED
        quote.save(update_fields=["status"])
    return version


def mark_sent(quote_id: int, *, user: User) -> QuoteVersion:
    """The latest version went to the customer (as PDF or link)."""
    with transaction.atomic():
        quote = _open_quote(quote_id)
        if quote.status == QuoteStatus.AWAITING_APPROVAL:
            raise SaleError("approval", {"quote": "a manager must approve this version first"})
        version = latest_version(quote)
        version.sent_at = timezone.now()
        version.save(update_fields=["sent_at"])
        quote.status = QuoteStatus.SENT
        quote.save(update_fields=["status"])
    return version


def accept_quote(quote_id: int, *, user: User) -> Order:
    """The customer accepted the latest version (a staff member says so): it becomes an order
    in the quote's account, lines and prices as quoted, through the one path."""
    with transaction.atomic():
        quote = _open_quote(quote_id)
        return _accept(quote, latest_version(quote), Actor.for_user(user))


def _accept(quote: Quote, version: QuoteVersion, actor: Actor) -> Order:
    """Turn ``version`` of the locked ``quote`` into an order (nobody keys it again) and note
    who accepted and when. The one path for staff and for the customer's link."""
    if quote.status == QuoteStatus.AWAITING_APPROVAL:
        raise SaleError("approval", {"quote": "a manager must approve this version first"})
    if version.valid_until < timezone.localdate():
        raise SaleError("expired", {"valid_until": "the quote has expired: revise it"})
    customer = quote.inquiry.customer
    lines = [
        PriceLine(line.sku.code, line.title, line.quantity, line.list_price, line.discount_percent)
        for line in version.lines.select_related("sku").order_by("position")
    ]
    draft = SaleDraft(
        external_id=quote.number,
        status=OrderStatus.PENDING_PAYMENT,
        currency=quote.currency,
        lines=lines,
        buyer={
            "name": quote.inquiry.contact_name or customer.name,
            "phone": quote.inquiry.contact_phone or customer.phone,
            "email": customer.email,
        },
        note_seller=f"{quote.number} v{version.number}",
        created_at=timezone.now().isoformat(),
    )
    payload = submit_order(quote.account, validated_order(draft.as_contract()), actor=actor)
    assert payload.order_id is not None
    order = Order.objects.get(pk=payload.order_id)
    quote.order = order
    quote.status = QuoteStatus.ACCEPTED
    quote.accepted_at = timezone.now()
    quote.accepted_by = actor.label
    quote.save(update_fields=["order", "status", "accepted_at", "accepted_by"])
    Inquiry.objects.filter(pk=quote.inquiry_id).update(status=InquiryStatus.WON)
    return order


def decline_quote(quote_id: int, *, user: User) -> Quote:
    with transaction.atomic():
        quote = _open_quote(quote_id)
        quote.status = QuoteStatus.DECLINED
        quote.save(update_fields=["status"])
    return quote


_LINK_SALT = "omnioms.sales.quote-link"


def quote_link_token(quote: Quote, version: QuoteVersion) -> str:
    """A signed token naming one version of a quote, for the link sent to the customer."""
    return signing.dumps([quote.pk, version.number], salt=_LINK_SALT, compress=True)


def _token_names(token: str) -> tuple[int, int] | None:
    try:
        quote_id, number = signing.loads(token[:500], salt=_LINK_SALT)
        return int(quote_id), int(number)
    except (signing.BadSignature, ValueError, TypeError):
        return None


def quote_from_token(token: str) -> tuple[Quote, QuoteVersion] | None:
    """The quote and version a link names; None when the signature is wrong or the version
    is past its validity."""
    names = _token_names(token)
    if names is None:
        return None
    try:
        quote = Quote.objects.select_related("inquiry", "account").get(pk=names[0])
        version = quote.versions.get(number=names[1])
    except (Quote.DoesNotExist, QuoteVersion.DoesNotExist):
        return None
    if version.valid_until < timezone.localdate():
        return None
    return quote, version


class LinkRefusal(StrEnum):
    """Why a link's version cannot be accepted (a stable code; the page words it)."""

    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    APPROVAL = "approval"


class LinkRefused(SaleError):
    def __init__(self, reason: LinkRefusal) -> None:
        super().__init__(reason.value, {"quote": reason.value})
        self.reason = reason


def link_refusal(quote: Quote, version: QuoteVersion) -> LinkRefusal | None:
    """Why the customer may not accept ``version`` through its link now; None when they may."""
    if quote.status == QuoteStatus.ACCEPTED:
        return LinkRefusal.ACCEPTED
    if quote.status == QuoteStatus.DECLINED:
        return LinkRefusal.DECLINED
    if latest_version(quote).number != version.number:
        return LinkRefusal.SUPERSEDED
    if quote.status == QuoteStatus.AWAITING_APPROVAL:
        return LinkRefusal.APPROVAL
    if version.valid_until < timezone.localdate():
        return LinkRefusal.EXPIRED
    return None


def quote_of_link(token: str) -> tuple[Quote, QuoteVersion] | None:
    """The quote and version a link names, whatever their state; None when it names none."""
    names = _token_names(token)
    if names is None:
        return None
    quote = Quote.objects.select_related("inquiry", "account").filter(pk=names[0]).first()
    version = quote.versions.filter(number=names[1]).first() if quote else None
    return (quote, version) if quote and version else None


def accept_quote_by_link(token: str) -> Order:
    """The customer accepts the version their link names, without logging in. Only the latest
    version, in force, approved where needed and not accepted yet; the quote row is locked,
    so a double click makes one order and the second is refused as already accepted."""
    names = _token_names(token)
    if names is None:
        raise SaleError("link", {"quote": "the link is not valid"})
    with transaction.atomic():
        quote = (
            Quote.objects.select_for_update()
            .select_related("inquiry__customer", "account")
            .filter(pk=names[0])
            .first()
        )
        version = quote.versions.filter(number=names[1]).first() if quote else None
        if quote is None or version is None:
            raise SaleError("link", {"quote": "the link is not valid"})
        reason = link_refusal(quote, version)
        if reason is not None:
            raise LinkRefused(reason)
        who = quote.inquiry.contact_name or quote.inquiry.customer.name
        return _accept(quote, version, Actor(kind="customer", label=f"{who} (quote link)"))
