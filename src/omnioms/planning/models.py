"""Requirements runs and their planned orders, and the production orders released from them.

``docs/production.md`` ("Plans"). The engines are pure (``requirements.py`` here, and the
scheduling engine); these rows are what a planner reviews, changes and releases.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnioms.catalog.models import Sku
from omnioms.production.models import QUANTITY_DIGITS, QUANTITY_PLACES


class RequirementsRun(models.Model):
    as_of = models.DateField(_("as of"))
    horizon_days = models.PositiveIntegerField(_("days ahead"), default=120)
    forecast_run = models.ForeignKey(
        "forecasting.ForecastRun",
        verbose_name=_("forecast"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    job = models.ForeignKey(
        "core.Job", verbose_name=_("job"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("requirements run")
        verbose_name_plural = _("requirements runs")

    def __str__(self) -> str:
        return f"{_('Requirements')} {self.as_of} #{self.pk}"


class PlannedKind(models.TextChoices):
    MAKE = "make", _("Make")
    BUY = "buy", _("Buy")


class PlannedStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    RELEASED = "released", _("Released")
    DISMISSED = "dismissed", _("Dismissed")


class PlannedOrder(models.Model):
    """What the requirements run proposes to make or buy; the planner changes and releases it."""

    run = models.ForeignKey(
        RequirementsRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="orders"
    )
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=5, choices=PlannedKind.choices)
    sku = models.ForeignKey(Sku, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="+")
    quantity = models.DecimalField(
        _("quantity"), max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES
    )
    proposed_quantity = models.DecimalField(
        _("proposed quantity"), max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES
    )
    start = models.DateField(_("start"))
    due = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=PlannedStatus.choices, default=PlannedStatus.PROPOSED
    )
    late = models.BooleanField(_("late"), default=False)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["run", "due", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="planned_order_number"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="planned_order_positive"),
        ]
        verbose_name = _("planned order")
        verbose_name_plural = _("planned orders")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} × {self.sku_id} by {self.due}"


class Peg(models.Model):
    """What part of a planned order is for what: an order, a forecast week, a parent's planned
    order, the safety stock, or lot rounding."""

    planned_order = models.ForeignKey(
        PlannedOrder, verbose_name=_("planned order"), on_delete=models.CASCADE, related_name="pegs"
    )
    source = models.CharField(_("for"), max_length=50)
    day = models.DateField(_("needed on"))
    quantity = models.DecimalField(
        _("quantity"), max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES
    )

    class Meta:
        ordering = ["planned_order", "day", "pk"]
        verbose_name = _("pegging")
        verbose_name_plural = _("pegging")

    def __str__(self) -> str:
        return f"{self.quantity} for {self.source}"


class ProductionStatus(models.TextChoices):
    REQUESTED = "requested", _("Rush request (not accepted yet)")
    RELEASED = "released", _("Released")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class ProductionOrder(models.Model):
    """Make ``quantity`` of a SKU by ``due``, with its routing's operations copied at release."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    sku = models.ForeignKey(Sku, verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    due = models.DateField(_("due"))
    start = models.DateField(_("planned start"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ProductionStatus.choices,
        default=ProductionStatus.RELEASED,
    )
    location = models.ForeignKey(
        "core.Location",
        verbose_name=_("received into"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    customer_order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("made for order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="production_orders",
    )
    planned_order = models.OneToOneField(
        PlannedOrder,
        verbose_name=_("released from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="production_order",
    )
    planned_output = models.OneToOneField(
        "inventory.PlannedOutput",
        verbose_name=_("planned output"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    bom = models.ForeignKey(
        "production.Bom",
        verbose_name=_("bill of materials"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    routing = models.ForeignKey(
        "production.Routing",
        verbose_name=_("routing"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    priority = models.DecimalField(
        _("priority"), max_digits=8, decimal_places=3, default=0, db_index=True
    )
    priority_reasons = models.JSONField(_("how the priority was made"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["due", "number"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="production_order_positive")
        ]
        verbose_name = _("production order")
        verbose_name_plural = _("production orders")

    def __str__(self) -> str:
        return self.number


class OperationStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    DONE = "done", _("Done")


class ProductionOperation(models.Model):
    """One step of a production order, copied from its routing when it was released."""

    production_order = models.ForeignKey(
        ProductionOrder,
        verbose_name=_("production order"),
        on_delete=models.CASCADE,
        related_name="operations",
    )
    sequence = models.PositiveIntegerField(_("sequence"))
    name = models.CharField(_("name"), max_length=200)
    work_center = models.ForeignKey(
        "production.WorkCenter",
        verbose_name=_("work centre"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    alternatives = models.ManyToManyField(
        "production.WorkCenter",
        verbose_name=_("allowed alternatives"),
        blank=True,
        related_name="+",
    )
    setup_minutes = models.DecimalField(
        _("setup (minutes)"), max_digits=10, decimal_places=2, default=0
    )
    run_seconds_per_unit = models.DecimalField(
        _("run time per unit (seconds)"), max_digits=12, decimal_places=3
    )
    min_transfer_batch = models.PositiveIntegerField(
        _("minimum transfer batch"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=OperationStatus.choices, default=OperationStatus.WAITING
    )
    good = models.PositiveIntegerField(_("good"), default=0)
    scrap = models.PositiveIntegerField(_("scrap"), default=0)

    class Meta:
        ordering = ["production_order", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["production_order", "sequence"], name="production_operation_once"
            )
        ]
        verbose_name = _("production operation")
        verbose_name_plural = _("production operations")

    def __str__(self) -> str:
        return f"{self.production_order_id}/{self.sequence} {self.name}"


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")
    DISCARDED = "discarded", _("Discarded")


class Plan(models.Model):
    """A version of the schedule: when and on which machine each open operation runs.

    Proposed by a planning run (a job), published by a planner; the one published plan is what
    the shop floor, promise dates and the daily close read. A what-if plan (a rush order's)
    names the plan it was made from and is never published unless its request is accepted.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.PROPOSED
    )
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    horizon_start = models.DateTimeField(_("from"))
    horizon_end = models.DateTimeField(_("until"))
    solver_status = models.CharField(_("solver status"), max_length=20, blank=True)
    what_if = models.BooleanField(
        _("what-if"),
        default=False,
        help_text=_("Made for a rush request: published only if accepted."),
    )
    objective = models.JSONField(_("objective"), default=dict, blank=True)
    """Weighted tardiness, flow time, the lower bound, the bottlenecks and how it was made."""
    job = models.ForeignKey(
        "core.Job", verbose_name=_("job"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-version"]
        permissions = [("publish_plan", "Can publish a plan")]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="published"),
                name="one_published_plan",
            )
        ]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self) -> str:
        return f"{_('Plan')} v{self.version}"


class PlannedOperation(models.Model):
    """One operation of a production order placed in a plan: machine, start and end (UTC)."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="operations"
    )
    operation = models.ForeignKey(
        ProductionOperation,
        verbose_name=_("operation"),
        on_delete=models.CASCADE,
        related_name="planned",
    )
    work_center = models.ForeignKey(
        "production.WorkCenter",
        verbose_name=_("work centre"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    machine = models.PositiveIntegerField(_("machine"), default=0)
    """Which of the work centre's identical machines, from 0."""
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    setup_minutes = models.PositiveIntegerField(_("setup (minutes)"), default=0)
    fixed = models.BooleanField(
        _("fixed"), default=False, help_text=_("Started or firmed: kept in place by re-planning.")
    )

    class Meta:
        ordering = ["plan", "work_center", "machine", "start"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "operation"], name="planned_operation_once"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="planned_op_span"),
        ]
        indexes = [models.Index(fields=["plan", "start"], name="planned_op_start")]
        verbose_name = _("planned operation")
        verbose_name_plural = _("planned operations")

    def __str__(self) -> str:
        where = f"{self.work_center_id}/{self.machine}"
        return f"{self.operation_id} on {where} {self.start:%Y-%m-%d %H:%M}"


class PlanningSettings(models.Model):
    """The planner's settings: the weights of the priority score (one row)."""

    urgency_weight = models.DecimalField(
        _("weight of urgency"), max_digits=5, decimal_places=2, default=5
    )
    customer_weight = models.DecimalField(
        _("weight of the customer's tier"), max_digits=5, decimal_places=2, default=3
    )
    margin_weight = models.DecimalField(
        _("weight of margin"), max_digits=5, decimal_places=2, default=2
    )
    urgency_days = models.PositiveIntegerField(
        _("slack that is not urgent (days)"),
        default=20,
        help_text=_("An order with this many days of slack or more gets no urgency points."),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("planning settings")
        verbose_name_plural = _("planning settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(urgency_weight__gte=0)
                & Q(customer_weight__gte=0)
                & Q(margin_weight__gte=0),
                name="planning_weights_not_negative",
            ),
            models.CheckConstraint(condition=Q(urgency_days__gte=1), name="planning_urgency_days"),
        ]

    def __str__(self) -> str:
        return str(_("planning settings"))

    @classmethod
    def load(cls) -> PlanningSettings:
        row = cls.objects.order_by("pk").first()
        return row if row is not None else cls.objects.create()


class RushStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    PROPOSED = "proposed", _("Proposed by PMC")
    CHANGES = "changes", _("Changes asked")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class RushRequest(models.Model):
    """A rush order (插单): sales or PMC ask for a quantity by a date; omnioms plans it into a
    what-if of the published plan with its impact; PMC proposes it, production accepts or
    rejects it (either may ask for changes); only an accepted one is published."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    sku = models.ForeignKey(Sku, verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    wanted = models.DateField(_("wanted by"))
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    customer_order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("customer order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=RushStatus.choices, default=RushStatus.REQUESTED
    )
    production_order = models.OneToOneField(
        ProductionOrder,
        verbose_name=_("production order"),
        on_delete=models.PROTECT,
        related_name="rush_request",
    )
    what_if = models.ForeignKey(
        Plan,
        verbose_name=_("what-if plan"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    impact = models.JSONField(_("impact"), default=dict, blank=True)
    promisable = models.DateField(_("date it can be promised"), null=True, blank=True)
    job = models.ForeignKey(
        "core.Job", verbose_name=_("job"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="rush_positive")]
        permissions = [
            ("propose_rushrequest", "Can propose a rush order (PMC)"),
            ("decide_rushrequest", "Can accept or reject a rush order (production)"),
        ]
        verbose_name = _("rush request")
        verbose_name_plural = _("rush requests")

    def __str__(self) -> str:
        return self.number


RUSH_ACTIONS = {
    "requested": _("Requested"),
    "assessed": _("Assessed (what-if)"),
    "proposed": _("Proposed to production"),
    "changes_asked": _("Changes asked"),
    "revised": _("Changed"),
    "accepted": _("Accepted"),
    "rejected": _("Rejected"),
    "published": _("Published"),
}


class RushStep(models.Model):
    """One step of a rush request's approval: who did what, when, with what comment."""

    request = models.ForeignKey(
        RushRequest, verbose_name=_("rush request"), on_delete=models.CASCADE, related_name="steps"
    )
    action = models.CharField(_("action"), max_length=20)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    by_label = models.CharField(_("by"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["request", "at", "pk"]
        verbose_name = _("rush request step")
        verbose_name_plural = _("rush request steps")

    def __str__(self) -> str:
        return f"{self.request_id} {self.action}"

    def get_action_label(self) -> str:
        return str(RUSH_ACTIONS.get(self.action, self.action))
