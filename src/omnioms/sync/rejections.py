"""Refused webhook deliveries, counted with a bound: an upsert per account name, reason and
hour, and a ring of the last few examples.

The webhook view calls :func:`record_webhook_rejection` for every delivery it refuses (bad
signature, unknown or inactive account), so that the channel health page can show a platform
knocking with the wrong secret or address. Anyone can send those requests, so what they write
is bounded whatever they send: a million refusals in an hour are one counter row per name and
reason, plus at most :data:`EXAMPLES_KEPT` example rows; names nobody holds get their own row
for the first :data:`UNKNOWN_NAMES_PER_HOUR` of an hour, the rest are counted together under
``OTHER_ACCOUNT_NAMES``. The worker step :func:`purge_old_rejections` deletes hours older
than ``OMNIOMS_WEBHOOK_REJECTION_DAYS``.

Counting is one ``INSERT ... ON CONFLICT DO UPDATE SET count = count + 1`` (SQLite 3.24+ and
PostgreSQL alike): atomic, so two processes counting the same hour neither lose a count nor
fail on the unique constraint.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Field, Model
from django.utils import timezone

from omnioms.channels.models import (
    OTHER_ACCOUNT_NAMES,
    WebhookRejectionCount,
    WebhookRejectionExample,
    WebhookRejectionReason,
)

logger = logging.getLogger(__name__)

EXAMPLES_KEPT = 5
"""Refused deliveries kept as examples (time, address) per account name and reason."""
UNKNOWN_NAMES_PER_HOUR = 20
"""Names that match no active account counted one by one in an hour; the rest together."""
PURGE_BATCH = 1_000


def retention() -> timedelta:
    return timedelta(days=int(getattr(settings, "OMNIOMS_WEBHOOK_REJECTION_DAYS", 14)))


@dataclass(frozen=True)
class RejectionExample:
    at: datetime
    remote_addr: str | None
    reason: str

    @property
    def reason_label(self) -> str:
        return str(WebhookRejectionReason(self.reason).label)


# ----------------------------------------------------------------------------------------------
# Writing


def record_webhook_rejection(
    account_name: str, reason: str, remote_addr: str | None, *, now: datetime | None = None
) -> None:
    """Count a refused webhook delivery and keep it as an example; never its body or headers.

    Best effort: the caller's 401 must not turn into a 500 because this could not be written,
    so a database error is logged and swallowed.
    """
    now = now or timezone.now()
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    name = account_name.replace("\x00", "\N{REPLACEMENT CHARACTER}")[:100]  # PostgreSQL text
    try:
        address: str | None = str(ipaddress.ip_address((remote_addr or "").strip()))
    except ValueError:
        address = None
    try:
        with transaction.atomic():
            if reason == WebhookRejectionReason.UNKNOWN_ACCOUNT:
                name = _counted_name(name, hour)
            count = _count(name, reason, hour, now)
            _keep_example(name, reason, (count - 1) % EXAMPLES_KEPT, now, address)
    except DatabaseError:
        logger.warning("could not record a rejected webhook for %r", account_name, exc_info=True)


def _counted_name(name: str, hour: datetime) -> str:
    """``name``, unless the hour already counts its share of unknown names one by one."""
    names = set(
        WebhookRejectionCount.objects.filter(
            hour=hour, reason=WebhookRejectionReason.UNKNOWN_ACCOUNT
        ).values_list("account_name", flat=True)[: UNKNOWN_NAMES_PER_HOUR * 2]
    )
    names.discard(OTHER_ACCOUNT_NAMES)
    if name in names or len(names) < UNKNOWN_NAMES_PER_HOUR:
        return name
    return OTHER_ACCOUNT_NAMES


def _count(name: str, reason: str, hour: datetime, now: datetime) -> int:
    """Add one to the hour's counter (creating it); returns the new count."""
    sql, params = _upsert(
        WebhookRejectionCount,
        {"account_name": name, "reason": reason, "hour": hour, "count": 1, "last_at": now},
        key=("account_name", "reason", "hour"),
        update="{count} = {table}.{count} + 1, {last_at} = CASE WHEN excluded.{last_at} > "
        "{table}.{last_at} THEN excluded.{last_at} ELSE {table}.{last_at} END",
        returning="count",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return int(row[0])


def _keep_example(name: str, reason: str, slot: int, at: datetime, address: str | None) -> None:
    sql, params = _upsert(
        WebhookRejectionExample,
        {"account_name": name, "reason": reason, "slot": slot, "at": at, "remote_addr": address},
        key=("account_name", "reason", "slot"),
        update="{at} = excluded.{at}, {remote_addr} = excluded.{remote_addr}",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _upsert(
    model: type[Model],
    values: dict[str, object],
    *,
    key: tuple[str, ...],
    update: str,
    returning: str = "",
) -> tuple[str, list[Any]]:
    """``INSERT ... ON CONFLICT (key) DO UPDATE SET update [RETURNING ...]`` for one row, with
    each value converted by its field as the ORM would; ``{field}`` in ``update`` is the
    quoted column, ``{table}`` the quoted table."""
    quote = connection.ops.quote_name
    fields = {name: cast("Field[Any, Any]", model._meta.get_field(name)) for name in values}
    columns = {name: quote(field.column) for name, field in fields.items()}
    params = [field.get_db_prep_save(values[name], connection) for name, field in fields.items()]
    table = quote(model._meta.db_table)
    sql = (  # names come from the model, values go as parameters
        f"INSERT INTO {table} ({', '.join(columns.values())}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(columns[name] for name in key)}) "
        f"DO UPDATE SET {update.format(table=table, **columns)}"
    )
    if returning:
        sql += f" RETURNING {columns[returning]}"
    return sql, params


def purge_old_rejections(*, now: datetime | None = None) -> int:
    """Delete up to :data:`PURGE_BATCH` counters and examples older than the retention; the
    worker calls it again while it finds some. Returns how many rows went."""
    cutoff = (now or timezone.now()) - retention()
    deleted = 0
    for model, time in ((WebhookRejectionCount, "hour"), (WebhookRejectionExample, "at")):
        old = list(
            model.objects.filter(**{f"{time}__lt": cutoff}).values_list("pk", flat=True)[
                :PURGE_BATCH
            ]
        )
        if old:
            deleted += model.objects.filter(pk__in=old).delete()[0]
    return deleted


# ----------------------------------------------------------------------------------------------
# Reading (for the health page)


@dataclass
class Refused:
    """Refusals of one account name since a time."""

    count: int = 0
    bad_signatures: int = 0
    last_at: datetime | None = None
    examples: list[RejectionExample] = field(default_factory=list)


def refused_since(since: datetime) -> dict[str, Refused]:
    """Per account name, the refusals in the hours from ``since``'s and the examples since
    then, newest first; two queries, bounded by the number of names."""
    hour = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    by_name: dict[str, Refused] = {}
    for name, reason, count, last_at in WebhookRejectionCount.objects.filter(
        hour__gte=hour
    ).values_list("account_name", "reason", "count", "last_at"):
        entry = by_name.setdefault(name, Refused())
        entry.count += count
        if reason == WebhookRejectionReason.BAD_SIGNATURE:
            entry.bad_signatures += count
        entry.last_at = max(filter(None, (entry.last_at, last_at)))
    for name, reason, at, address in (
        WebhookRejectionExample.objects.filter(at__gte=since)
        .order_by("-at", "-pk")
        .values_list("account_name", "reason", "at", "remote_addr")
    ):
        entry = by_name.setdefault(name, Refused())
        if len(entry.examples) < EXAMPLES_KEPT:
            entry.examples.append(RejectionExample(at, address, reason))
    return by_name
