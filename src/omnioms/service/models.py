"""Tickets, conversations, their sources and service levels (``docs/service.md``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SourceKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WECHAT_OA = "wechat_oa", _("WeChat Official Account")
    WECOM_KF = "wecom_kf", _("WeCom customer service")
    AFTERSALES = "aftersales", _("Marketplace after-sales")
    MANUAL = "manual", _("Logged by an agent")


class Source(models.Model):
    """Where conversations come from and where replies to them go."""

    name = models.SlugField(_("name"), max_length=100, unique=True)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices)
    account = models.ForeignKey(
        "channels.ChannelAccount",
        verbose_name=_("channel account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_sources",
        help_text=_("For marketplace after-sales: the shop whose secret signs the pushes."),
    )
    settings = models.JSONField(
        _("settings"),
        default=dict,
        blank=True,
        help_text=_("Hosts, tokens and keys the source's adapter and client read."),
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    is_active = models.BooleanField(_("active"), default=True)
    poll_cursor = models.JSONField(_("poll cursor"), default=dict, blank=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service source")
        verbose_name_plural = _("service sources")

    def __str__(self) -> str:
        return self.display_name or self.name


class ItemOutcome(models.TextChoices):
    RECEIVED = "received", _("Received, not yet processed")
    OPENED = "opened", _("Opened a ticket")
    ADDED = "added", _("Added to a ticket")
    DUPLICATE = "duplicate", _("Repeated delivery")
    IGNORED = "ignored", _("Carries no message")
    DEAD_LETTERED = "dead_lettered", _("Dead-lettered")


class InboundItem(models.Model):
    """The raw bytes of one e-mail, push or fetched message; written before it is parsed."""

    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="items"
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    body = models.BinaryField(_("body"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    event_id = models.CharField(_("event id"), max_length=300, blank=True)
    dedupe_key = models.CharField(  # noqa: DJ001 (NULL keeps repeats out of the unique index)
        _("deduplication key"), max_length=300, null=True, blank=True
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=ItemOutcome.choices, default=ItemOutcome.RECEIVED
    )
    ticket = models.ForeignKey(
        "Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "dedupe_key"],
                condition=models.Q(dedupe_key__isnull=False),
                name="service_item_event_once",
            )
        ]
        indexes = [models.Index(fields=["outcome", "id"], name="service_item_queue")]
        verbose_name = _("inbound item")
        verbose_name_plural = _("inbound items")

    def __str__(self) -> str:
        return f"{self.source_id}:{self.pk} {self.outcome}"


class ServiceDeadLetter(models.Model):
    item = models.OneToOneField(
        InboundItem,
        verbose_name=_("inbound item"),
        on_delete=models.PROTECT,
        related_name="dead_letter",
    )
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("dead-lettered at"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("service dead letter")
        verbose_name_plural = _("service dead letters")

    def __str__(self) -> str:
        return f"{self.item_id}: {self.reason[:60]}"


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_service_teams",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        blank=True,
        related_name="service_teams",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class AgentState(models.Model):
    """Whether an agent takes new tickets now, and when they last got one (round robin)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="service_state",
    )
    available = models.BooleanField(_("available"), default=True)
    last_assigned_at = models.DateTimeField(_("last assigned"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent state")
        verbose_name_plural = _("agent states")

    def __str__(self) -> str:
        return str(self.user)


class TicketType(models.TextChoices):
    QUESTION = "question", _("Question")
    COMPLAINT = "complaint", _("Complaint")
    RETURN = "return", _("Return")
    REFUND = "refund", _("Refund")
    DELIVERY = "delivery", _("Delivery problem")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting on customer")
    WAITING_US = "waiting_us", _("Waiting on us")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.OPEN,
    TicketStatus.WAITING_CUSTOMER,
    TicketStatus.WAITING_US,
)


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Targets for tickets matching its conditions (blank: any), in business minutes."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    channel = models.CharField(_("channel"), max_length=30, blank=True)
    ticket_type = models.CharField(_("type"), max_length=20, choices=TicketType.choices, blank=True)
    customer_tier = models.CharField(_("customer tier"), max_length=20, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"))
    next_response_minutes = models.PositiveIntegerField(
        _("next response (minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (minutes)"), null=True, blank=True
    )
    warn_share = models.DecimalField(
        _("warn when this share of time is left"), max_digits=4, decimal_places=2, default=0.25
    )
    calendar = models.ForeignKey(
        "production.Calendar",
        verbose_name=_("business hours"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty: around the clock."),
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    ticket_type = models.CharField(
        _("type"), max_length=20, choices=TicketType.choices, default=TicketType.QUESTION
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    channel = models.CharField(_("channel"), max_length=30)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="tickets"
    )
    external_ref = models.CharField(  # noqa: DJ001 (NULL: no reference, outside the index)
        _("platform reference"), max_length=100, null=True, blank=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_tickets",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_tickets",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    last_inbound_at = models.DateTimeField(_("last customer message"), null=True, blank=True)
    awaiting_reply_since = models.DateTimeField(
        _("waiting for our reply since"), null=True, blank=True
    )
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    reopen_count = models.PositiveIntegerField(_("reopened"), default=0)
    # Service level: the policy chosen, the due times, the clock's pause.
    sla_policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), on_delete=models.SET_NULL, null=True, blank=True
    )
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    next_response_due = models.DateTimeField(_("next response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    platform_due_at = models.DateTimeField(_("platform deadline"), null=True, blank=True)
    paused_since = models.DateTimeField(_("clock paused since"), null=True, blank=True)
    paused_seconds = models.FloatField(_("business seconds paused"), default=0.0)
    at_risk = models.BooleanField(_("about to breach"), default=False)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_ref"],
                condition=models.Q(external_ref__isnull=False),
                name="service_ticket_ref_once",
            )
        ]
        indexes = [
            models.Index(fields=["status", "assignee"], name="service_ticket_queue"),
            models.Index(fields=["customer", "-created_at"], name="service_ticket_customer"),
        ]
        permissions = [
            ("answer_ticket", "Can answer tickets and add notes"),
            ("view_service_dashboard", "Can view the customer service dashboard"),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketOrder(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="order_links"
    )
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="+"
    )
    line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("line"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)

    class Meta:
        verbose_name = _("order of a ticket")
        verbose_name_plural = _("orders of tickets")

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.order_id}:{self.line_id}"


class TicketEventKind(models.TextChoices):
    CREATED = "created", _("Ticket opened")
    CHANGED = "changed", _("Changed")
    MESSAGE = "message", _("Message")
    MERGED = "merged", _("Merged")
    REOPENED = "reopened", _("Reopened")
    ASSIGNED = "assigned", _("Assigned")
    AT_RISK = "at_risk", _("About to breach its SLA")
    ESCALATED = "escalated", _("Escalated to the team lead")
    BREACHED = "breached", _("SLA breached")
    ORDER_ACTION = "order_action", _("Order action")


class TicketEvent(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    kind = models.CharField(_("event"), max_length=20, choices=TicketEventKind.choices)
    actor_label = models.CharField(_("actor"), max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class Conversation(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="conversations"
    )
    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="conversations"
    )
    thread_key = models.CharField(_("thread"), max_length=300)
    contact = models.CharField(_("contact"), max_length=300, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["source", "thread_key"], name="service_conv_thread")]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return f"{self.source_id}:{self.thread_key}"


class Direction(models.TextChoices):
    INBOUND = "inbound", _("From the customer")
    OUTBOUND = "outbound", _("Reply")
    NOTE = "note", _("Internal note")


class ContactKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    PHONE = "phone", _("Phone call")
    STORE_VISIT = "store_visit", _("Store visit")


class Delivery(models.TextChoices):
    NONE = "", _("Not sent")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation,
        verbose_name=_("conversation"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    contact_kind = models.CharField(
        _("contact"), max_length=20, choices=ContactKind.choices, default=ContactKind.MESSAGE
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    sender = models.CharField(_("sender"), max_length=300, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    external_id = models.CharField(_("platform id"), max_length=300, blank=True)
    in_reply_to = models.CharField(_("in reply to"), max_length=300, blank=True)
    references = models.TextField(_("references"), blank=True)
    delivery = models.CharField(
        _("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.NONE, blank=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["delivery", "next_attempt_at"], name="service_msg_outbox"),
            models.Index(fields=["external_id"], name="service_msg_external"),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.direction} {self.at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    data = models.BinaryField(_("content"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class MediaKind(models.TextChoices):
    IMAGE = "image", _("image")
    VOICE = "voice", _("voice message")
    VIDEO = "video", _("video")
    FILE = "file", _("file")


class MediaState(models.TextChoices):
    PENDING = "pending", _("Being fetched")
    FETCHED = "fetched", _("Fetched")
    FAILED = "failed", _("Could not be fetched")


class MediaFetch(models.Model):
    """A file of a customer's message kept by the platform (WeChat's temporary media), fetched
    by the worker step ``service.fetch_media`` after the message is stored, with retries; the
    file becomes the message's attachment. A failure is kept and shown with the message."""

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="media"
    )
    media_id = models.CharField(_("media id"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=MediaKind.choices)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=MediaState.choices, default=MediaState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    attachment = models.ForeignKey(
        Attachment,
        verbose_name=_("attachment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="service_media_queue")]
        verbose_name = _("media to fetch")
        verbose_name_plural = _("media to fetch")

    def __str__(self) -> str:
        return f"{self.kind} {self.media_id}"


class CannedReply(models.Model):
    """A reply with placeholders: {order_number}, {tracking_link}, {promised_date},
    {customer_name}, {ticket_number}."""

    title = models.CharField(_("title"), max_length=100)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        default="zh-hans",
    )
    body = models.TextField(_("text"))

    class Meta:
        ordering = ["title", "language"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class AssignmentRule(models.Model):
    """The first rule in order whose conditions match sends a new ticket to its team; the
    team's available agent who waited longest gets it (round robin)."""

    position = models.PositiveIntegerField(_("position"), default=0)
    channel = models.CharField(_("channel"), max_length=30, blank=True)
    ticket_type = models.CharField(_("type"), max_length=20, choices=TicketType.choices, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return f"{self.position}: {self.team}"


class SlaMetric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")
    PLATFORM = "platform", _("Platform deadline")


class SlaBreach(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="breaches"
    )
    metric = models.CharField(_("target"), max_length=20, choices=SlaMetric.choices)
    due_at = models.DateTimeField(_("due"))
    breached_at = models.DateTimeField(_("breached at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "due_at"], name="service_breach_once"
            )
        ]
        verbose_name = _("SLA breach")
        verbose_name_plural = _("SLA breaches")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric}"


class SearchKind(models.TextChoices):
    ORDER = "order", _("Order")
    CUSTOMER = "customer", _("Customer")
    TICKET = "ticket", _("Ticket")


class SearchEntry(models.Model):
    """One searchable document per order, customer and ticket (lower case; phones as digits).

    PostgreSQL: a pg_trgm GIN index on ``document``; SQLite: the FTS5 trigram table
    ``service_search_fts`` (rowid = this id), kept in step by triggers. Both made by the
    migration ``0002_search_indexes``.
    """

    kind = models.CharField(_("kind"), max_length=10, choices=SearchKind.choices)
    object_id = models.BigIntegerField(_("object"))
    title = models.CharField(_("title"), max_length=300)
    document = models.TextField(_("document"))
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="service_search_once")
        ]
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class SearchKey(models.Model):
    """An exact-match key of a search entry (an order id, tracking number, SKU, phone, e-mail
    or ticket number, as ``domain.code_key``), under an ordinary B-tree index: a whole code
    is found without the trigram index. ``updated_at`` is the entry's, so that the index
    gives the newest first."""

    entry = models.ForeignKey(
        SearchEntry, verbose_name=_("search entry"), on_delete=models.CASCADE, related_name="keys"
    )
    key = models.CharField(_("key"), max_length=100)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["key", "-updated_at"], name="service_search_key")]
        verbose_name = _("search key")
        verbose_name_plural = _("search keys")

    def __str__(self) -> str:
        return self.key
