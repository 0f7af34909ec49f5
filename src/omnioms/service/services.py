"""Use cases of customer service: tickets opened from messages and after-sales requests,
replies, notes, changes, merges, assignment. Each writes its ``TicketEvent`` rows in the same
transaction; the outermost caller owns the transaction (``transaction.atomic`` here when none)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnioms.channels.contract import Buyer
from omnioms.core.actor import Actor
from omnioms.customers.models import Customer
from omnioms.customers.services import resolve_customers
from omnioms.orders.models import Order, OrderLine
from omnioms.service import batch, domain, search, sla
from omnioms.service.models import (
    AgentState,
    AssignmentRule,
    Attachment,
    ContactKind,
    Conversation,
    Delivery,
    Direction,
    MediaFetch,
    Message,
    Priority,
    Source,
    SourceKind,
    Tag,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketOrder,
    TicketStatus,
    TicketType,
)
from omnioms.service.sources.base import AfterSaleRequest, ServiceMessage, guess_language

REPLY_LIMIT = 20_000


class TicketError(ValueError):
    """A change a person asked for that cannot be made; the message names the field."""


def _event(
    ticket: Ticket, kind: str, actor: Actor, *, at: datetime | None = None, **data: Any
) -> TicketEvent:
    return TicketEvent(
        ticket=ticket,
        kind=kind,
        at=at or timezone.now(),
        actor_label=actor.label,
        actor_user_id=actor.user_id,
        data=data,
    )


def event(
    ticket: Ticket, kind: str, actor: Actor, *, at: datetime | None = None, **data: Any
) -> TicketEvent:
    """Write one event of the ticket's history (``at``: when it happened, default now)."""
    made = _event(ticket, kind, actor, at=at, **data)
    made.save()
    return made


def _root(customer_id: int | None) -> int | None:
    """The surviving customer when ``customer_id`` was merged into another."""
    seen = 0
    while customer_id is not None and seen < 10:
        merged = Customer.objects.filter(pk=customer_id).values_list("merged_into", flat=True)
        target = merged[0] if merged else None
        if target is None:
            return customer_id
        customer_id, seen = target, seen + 1
    return customer_id


def customer_for(
    platform: str, *, email: str = "", buyer_id: str = "", name: str = ""
) -> int | None:
    """The customer behind a contact, found (or created) the way orders find them."""
    buyer = Buyer(name=name or None, email=email or None, channel_buyer_id=buyer_id or None)
    match = resolve_customers(platform, [(buyer, None)])
    return _root(match.ids[0])


def _new_ticket(
    source: Source,
    *,
    subject: str,
    channel: str,
    language: str,
    customer_id: int | None,
    actor: Actor,
    ticket_type: str = TicketType.QUESTION,
    priority: str = Priority.NORMAL,
    external_ref: str | None = None,
    platform_due_at: datetime | None = None,
    now: datetime | None = None,
    customer: Customer | None = None,
) -> Ticket:
    """Insert a ticket with its number, events, assignment and SLA policy. Its number,
    team, assignee and policy are set on the object only: every caller goes on to record the
    customer's message (``customer_wrote``), which computes the due times and saves it (one
    UPDATE instead of one per step)."""
    now = now or timezone.now()
    ticket = Ticket.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:16]}",
        subject=subject[:300],
        channel=channel,
        language=language,
        source=source,
        customer_id=customer_id,
        ticket_type=ticket_type,
        priority=priority,
        external_ref=external_ref,
        platform_due_at=platform_due_at,
        created_at=now,
        updated_at=now,
    )
    if customer is not None and customer.pk == customer_id:
        ticket.customer = customer  # already read: choosing the policy need not read it again
    ticket.number = f"T-{ticket.pk:06d}"
    events = [
        _event(ticket, TicketEventKind.CREATED, actor, at=now, channel=channel, type=ticket_type)
    ]
    assign_ticket(ticket, actor=actor, save=False, events=events)
    TicketEvent.objects.bulk_create(events)
    ticket.sla_policy = sla.choose_policy(ticket)
    return ticket


def channel_of(source: Source) -> str:
    if source.kind == SourceKind.AFTERSALES and source.account is not None:
        return source.account.platform
    return str(source.kind)


# ----------------------------------------------------------------------------------------------
# Messages in


def receive_message(
    source: Source, message: ServiceMessage, *, now: datetime | None = None
) -> tuple[Ticket, bool]:
    """Add a customer's message to its conversation's ticket, or open one. A solved ticket is
    reopened; a closed one gives way to a new ticket. Returns the ticket and whether it is new.
    Call inside a transaction."""
    now = now or timezone.now()
    actor = Actor.channel(source.name)
    keys = [message.thread_key, *message.references, message.in_reply_to]
    conversation = (
        Conversation.objects.select_related("ticket")
        .filter(source=source, thread_key__in=[k for k in keys if k])
        .order_by("-pk")
        .first()
    )
    if conversation is None and message.in_reply_to:
        # A reply to one of our own messages (its Message-ID is ours, not the thread's key).
        replied = (
            Message.objects.filter(
                conversation__source=source,
                external_id__in=[message.in_reply_to, *message.references],
            )
            .select_related("conversation__ticket")
            .first()
        )
        conversation = replied.conversation if replied else None
    ticket = conversation.ticket if conversation is not None else None
    while ticket is not None and ticket.merged_into_id is not None:
        ticket = ticket.merged_into
    opened = False
    if ticket is None or ticket.status == TicketStatus.CLOSED:
        platform = "email" if source.kind == SourceKind.EMAIL else str(source.kind)
        customer_id = customer_for(
            platform,
            email=message.contact if source.kind == SourceKind.EMAIL else "",
            buyer_id=message.contact if source.kind != SourceKind.EMAIL else "",
            name=message.contact_name,
        )
        ticket = _new_ticket(
            source,
            subject=message.subject or message.text[:80],
            channel=channel_of(source),
            language=guess_language(f"{message.subject} {message.text}"),
            customer_id=customer_id,
            actor=actor,
            now=now,
        )
        opened = True
    if conversation is None or conversation.ticket_id != ticket.pk:
        conversation = Conversation.objects.create(
            ticket=ticket,
            source=source,
            thread_key=message.thread_key,
            contact=message.contact[:300],
            contact_name=message.contact_name[:200],
            subject=message.subject[:300],
        )
    stored = Message.objects.create(
        conversation=conversation,
        direction=Direction.INBOUND,
        at=message.at,
        sender=message.contact[:300],
        subject=message.subject[:300],
        body=message.text,
        external_id=message.external_id[:300],
        in_reply_to=message.in_reply_to[:300],
        references=" ".join(message.references),
    )
    Attachment.objects.bulk_create(
        Attachment(
            message=stored,
            filename=a.filename[:255],
            content_type=a.content_type[:100],
            size=len(a.data),
            sha256=hashlib.sha256(a.data).hexdigest(),
            data=a.data,
        )
        for a in message.attachments
    )
    if message.media:
        MediaFetch.objects.bulk_create(
            MediaFetch(
                message=stored,
                media_id=m.media_id[:300],
                kind=m.kind[:20],
                filename=m.filename[:255],
                next_attempt_at=now,
            )
            for m in message.media
        )
    customer_wrote(ticket, actor=actor, at=message.at, now=now)
    search.index_tickets([ticket.pk])
    return ticket, opened


def customer_wrote(ticket: Ticket, *, actor: Actor, at: datetime, now: datetime) -> None:
    """The customer is owed a reply: a solved ticket reopens, a waiting one waits on us."""
    ticket.last_inbound_at = at
    if ticket.awaiting_reply_since is None:
        ticket.awaiting_reply_since = at
    if ticket.status == TicketStatus.SOLVED:
        ticket.reopen_count += 1
        event(ticket, TicketEventKind.REOPENED, actor, at=now)
        _set_status(ticket, TicketStatus.OPEN, actor=actor, now=now)
    elif ticket.status == TicketStatus.WAITING_CUSTOMER:
        _set_status(ticket, TicketStatus.WAITING_US, actor=actor, now=now)
    ticket.updated_at = now
    sla.refresh(ticket, now=now, save=False)
    ticket.save()


def receive_aftersale(
    source: Source, request: AfterSaleRequest, *, now: datetime | None = None
) -> tuple[Ticket, bool]:
    """Open (or update) the ticket of a marketplace's refund or return request, tied to the
    order and lines it names. Call inside a transaction."""
    now = now or timezone.now()
    actor = Actor.channel(source.name)
    order = (
        Order.objects.filter(account=source.account, external_id=request.order_external_id)
        .select_related("customer")
        .first()
    )
    ticket = Ticket.objects.filter(source=source, external_ref=request.reference).first()
    opened = ticket is None
    if ticket is None:
        customer = order.customer if order is not None else None
        customer_id = (
            customer.pk
            if customer is not None and customer.merged_into_id is None
            else _root(customer.pk)
            if customer is not None
            else None
        )
        if customer_id is None and request.buyer_id:
            customer_id = customer_for(channel_of(source), buyer_id=request.buyer_id)
        ticket = _new_ticket(
            source,
            subject=str(
                _("%(kind)s request %(reference)s on order %(order)s")
                % {
                    "kind": TicketType(request.kind).label,
                    "reference": request.reference,
                    "order": request.order_external_id,
                }
            ),
            channel=channel_of(source),
            language=source.language,
            customer_id=customer_id,
            actor=actor,
            ticket_type=request.kind,
            priority=Priority.HIGH,
            external_ref=request.reference,
            platform_due_at=request.deadline,
            now=now,
            customer=customer,
        )
        if order is not None:
            _link_lines(ticket, order, request)
    elif request.deadline != ticket.platform_due_at:
        ticket.platform_due_at = request.deadline
    if opened:  # a new ticket has no conversation yet
        conversation = Conversation.objects.create(
            ticket=ticket,
            source=source,
            thread_key=request.reference,
            contact=request.buyer_id[:300],
            subject=ticket.subject,
        )
    else:
        conversation, _made = Conversation.objects.get_or_create(
            ticket=ticket,
            source=source,
            thread_key=request.reference,
            defaults={"contact": request.buyer_id[:300], "subject": ticket.subject},
        )
    Message.objects.create(
        conversation=conversation,
        direction=Direction.INBOUND,
        at=request.at,
        sender=request.buyer_id[:300],
        body=request.summary(),
        external_id=request.event_id[:300],
    )
    if request.closed and ticket.is_open:
        _set_status(ticket, TicketStatus.SOLVED, actor=actor, now=now)
        sla.refresh(ticket, now=now, save=False)
        ticket.save()
    else:
        customer_wrote(ticket, actor=actor, at=request.at, now=now)
    search.index_tickets([ticket.pk])
    return ticket, opened


def _link_lines(ticket: Ticket, order: Order, request: AfterSaleRequest) -> None:
    lines = {line.external_line_id: line for line in order.lines.all()}
    by_sku = {line.sku_code: line for line in lines.values() if line.sku_code}
    links = []
    for wanted in request.lines:
        line = lines.get(wanted.external_line_id or "") or by_sku.get(wanted.sku or "")
        links.append(TicketOrder(ticket=ticket, order=order, line=line, quantity=wanted.quantity))
    TicketOrder.objects.bulk_create(links or [TicketOrder(ticket=ticket, order=order)])


# ----------------------------------------------------------------------------------------------
# What agents do


def log_contact(
    *,
    customer_id: int | None,
    kind: str,
    text: str,
    actor: Actor,
    ticket_id: int | None = None,
    order_ids: Sequence[int] = (),
    ticket_type: str = TicketType.QUESTION,
) -> Ticket:
    """An agent logs a phone call or a store visit: a message on the ``manual`` source, on an
    existing ticket or a new one."""
    if kind not in (ContactKind.PHONE, ContactKind.STORE_VISIT):
        raise TicketError("kind: must be phone or store_visit")
    if not text.strip():
        raise TicketError("text: say what the customer said")
    now = timezone.now()
    with transaction.atomic():
        source, _made = Source.objects.get_or_create(
            name="manual", defaults={"kind": SourceKind.MANUAL, "display_name": "Phone and store"}
        )
        if ticket_id is not None:
            ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        else:
            ticket = _new_ticket(
                source,
                subject=text.strip().splitlines()[0][:80],
                channel=kind,
                language=guess_language(text),
                customer_id=customer_id,
                actor=actor,
                ticket_type=ticket_type,
                now=now,
            )
            for order_id in order_ids:
                TicketOrder.objects.create(ticket=ticket, order_id=order_id)
        conversation, _made = Conversation.objects.get_or_create(
            ticket=ticket, source=source, thread_key=f"manual-{ticket.pk}"
        )
        Message.objects.create(
            conversation=conversation,
            direction=Direction.INBOUND,
            contact_kind=kind,
            author_id=actor.user_id,
            body=text.strip(),
            at=now,
        )
        customer_wrote(ticket, actor=actor, at=now, now=now)
        search.index_tickets([ticket.pk])
    return ticket


def reply(
    ticket_id: int,
    text: str,
    *,
    actor: Actor,
    note: bool = False,
    conversation_id: int | None = None,
    now: datetime | None = None,
) -> Message:
    """Queue a reply on the channel the customer last wrote on (or add an internal note).
    The worker step ``service.send`` sends it after the commit."""
    text = text.strip()
    if not text:
        raise TicketError("text: is empty")
    if len(text) > REPLY_LIMIT:
        raise TicketError(f"text: at most {REPLY_LIMIT} characters")
    now = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        conversations = ticket.conversations.select_related("source")
        conversation = (
            conversations.filter(pk=conversation_id).first()
            if conversation_id
            else conversations.filter(messages__direction=Direction.INBOUND)
            .order_by("-messages__at")
            .first()
        ) or conversations.order_by("-pk").first()
        if conversation is None:
            raise TicketError("conversation: the ticket has none to answer on")
        # Phone calls and store visits are answered in person; a marketplace's after-sales
        # request is answered by the order's actions (agree, refuse), not by a message.
        manual = conversation.source.kind in (SourceKind.MANUAL, SourceKind.AFTERSALES)
        last_in = conversation.messages.filter(direction=Direction.INBOUND).order_by("-at").first()
        message = Message.objects.create(
            conversation=conversation,
            direction=Direction.NOTE if note else Direction.OUTBOUND,
            author_id=actor.user_id,
            body=text,
            at=now,
            subject=_reply_subject(conversation.subject) if not note else "",
            in_reply_to=last_in.external_id if last_in else "",
            references=(f"{last_in.references} {last_in.external_id}".strip() if last_in else ""),
            delivery=Delivery.NONE if note or manual else Delivery.QUEUED,
            next_attempt_at=None if note or manual else now,
        )
        if not note:
            if ticket.first_response_at is None:
                ticket.first_response_at = now
            ticket.awaiting_reply_since = None
            if ticket.status in (TicketStatus.NEW, TicketStatus.WAITING_US, TicketStatus.OPEN):
                _set_status(ticket, TicketStatus.WAITING_CUSTOMER, actor=actor, now=now)
        ticket.updated_at = now
        ticket.save()
        event(
            ticket,
            TicketEventKind.MESSAGE,
            actor,
            at=now,
            direction=message.direction,
            message=message.pk,
        )
        sla.refresh(ticket, now=now)
    return message


def _reply_subject(subject: str) -> str:
    if not subject or subject.lower().startswith(("re:", "回复")):
        return subject
    return f"Re: {subject}"[:300]


def _set_status(ticket: Ticket, status: str, *, actor: Actor, now: datetime) -> None:
    if ticket.status == status:
        return
    old = ticket.status
    sla.status_changing(ticket, old=old, new=status, now=now)
    ticket.status = status
    if status == TicketStatus.SOLVED:
        ticket.solved_at = now
    elif status != TicketStatus.CLOSED and old in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        ticket.solved_at = None  # reopened; a solved ticket that is closed keeps its time
    event(ticket, TicketEventKind.CHANGED, actor, at=now, field="status", old=old, new=status)


CHANGEABLE = ("status", "priority", "ticket_type", "assignee_id", "team_id")


def change_ticket(
    ticket_id: int,
    *,
    actor: Actor,
    tags: Iterable[str] | None = None,
    now: datetime | None = None,
    **changes: Any,
) -> Ticket:
    """Change a ticket's status, priority, type, assignee or team, and its tags; every change
    is one event with the old and new value."""
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise TicketError(f"{sorted(unknown)[0]}: cannot be changed")
    choices = {"status": TicketStatus, "priority": Priority, "ticket_type": TicketType}
    now = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        for name, value in changes.items():
            if name in choices and value not in choices[name].values:
                raise TicketError(
                    f"{name}: {value!r} is not one of {', '.join(choices[name].values)}"
                )
            if name == "status":
                if ticket.merged_into_id and value != TicketStatus.CLOSED:
                    raise TicketError("status: a merged ticket stays closed")
                _set_status(ticket, value, actor=actor, now=now)
                continue
            old = getattr(ticket, name)
            if old == value:
                continue
            setattr(ticket, name, value)
            event(ticket, TicketEventKind.CHANGED, actor, field=name, old=old, new=value)
        if tags is not None:
            wanted = {t.strip()[:50] for t in tags if t.strip()}
            before = set(ticket.tags.values_list("name", flat=True))
            if wanted != before:
                ticket.tags.set([Tag.objects.get_or_create(name=t)[0] for t in sorted(wanted)])
                event(
                    ticket,
                    TicketEventKind.CHANGED,
                    actor,
                    field="tags",
                    old=sorted(before),
                    new=sorted(wanted),
                )
        ticket.updated_at = now
        ticket.save()
        if "ticket_type" in changes:
            sla.start_clock(ticket, now=now, keep_opened=True)
        else:
            sla.refresh(ticket, now=now)
        search.index_tickets([ticket.pk])
    return ticket


def merge_tickets(merged_id: int, into_id: int, *, actor: Actor) -> Ticket:
    """Merge a ticket into another about the same problem: its conversations, orders and
    tags move; it closes and points at the survivor."""
    if merged_id == into_id:
        raise TicketError("into: a ticket cannot be merged into itself")
    now = timezone.now()
    with transaction.atomic():
        tickets = {
            t.pk: t
            for t in Ticket.objects.select_for_update()
            .filter(pk__in=[merged_id, into_id])
            .order_by("pk")
        }
        merged, into = tickets.get(merged_id), tickets.get(into_id)
        if merged is None or into is None:
            raise TicketError("into: no such ticket")
        if into.merged_into_id is not None:
            raise TicketError("into: that ticket was itself merged; choose the one it went into")
        Conversation.objects.filter(ticket=merged).update(ticket=into)
        known = set(into.order_links.values_list("order_id", "line_id"))
        for link in merged.order_links.all():
            if (link.order_id, link.line_id) not in known:
                TicketOrder.objects.create(
                    ticket=into,
                    order_id=link.order_id,
                    line_id=link.line_id,
                    quantity=link.quantity,
                )
        into.tags.add(*merged.tags.all())
        merged.merged_into = into
        _set_status(merged, TicketStatus.CLOSED, actor=actor, now=now)
        merged.save()
        event(merged, TicketEventKind.MERGED, actor, into=into.number)
        event(into, TicketEventKind.MERGED, actor, merged=merged.number)
        if (
            into.status in (TicketStatus.SOLVED, TicketStatus.CLOSED)
            and merged.awaiting_reply_since
        ):
            _set_status(into, TicketStatus.OPEN, actor=actor, now=now)
        into.updated_at = now
        into.save()
        search.index_tickets([merged.pk, into.pk])
    return into


def link_order(ticket_id: int, order_id: int, *, actor: Actor, line_id: int | None = None) -> None:
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        order = Order.objects.get(pk=order_id)
        if line_id is not None and not OrderLine.objects.filter(pk=line_id, order=order).exists():
            raise TicketError("line: not a line of that order")
        TicketOrder.objects.get_or_create(ticket=ticket, order=order, line_id=line_id)
        if ticket.customer_id is None and order.customer_id is not None:
            ticket.customer_id = _root(order.customer_id)
            ticket.save(update_fields=["customer"])
        event(ticket, TicketEventKind.CHANGED, actor, field="orders", added=order.external_id)
        search.index_tickets([ticket.pk])


def record_order_action(
    ticket_id: int, order_id: int, action: str, *, actor: Actor, result: str = ""
) -> None:
    ticket = Ticket.objects.get(pk=ticket_id)
    event(ticket, TicketEventKind.ORDER_ACTION, actor, order=order_id, action=action, result=result)


# ----------------------------------------------------------------------------------------------
# Assignment


def assign_ticket(
    ticket: Ticket, *, actor: Actor, save: bool = True, events: list[TicketEvent] | None = None
) -> None:
    """The first matching rule's team; its available agent assigned longest ago gets it.
    The rules and the teams' members are read once per intake batch. ``save=False``: the
    caller saves the ticket and writes ``events`` (where the assignment's event is added)."""
    rules = batch.cached(
        "assignment_rules", lambda: list(AssignmentRule.objects.select_related("team"))
    )
    facts = {
        "channel": ticket.channel,
        "ticket_type": ticket.ticket_type,
        "language": ticket.language,
    }
    rule = domain.first_matching(rules, facts, ("channel", "ticket_type", "language"))
    if rule is None:
        return
    ticket.team = rule.team
    team = rule.team
    members = batch.cached(
        f"team_members:{team.pk}",
        lambda: list(team.members.filter(is_active=True).values_list("pk", flat=True)),
    )
    states = batch.cached(f"agent_states:{team.pk}", lambda: _agent_states(members))
    agent = domain.next_in_rotation(
        [(uid, s.last_assigned_at) for uid, s in states.items() if s.available]
    )
    if agent is not None:
        ticket.assignee_id = agent
        states[agent].last_assigned_at = timezone.now()
        AgentState.objects.filter(pk=agent).update(last_assigned_at=states[agent].last_assigned_at)
    assigned = _event(ticket, TicketEventKind.ASSIGNED, actor, team=rule.team.name, assignee=agent)
    if events is not None:
        events.append(assigned)
    else:
        assigned.save()
    if save:
        ticket.save(update_fields=["team", "assignee"])


def _agent_states(members: list[int]) -> dict[int, AgentState]:
    """The members' rotation states, locked for the transaction (kept for an intake batch,
    which holds the locks until its commit)."""
    states = {
        s.user_id: s for s in AgentState.objects.select_for_update().filter(user_id__in=members)
    }
    for member in members:
        if member not in states:
            states[member] = AgentState.objects.create(user_id=member)
    return states


def set_available(user_id: int, available: bool) -> None:
    AgentState.objects.update_or_create(user_id=user_id, defaults={"available": available})
