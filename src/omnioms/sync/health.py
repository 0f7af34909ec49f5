"""Channel health: is every account's feed alive, and does it agree with the platform?

The selector :func:`channel_health` answers for all accounts at once in a fixed number of
queries (one per measure, never one per account): correlated ``LIMIT 1`` subqueries on the
``(account, -placed_at)`` and ``(account, -received_at)`` indexes for the newest order and
delivery, one grouped count over the last :data:`VOLUME_WINDOW` of orders (a range scan of the
``-placed_at`` index), one grouped count of open dead letters, and the hourly counts and last
examples of refused webhooks (:mod:`omnioms.sync.rejections`, which also records them).

What is judged from those numbers (:func:`silence_threshold`, :func:`assess`) is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from omnioms.channels.clients.registry import has_client, is_connected
from omnioms.channels.models import (
    OTHER_ACCOUNT_NAMES,
    ChannelAccount,
    DeadLetter,
    InboundPayload,
    SyncState,
)
from omnioms.core.models import LocationKind
from omnioms.inventory.availability import PushProblem, push_problems
from omnioms.orders.models import Order
from omnioms.sync.opening_hours import OpeningHours, hours_for
from omnioms.sync.rejections import Refused, RejectionExample, refused_since

VOLUME_WINDOW = timedelta(days=28)
"""Recent volume, from which an account's usual gap between orders is estimated."""
MIN_VOLUME_WINDOW = timedelta(days=1)
REJECTION_WINDOW = timedelta(hours=24)
"""Rejected webhooks are counted over this window (from the start of its first hour)."""
SILENCE_FACTOR = 5
"""Silent after this many usual gaps without an order: for orders arriving at random at the
recent rate, five gaps pass without one less than 1% of the time (e^-5)."""
SILENCE_FLOOR = timedelta(hours=6)
"""Never silent sooner: a busy shop's quiet night is not an outage."""
POLL_OVERDUE_FLOOR = timedelta(minutes=30)
SILENCE_OPTION = "silence_after_hours"
"""``ChannelAccount.options["health"][SILENCE_OPTION]``: a fixed threshold for one account."""
FILE_PLATFORMS = frozenset({"pos_csv", "csv"})
"""Orders arrive as a file of the day's sales, after closing: up to an opening day late."""


class AlertKind:
    SILENT = "silent"
    REJECTED = "rejected"
    DEAD_LETTERS = "dead_letters"
    POLL_FAILING = "poll_failing"
    POLL_OVERDUE = "poll_overdue"
    RECONCILE_FAILING = "reconcile_failing"
    DRIFT = "drift"
    SETTING = "setting"
    PUSH_FAILING = "push_failing"


@dataclass(frozen=True)
class Alert:
    kind: str
    message: str


@dataclass(frozen=True)
class SyncFacts:
    """What the pull and reconcile jobs last recorded for an account (``SyncState``)."""

    pull_enabled: bool = True
    poll_interval: timedelta = timedelta(minutes=5)
    last_poll_succeeded_at: datetime | None = None
    last_poll_error: str = ""
    failures: int = 0
    last_reconciled_at: datetime | None = None
    last_reconcile_error: str = ""
    platform_count: int | None = None
    our_count: int | None = None

    def poll_overdue_after(self) -> timedelta:
        """No successful poll for this long is a warning: three missed polls, at least 30 min."""
        return max(self.poll_interval * 3, POLL_OVERDUE_FLOOR)


@dataclass
class AccountHealth:
    account: ChannelAccount
    last_order_at: datetime | None = None
    """Platform time the newest order was placed."""
    last_received_at: datetime | None = None
    """When the account's newest delivery or file record was stored, whatever became of it."""
    lag: timedelta | None = None
    """Now minus the newest order's platform update time (its receive time when it has none)."""
    orders_today: int = 0
    recent_orders: int = 0
    """Orders placed within :data:`VOLUME_WINDOW`."""
    rejected: int = 0
    """Webhook deliveries refused within :data:`REJECTION_WINDOW`."""
    bad_signatures: int = 0
    last_rejected_at: datetime | None = None
    rejection_examples: list[RejectionExample] = field(default_factory=list)
    """The last few refused deliveries: when, from where, why."""
    open_dead_letters: int = 0
    oldest_dead_letter_at: datetime | None = None
    sync: SyncFacts | None = None
    """None when the account is not polled (no ``SyncState``: POS files, manual entry, or
    polling not set up for it)."""
    has_api: bool = False
    """The platform has an API omnioms can call."""
    connected: bool = False
    """omnioms talks to the platform for this account (an API and the account's credentials);
    an account with an API but no credentials is "not connected": nothing is sent or polled."""
    push_problem: PushProblem | None = None
    """Availability pushes that failed and wait (``inventory.availability.push_problems``)."""
    opening_hours: OpeningHours | None = None
    """When it is open; None: always. Silence is counted in opening time only."""
    open_now: bool | None = None
    silence_threshold: timedelta | None = None
    silent_for: timedelta | None = None
    alerts: list[Alert] = field(default_factory=list)

    @property
    def lag_text(self) -> str:
        return duration_text(self.lag) if self.lag is not None else ""

    @property
    def threshold_text(self) -> str:
        return duration_text(self.silence_threshold) if self.silence_threshold else ""

    @property
    def drift(self) -> int | None:
        """Platform's count minus ours at the last reconciliation, when both are known."""
        if self.sync is None or self.sync.platform_count is None or self.sync.our_count is None:
            return None
        return self.sync.platform_count - self.sync.our_count


@dataclass(frozen=True)
class UnknownAccountRejections:
    """Webhooks sent to an account name that does not exist (or is not active)."""

    name: str
    count: int
    last_at: datetime | None
    examples: list[RejectionExample] = field(default_factory=list)

    @property
    def is_other_names(self) -> bool:
        """Names beyond the few an hour counted one by one, counted together."""
        return self.name == OTHER_ACCOUNT_NAMES


@dataclass(frozen=True)
class HealthReport:
    at: datetime
    accounts: list[AccountHealth]
    unknown: list[UnknownAccountRejections]
    polling_configured: bool
    """Whether any account is polled at all."""

    @property
    def alert_count(self) -> int:
        return sum(len(item.alerts) for item in self.accounts)


# ----------------------------------------------------------------------------------------------
# Judging (pure)


def silence_threshold(
    recent_orders: int, *, window: timedelta = VOLUME_WINDOW, fixed_hours: Decimal | None = None
) -> timedelta | None:
    """How long without an order before an account counts as silent; None: no basis to judge.

    ``fixed_hours`` (the account's own setting) wins. Otherwise :data:`SILENCE_FACTOR` times
    the usual gap (``window / recent_orders``), at least :data:`SILENCE_FLOOR`. An account with
    no order in the window has no usual gap; it is judged by :func:`assess` on the window.
    """
    if fixed_hours is not None:
        return timedelta(hours=float(fixed_hours))
    if recent_orders <= 0:
        return None
    return max(SILENCE_FLOOR, window * SILENCE_FACTOR / recent_orders)


def fixed_silence_hours(options: Mapping[str, Any]) -> Decimal | None:
    """The account's ``options["health"]["silence_after_hours"]``; ValueError names a bad one."""
    health = options.get("health") if isinstance(options, Mapping) else None
    if not isinstance(health, Mapping) or health.get(SILENCE_OPTION) in (None, ""):
        return None
    value = health[SILENCE_OPTION]
    try:
        hours = Decimal(str(value))
    except InvalidOperation:
        hours = Decimal("NaN")
    if isinstance(value, bool) or not hours.is_finite() or hours <= 0:
        raise ValueError(
            _("options.health.%(option)s: %(value)r is not a positive number of hours")
            % {"option": SILENCE_OPTION, "value": value}
        )
    return hours


def _account_zone(account: ChannelAccount) -> ZoneInfo:
    try:
        return ZoneInfo(account.time_zone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _at_store(account: ChannelAccount) -> bool:
    location = account.location  # loaded with the account (channel_health)
    return location is not None and location.kind == LocationKind.STORE


def assess(item: AccountHealth, now: datetime, *, window: timedelta = VOLUME_WINDOW) -> None:
    """Fill in ``silence_threshold``, ``silent_for`` and ``alerts`` from the measured facts.

    A store's silence, and its usual gap between orders, count only its opening hours; an
    account fed by daily files gets one opening day more, for the file of the day.
    """
    alerts: list[Alert] = []
    account = item.account
    try:
        fixed = fixed_silence_hours(account.options)
    except ValueError as exc:
        alerts.append(Alert(AlertKind.SETTING, str(exc)))
        fixed = None
    at_store = _at_store(account)
    try:
        hours = hours_for(account.options, at_store=at_store)
    except ValueError as exc:
        alerts.append(Alert(AlertKind.SETTING, str(exc)))
        hours = hours_for({}, at_store=at_store)
    zone = _account_zone(account)
    item.opening_hours = hours
    item.open_now = hours.is_open(now, zone) if hours else None
    span = hours.open_time(now - window, now, zone) if hours else window
    item.silence_threshold = silence_threshold(item.recent_orders, window=span, fixed_hours=fixed)
    if item.silence_threshold is not None and fixed is None and account.platform in FILE_PLATFORMS:
        item.silence_threshold += hours.day_length() if hours else timedelta(days=1)
    if item.last_order_at is not None:
        elapsed = max(now - item.last_order_at, timedelta(0))
        item.silent_for = hours.open_time(item.last_order_at, now, zone) if hours else elapsed
    threshold = item.silence_threshold or span
    if account.is_active and item.silent_for is not None and item.silent_for > threshold:
        values = {"silent": duration_text(item.silent_for), "threshold": duration_text(threshold)}
        alerts.append(
            Alert(
                AlertKind.SILENT,
                (
                    _(
                        "Silent: no order for %(silent)s of opening hours (expected one within"
                        " %(threshold)s)."
                    )
                    if hours
                    else _("Silent: no order for %(silent)s (expected one within %(threshold)s).")
                )
                % values,
            )
        )
    if item.rejected:
        alerts.append(
            Alert(
                AlertKind.REJECTED,
                ngettext(
                    "%(count)d webhook delivery refused in the last 24 hours (%(bad)d with a bad"
                    " signature): check the secret on the platform and here.",
                    "%(count)d webhook deliveries refused in the last 24 hours (%(bad)d with a bad"
                    " signature): check the secret on the platform and here.",
                    item.rejected,
                )
                % {"count": item.rejected, "bad": item.bad_signatures},
            )
        )
    if item.open_dead_letters:
        alerts.append(
            Alert(
                AlertKind.DEAD_LETTERS,
                ngettext(
                    "%(count)d payload could not become an order: see the dead letters.",
                    "%(count)d payloads could not become orders: see the dead letters.",
                    item.open_dead_letters,
                )
                % {"count": item.open_dead_letters},
            )
        )
    sync = item.sync
    # An account not connected is not polled (any more): its old poll state says nothing.
    if sync is not None and sync.pull_enabled and account.is_active and item.connected:
        alerts.extend(_poll_alerts(sync, now))
    push = item.push_problem
    if push is not None and account.is_active and item.connected:
        alerts.append(
            Alert(
                AlertKind.PUSH_FAILING,
                ngettext(
                    "What the channel may sell is not getting through: %(count)d SKU waits"
                    " since %(since)s. Last error: %(error)s",
                    "What the channel may sell is not getting through: %(count)d SKUs wait"
                    " since %(since)s. Last error: %(error)s",
                    push.skus_waiting,
                )
                % {
                    "count": push.skus_waiting,
                    "since": timezone.localtime(push.since).strftime("%Y-%m-%d %H:%M"),
                    "error": push.last_error,
                },
            )
        )
    if item.drift and sync is not None:
        alerts.append(
            Alert(
                AlertKind.DRIFT,
                _(
                    "At the last reconciliation the platform counted %(platform)d orders where"
                    " we have %(ours)d."
                )
                % {"platform": sync.platform_count, "ours": sync.our_count},
            )
        )
    item.alerts = alerts


def _poll_alerts(sync: SyncFacts, now: datetime) -> list[Alert]:
    alerts: list[Alert] = []
    if sync.last_poll_error:
        alerts.append(
            Alert(
                AlertKind.POLL_FAILING,
                ngettext(
                    "The last poll failed (%(count)d time in a row): %(error)s",
                    "The last poll failed (%(count)d times in a row): %(error)s",
                    max(sync.failures, 1),
                )
                % {"count": max(sync.failures, 1), "error": sync.last_poll_error},
            )
        )
    since = now - sync.last_poll_succeeded_at if sync.last_poll_succeeded_at else None
    if since is not None and since > sync.poll_overdue_after():
        alerts.append(
            Alert(
                AlertKind.POLL_OVERDUE,
                _("No successful poll for %(duration)s.") % {"duration": duration_text(since)},
            )
        )
    if sync.last_reconcile_error:
        alerts.append(
            Alert(
                AlertKind.RECONCILE_FAILING,
                _("The last reconciliation failed: %(error)s")
                % {"error": sync.last_reconcile_error},
            )
        )
    return alerts


def duration_text(value: timedelta) -> str:
    """``3 d 4 h``, ``5 h 10 min``, ``12 min``: two units at most, for a table cell."""
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


# ----------------------------------------------------------------------------------------------
# Reading


def channel_health(*, now: datetime | None = None) -> HealthReport:
    """Every channel account's health, active ones first; a fixed number of queries."""
    now = now or timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    window_start = now - VOLUME_WINDOW

    newest_order = Order.objects.filter(account=OuterRef("pk")).order_by("-placed_at", "-id")
    oldest_order = Order.objects.filter(account=OuterRef("pk")).order_by("placed_at", "id")
    newest_payload = InboundPayload.objects.filter(account=OuterRef("pk")).order_by("-received_at")
    accounts = list(
        ChannelAccount.objects.select_related("location")
        .annotate(
            newest_order_id=Subquery(newest_order.values("pk")[:1]),
            first_order_at=Subquery(oldest_order.values("placed_at")[:1]),
            last_received_at=Subquery(newest_payload.values("received_at")[:1]),
        )
        .order_by("-is_active", "name")
    )
    newest = {
        row["pk"]: row
        for row in Order.objects.filter(
            pk__in=[a.newest_order_id for a in accounts if a.newest_order_id]
        ).values("pk", "placed_at", "source_updated_at", "ingested_at")
    }
    volume = {
        row["account_id"]: row
        for row in Order.objects.filter(placed_at__gte=min(window_start, today))
        .values("account_id")
        .annotate(
            recent=Count("pk", filter=Q(placed_at__gte=window_start)),
            today=Count("pk", filter=Q(placed_at__gte=today)),
        )
        .order_by()
    }
    letters = {
        row["account_id"]: row
        for row in DeadLetter.objects.filter(resolved_at__isnull=True)
        .values("account_id")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
        .order_by()
    }
    rejections = refused_since(now - REJECTION_WINDOW)
    syncs, polling = _sync_facts()
    pushes = push_problems()

    items = []
    for account in accounts:
        order = newest.get(account.newest_order_id)
        counts = volume.get(account.pk, {})
        letter = letters.get(account.pk, {})
        refused = rejections.pop(account.name, None) or Refused()
        item = AccountHealth(
            account=account,
            last_order_at=order["placed_at"] if order else None,
            last_received_at=account.last_received_at,
            lag=_lag(order, now) if order else None,
            orders_today=counts.get("today", 0),
            recent_orders=counts.get("recent", 0),
            rejected=refused.count,
            bad_signatures=refused.bad_signatures,
            last_rejected_at=refused.last_at,
            rejection_examples=refused.examples,
            open_dead_letters=letter.get("count", 0),
            oldest_dead_letter_at=letter.get("oldest"),
            sync=syncs.get(account.pk),
            has_api=has_client(account.platform),
            connected=is_connected(account.platform, account.api_credentials),
            push_problem=pushes.get(account.pk),
        )
        assess(item, now, window=_volume_window(account, now))
        items.append(item)
    unknown = sorted(
        (
            UnknownAccountRejections(
                name=name, count=entry.count, last_at=entry.last_at, examples=entry.examples
            )
            for name, entry in rejections.items()
            if entry.count
        ),
        key=lambda entry: (entry.is_other_names, -entry.count, entry.name),
    )
    return HealthReport(at=now, accounts=items, unknown=unknown, polling_configured=polling)


def _lag(order: Mapping[str, Any], now: datetime) -> timedelta:
    """Now minus the order's last change on the platform, else its arrival; never negative
    (a platform clock a little ahead of ours)."""
    return max(now - (order["source_updated_at"] or order["ingested_at"]), timedelta(0))


def _volume_window(account: ChannelAccount, now: datetime) -> timedelta:
    """The span the account's recent orders are spread over: a new account's few days, not
    :data:`VOLUME_WINDOW`, else its usual gap would look weeks long (at least a day). An
    account created after its first order (its history imported, as the demo's are) is as old
    as that order: counted from its creation, months of orders would seem to have come in a
    day, and a day's quiet would look like an outage."""
    first_order_at = getattr(account, "first_order_at", None)
    since = min(filter(None, (account.created_at, first_order_at)))
    return max(min(VOLUME_WINDOW, now - since), MIN_VOLUME_WINDOW)


def _sync_facts() -> tuple[dict[int, SyncFacts], bool]:
    """Per polled account, what the pull and reconcile jobs recorded; and whether any is."""
    facts = {
        row["account_id"]: SyncFacts(
            pull_enabled=row["pull_enabled"],
            poll_interval=timedelta(seconds=row["poll_interval_seconds"]),
            last_poll_succeeded_at=row["last_poll_succeeded_at"],
            last_poll_error=row["last_poll_error"],
            failures=row["failures"],
            last_reconciled_at=row["last_reconciled_at"],
            last_reconcile_error=row["last_reconcile_error"],
            platform_count=row["platform_order_count"],
            our_count=row["our_order_count"],
        )
        for row in SyncState.objects.values(
            "account_id",
            "pull_enabled",
            "poll_interval_seconds",
            "last_poll_succeeded_at",
            "last_poll_error",
            "failures",
            "last_reconciled_at",
            "last_reconcile_error",
            "platform_order_count",
            "our_order_count",
        )
    }
    return facts, any(fact.pull_enabled for fact in facts.values())
