"""Service levels: the policy a ticket gets, its due times in business hours, the pause while
waiting on the customer, and the periodic check that flags, escalates and records breaches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from omnioms.core.actor import Actor
from omnioms.production.domain import CalendarSpec
from omnioms.production.models import Calendar
from omnioms.production.services import calendar_spec
from omnioms.service import batch, domain
from omnioms.service.models import (
    OPEN_STATUSES,
    SlaBreach,
    SlaMetric,
    SlaPolicy,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)

_specs: dict[int, tuple[float, CalendarSpec]] = {}


def _spec(calendar_id: int | None) -> CalendarSpec | None:
    if calendar_id is None:
        return None
    cached = _specs.get(calendar_id)
    now = timezone.now().timestamp()
    if cached is not None and cached[0] > now:
        return cached[1]
    spec = calendar_spec(Calendar.objects.get(pk=calendar_id))
    _specs[calendar_id] = (now + 60, spec)
    return spec


def policies() -> list[SlaPolicy]:
    """Every policy in order (read once per intake batch)."""
    return batch.cached("sla_policies", lambda: list(SlaPolicy.objects.all()))


def choose_policy(ticket: Ticket) -> SlaPolicy | None:
    candidates = policies()
    # The customer is read only when a policy asks for a tier.
    tier = (
        ticket.customer.tier
        if ticket.customer_id and any(p.customer_tier for p in candidates) and ticket.customer
        else ""
    )
    facts = {"channel": ticket.channel, "ticket_type": ticket.ticket_type, "customer_tier": tier}
    return domain.first_matching(candidates, facts, ("channel", "ticket_type", "customer_tier"))


def start_clock(ticket: Ticket, *, now: datetime, keep_opened: bool = False) -> None:
    """Choose the ticket's policy (on opening, or when its type changes) and set due times."""
    ticket.sla_policy = choose_policy(ticket)
    refresh(ticket, now=now)


def refresh(ticket: Ticket, *, now: datetime, save: bool = True) -> None:
    """Recompute the due times from the ticket's facts and save them (``save=False``: the
    caller saves the ticket next)."""
    policy = ticket.sla_policy
    if policy is None or ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        clock = domain.Clock(None, None, None)
    else:
        calendar = _spec(policy.calendar_id)
        paused = ticket.paused_seconds
        if ticket.paused_since is not None:
            paused += domain.business_seconds(calendar, ticket.paused_since, now)
        clock = domain.due_times(
            calendar,
            domain.Targets(
                policy.first_response_minutes,
                policy.next_response_minutes,
                policy.resolution_minutes,
            ),
            opened_at=ticket.created_at,
            first_response_at=ticket.first_response_at,
            awaiting_reply_since=ticket.awaiting_reply_since,
            paused_seconds=paused,
        )
        if ticket.paused_since is not None:
            # While waiting on the customer nothing is owed but the resolution, which waits.
            clock = domain.Clock(None, None, None)
    ticket.first_response_due = clock.first_response_due
    ticket.next_response_due = clock.next_response_due
    ticket.resolution_due = clock.resolution_due
    ticket.at_risk = False  # the next check flags it again if it still is
    if not save:
        return
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_policy=ticket.sla_policy,
        first_response_due=ticket.first_response_due,
        next_response_due=ticket.next_response_due,
        resolution_due=ticket.resolution_due,
        at_risk=ticket.at_risk,
    )


def status_changing(ticket: Ticket, *, old: str, new: str, now: datetime) -> None:
    """Pause the clock when the ticket starts waiting on the customer; resume after."""
    waiting = TicketStatus.WAITING_CUSTOMER
    if new == waiting and old != waiting:
        ticket.paused_since = now
    elif old == waiting and new != waiting and ticket.paused_since is not None:
        calendar = _spec(ticket.sla_policy.calendar_id) if ticket.sla_policy else None
        ticket.paused_seconds += max(
            0.0, domain.business_seconds(calendar, ticket.paused_since, now)
        )
        ticket.paused_since = None


def next_due(ticket: Ticket) -> datetime | None:
    return domain.earliest(
        ticket.first_response_due,
        ticket.next_response_due,
        ticket.resolution_due,
        ticket.platform_due_at if ticket.is_open else None,
    )


@dataclass(frozen=True)
class TimeLeft:
    due: datetime | None
    seconds: float | None
    """Business seconds left (negative: overdue)."""
    metric: str = ""

    @property
    def overdue(self) -> bool:
        return self.seconds is not None and self.seconds < 0


def time_left(ticket: Ticket, *, now: datetime | None = None) -> TimeLeft:
    now = now or timezone.now()
    dues = {
        SlaMetric.FIRST_RESPONSE: ticket.first_response_due,
        SlaMetric.NEXT_RESPONSE: ticket.next_response_due,
        SlaMetric.RESOLUTION: ticket.resolution_due,
        SlaMetric.PLATFORM: ticket.platform_due_at if ticket.is_open else None,
    }
    present = [(due, metric) for metric, due in dues.items() if due is not None]
    if not present:
        return TimeLeft(None, None)
    due, metric = min(present)
    calendar = (
        _spec(ticket.sla_policy.calendar_id)
        if ticket.sla_policy_id and metric != SlaMetric.PLATFORM and ticket.sla_policy
        else None
    )
    return TimeLeft(due, domain.business_seconds(calendar, now, due), str(metric))


CHECK_BATCH = 500


def check_due(*, now: datetime | None = None) -> int:
    """The worker step: flag tickets about to breach and escalate them to their team's lead;
    record each target missed, once. Returns how many tickets it changed."""
    now = now or timezone.now()
    system = Actor.system("sla")
    changed = 0
    with transaction.atomic():
        tickets = (
            Ticket.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("sla_policy", "team__lead")
            .filter(status__in=OPEN_STATUSES, merged_into__isnull=True)
            .exclude(
                first_response_due__isnull=True,
                next_response_due__isnull=True,
                resolution_due__isnull=True,
                platform_due_at__isnull=True,
            )
            .order_by("pk")[: CHECK_BATCH * 20]
        )
        for ticket in tickets:
            changed += _check(ticket, now, system)
    return changed


def _check(ticket: Ticket, now: datetime, system: Actor) -> int:
    did = 0
    dues = {
        SlaMetric.FIRST_RESPONSE: ticket.first_response_due,
        SlaMetric.NEXT_RESPONSE: ticket.next_response_due,
        SlaMetric.RESOLUTION: ticket.resolution_due,
        SlaMetric.PLATFORM: ticket.platform_due_at,
    }
    for metric, due in dues.items():
        if due is not None and due <= now:
            _made, created = SlaBreach.objects.get_or_create(
                ticket=ticket, metric=metric, due_at=due, defaults={"breached_at": now}
            )
            if created:
                TicketEvent.objects.create(
                    ticket=ticket,
                    kind=TicketEventKind.BREACHED,
                    actor_label=system.label,
                    data={"target": str(metric), "due": due.isoformat()},
                )
                did = 1
    left = time_left(ticket, now=now)
    if left.seconds is None or left.due is None or ticket.at_risk:
        return did
    policy = ticket.sla_policy
    share = float(policy.warn_share) if policy else 0.25
    total = _total_seconds(ticket, left.metric)
    if left.seconds <= share * total:
        ticket.at_risk = True
        TicketEvent.objects.create(
            ticket=ticket,
            kind=TicketEventKind.AT_RISK,
            actor_label=system.label,
            data={"target": left.metric, "due": left.due.isoformat(), "seconds_left": left.seconds},
        )
        lead = ticket.team.lead if ticket.team_id and ticket.team else None
        if lead is not None and ticket.escalated_at is None:
            ticket.escalated_at = now
            TicketEvent.objects.create(
                ticket=ticket,
                kind=TicketEventKind.ESCALATED,
                actor_label=system.label,
                data={"lead": lead.get_username(), "lead_id": lead.pk},
            )
        Ticket.objects.filter(pk=ticket.pk).update(at_risk=True, escalated_at=ticket.escalated_at)
        did = 1
    return did


def _total_seconds(ticket: Ticket, metric: str) -> float:
    policy = ticket.sla_policy
    minutes = (
        {
            SlaMetric.FIRST_RESPONSE: policy.first_response_minutes if policy else None,
            SlaMetric.NEXT_RESPONSE: policy.next_response_minutes if policy else None,
            SlaMetric.RESOLUTION: policy.resolution_minutes if policy else None,
        }.get(SlaMetric(metric))
        if metric in SlaMetric.values
        else None
    )
    if minutes:
        return float(minutes * 60)
    if ticket.platform_due_at is not None:
        return max(1.0, (ticket.platform_due_at - ticket.created_at).total_seconds())
    return 1.0
