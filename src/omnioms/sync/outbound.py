"""Telling the platforms: a shipment, cancellation, refund or new address recorded here goes
back to the channel, queued.

:func:`queue_shipments` is an effect of the order use cases (``orders.services.ship_order``):
it writes an :class:`~omnioms.channels.models.OutboundCommand` in the transaction that records
the shipment, so a shipment is never recorded without the message to the platform, nor the
message sent for a change that rolled back. The worker step :func:`send_due` sends commands
through the platform's client, retrying with backoff; a command the platform refuses, or that
ran out of attempts, is ``failed`` and shown in the admin, where a person can retry it.

Cancellations, refunds and address changes are queued by the flows app's ``queue_write_back``
effect through :func:`queue_command` (in the action's transaction, like shipments), for the
platforms whose client declares the call (``BaseClient.writes_back``).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.channels.clients import (
    AddressChange,
    Cancellation,
    ClientError,
    NotSupported,
    Refund,
    RefundLine,
    Shipment,
    get_client,
)
from omnioms.channels.clients.registry import is_connected, writes_back
from omnioms.channels.models import CommandKind, CommandState, OutboundCommand
from omnioms.core.actor import Actor
from omnioms.orders.effects import OrderChange
from omnioms.orders.models import Order, OrderEvent, OrderEventKind

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=2)
LEASE = timedelta(minutes=5)
"""A worker that claimed a command and died leaves it to another after this long."""
BATCH = 20


def queue_shipments(changes: Sequence[OrderChange], actor: Actor) -> None:
    """The outbound effect of a change to orders (:mod:`omnioms.orders.effects`): a shipment a
    person recorded is queued for the order's platform, in the transaction that recorded it.

    Nothing is queued for what the channel itself reported, nor for a channel with no API to
    tell (store sales, manual orders). The queued command is ``change.results
    ["outbound_command"]`` and is named on the shipment's timeline note.
    """
    for change in changes:
        if change.shipment is None or change.from_channel:
            continue
        account = change.order.account
        if not is_connected(account.platform, account.api_credentials):
            continue
        command = OutboundCommand.objects.create(
            account=account,
            order=change.order,
            kind=CommandKind.MARK_SHIPPED,
            payload=change.shipment.details(),
            created_by=actor.label[:200],
        )
        change.results["outbound_command"] = command
        for event in change.events:
            if isinstance(event.data, dict) and "shipment" in event.data:
                event.data["command"] = command.pk
                OrderEvent.objects.filter(pk=event.pk).update(data=event.data)


def can_write_back(order: Order, kind: str) -> bool:
    """Whether a change of ``kind`` to this order can be sent to its platform: the account is
    connected and the platform's API has the call."""
    account = order.account
    return is_connected(account.platform, account.api_credentials) and writes_back(
        account.platform, kind
    )


def queue_command(
    order: Order, kind: str, payload: dict[str, Any], actor: Actor
) -> OutboundCommand | None:
    """Queue a change a person made for the order's platform, in the caller's transaction; None
    when the platform cannot be told (:func:`can_write_back`): the caller says so to the
    person. ``payload`` is JSON: cancellation ``{"reason"}``; refund ``{"lines": [{"line",
    "quantity", "amount"}], "amount", "currency", "reason"}``; address ``{"address"}``."""
    if kind not in CommandKind.values:
        raise ValueError(f"unknown outbound command kind {kind!r}")
    if not can_write_back(order, kind):
        return None
    return OutboundCommand.objects.create(
        account=order.account,
        order=order,
        kind=kind,
        payload=payload,
        created_by=actor.label[:200],
    )


# ----------------------------------------------------------------------------------------------
# Sending


def send_due(*, limit: int = BATCH) -> int:
    """The worker's step: send up to ``limit`` due commands; return how many were tried."""
    now = timezone.now()
    ids = list(
        OutboundCommand.objects.filter(state=CommandState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    tried = 0
    for command_id in ids:
        tried += send_command(command_id)
    return tried


def send_command(command_id: int) -> bool:
    """Claim one pending command and send it; False when another worker holds it.

    The claim is a conditional UPDATE that pushes ``next_attempt_at`` out by a lease and counts
    the attempt, so the platform call runs outside any transaction (on SQLite a transaction
    held over HTTP would stop every other writer).
    """
    now = timezone.now()
    claimed = OutboundCommand.objects.filter(
        pk=command_id, state=CommandState.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1, updated_at=now)
    if not claimed:
        return False
    command = OutboundCommand.objects.select_related("account", "order").get(pk=command_id)
    try:
        _send(command)
    except ClientError as exc:
        _failed(command, exc)
    except Exception as exc:  # a bug must not leave the command retried forever unseen
        logger.exception("sending %s %s failed unexpectedly", command.kind, command.pk)
        _failed(command, ClientError(f"unexpected error: {exc!r}", retryable=True))
    else:
        _sent(command)
    return True


def _send(command: OutboundCommand) -> None:
    details = command.payload
    external_id = command.order.external_id
    reference = f"omnioms #{command.pk}"
    client = get_client(command.account)
    try:
        if command.kind == CommandKind.MARK_SHIPPED:
            client.mark_shipped(
                Shipment(
                    external_id=external_id,
                    carrier=details["carrier"],
                    tracking_number=details["tracking_number"],
                    shipped_at=datetime.fromisoformat(details["shipped_at"]),
                    lines=[
                        (str(line_id), int(quantity))
                        for line_id, quantity in details.get("lines") or []
                    ],
                )
            )
        elif command.kind == CommandKind.CANCEL_ORDER:
            client.cancel_order(
                Cancellation(external_id, str(details.get("reason") or ""), reference)
            )
        elif command.kind == CommandKind.REFUND:
            client.refund(
                Refund(
                    external_id=external_id,
                    lines=[
                        RefundLine(
                            str(line["line"]), int(line["quantity"]), Decimal(line["amount"])
                        )
                        for line in details.get("lines") or []
                    ],
                    amount=Decimal(details["amount"]),
                    currency=str(details.get("currency") or ""),
                    reason=str(details.get("reason") or ""),
                    reference=reference,
                )
            )
        elif command.kind == CommandKind.CHANGE_ADDRESS:
            client.change_address(AddressChange(external_id, dict(details["address"]), reference))
        else:
            raise NotSupported(f"unknown command kind {command.kind!r}")
    finally:
        client.close()


def _sent(command: OutboundCommand) -> None:
    now = timezone.now()
    with transaction.atomic():
        OutboundCommand.objects.filter(pk=command.pk).update(
            state=CommandState.SENT, sent_at=now, updated_at=now, last_error=""
        )
        _on_timeline(command, CommandState.SENT)
    logger.info("sent %s for order %s", command.kind, command.order_id)


def _failed(command: OutboundCommand, exc: ClientError) -> None:
    now = timezone.now()
    give_up = not exc.retryable or command.attempts >= MAX_ATTEMPTS
    fields: dict[str, Any] = {"last_error": str(exc)[:4000], "updated_at": now}
    if give_up:
        fields["state"] = CommandState.FAILED
    else:
        fields["next_attempt_at"] = now + backoff(command.attempts)
    with transaction.atomic():
        OutboundCommand.objects.filter(pk=command.pk).update(**fields)
        if give_up:  # a person must act: the order's page says so (retries are not listed)
            _on_timeline(command, CommandState.FAILED, str(exc))
    logger.warning(
        "%s for order %s failed (attempt %d%s): %s",
        command.kind,
        command.order_id,
        command.attempts,
        ", giving up" if give_up else "",
        exc,
    )


def _on_timeline(command: OutboundCommand, state: str, error: str = "") -> None:
    """An event on the order: the platform took the command, or it must be retried by hand.

    ``data["outbound"]`` is what the order page shows, in the reader's language;
    ``data["text"]`` is the same in the worker's language, for the API and the admin."""
    tracking = str(command.payload.get("tracking_number", ""))
    outbound = {"command": command.pk, "kind": command.kind, "state": state, "error": error[:500]}
    text = outbound_message(command.kind, state)
    actor = Actor.system("outbound")
    OrderEvent.objects.create(
        order_id=command.order_id,
        kind=OrderEventKind.NOTE,
        actor_kind=actor.kind,
        actor_label=actor.label,
        data={
            "text": text % {"account": command.account, "tracking": tracking, "error": error},
            "command": command.pk,
            "tracking_number": tracking,
            "account": str(command.account),
            "outbound": outbound,
        },
    )


def outbound_message(kind: str, state: str) -> str:
    """What the timeline says when the platform took a command (``sent``) or a person must act
    (``failed``), in the active language, with ``%(account)s``, ``%(tracking)s`` and
    ``%(error)s`` to fill in (the order page renders it again in the reader's language)."""
    sent = state == CommandState.SENT
    if kind == CommandKind.CANCEL_ORDER:
        if sent:
            return _("%(account)s accepted the cancellation.")
        return _(
            "%(account)s was not told of the cancellation: %(error)s. Retry the outbound "
            "command in the admin once the cause is fixed, or cancel the order in the seller "
            "centre."
        )
    if kind == CommandKind.REFUND:
        if sent:
            return _("%(account)s accepted the refund.")
        return _(
            "%(account)s was not told of the refund: %(error)s. Retry the outbound command in "
            "the admin once the cause is fixed, or refund in the seller centre."
        )
    if kind == CommandKind.CHANGE_ADDRESS:
        if sent:
            return _("%(account)s accepted the new shipping address.")
        return _(
            "%(account)s was not told of the new shipping address: %(error)s. Retry the "
            "outbound command in the admin once the cause is fixed, or change it in the seller "
            "centre."
        )
    if sent:
        return _("%(account)s accepted the shipment with tracking number %(tracking)s.")
    return _(
        "%(account)s was not told of the shipment with tracking number %(tracking)s: "
        "%(error)s. Retry the outbound command in the admin once the cause is fixed."
    )


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at 2 h, each with jitter so retries do not bunch up."""
    ceiling = min(LAST_RETRY, FIRST_RETRY * 2 ** max(0, attempts - 1))
    seconds = ceiling.total_seconds()
    return timedelta(seconds=random.uniform(seconds / 2, seconds))


def retry_commands(command_ids: Sequence[int]) -> int:
    """Put failed commands back in the queue, due now, with a fresh count of attempts."""
    now = timezone.now()
    return OutboundCommand.objects.filter(pk__in=command_ids, state=CommandState.FAILED).update(
        state=CommandState.PENDING, next_attempt_at=now, attempts=0, updated_at=now
    )
