"""T-3 warnings and their forced closed loop.

Every order with unfinished work at its due date minus *n* days (:class:`T3Rule`: per
customer, else per channel account, else the default rule, else 3) opens a ``t3`` exception
naming the order, what is unfinished and the projected finish. A production order is due on
its ``due``; a customer order on its commit date (:class:`CommitDate`, written for every
customer order when it arrives, :mod:`omnioms.floor.commits`), with work open when production
orders made for it are unfinished or its stock is short (a backorder). The owner answers with
a recovery (overtime, split delivery, re-sequence through a rush request, move material) or a
new date agreed with the customer;
unanswered, the escalation step takes it up the type's chain to the production manager. It
closes only when the order ships (an effect on the orders' one status path), when a production
order made for stock completes, or when the customer agrees a new date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.core.actor import Actor
from omnioms.core.choices import OrderStatus
from omnioms.floor.commits import agree_new_date
from omnioms.floor.domain import FloorError
from omnioms.floor.exceptions import close_by_system, is_owner, open_exception
from omnioms.floor.models import (
    CommitDate,
    ExceptionEvent,
    ExceptionStatus,
    FloorException,
    Recovery,
    T3Rule,
)
from omnioms.inventory.models import OrderStockStatus
from omnioms.orders.effects import OrderChange
from omnioms.orders.models import Order
from omnioms.planning.models import (
    PlannedOperation,
    PlanStatus,
    ProductionOperation,
    ProductionOrder,
    ProductionStatus,
)

DEFAULT_DAYS = 3
OPEN_PRODUCTION = [ProductionStatus.RELEASED, ProductionStatus.IN_PROGRESS]
SHIPPED = {OrderStatus.SHIPPED, OrderStatus.COMPLETED}
GONE = {OrderStatus.CANCELLED, OrderStatus.REFUNDED}


class _Rules:
    def __init__(self) -> None:
        rows = list(T3Rule.objects.all())
        self.by_customer = {r.customer_id: r.days for r in rows if r.customer_id}
        self.by_account = {r.account_id: r.days for r in rows if r.account_id}
        default = [r.days for r in rows if not r.customer_id and not r.account_id]
        self.default = default[0] if default else DEFAULT_DAYS

    def days(self, order: Order | None) -> int:
        if order is None:
            return self.default
        if order.customer_id in self.by_customer:
            return self.by_customer[order.customer_id]
        return self.by_account.get(order.account_id, self.default)


def _unfinished(order_ids: list[int], now: datetime) -> dict[int, dict[str, Any]]:
    """Per production order: the operations not done (units left) and the projected finish."""
    planned_end = dict(
        PlannedOperation.objects.filter(
            plan__status=PlanStatus.PUBLISHED, operation__production_order_id__in=order_ids
        ).values_list("operation_id", "end")
    )
    out: dict[int, dict[str, Any]] = defaultdict(lambda: {"operations": [], "seconds": 0.0})
    ends: dict[int, datetime] = {}
    for op in ProductionOperation.objects.filter(production_order_id__in=order_ids).values(
        "pk",
        "production_order_id",
        "production_order__quantity",
        "sequence",
        "name",
        "good",
        "scrap",
        "status",
        "run_seconds_per_unit",
    ):
        order_id = op["production_order_id"]
        end = planned_end.get(op["pk"])
        if end is not None:
            ends[order_id] = max(ends.get(order_id, end), end)
        if op["status"] == "done":
            continue
        left = max(op["production_order__quantity"] - op["good"] - op["scrap"], 0)
        out[order_id]["operations"].append(
            {"sequence": op["sequence"], "name": op["name"], "left": left}
        )
        out[order_id]["seconds"] += left * float(op["run_seconds_per_unit"])
    for order_id, row in out.items():
        rest = now + timedelta(seconds=row.pop("seconds"))
        planned = ends.get(order_id)
        row["projected_finish"] = max(rest, planned).isoformat() if planned else rest.isoformat()
    return out


def scan_t3(now: datetime | None = None, *, actor: Actor | None = None) -> int:
    """Open (or bring up to date) the T-3 exception of every order inside its warning window
    with work unfinished; close those whose order is done. Returns how many are open."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    actor = actor or Actor.system("T-3")
    rules = _Rules()
    horizon = today + timedelta(
        days=max([rules.default, *rules.by_customer.values(), *rules.by_account.values()])
    )
    orders = list(
        ProductionOrder.objects.filter(status__in=OPEN_PRODUCTION, due__lte=horizon).select_related(
            "customer_order", "sku"
        )
    )
    unfinished = _unfinished([o.pk for o in orders], now)
    touched = 0
    by_customer: dict[int, list[ProductionOrder]] = defaultdict(list)
    for order in orders:
        if order.customer_order_id:
            by_customer[order.customer_order_id].append(order)
            continue
        if order.due - timedelta(days=rules.days(None)) > today or order.pk not in unfinished:
            continue
        info = unfinished[order.pk]
        open_exception(
            "t3",
            key=f"t3:po:{order.pk}",
            title=_("T-3: %(order)s due %(due)s is not finished")
            % {"order": order.number, "due": order.due.isoformat()},
            figures={"due": order.due.isoformat(), **info},
            actor=actor,
            production_order_id=order.pk,
            family_id=order.sku.family_id,
            now=now,
        )
        touched += 1
    touched += _scan_customer_orders(by_customer, unfinished, rules, today, now, actor)
    _close_done(actor)
    return touched


def _scan_customer_orders(
    by_customer: dict[int, list[ProductionOrder]],
    unfinished: dict[int, dict[str, Any]],
    rules: _Rules,
    today: date,
    now: datetime,
    actor: Actor,
) -> int:
    # Every customer order has a commit date (``floor.commits``); the work still open on one
    # is the production made for it, or the stock it waits for (a backorder). An order whose
    # goods are reserved in full only waits to be shipped: no T-3.
    horizon = today + timedelta(
        days=max([rules.default, *rules.by_customer.values(), *rules.by_account.values()])
    )
    short = set(
        CommitDate.objects.filter(
            committed_on__lte=horizon, order__stock__status=OrderStockStatus.BACKORDER
        )
        .exclude(order__status__in=SHIPPED | GONE)
        .values_list("order_id", flat=True)
    )
    commits = dict(
        CommitDate.objects.filter(order_id__in=list(set(by_customer) | short)).values_list(
            "order_id", "committed_on"
        )
    )
    ids = set(by_customer) | short
    touched = 0
    for order in Order.objects.filter(pk__in=ids).exclude(status__in=SHIPPED | GONE):
        made = by_customer.get(order.pk, [])
        due = commits.get(order.pk) or min((m.due for m in made), default=None)
        if due is None or due - timedelta(days=rules.days(order)) > today:
            continue
        open_work = {m.number: unfinished[m.pk] for m in made if m.pk in unfinished}
        if not open_work and order.pk not in short:
            continue
        lines = list(order.lines.values_list("sku_code", "quantity"))
        projected = max((w["projected_finish"] for w in open_work.values()), default=None)
        open_exception(
            "t3",
            key=f"t3:order:{order.pk}",
            title=_("T-3: order %(order)s due %(due)s has work unfinished")
            % {"order": order.external_id, "due": due.isoformat()},
            figures={
                "due": due.isoformat(),
                "production": open_work,
                "lines": [[code, qty] for code, qty in lines],
                "projected_finish": projected,
            },
            actor=actor,
            customer_order_id=order.pk,
            production_order_id=made[0].pk if made else None,
            now=now,
        )
        touched += 1
    return touched


def _close_done(actor: Actor) -> None:
    """T-3 of production orders for stock that completed; of customer orders that shipped."""
    for exc in (
        FloorException.objects.filter(type__code="t3")
        .exclude(status=ExceptionStatus.CLOSED)
        .select_related("production_order", "customer_order")
    ):
        if exc.customer_order is not None:
            if exc.customer_order.status in SHIPPED | GONE:
                close_by_system(exc, reason="shipped", actor=actor)
        elif (
            exc.production_order is not None and exc.production_order.status not in OPEN_PRODUCTION
        ):
            close_by_system(exc, reason="completed", actor=actor)


def close_shipped(changes: Sequence[OrderChange], actor: Actor) -> None:
    """Orders effect: an order that shipped closes its T-3 loop in the same transaction.
    An order seen for the first time has no loop open (an import's orders arrive shipped)."""
    shipped = [
        c.order.pk
        for c in changes
        if not c.first_seen and c.order.status in SHIPPED and c.status_changed
    ]
    if not shipped:
        return
    for exc in FloorException.objects.filter(
        type__code="t3", customer_order_id__in=shipped
    ).exclude(status=ExceptionStatus.CLOSED):
        close_by_system(exc, reason="shipped", actor=actor)


def answer_t3(
    exception_id: int, *, user: Any, recovery: str, action: str = "", new_date: str = ""
) -> FloorException:
    """The owner's answer: a recovery with what will be done, or a new agreed date (which
    moves the order's commit date and closes the loop)."""
    if recovery not in Recovery.values:
        raise FloorError("recovery", _("choose a recovery or a new agreed date"))
    now = timezone.now()
    actor = Actor.for_user(user)
    with transaction.atomic():
        exc = FloorException.objects.select_for_update().get(pk=exception_id)
        if exc.status == ExceptionStatus.CLOSED:
            raise FloorError("step", _("the T-3 loop is closed"), conflict=True)
        if not (is_owner(exc, user) or user.has_perm("floor.verify_exception")):
            raise FloorError("step", _("only the owner or a supervisor answers"), conflict=True)
        if recovery == Recovery.NEW_DATE:
            try:
                agreed = date.fromisoformat(new_date)
            except ValueError:
                raise FloorError(
                    "new_date", _("give the new date agreed with the customer")
                ) from None
            exc.new_date, exc.recovery = agreed, recovery
            exc.cause = exc.cause or _("Not finished three days before it was due")
            exc.action = action or _("New date agreed with the customer: %(d)s") % {"d": agreed}
            exc.save()
            if exc.customer_order_id:
                first = exc.figures.get("due")
                _agree(
                    exc.customer_order_id,
                    agreed,
                    actor,
                    date.fromisoformat(first) if first else agreed,
                )
            elif exc.production_order_id:
                ProductionOrder.objects.filter(pk=exc.production_order_id).update(due=agreed)
            ExceptionEvent.objects.create(
                exception=exc,
                kind="answered",
                actor_label=actor.label,
                actor_user_id=actor.user_id,
                data={"recovery": recovery, "new_date": agreed.isoformat()},
            )
            close_by_system(exc, reason="new date agreed", actor=actor)
            return exc
        if not action.strip():
            raise FloorError("action", _("say what will be done"))
        exc.recovery, exc.action = recovery, action.strip()
        exc.cause = exc.cause or _("Not finished three days before it was due")
        exc.status = ExceptionStatus.IN_WORK
        exc.acknowledged_at = exc.acknowledged_at or now
        due = exc.figures.get("due")
        if due:  # answered: it escalates again only if the order is still open when due
            exc.resolve_by = max(
                exc.resolve_by,
                timezone.make_aware(datetime.combine(date.fromisoformat(due), datetime.min.time())),
            )
        exc.save()
        ExceptionEvent.objects.create(
            exception=exc,
            kind="answered",
            actor_label=actor.label,
            actor_user_id=actor.user_id,
            data={"recovery": recovery, "action": exc.action},
        )
    return exc


def _agree(order_id: int, agreed: date, actor: Actor, first: date) -> None:
    agree_new_date(order_id, agreed, actor, first=first)
