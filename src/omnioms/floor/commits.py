"""The date committed to the customer, written for every customer order when it arrives.

An orders effect (subscribed in :class:`~omnioms.floor.apps.FloorConfig`) gives each order
without a :class:`~omnioms.floor.models.CommitDate` one, in the transaction that wrote it:

1. the channel's own deadline, where the order carries one (``ship_by`` of the normalised
   order: Douyin ``exp_ship_time``, Amazon ``LatestShipDate``), as a day of the account's zone;
2. else the promise days of the account's :class:`~omnioms.floor.models.PromiseRule` (or the
   default rule, or 3 days) after the day it was placed, in working days of the rule's calendar
   when it has one;
3. else (a rule whose days are empty, for orders keyed in at a counter) what
   available-to-promise says (``planning.promise.promise_date`` for each line, the latest of
   them): the day it was placed when the stock is there, else the day incoming stock, planned
   production or free capacity covers it; the default promise when nothing does.

Written once: a re-delivered order, or a later version with another deadline, changes nothing.
After that the date moves only by agreement with the customer (:func:`omnioms.floor.t3.answer_t3`
or :func:`agree_new_date`), which keeps the first date beside it. Orders that arrive cancelled
get none.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.catalog.models import Sku
from omnioms.channels.models import ChannelAccount
from omnioms.core.actor import Actor
from omnioms.core.bulk import bulk_insert, new_rows
from omnioms.core.choices import OrderStatus
from omnioms.floor.domain import FloorError
from omnioms.floor.models import CommitDate, CommitSource, PromiseRule
from omnioms.orders.effects import OrderChange
from omnioms.orders.models import Order, OrderLine
from omnioms.production.domain import CalendarSpec
from omnioms.production.models import Calendar
from omnioms.production.services import calendar_spec

DEFAULT_PROMISE_DAYS = 3
GONE = {OrderStatus.CANCELLED, OrderStatus.REFUNDED}
MAX_WORKING_DAY_SEARCH = 3660
"""A calendar without a single working day in ten years is not a calendar to count in."""


@dataclass(frozen=True)
class Promise:
    days: int | None
    calendar: CalendarSpec | None


def _promises(account_ids: set[int]) -> tuple[dict[int, Promise], Promise]:
    rows = list(
        PromiseRule.objects.filter(Q(account_id__in=list(account_ids)) | Q(account__isnull=True))
    )
    calendars = {
        c.pk: calendar_spec(c)
        for c in Calendar.objects.filter(pk__in={r.calendar_id for r in rows if r.calendar_id})
    }

    def promise(rule: PromiseRule) -> Promise:
        return Promise(rule.promise_days, calendars.get(rule.calendar_id or 0))

    default = next(
        (promise(r) for r in rows if r.account_id is None),
        Promise(DEFAULT_PROMISE_DAYS, None),
    )
    return {r.account_id: promise(r) for r in rows if r.account_id is not None}, default


def add_working_days(start: date, days: int, calendar: CalendarSpec | None) -> date:
    """``days`` after ``start``: calendar days without a calendar, else days the calendar
    works (a shift on that day's pattern; holidays skipped, make-up days counted)."""
    if calendar is None:
        return start + timedelta(days=days)
    working = {shift.weekday for shift in calendar.shifts}
    day, left = start, days
    for _step in range(MAX_WORKING_DAY_SEARCH):
        if left == 0:
            return day
        day += timedelta(days=1)
        pattern = calendar.pattern_of(day)
        if pattern is not None and pattern in working:
            left -= 1
    raise FloorError("calendar", _("the calendar has no working days to count in"))


def _local_day(moment: datetime, zone: str) -> date:
    try:
        return moment.astimezone(ZoneInfo(zone)).date()
    except (KeyError, ValueError):
        return timezone.localdate(moment)


def ship_by(order: Order) -> datetime | None:
    """The channel's deadline in the order's normalised form, if it has one."""
    return snapshot_time(order, "ship_by")


def snapshot_time(order: Order, name: str) -> datetime | None:
    """An optional time of the order's normalised form (``ship_by``, ``shipped_at``), if it
    has it. The intake hands the form over as its JSON text: parsed only when the key is in
    it."""
    snapshot: Any = order.normalized or {}
    if isinstance(snapshot, str):
        if f'"{name}"' not in snapshot:
            return None
        snapshot = json.loads(snapshot)
    value = snapshot.get(name)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def commit_date_for(
    order: Order, zone: str, promise: Promise, available_on: date | None
) -> tuple[date, str]:
    """The date to commit for ``order`` (its account in ``zone``) and where it came from (a
    :class:`CommitSource`)."""
    deadline = ship_by(order)
    if deadline is not None:
        return _local_day(deadline, zone), CommitSource.CHANNEL
    placed = _local_day(order.placed_at, zone)
    if promise.days is not None:
        return add_working_days(placed, promise.days, promise.calendar), CommitSource.PROMISE_DAYS
    if available_on is None:  # nothing known that covers it: the default promise
        return placed + timedelta(days=DEFAULT_PROMISE_DAYS), CommitSource.PROMISE_DAYS
    return max(available_on, placed), CommitSource.AVAILABLE


def _available_to_promise(orders: list[Order]) -> dict[int, date | None]:
    """Per order, the day its lines can all be delivered (``planning.promise``: stock, then
    incoming stock and planned production, then free capacity), counted from the day it was
    placed; None when a line cannot be promised. Lines without a catalogue SKU are left out."""
    if not orders:
        return {}
    # Imported here: promise reads plans through the scheduling engine (OR-Tools), which every
    # process would otherwise load at start (this module is loaded when the app is ready).
    from omnioms.planning.promise import promise_date

    wanted: dict[int, dict[int, int]] = {}
    for order_id, sku_id, quantity in OrderLine.objects.filter(
        order_id__in=[o.pk for o in orders], sku__isnull=False
    ).values_list("order_id", "sku_id", "quantity"):
        per_sku = wanted.setdefault(order_id, {})
        per_sku[sku_id] = per_sku.get(sku_id, 0) + quantity
    skus = Sku.objects.in_bulk({s for lines in wanted.values() for s in lines})
    out: dict[int, date | None] = {}
    for order in orders:
        day = timezone.localdate(order.placed_at)
        found = [
            promise_date(skus[sku_id], quantity, today=day).date
            for sku_id, quantity in wanted.get(order.pk, {}).items()
            if quantity > 0
        ]
        out[order.pk] = None if None in found else max([day, *[d for d in found if d]])
    return out


def write_commit_dates(changes: Sequence[OrderChange], actor: Actor) -> None:
    """Orders effect: every order without a commit date gets one (idempotent)."""
    candidates = {c.order.pk: c.order for c in changes if c.order.status not in GONE}
    if not candidates:
        return
    # An order seen for the first time has no date yet; the others may have one.
    seen = [c.order.pk for c in changes if not c.first_seen and c.order.pk in candidates]
    have = set(CommitDate.objects.filter(order_id__in=seen).values_list("order_id", flat=True))
    new = [order for pk, order in candidates.items() if pk not in have]
    if not new:
        return
    by_account, default = _promises({o.account_id for o in new})
    available = _available_to_promise(
        [
            o
            for o in new
            if by_account.get(o.account_id, default).days is None and ship_by(o) is None
        ]
    )
    zones = dict(
        ChannelAccount.objects.filter(pk__in={o.account_id for o in new}).values_list(
            "pk", "time_zone"
        )
    )
    row = new_rows(CommitDate)
    rows = []
    for order in new:
        committed, source = commit_date_for(
            order,
            zones.get(order.account_id, ""),
            by_account.get(order.account_id, default),
            available.get(order.pk),
        )
        rows.append(
            row(order_id=order.pk, committed_on=committed, original_on=committed, source=source)
        )
    # A race with another transaction writing the same order's date: the first one stays.
    bulk_insert(rows, returning_ids=False, ignore_conflicts=True)


def agree_new_date(order_id: int, agreed: date, actor: Actor, *, first: date | None = None) -> Any:
    """A new date agreed with the customer: the commit date moves to it, the first one kept."""
    with transaction.atomic():
        commit = CommitDate.objects.select_for_update().filter(order_id=order_id).first()
        if commit is None:
            return CommitDate.objects.create(
                order_id=order_id,
                committed_on=agreed,
                original_on=first or agreed,
                source=CommitSource.AGREED,
                agreed_at=timezone.now(),
                agreed_by=actor.label[:200],
            )
        commit.committed_on, commit.agreed_at = agreed, timezone.now()
        commit.agreed_by = actor.label[:200]
        commit.save(update_fields=["committed_on", "agreed_at", "agreed_by"])
        return commit
