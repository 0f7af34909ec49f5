"""The fixed registries a flow chooses from: guards, effects, fields and operations.

A manager's flow names these; it never carries code. Other apps add their own at
``AppConfig.ready()``: ``sales`` registers the real ``invoice_issued`` and ``quote_accepted``
guards and an invoice issuer (:func:`register_invoice_issuer`), replacing the defaults here,
which read the order's timeline (an action that issued an invoice or accepted a quote).

- A guard is ``(order) -> reason | None``: None when it holds, else why not (shown to the
  person and in the API's 409). It runs with the order's row locked.
- An effect is ``(context) -> None``: it runs after the move, in the same transaction, and may
  put what it did in ``context.results`` (shown to the person).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from omnioms.core.choices import OrderStatus

if TYPE_CHECKING:
    from omnioms.core.actor import Actor
    from omnioms.flows.definition import Transition
    from omnioms.orders.effects import OrderChange
    from omnioms.orders.models import Order

Label = "str | _StrPromise"
Guard = Callable[["Order"], "str | None"]


@dataclass
class EffectContext:
    """What an effect sees: the order as moved, the action, its fields, who took it."""

    order: Order
    transition: Transition
    fields: dict[str, Any]
    actor: Actor
    change: OrderChange
    results: dict[str, Any] = field(default_factory=dict)
    move: Any = None
    """The :class:`~omnioms.orders.moves.Move` written (units shipped, refunded, returned)."""


Effect = Callable[[EffectContext], None]


@dataclass(frozen=True)
class Named:
    name: str
    label: Any
    """A lazy translated text."""
    help: Any = ""


@dataclass(frozen=True)
class GuardEntry(Named):
    check: Guard | None = None


@dataclass(frozen=True)
class EffectEntry(Named):
    run: Effect | None = None


@dataclass(frozen=True)
class FieldSpec(Named):
    kind: str = "text"
    """``text``, ``lines`` (``[{"line": id, "quantity": n}]``), ``amount``, ``address``,
    ``choice`` (one of ``choices``), ``date``."""
    required: bool = True
    choices: tuple[tuple[str, Any], ...] = ()

    def describe(self) -> dict[str, Any]:
        """As the API lists it."""
        out: dict[str, Any] = {
            "name": self.name,
            "label": str(self.label),
            "kind": self.kind,
            "required": self.required,
        }
        if self.choices:
            out["choices"] = [value for value, _label in self.choices]
        return out


GUARDS: dict[str, GuardEntry] = {}
EFFECTS: dict[str, EffectEntry] = {}
FIELDS: dict[str, FieldSpec] = {}
OPERATIONS: dict[str, Any] = {}
"""Operation name -> label; what each does is in :mod:`omnioms.flows.operations`."""

_invoice_issuers: dict[str, Callable[[EffectContext], Any]] = {}


def register_guard(name: str, label: Any, check: Guard, *, help: Any = "") -> None:
    """Add (or replace) a guard a flow may name."""
    GUARDS[name] = GuardEntry(name, label, help, check)


def register_effect(name: str, label: Any, run: Effect, *, help: Any = "") -> None:
    """Add (or replace) an effect a flow may name."""
    EFFECTS[name] = EffectEntry(name, label, help, run)


def register_invoice_issuer(name: str, issue: Callable[[EffectContext], Any]) -> None:
    """Called by the ``issue_invoice`` effect, in the action's transaction; what it returns is
    put in the results under ``invoice`` (the last issuer's). Without one, the effect records
    on the timeline that an invoice is due."""
    _invoice_issuers[name] = issue


def invoice_issuers() -> list[Callable[[EffectContext], Any]]:
    return list(_invoice_issuers.values())


def check_guard(name: str, order: Order) -> str | None:
    entry = GUARDS.get(name)
    if entry is None or entry.check is None:
        return str(_("the guard %(name)s is not installed") % {"name": name})
    return entry.check(order)


FIELDS.update(
    {
        spec.name: spec
        for spec in (
            FieldSpec("carrier", _("Carrier")),
            FieldSpec("tracking_number", _("Tracking number")),
            FieldSpec(
                "lines",
                _("Lines and quantities"),
                _("Which lines and how many units; none: all that are left."),
                kind="lines",
                required=False,
            ),
            FieldSpec("reason", _("Reason")),
            FieldSpec("note", _("Note"), required=False),
            FieldSpec("amount", _("Amount"), kind="amount"),
            FieldSpec("address", _("New address"), kind="address"),
            FieldSpec(
                "inspection",
                _("Inspection"),
                _("Returned goods go back to sellable stock or to quarantine."),
                kind="choice",
                choices=(("sellable", _("Sellable")), ("quarantine", _("Quarantine"))),
            ),
            FieldSpec(
                "resolution",
                _("Resolution"),
                kind="choice",
                choices=(("channel", _("Follow the channel")), ("ours", _("Keep ours"))),
            ),
        )
    }
)

OPERATIONS.update(
    {
        "move": _("Move to the next stage"),
        "ship": _("Ship lines (in part or whole)"),
        "cancel": _("Cancel"),
        "change_address": _("Change the shipping address"),
        "split": _("Split off lines into a new order"),
        "refund": _("Refund lines"),
        "return": _("Receive returned lines"),
        "resolve_conflict": _("Resolve a conflict with the channel"),
    }
)


# -- default guards ------------------------------------------------------------------------


def _payment_received(order: Order) -> str | None:
    if order.paid_at is not None or order.status not in (
        OrderStatus.DRAFT,
        OrderStatus.PENDING_PAYMENT,
    ):
        return None
    return str(_("no payment has been received"))


def _stock_reserved(order: Order) -> str | None:
    from omnioms.inventory.models import OrderStock, OrderStockStatus

    status = OrderStock.objects.filter(order=order).values_list("status", flat=True).first()
    if status in (OrderStockStatus.RESERVED, OrderStockStatus.SHIPPED):
        return None
    if status is None or status == OrderStockStatus.NOT_TRACKED:
        # Nothing of it is stocked (services, unmapped SKUs): nothing to wait for.
        return None
    return str(_("its stock is not reserved (%(status)s)") % {"status": status})


def _timeline_marks(order: Order, mark: str) -> bool:
    from omnioms.orders.models import OrderEvent

    return OrderEvent.objects.filter(order=order, data__marks__has_key=mark).exists()


def _invoice_issued(order: Order) -> str | None:
    return None if _timeline_marks(order, "invoice_issued") else str(_("no invoice was issued"))


def _quote_accepted(order: Order) -> str | None:
    if _timeline_marks(order, "quote_accepted"):
        return None
    return str(_("the customer has not accepted the quote"))


def _nothing_shipped(order: Order) -> str | None:
    if order.lines.filter(shipped_quantity__gt=0).exists() or order.status in (
        OrderStatus.SHIPPED,
        OrderStatus.COMPLETED,
    ):
        return str(_("units of it have shipped"))
    return None


def _units_shipped(order: Order) -> str | None:
    if order.lines.filter(shipped_quantity__gt=0).exists() or order.status in (
        OrderStatus.SHIPPED,
        OrderStatus.COMPLETED,
    ):
        return None
    return str(_("nothing of it has shipped"))


def _no_conflict(order: Order) -> str | None:
    if order.conflict:
        return str(_("the channel reported something that contradicts it: resolve that first"))
    return None


def _has_conflict(order: Order) -> str | None:
    return None if order.conflict else str(_("there is no conflict to resolve"))


for _name, _label, _check in (
    ("payment_received", _("Payment received"), _payment_received),
    ("stock_reserved", _("Stock reserved"), _stock_reserved),
    ("invoice_issued", _("Invoice issued"), _invoice_issued),
    ("quote_accepted", _("Quote accepted"), _quote_accepted),
    ("nothing_shipped", _("Nothing shipped yet"), _nothing_shipped),
    ("units_shipped", _("Units shipped"), _units_shipped),
    ("no_conflict", _("No conflict with the channel"), _no_conflict),
    ("has_conflict", _("A conflict with the channel is open"), _has_conflict),
):
    register_guard(_name, _label, _check)
