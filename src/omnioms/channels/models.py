"""Channel accounts and the durable intake: every byte a channel sent, and what became of it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnioms.core.choices import Platform


class ChannelAccount(models.Model):
    """One shop on one platform. ``name`` is the ``{account}`` of the API and CLI."""

    name = models.SlugField(_("name"), max_length=100, unique=True)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    platform = models.CharField(_("platform"), max_length=30, choices=Platform.choices)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Asia/Shanghai",
        help_text=_("Zone of the platform's times that carry no offset."),
    )
    default_currency = models.CharField(_("default currency"), max_length=3, default="CNY")
    location = models.ForeignKey(
        "core.Location",
        verbose_name=_("store or warehouse"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="channel_accounts",
    )
    # Secrets: never logged, never returned by the API, shown masked in the admin.
    webhook_secret = models.CharField(_("webhook secret"), max_length=500, blank=True)
    previous_webhook_secret = models.CharField(
        _("previous webhook secret"),
        max_length=500,
        blank=True,
        help_text=_("Still accepted while the platform rotates its secret."),
    )
    api_credentials = models.JSONField(_("API credentials"), default=dict, blank=True)
    options = models.JSONField(
        _("adapter options"),
        default=dict,
        blank=True,
        help_text=_("Settings the account's adapter reads, such as a spreadsheet column mapping."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("view_channel_health", "Can view the channel health page"),
            ("configure_column_mapping", "Can set up spreadsheet column mappings"),
        ]
        verbose_name = _("channel account")
        verbose_name_plural = _("channel accounts")

    def __str__(self) -> str:
        return self.display_name or self.name

    def __repr__(self) -> str:
        return f"<ChannelAccount {self.name} ({self.platform})>"

    def active_secrets(self) -> list[str]:
        return [s for s in (self.webhook_secret, self.previous_webhook_secret) if s]


class PayloadSource(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    FILE = "file", _("File import")
    API = "api", _("API")
    PULL = "pull", _("Pulled from the platform")


class PayloadOutcome(models.TextChoices):
    RECEIVED = "received", _("Received, not yet processed")
    CREATED = "created", _("Created an order")
    UPDATED = "updated", _("Updated an order")
    UNCHANGED = "unchanged", _("Same as the stored order")
    STALE = "stale", _("Older than the stored order")
    DUPLICATE = "duplicate", _("Repeated delivery of an event")
    DEAD_LETTERED = "dead_lettered", _("Dead-lettered")
    IGNORED = "ignored", _("Carries no order (ping)")
    FETCHED = "fetched", _("Named an order, which was fetched")


class InboundPayload(models.Model):
    """The raw bytes of one delivery, or one order's record of an imported file.

    Written before anything is parsed; never changed afterwards but for ``outcome``.
    """

    account = models.ForeignKey(
        ChannelAccount,
        verbose_name=_("channel account"),
        on_delete=models.PROTECT,
        related_name="payloads",
        db_index=False,  # payload_account_recv leads with it
    )
    source = models.CharField(_("source"), max_length=20, choices=PayloadSource.choices)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    content_type = models.CharField(_("content type"), max_length=100, default="application/json")
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    body = models.BinaryField(_("body"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    event_id = models.CharField(_("event id"), max_length=200, blank=True)
    delivery_id = models.CharField(_("delivery id"), max_length=200, blank=True)
    topic = models.CharField(_("topic"), max_length=100, blank=True)
    dedupe_key = models.CharField(  # noqa: DJ001 (NULL is what keeps repeats out of the unique index)
        _("deduplication key"),
        max_length=200,
        null=True,
        blank=True,
        help_text=_("The event id on the first delivery of an event; null on repeats."),
    )
    filename = models.CharField(_("file name"), max_length=300, blank=True)
    record_label = models.CharField(_("record"), max_length=100, blank=True)
    outcome = models.CharField(
        _("outcome"),
        max_length=20,
        choices=PayloadOutcome.choices,
        default=PayloadOutcome.RECEIVED,
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payloads",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "dedupe_key"],
                condition=models.Q(dedupe_key__isnull=False),
                name="inbound_payload_event_once",
            )
        ]
        indexes = [models.Index(fields=["account", "-received_at"], name="payload_account_recv")]
        verbose_name = _("inbound payload")
        verbose_name_plural = _("inbound payloads")

    def __str__(self) -> str:
        return f"{self.account_id}:{self.pk} {self.outcome}"


REASON_LIMIT = 10_000
"""Characters of a dead letter's reason kept: every problem of a payload of 150,000 bad lines
made a reason of 17 MB, which every page and API answer listing it then carried."""


def bounded_reason(reason: str, limit: int = REASON_LIMIT) -> str:
    """``reason`` cut to at most ``limit`` characters, saying how many were left out."""
    if len(reason) <= limit:
        return reason
    keep = limit - 40
    return f"{reason[:keep]}… ({len(reason) - keep} more characters)"


DISMISSAL_REASON_LIMIT = 2_000


class DeadLetterState(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


class DeadLetter(models.Model):
    """A payload that could not become an order, with the reason, until it is replayed.

    It is open until a replay turns it into orders (resolved) or a person dismisses it with a
    reason; both set ``resolved_at``, so every "open" query is ``resolved_at IS NULL``. A
    dismissed letter can still be replayed: the replay takes the dismissal back.
    """

    payload = models.OneToOneField(
        InboundPayload,
        verbose_name=_("inbound payload"),
        on_delete=models.PROTECT,
        related_name="dead_letter",
    )
    account = models.ForeignKey(
        ChannelAccount,
        verbose_name=_("channel account"),
        on_delete=models.PROTECT,
        related_name="dead_letters",
    )
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("dead-lettered at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    last_attempt_at = models.DateTimeField(_("last attempt"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)
    dismissed_by = models.CharField(_("dismissed by"), max_length=200, blank=True)
    dismissal_reason = models.TextField(_("why it was dismissed"), blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["resolved_at", "-created_at"], name="deadletter_open"),
        ]
        permissions = [
            ("replay_deadletter", "Can replay dead-lettered payloads"),
            ("dismiss_deadletter", "Can dismiss dead letters"),
        ]
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")

    def __str__(self) -> str:
        return f"{self.pk}: {self.reason[:60]}"

    @property
    def state(self) -> DeadLetterState:
        if self.dismissed_at is not None:
            return DeadLetterState.DISMISSED
        return DeadLetterState.OPEN if self.resolved_at is None else DeadLetterState.RESOLVED


class WebhookRejectionReason(models.TextChoices):
    BAD_SIGNATURE = "bad_signature", _("Bad signature")
    UNKNOWN_ACCOUNT = "unknown_account", _("Unknown or inactive account")


OTHER_ACCOUNT_NAMES = "*"
"""``account_name`` of the refusals to unknown names beyond the few counted one by one in an
hour (no account can be named ``*``): random names must not each get a row."""


class WebhookRejectionCount(models.Model):
    """How many webhook deliveries were refused, per account name, reason and hour.

    One row per hour however many deliveries (an upsert adds one), so that a flood of
    unauthenticated requests writes a bounded number of rows; rows older than
    ``OMNIOMS_WEBHOOK_REJECTION_DAYS`` are purged by a worker step. Never the body or headers,
    which may be forged or hostile. The channel health page sums these per account.
    """

    account_name = models.CharField(
        _("account name"), max_length=100, help_text=_("The account the request's URL named.")
    )
    reason = models.CharField(_("reason"), max_length=30, choices=WebhookRejectionReason.choices)
    hour = models.DateTimeField(_("hour"), help_text=_("The hour (UTC) the refusals fell in."))
    count = models.PositiveBigIntegerField(_("refused"), default=0)
    last_at = models.DateTimeField(_("last refused at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account_name", "reason", "hour"], name="webhook_rejection_hour"
            )
        ]
        indexes = [models.Index(fields=["hour"], name="webhook_rejection_by_hour")]
        verbose_name = _("refused webhooks in an hour")
        verbose_name_plural = _("refused webhooks per hour")

    def __str__(self) -> str:
        return f"{self.account_name} {self.reason} {self.hour:%Y-%m-%d %H}h: {self.count}"


class WebhookRejectionExample(models.Model):
    """One of the last few refused deliveries per account name and reason: when and from where.

    A ring of ``slot`` 0 to 4, overwritten in turn, so it never grows.
    """

    account_name = models.CharField(_("account name"), max_length=100)
    reason = models.CharField(_("reason"), max_length=30, choices=WebhookRejectionReason.choices)
    slot = models.PositiveSmallIntegerField(_("slot"))
    at = models.DateTimeField(_("rejected at"))
    remote_addr = models.GenericIPAddressField(_("remote address"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account_name", "reason", "slot"], name="webhook_rejection_example"
            )
        ]
        verbose_name = _("refused webhook")
        verbose_name_plural = _("refused webhooks")

    def __str__(self) -> str:
        return f"{self.account_name} {self.reason} {self.at:%Y-%m-%d %H:%M:%S}"


# ----------------------------------------------------------------------------------------------
# Pulling from the platforms, and commands sent back to them (sync/pull.py, sync/outbound.py)


class SyncState(models.Model):
    """How far omnioms has read one account's orders through the platform's API.

    ``cursor`` is the high-water mark: every order the platform changed before it has been
    stored. It moves only in the transaction that stores the last page of a window.
    """

    account = models.OneToOneField(
        ChannelAccount,
        verbose_name=_("channel account"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sync_state",
    )
    pull_enabled = models.BooleanField(
        _("poll the platform"),
        default=True,
        help_text=_("Ask the platform for changed orders on a schedule, besides webhooks."),
    )
    cursor = models.DateTimeField(_("read up to"), null=True, blank=True)
    poll_interval_seconds = models.PositiveIntegerField(_("seconds between polls"), default=300)
    overlap_seconds = models.PositiveIntegerField(
        _("overlap (seconds)"),
        null=True,
        blank=True,
        help_text=_(
            "How far before the last poll each poll starts again, so that orders the "
            "platform indexes late are not missed. Empty: the site default."
        ),
    )
    window_start = models.DateTimeField(_("window being read from"), null=True, blank=True)
    window_end = models.DateTimeField(_("window being read to"), null=True, blank=True)
    page_cursor = models.TextField(_("next page"), blank=True)
    next_poll_at = models.DateTimeField(_("next poll"), null=True, blank=True)
    last_poll_started_at = models.DateTimeField(_("last poll started"), null=True, blank=True)
    last_poll_succeeded_at = models.DateTimeField(_("last successful poll"), null=True, blank=True)
    last_poll_error = models.TextField(_("last poll error"), blank=True)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    last_poll_orders = models.PositiveIntegerField(_("orders read by the last poll"), default=0)
    thin_scanned_id = models.BigIntegerField(
        _("thin webhooks handled up to"),
        default=0,
        help_text=_("Dead letters up to this id were checked for orders to fetch."),
    )
    next_reconcile_at = models.DateTimeField(_("next reconciliation"), null=True, blank=True)
    last_reconciled_at = models.DateTimeField(_("last reconciliation"), null=True, blank=True)
    last_reconcile_error = models.TextField(_("last reconciliation error"), blank=True)
    reconcile_since = models.DateTimeField(_("reconciled from"), null=True, blank=True)
    platform_order_count = models.PositiveIntegerField(
        _("orders on the platform"), null=True, blank=True
    )
    our_order_count = models.PositiveIntegerField(_("orders in omnioms"), null=True, blank=True)
    missing_count = models.PositiveIntegerField(_("missing orders fetched"), null=True, blank=True)
    stale_count = models.PositiveIntegerField(_("stale orders fetched"), null=True, blank=True)

    class Meta:
        verbose_name = _("sync state")
        verbose_name_plural = _("sync states")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.cursor}"


class CommandKind(models.TextChoices):
    MARK_SHIPPED = "mark_shipped", _("Mark shipped")
    CANCEL_ORDER = "cancel_order", _("Cancel the order")
    REFUND = "refund", _("Refund")
    CHANGE_ADDRESS = "change_address", _("Change the shipping address")


class CommandState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundCommand(models.Model):
    """Something omnioms must tell a platform, queued in the transaction that decided it.

    The outbound worker sends it, retrying with backoff; ``failed`` needs a person (the
    platform refused it, or the attempts ran out) and can be retried from the admin.
    """

    account = models.ForeignKey(
        ChannelAccount,
        verbose_name=_("channel account"),
        on_delete=models.PROTECT,
        related_name="outbound_commands",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="outbound_commands",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=CommandKind.choices)
    payload = models.JSONField(_("details"), default=dict)
    state = models.CharField(
        _("state"), max_length=10, choices=CommandState.choices, default=CommandState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_by = models.CharField(_("requested by"), max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbound_due"),
        ]
        verbose_name = _("outbound command")
        verbose_name_plural = _("outbound commands")

    def __str__(self) -> str:
        return f"{self.kind} {self.order_id} ({self.state})"
