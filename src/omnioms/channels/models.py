"""Channel accounts and the durable intake: every byte a channel sent, and what became of it."""

from __future__ import annotations

from django.db import models
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
        "inventory.Location",
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


class PayloadOutcome(models.TextChoices):
    RECEIVED = "received", _("Received, not yet processed")
    CREATED = "created", _("Created an order")
    UPDATED = "updated", _("Updated an order")
    UNCHANGED = "unchanged", _("Same as the stored order")
    STALE = "stale", _("Older than the stored order")
    DUPLICATE = "duplicate", _("Repeated delivery of an event")
    DEAD_LETTERED = "dead_lettered", _("Dead-lettered")
    IGNORED = "ignored", _("Carries no order (ping)")


class InboundPayload(models.Model):
    """The raw bytes of one delivery, or one order's record of an imported file.

    Written before anything is parsed; never changed afterwards but for ``outcome``.
    """

    account = models.ForeignKey(
        ChannelAccount,
        verbose_name=_("channel account"),
        on_delete=models.PROTECT,
        related_name="payloads",
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


class DeadLetter(models.Model):
    """A payload that could not become an order, with the reason, until it is replayed."""

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

    class Meta:
        indexes = [
            models.Index(fields=["resolved_at", "-created_at"], name="deadletter_open"),
        ]
        permissions = [("replay_deadletter", "Can replay dead-lettered payloads")]
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")

    def __str__(self) -> str:
        return f"{self.pk}: {self.reason[:60]}"
