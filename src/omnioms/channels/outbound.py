"""Telling the platforms: a shipment recorded here goes back to the channel, queued.

:func:`request_shipment` changes the order's status and writes an
:class:`~omnioms.channels.models.OutboundCommand` in one transaction, so a shipment is never
recorded without the message to the platform, nor the message sent for a change that rolled
back. The worker step :func:`send_due` sends commands through the platform's client, retrying
with backoff; a command the platform refuses, or that ran out of attempts, is ``failed`` and
shown in the admin, where a person can retry it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.channels.clients import ClientError, NotSupported, Shipment, get_client
from omnioms.channels.clients.registry import has_client
from omnioms.channels.models import CommandKind, CommandState, OutboundCommand
from omnioms.core.actor import Actor
from omnioms.core.choices import OrderStatus
from omnioms.orders.models import Order, OrderEvent, OrderEventKind
from omnioms.orders.services import set_status

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=2)
LEASE = timedelta(minutes=5)
"""A worker that claimed a command and died leaves it to another after this long."""
BATCH = 20


class ShipmentError(ValueError):
    """A shipment request that cannot be accepted; the message names the field."""


@dataclass(frozen=True)
class ShipmentLine:
    external_line_id: str
    quantity: int


def request_shipment(
    order: Order,
    carrier: str,
    tracking_number: str,
    actor: Actor,
    *,
    lines: Sequence[ShipmentLine] = (),
    shipped_at: datetime | None = None,
) -> OutboundCommand | None:
    """Record that ``order`` (or some of its lines) shipped, and queue telling the platform.

    The order moves to ``shipped`` (``partially_shipped`` when ``lines`` leave some quantity
    unshipped) through :func:`~omnioms.orders.services.set_status`, which refuses moves the
    flow does not allow (``TransitionNotAllowed``). An order already shipped keeps its status
    and gets the new tracking number. Returns the queued command, or None when the order's
    channel has no API to tell (store sales, manual orders). Raises :class:`ShipmentError`
    naming a bad field. Owns its transaction.
    """
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if not carrier:
        raise ShipmentError("carrier: is required")
    if not tracking_number:
        raise ShipmentError("tracking_number: is required")
    if len(carrier) > 100 or len(tracking_number) > 100:
        raise ShipmentError("carrier and tracking_number: at most 100 characters each")
    shipped_at = shipped_at or timezone.now()
    if timezone.is_naive(shipped_at):
        raise ShipmentError("shipped_at: must carry a time zone")
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("account").get(pk=order.pk)
        target = _target_status(order, lines)
        events: list[OrderEvent] = []
        status_event = set_status(order, target, actor=actor, from_channel=False)
        if status_event is not None:
            order.save(update_fields=["status", "modified_at"])
            events.append(status_event)
        details: dict[str, Any] = {
            "carrier": carrier,
            "tracking_number": tracking_number,
            "shipped_at": shipped_at.isoformat(),
            "lines": [[line.external_line_id, line.quantity] for line in lines],
        }
        command = None
        if has_client(order.account.platform) and order.account.api_credentials:
            command = OutboundCommand.objects.create(
                account=order.account,
                order=order,
                kind=CommandKind.MARK_SHIPPED,
                payload=details,
                created_by=actor.label[:200],
            )
        text = _("Shipped with %(carrier)s, tracking number %(tracking)s.") % {
            "carrier": carrier,
            "tracking": tracking_number,
        }
        events.append(
            OrderEvent(
                order=order,
                kind=OrderEventKind.NOTE,
                actor_kind=actor.kind,
                actor_label=actor.label,
                actor_user_id=actor.user_id,
                data={
                    "text": text,
                    "shipment": details,
                    "command": command.pk if command else None,
                },
            )
        )
        OrderEvent.objects.bulk_create(events)
    return command


def _target_status(order: Order, lines: Sequence[ShipmentLine]) -> str:
    if not lines:
        return OrderStatus.SHIPPED
    ordered = dict(order.lines.values_list("external_line_id", "quantity"))
    for line in lines:
        if line.quantity <= 0:
            raise ShipmentError(f"lines: quantity of line {line.external_line_id} must be positive")
        if line.external_line_id not in ordered:
            raise ShipmentError(f"lines: the order has no line {line.external_line_id!r}")
        if line.quantity > ordered[line.external_line_id]:
            raise ShipmentError(
                f"lines: line {line.external_line_id} has {ordered[line.external_line_id]} "
                f"units, not {line.quantity}"
            )
    shipped = {line.external_line_id: line.quantity for line in lines}
    whole = all(shipped.get(line_id, 0) >= quantity for line_id, quantity in ordered.items())
    if whole or order.status == OrderStatus.SHIPPED:
        return OrderStatus.SHIPPED
    return OrderStatus.PARTIALLY_SHIPPED


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
    if command.kind != CommandKind.MARK_SHIPPED:
        raise NotSupported(f"unknown command kind {command.kind!r}")
    details = command.payload
    shipment = Shipment(
        external_id=command.order.external_id,
        carrier=details["carrier"],
        tracking_number=details["tracking_number"],
        shipped_at=datetime.fromisoformat(details["shipped_at"]),
        lines=[(str(line_id), int(quantity)) for line_id, quantity in details.get("lines") or []],
    )
    client = get_client(command.account)
    try:
        client.mark_shipped(shipment)
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
    """An event on the order: the platform took the shipment, or it must be retried by hand.

    ``data["outbound"]`` is what the order page shows, in the reader's language;
    ``data["text"]`` is the same in the worker's language, for the API and the admin."""
    tracking = str(command.payload.get("tracking_number", ""))
    outbound = {"command": command.pk, "kind": command.kind, "state": state, "error": error[:500]}
    if state == CommandState.SENT:
        text = _("%(account)s accepted the shipment with tracking number %(tracking)s.")
    else:
        text = _(
            "%(account)s was not told of the shipment with tracking number %(tracking)s: "
            "%(error)s. Retry the outbound command in the admin once the cause is fixed."
        )
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
