"""Tickets made the way they arrive: a customer's message on a source, through the services."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from omnioms.channels.models import ChannelAccount
from omnioms.core.actor import Actor
from omnioms.orders.models import Order
from omnioms.service import services
from omnioms.service.models import Source, SourceKind, Ticket
from omnioms.service.sources.base import ServiceMessage
from omnioms.sync.services import submit_order
from omnioms.testing import make_account, make_user, manual_order

_numbers = itertools.count(1)


def mailbox(name: str = "support") -> Source:
    return Source.objects.get_or_create(name=name, defaults={"kind": SourceKind.EMAIL})[0]


def customer_mail(
    text: str = "Where is my parcel?",
    *,
    sender: str = "sam@example.com",
    subject: str = "Parcel",
    source: Source | None = None,
    at: datetime | None = None,
    thread: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    number = next(_numbers)
    message_id = f"<m{number}@example.com>"
    ticket, _opened = services.receive_message(
        source or mailbox(),
        ServiceMessage(
            event_id=message_id,
            thread_key=thread or message_id,
            contact=sender,
            contact_name="Sam",
            at=at or timezone.now(),
            text=text,
            subject=subject,
            external_id=message_id,
        ),
        now=now,
    )
    return ticket


def order_for(
    account: ChannelAccount | None = None, *, email: str = "sam@example.com", **fields: Any
) -> Order:
    account = account or make_account(platform="manual")
    buyer = {"name": "Sam Carter", "email": email, "phone": "+86 138-0013-8000"}
    data = {"channel": "manual", **manual_order(buyer=buyer, **fields)}
    from omnioms.channels.contract import NormalizedOrder

    payload = submit_order(account, NormalizedOrder.model_validate(data), actor=Actor.system())
    assert payload.order_id is not None
    return Order.objects.get(pk=payload.order_id)


def logged_in(client: Client, role: str) -> User:
    user = make_user(role)
    client.force_login(user)
    return user


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def one_of_each_service() -> None:
    """One row of every model the service back office lists (a source, a team with its rule,
    an SLA policy, a canned reply, a dead letter)."""
    from omnioms.service import intake
    from omnioms.service.models import AssignmentRule, CannedReply, SlaPolicy, Team

    source = mailbox("admin-mail")
    team = Team.objects.create(name="Admin team")
    AssignmentRule.objects.create(team=team)
    SlaPolicy.objects.create(name="Default", first_response_minutes=60)
    CannedReply.objects.create(title="Hello", body="Hello {customer_name}")
    intake.receive(source, body=b"not a mail", event_id="broken")  # a dead letter
