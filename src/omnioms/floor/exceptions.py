"""Exceptions with the three elements (三要素): a standard, a constraint, an owner.

An exception opens when a gap passes its type's tolerance (the daily close, the T-3 scan), is
owned by the person or role its type names for the work centre or product line (or the
type's default), and goes::

    open → acknowledged → in work (cause, action, due) → resolved → closed (verified)

Closing is a verification by someone other than the owner holding ``floor.verify_exception``,
and needs a cause and an action. A T-3 exception closes when its order ships or a new date
is agreed. Every step writes an :class:`ExceptionEvent`. :func:`escalate_due` (a worker step)
moves exceptions past their acknowledge or resolve time up the type's chain, one level each
time its hours pass, telling the people at that level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.core.actor import Actor
from omnioms.floor.domain import FloorError
from omnioms.floor.models import (
    OPEN_STATUSES,
    EscalationStep,
    ExceptionEvent,
    ExceptionOwner,
    ExceptionStatus,
    ExceptionType,
    FloorException,
)
from omnioms.floor.notify import notify, notify_many


def owner_for(
    kind: ExceptionType, *, work_center_id: int | None, family_id: int | None
) -> tuple[str, int | None]:
    """(role, user id) owning ``kind``'s exceptions at a work centre / product line: the most
    specific owner row (work centre and line, then work centre, then line), else the type's."""
    rows = ExceptionOwner.objects.filter(type=kind).filter(
        Q(work_center_id=work_center_id) | Q(work_center__isnull=True),
        Q(family_id=family_id) | Q(family__isnull=True),
    )
    return _pick_owner(kind, list(rows), work_center_id, family_id)


def _pick_owner(
    kind: ExceptionType,
    rows: list[ExceptionOwner],
    work_center_id: int | None,
    family_id: int | None,
) -> tuple[str, int | None]:
    """:func:`owner_for` among ``rows`` (the type's owner rows) already read."""
    fitting = [
        r
        for r in rows
        if r.work_center_id in (None, work_center_id) and r.family_id in (None, family_id)
    ]
    fitting.sort(key=lambda r: (r.work_center_id is None, r.family_id is None))
    if fitting:
        return fitting[0].role, fitting[0].user_id
    return kind.owner_role, kind.owner_user_id


def _event(exc: FloorException, kind: str, actor: Actor, **data: Any) -> None:
    ExceptionEvent.objects.create(
        exception=exc,
        kind=kind,
        actor_label=actor.label[:200],
        actor_user_id=actor.user_id,
        data=data,
    )


def open_exception(
    code: str,
    *,
    key: str,
    title: str,
    figures: dict[str, Any],
    actor: Actor,
    production_order_id: int | None = None,
    customer_order_id: int | None = None,
    work_center_id: int | None = None,
    family_id: int | None = None,
    day: date | None = None,
    now: datetime | None = None,
) -> FloorException | None:
    """Open an exception of type ``code`` about ``key`` unless one is open already (then its
    figures are brought up to date). None when the type is unknown or switched off."""
    kind = ExceptionType.objects.filter(code=code, is_active=True).first()
    if kind is None:
        return None
    existing = FloorException.objects.filter(key=key).exclude(status=ExceptionStatus.CLOSED).first()
    if existing is not None:
        if existing.figures != figures:
            existing.figures = figures
            existing.save(update_fields=["figures"])
        return existing
    now = now or timezone.now()
    role, user_id = owner_for(kind, work_center_id=work_center_id, family_id=family_id)
    try:
        with transaction.atomic():
            exc = FloorException.objects.create(
                type=kind,
                key=key,
                title=title[:300],
                figures=figures,
                production_order_id=production_order_id,
                customer_order_id=customer_order_id,
                work_center_id=work_center_id,
                day=day,
                owner_role=role,
                owner_user_id=user_id,
                opened_at=now,
                acknowledge_by=now + timedelta(hours=kind.hours_to_acknowledge),
                resolve_by=now + timedelta(hours=kind.hours_to_resolve),
            )
            _event(exc, "opened", actor, figures=figures)
    except IntegrityError:  # opened by another process meanwhile
        return FloorException.objects.filter(key=key).exclude(status=ExceptionStatus.CLOSED).first()
    notify(exc, _("New exception: %(title)s") % {"title": exc.title}, role=role, user_id=user_id)
    return exc


@dataclass(frozen=True)
class NewException:
    """One exception :func:`open_exceptions` is asked to open (the arguments of
    :func:`open_exception`)."""

    code: str
    key: str
    title: str
    figures: dict[str, Any]
    production_order_id: int | None = None
    customer_order_id: int | None = None
    work_center_id: int | None = None
    family_id: int | None = None
    day: date | None = None


def open_exceptions(
    wanted: list[NewException], *, actor: Actor, now: datetime | None = None
) -> list[FloorException]:
    """Open many exceptions at once, as :func:`open_exception` opens one: the same owner, due
    times, ``opened`` event and notifications, but the types, owners, open keys and people
    are read once and the rows written in a few inserts, in one transaction. A key already
    open has its figures brought up to date. Returns the exceptions opened."""
    now = now or timezone.now()
    kinds = {
        k.code: k
        for k in ExceptionType.objects.filter(code__in={w.code for w in wanted}, is_active=True)
    }
    unique: dict[str, NewException] = {}
    for item in wanted:
        if item.code in kinds:
            unique.setdefault(item.key, item)
    if not unique:
        return []
    already = {
        exc.key: exc
        for exc in FloorException.objects.filter(key__in=list(unique)).exclude(
            status=ExceptionStatus.CLOSED
        )
    }
    changed = []
    for key, exc in already.items():
        if exc.figures != unique[key].figures:
            exc.figures = unique[key].figures
            changed.append(exc)
    owners: dict[int, list[ExceptionOwner]] = {}
    for row in ExceptionOwner.objects.filter(type__in=[k.pk for k in kinds.values()]):
        owners.setdefault(row.type_id, []).append(row)
    rows = []
    for item in unique.values():
        if item.key in already:
            continue
        kind = kinds[item.code]
        role, user_id = _pick_owner(
            kind, owners.get(kind.pk, []), item.work_center_id, item.family_id
        )
        rows.append(
            FloorException(
                type=kind,
                key=item.key,
                title=item.title[:300],
                figures=item.figures,
                production_order_id=item.production_order_id,
                customer_order_id=item.customer_order_id,
                work_center_id=item.work_center_id,
                day=item.day,
                owner_role=role,
                owner_user_id=user_id,
                opened_at=now,
                acknowledge_by=now + timedelta(hours=kind.hours_to_acknowledge),
                resolve_by=now + timedelta(hours=kind.hours_to_resolve),
            )
        )
    try:
        with transaction.atomic():
            FloorException.objects.bulk_update(changed, ["figures"], batch_size=500)
            created = FloorException.objects.bulk_create(rows, batch_size=500)
            ExceptionEvent.objects.bulk_create(
                (
                    ExceptionEvent(
                        exception=exc,
                        kind="opened",
                        actor_label=actor.label[:200],
                        actor_user_id=actor.user_id,
                        data={"figures": exc.figures},
                    )
                    for exc in created
                ),
                batch_size=1000,
            )
            notify_many(
                [
                    (
                        exc,
                        _("New exception: %(title)s") % {"title": exc.title},
                        exc.owner_role,
                        exc.owner_user_id,
                    )
                    for exc in created
                ]
            )
    except IntegrityError:  # a key opened by another process meanwhile: one at a time
        opened = []
        for item in unique.values():
            found = open_exception(
                item.code,
                key=item.key,
                title=item.title,
                figures=item.figures,
                actor=actor,
                production_order_id=item.production_order_id,
                customer_order_id=item.customer_order_id,
                work_center_id=item.work_center_id,
                family_id=item.family_id,
                day=item.day,
                now=now,
            )
            if found is not None and item.key not in already and found.opened_at == now:
                opened.append(found)
        return opened
    return created


def is_owner(exc: FloorException, user: Any) -> bool:
    if exc.owner_user_id is not None:
        return exc.owner_user_id == user.pk
    return (
        bool(exc.owner_role)
        and isinstance(user, User)
        and user.groups.filter(name=exc.owner_role).exists()
    )


def _due(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FloorError("due", _("%(v)r is not a date (YYYY-MM-DD)") % {"v": text}) from None


def take_step(
    exception_id: int,
    *,
    step: str,
    user: Any,
    cause: str = "",
    action: str = "",
    due: str = "",
    note: str = "",
    recovery: str = "",
    new_date: str = "",
) -> FloorException:
    """One step of the lifecycle by ``user``; :class:`FloorError` names what is missing."""
    actor = Actor.for_user(user)
    now = timezone.now()
    with transaction.atomic():
        exc = FloorException.objects.select_for_update().select_related("type").get(pk=exception_id)
        status = exc.status
        if step == "acknowledge":
            _expect(exc, ExceptionStatus.OPEN)
            exc.status, exc.acknowledged_at = ExceptionStatus.ACKNOWLEDGED, now
        elif step == "work":
            _expect(
                exc, ExceptionStatus.OPEN, ExceptionStatus.ACKNOWLEDGED, ExceptionStatus.IN_WORK
            )
            if not cause.strip() or not action.strip():
                raise FloorError("cause", _("give the cause and the action"))
            exc.cause, exc.action = cause.strip(), action.strip()
            exc.action_due = _due(due) or exc.action_due
            exc.acknowledged_at = exc.acknowledged_at or now
            exc.status = ExceptionStatus.IN_WORK
        elif step == "resolve":
            _expect(exc, ExceptionStatus.IN_WORK)
            exc.status, exc.resolved_at = ExceptionStatus.RESOLVED, now
        elif step == "close":
            _expect(exc, ExceptionStatus.RESOLVED)
            _may_verify(exc, user)
            if not exc.cause or not exc.action:
                raise FloorError("cause", _("an exception closes only with a cause and an action"))
            exc.status, exc.closed_at, exc.closed_by_id = ExceptionStatus.CLOSED, now, user.pk
        elif step == "reopen":
            _expect(exc, ExceptionStatus.RESOLVED)
            _may_verify(exc, user)
            exc.status, exc.resolved_at = ExceptionStatus.IN_WORK, None
        else:
            raise FloorError("step", _("%(s)r is not a step") % {"s": step})
        exc.save()
        _event(exc, step, actor, before=status, cause=cause, action=action, due=due, note=note)
    if step in ("resolve", "reopen"):
        text = _("%(title)s: %(step)s") % {"title": exc.title, "step": step}
        notify(
            exc,
            text,
            role="supervisor" if step == "resolve" else exc.owner_role,
            user_id=None if step == "resolve" else exc.owner_user_id,
        )
    return exc


def _expect(exc: FloorException, *statuses: str) -> None:
    if exc.status not in statuses:
        raise FloorError(
            "step",
            _("the exception is %(status)s") % {"status": exc.get_status_display()},
            conflict=True,
        )


def _may_verify(exc: FloorException, user: Any) -> None:
    if not user.has_perm("floor.verify_exception"):
        raise FloorError("step", _("only a supervisor verifies and closes"), conflict=True)
    if exc.owner_user_id == user.pk:
        raise FloorError("step", _("the owner's supervisor verifies, not the owner"), conflict=True)


def close_by_system(exc: FloorException, *, reason: str, actor: Actor, **data: Any) -> None:
    """Close a T-3 exception because its condition is gone (the order shipped, a new date)."""
    exc.status, exc.closed_at = ExceptionStatus.CLOSED, timezone.now()
    exc.save(update_fields=["status", "closed_at"])
    _event(exc, "closed", actor, reason=reason, **data)


def listed(view: str, *, now: datetime | None = None) -> QuerySet[FloorException]:
    now = now or timezone.now()
    rows = FloorException.objects.all()
    if view == "closed":
        return rows.filter(status=ExceptionStatus.CLOSED)
    rows = rows.filter(status__in=OPEN_STATUSES)
    if view == "overdue":
        return rows.filter(
            Q(status=ExceptionStatus.OPEN, acknowledge_by__lt=now)
            | Q(~Q(status=ExceptionStatus.RESOLVED), resolve_by__lt=now)
        )
    if view == "escalated":
        return rows.filter(escalation_level__gt=0)
    return rows


def _overdue_since(exc: FloorException) -> datetime:
    if exc.status == ExceptionStatus.OPEN:
        return min(exc.acknowledge_by, exc.resolve_by)
    return exc.resolve_by


def escalate_due(now: datetime | None = None) -> int:
    """Move every overdue, unresolved exception one level up its chain when that level's
    hours have passed (a worker step; at most one level per exception per call)."""
    now = now or timezone.now()
    moved = 0
    candidates = FloorException.objects.filter(
        Q(status=ExceptionStatus.OPEN, acknowledge_by__lt=now)
        | Q(status__in=[ExceptionStatus.ACKNOWLEDGED, ExceptionStatus.IN_WORK], resolve_by__lt=now)
    ).select_related("type")[:500]
    chains: dict[int, list[EscalationStep]] = {}
    for exc in candidates:
        chain = chains.setdefault(exc.type_id, list(exc.type.chain.all()))
        step = next((s for s in chain if s.level == exc.escalation_level + 1), None)
        if step is None or now < _overdue_since(exc) + timedelta(hours=step.after_hours):
            continue
        with transaction.atomic():
            updated = FloorException.objects.filter(
                pk=exc.pk, escalation_level=exc.escalation_level
            ).update(escalation_level=step.level, escalated_at=now)
            if not updated:
                continue
            exc.escalation_level = step.level
            _event(
                exc,
                "escalated",
                Actor.system("escalation"),
                level=step.level,
                to=step.user.get_username() if step.user else step.role,
            )
            notify(
                exc,
                _("Escalated (level %(level)s): %(title)s")
                % {"level": step.level, "title": exc.title},
                role=step.role,
                user_id=step.user_id,
            )
        moved += 1
    return moved
