"""The shop floor's own records (``docs/floor.md``).

Reports from the floor (each with the id its sender gave it, applied once), the intervals of
machine state they make (what OEE is computed from), material issued and returned, the daily
close per day, exceptions with their three elements (standard, constraint, owner) and every
step taken on them, T-3 loops, notifications, and the KPI targets and benchmarks.

Planning's ``ProductionOperation`` keeps its status and good and scrap counts; the floor
changes those fields only through :mod:`omnioms.floor.reporting`.
"""

from __future__ import annotations

from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnioms.core.money import AMOUNT_DIGITS, AMOUNT_PLACES

_USER = settings.AUTH_USER_MODEL


class ReportKind(models.TextChoices):
    START = "start", _("Start")
    PAUSE = "pause", _("Pause")
    RESUME = "resume", _("Resume")
    OUTPUT = "output", _("Output")
    FINISH = "finish", _("Finish")


class PauseReason(models.TextChoices):
    """Why a job stopped; the values are the OEE engine's machine states."""

    BREAKDOWN = "breakdown", _("Breakdown")
    WAITING_MATERIAL = "waiting_material", _("Waiting for material")
    SETUP = "setup", _("Setup")
    NO_OPERATOR = "no_operator", _("No operator")
    QUALITY_HOLD = "quality_hold", _("Quality hold")
    PLANNED_STOP = "planned_stop", _("Planned stop")


class ScrapReason(models.TextChoices):
    MATERIAL = "material", _("Material defect")
    MACHINE = "machine", _("Machine fault")
    OPERATOR = "operator", _("Operator error")
    SETUP = "setup", _("Setup pieces")
    QUALITY = "quality", _("Failed inspection")
    OTHER = "other", _("Other")


class ReportSource(models.TextChoices):
    TABLET = "tablet", _("Tablet")
    API = "api", _("REST API")
    EXCEL = "excel", _("Excel upload")
    SYSTEM = "system", _("System")


class OperationReport(models.Model):
    """One report from the floor about one operation; ``report_id`` is the sender's own id.

    A report arriving again with the same id changes nothing (a double tap, a tablet that sent
    before it lost its connection); the same id with different content is refused.
    """

    report_id = models.CharField(_("report id"), max_length=64, unique=True)
    operation = models.ForeignKey(
        "planning.ProductionOperation",
        verbose_name=_("operation"),
        on_delete=models.CASCADE,
        related_name="floor_reports",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    at = models.DateTimeField(_("time"))
    good = models.PositiveIntegerField(_("good"), default=0)
    scrap = models.PositiveIntegerField(_("scrap"), default=0)
    scrap_reason = models.CharField(
        _("scrap reason"), max_length=20, choices=ScrapReason.choices, blank=True
    )
    pause_reason = models.CharField(
        _("pause reason"), max_length=20, choices=PauseReason.choices, blank=True
    )
    work_center = models.ForeignKey(
        "production.WorkCenter",
        verbose_name=_("work centre"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    machine = models.PositiveIntegerField(_("machine"), default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=ReportSource.choices)
    actor_label = models.CharField(_("reported by"), max_length=200)
    actor_user = models.ForeignKey(
        _USER,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["work_center", "at"], name="floor_report_wc_at")]
        permissions = [("report_operation", _("Can report from the shop floor"))]
        verbose_name = _("floor report")
        verbose_name_plural = _("floor reports")

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind} {self.operation_id}"


class OperationProgress(models.Model):
    """What the floor knows of one operation: when it started and finished, and where."""

    operation = models.OneToOneField(
        "planning.ProductionOperation",
        verbose_name=_("operation"),
        on_delete=models.CASCADE,
        related_name="floor_progress",
    )
    work_center = models.ForeignKey(
        "production.WorkCenter",
        verbose_name=_("work centre"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    machine = models.PositiveIntegerField(_("machine"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    last_at = models.DateTimeField(_("last report at"), null=True, blank=True)
    since = models.DateTimeField(_("in this state since"), null=True, blank=True)
    pause_reason = models.CharField(
        _("pause reason"), max_length=20, choices=PauseReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("operation progress")
        verbose_name_plural = _("operation progress")

    def __str__(self) -> str:
        return f"{self.operation_id}"


class StateInterval(models.Model):
    """A closed interval of one machine in one state, made from the reports (OEE's input)."""

    operation = models.ForeignKey(
        "planning.ProductionOperation",
        verbose_name=_("operation"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    work_center = models.ForeignKey(
        "production.WorkCenter",
        verbose_name=_("work centre"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    machine = models.PositiveIntegerField(_("machine"), default=0)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    state = models.CharField(_("state"), max_length=20)
    reason = models.CharField(_("reason"), max_length=20, blank=True)
    produced = models.PositiveIntegerField(_("produced"), default=0)
    scrap = models.PositiveIntegerField(_("scrap"), default=0)
    scrap_reason = models.CharField(_("scrap reason"), max_length=20, blank=True)
    ideal_seconds_per_unit = models.DecimalField(
        _("run time per unit (seconds)"), max_digits=12, decimal_places=3
    )
    # Derived once when the interval is written (stamp_intervals), so that the KPI sums are
    # plain GROUP BYs: its length, and the local day, hour and shift at its start in the
    # work centre's calendar
    # (the shift that was running then, kept when a calendar changes later).
    seconds = models.FloatField(_("seconds"), default=0.0)
    local_day = models.DateField(_("local day"))
    local_hour = models.PositiveSmallIntegerField(_("local hour"))
    shift = models.CharField(_("shift"), max_length=50, blank=True)

    class Meta:
        ordering = ["work_center", "start"]
        indexes = [
            models.Index(fields=["start"], name="floor_interval_start"),
            models.Index(fields=["local_day", "work_center"], name="floor_interval_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="interval_span")
        ]
        verbose_name = _("machine state interval")
        verbose_name_plural = _("machine state intervals")

    def __str__(self) -> str:
        return f"{self.work_center_id}/{self.machine} {self.state} {self.start:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        stamp_intervals([self])
        super().save(*args, **kwargs)


def stamp_intervals(rows: list[StateInterval]) -> None:
    """Derive each interval's seconds, and the local day, hour and shift of its start in its
    work centre's calendar (that calendar's zone), the one place they are derived;
    ``bulk_create`` callers call it themselves."""
    from omnioms.floor.domain import ShiftSpan, interval_stamp
    from omnioms.production.models import Shift, WorkCenter

    if not rows:
        return
    centres = {
        pk: (calendar_id, zone)
        for pk, calendar_id, zone in WorkCenter.objects.filter(
            pk__in={r.work_center_id for r in rows}
        ).values_list("pk", "calendar_id", "calendar__time_zone")
    }
    shifts: dict[int, list[ShiftSpan]] = {}
    for shift in Shift.objects.filter(calendar_id__in={c for c, _z in centres.values()}):
        shifts.setdefault(shift.calendar_id, []).append(
            ShiftSpan(shift.weekday, shift.start, shift.end, shift.name)
        )
    for row in rows:
        calendar_id, zone = centres[row.work_center_id]
        stamp = interval_stamp(row.start, row.end, ZoneInfo(zone), shifts.get(calendar_id, []))
        row.seconds, row.local_day = stamp.seconds, stamp.local_day
        row.local_hour, row.shift = stamp.local_hour, stamp.shift


class MaterialKind(models.TextChoices):
    ISSUE = "issue", _("Issued")
    BACKFLUSH = "backflush", _("Back-flushed")
    RETURN = "return", _("Returned")


class MaterialMovement(models.Model):
    """Material issued to (positive) or returned from (negative) a production order; the stock
    ledger's movement beside it. ``report_id`` makes a repeated request change nothing."""

    report_id = models.CharField(_("report id"), max_length=64, unique=True)
    production_order = models.ForeignKey(
        "planning.ProductionOrder",
        verbose_name=_("production order"),
        on_delete=models.CASCADE,
        related_name="floor_materials",
    )
    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("material"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=MaterialKind.choices)
    quantity = models.IntegerField(_("quantity (stock steps)"))
    unit_cost = models.DecimalField(
        _("unit cost"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, default=0
    )
    stock_movement = models.ForeignKey(
        "inventory.StockMovement",
        verbose_name=_("stock movement"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor_label = models.CharField(_("by"), max_length=200)

    class Meta:
        ordering = ["at", "pk"]
        permissions = [("issue_material", _("Can issue and return material"))]
        verbose_name = _("material movement")
        verbose_name_plural = _("material movements")

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} × {self.sku_id} → {self.production_order_id}"


class MaterialPolicy(models.Model):
    """A material that is back-flushed from the BOM when an order completes, not issued."""

    sku = models.OneToOneField(
        "catalog.Sku", verbose_name=_("material"), on_delete=models.CASCADE, related_name="+"
    )
    backflush = models.BooleanField(_("back-flushed at completion"), default=True)

    class Meta:
        verbose_name = _("material policy")
        verbose_name_plural = _("material policies")

    def __str__(self) -> str:
        return f"{self.sku_id}: {self.backflush}"


class FinishedReceipt(models.Model):
    """Finished goods of a production order received into stock (once per report id)."""

    report_id = models.CharField(_("report id"), max_length=64, unique=True)
    production_order = models.ForeignKey(
        "planning.ProductionOrder",
        verbose_name=_("production order"),
        on_delete=models.CASCADE,
        related_name="floor_receipts",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    stock_movement = models.ForeignKey(
        "inventory.StockMovement",
        verbose_name=_("stock movement"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor_label = models.CharField(_("by"), max_length=200)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("finished goods receipt")
        verbose_name_plural = _("finished goods receipts")

    def __str__(self) -> str:
        return f"{self.quantity} of {self.production_order_id}"


class SiteClose(models.Model):
    """When a site's daily close runs (local time of ``time_zone``); no site: the default."""

    site = models.OneToOneField(
        "core.Location",
        verbose_name=_("site"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    close_at = models.TimeField(_("close at"), default=time(20, 0))
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("daily close time")
        verbose_name_plural = _("daily close times")

    def __str__(self) -> str:
        return f"{self.site_id or '*'} {self.close_at:%H:%M}"


class DailyClose(models.Model):
    """The day's close (日清日结) of one site (none: every work centre); run again, replaced."""

    day = models.DateField(_("day"))
    site = models.ForeignKey(
        "core.Location",
        verbose_name=_("site"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    ran_at = models.DateTimeField(_("ran at"), default=timezone.now)
    job = models.ForeignKey(
        "core.Job",
        verbose_name=_("job"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        ordering = ["-day", "pk"]
        # One close per day and site, and one per day for all sites (site empty): two partial
        # indexes, which SQLite has too (``nulls_distinct`` it has not).
        constraints = [
            models.UniqueConstraint(
                fields=["day", "site"],
                condition=Q(site__isnull=False),
                name="daily_close_once_per_site",
            ),
            models.UniqueConstraint(
                fields=["day"], condition=Q(site__isnull=True), name="daily_close_once_overall"
            ),
        ]
        permissions = [("run_daily_close", _("Can run the daily close"))]
        verbose_name = _("daily close")
        verbose_name_plural = _("daily closes")

    def __str__(self) -> str:
        return f"{_('Daily close')} {self.day}"


class CloseScope(models.TextChoices):
    ORDER = "order", _("Production order")
    WORK_CENTER = "work_center", _("Work centre")


class CloseLine(models.Model):
    """One production order's or work centre's figures in a daily close."""

    close = models.ForeignKey(
        DailyClose, verbose_name=_("daily close"), on_delete=models.CASCADE, related_name="lines"
    )
    scope = models.CharField(_("scope"), max_length=12, choices=CloseScope.choices)
    production_order = models.ForeignKey(
        "planning.ProductionOrder",
        verbose_name=_("production order"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    work_center = models.ForeignKey(
        "production.WorkCenter",
        verbose_name=_("work centre"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    planned_quantity = models.IntegerField(_("planned quantity"), default=0)
    good = models.IntegerField(_("good"), default=0)
    scrap = models.IntegerField(_("scrap"), default=0)
    planned_hours = models.DecimalField(_("planned hours"), max_digits=12, decimal_places=2)
    reported_hours = models.DecimalField(_("reported hours"), max_digits=12, decimal_places=2)
    material_standard = models.DecimalField(
        _("material standard value"), max_digits=AMOUNT_DIGITS, decimal_places=2, default=0
    )
    material_issued = models.DecimalField(
        _("material issued value"), max_digits=AMOUNT_DIGITS, decimal_places=2, default=0
    )
    planned_finish = models.DateTimeField(_("planned finish"), null=True, blank=True)
    projected_finish = models.DateTimeField(_("projected finish"), null=True, blank=True)
    materials = models.JSONField(_("materials"), default=list, blank=True)
    """Per material: code, standard and issued units, variance in units, value and per cent."""
    gaps = models.JSONField(_("gaps"), default=list, blank=True)
    """The exception types this line is beyond the tolerance of, with the figure."""

    class Meta:
        ordering = ["close", "scope", "pk"]
        verbose_name = _("daily close line")
        verbose_name_plural = _("daily close lines")

    def __str__(self) -> str:
        return f"{self.close_id} {self.scope} {self.production_order_id or self.work_center_id}"


class OwnerKind(models.TextChoices):
    ROLE = "role", _("Role")
    PERSON = "person", _("Person")


class ExceptionType(models.Model):
    """What is expected (standard), what happens when it is missed (constraint), and by
    default who answers (owner); configured, not coded."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    standard = models.CharField(_("standard"), max_length=500)
    tolerance = models.DecimalField(
        _("tolerance"),
        max_digits=12,
        decimal_places=4,
        default=0,
        help_text=_("The gap beyond which an exception opens (0.02: 2 %; hours for delays)."),
    )
    hours_to_acknowledge = models.PositiveIntegerField(_("hours to acknowledge"), default=2)
    hours_to_resolve = models.PositiveIntegerField(_("hours to resolve"), default=24)
    owner_role = models.CharField(_("owner role"), max_length=30, blank=True)
    owner_user = models.ForeignKey(
        _USER,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("exception type")
        verbose_name_plural = _("exception types")

    def __str__(self) -> str:
        return self.name


class ExceptionOwner(models.Model):
    """Who owns a type's exceptions for one work centre or product line (family)."""

    type = models.ForeignKey(
        ExceptionType, verbose_name=_("type"), on_delete=models.CASCADE, related_name="owners"
    )
    work_center = models.ForeignKey(
        "production.WorkCenter",
        verbose_name=_("work centre"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    family = models.ForeignKey(
        "catalog.ProductFamily",
        verbose_name=_("product line"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    role = models.CharField(_("role"), max_length=30, blank=True)
    user = models.ForeignKey(
        _USER,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("exception owner")
        verbose_name_plural = _("exception owners")

    def __str__(self) -> str:
        return f"{self.type_id}: {self.user_id or self.role}"


class EscalationStep(models.Model):
    """The chain: ``after_hours`` past the due time unanswered, the exception goes to this
    role or person (level 1, 2, ...)."""

    type = models.ForeignKey(
        ExceptionType, verbose_name=_("type"), on_delete=models.CASCADE, related_name="chain"
    )
    level = models.PositiveIntegerField(_("level"))
    after_hours = models.PositiveIntegerField(_("hours overdue"))
    role = models.CharField(_("role"), max_length=30, blank=True)
    user = models.ForeignKey(
        _USER,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["type", "level"]
        constraints = [
            models.UniqueConstraint(fields=["type", "level"], name="escalation_level_once")
        ]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")

    def __str__(self) -> str:
        return f"{self.type_id} {self.level}: {self.user_id or self.role}"


class ExceptionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_WORK = "in_work", _("In work")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (
    ExceptionStatus.OPEN,
    ExceptionStatus.ACKNOWLEDGED,
    ExceptionStatus.IN_WORK,
    ExceptionStatus.RESOLVED,
)


class Recovery(models.TextChoices):
    OVERTIME = "overtime", _("Overtime")
    SPLIT = "split", _("Split delivery")
    RESEQUENCE = "resequence", _("Re-sequence (rush request)")
    MOVE_MATERIAL = "move_material", _("Move material")
    NEW_DATE = "new_date", _("New date agreed with the customer")


class FloorException(models.Model):
    """A gap with an owner: acknowledged, worked (cause, action, due), resolved, then verified
    and closed by someone other than its owner."""

    type = models.ForeignKey(
        ExceptionType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="+"
    )
    key = models.CharField(_("key"), max_length=200)
    """What it is about (``order:12:material``); one open exception per key."""
    title = models.CharField(_("title"), max_length=300)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ExceptionStatus.choices, default=ExceptionStatus.OPEN
    )
    production_order = models.ForeignKey(
        "planning.ProductionOrder",
        verbose_name=_("production order"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    customer_order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("customer order"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    work_center = models.ForeignKey(
        "production.WorkCenter",
        verbose_name=_("work centre"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    day = models.DateField(_("day"), null=True, blank=True)
    owner_role = models.CharField(_("owner role"), max_length=30, blank=True)
    owner_user = models.ForeignKey(
        _USER,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    acknowledge_by = models.DateTimeField(_("acknowledge by"))
    resolve_by = models.DateTimeField(_("resolve by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    cause = models.TextField(_("cause"), blank=True)
    action = models.TextField(_("action"), blank=True)
    action_due = models.DateField(_("action due"), null=True, blank=True)
    recovery = models.CharField(_("recovery"), max_length=20, choices=Recovery.choices, blank=True)
    new_date = models.DateField(_("new agreed date"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        _USER,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    escalation_level = models.PositiveIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~Q(status="closed"), name="one_open_exception_per_key"
            )
        ]
        indexes = [models.Index(fields=["status", "resolve_by"], name="floor_exc_due")]
        permissions = [
            ("work_exception", _("Can acknowledge and work exceptions")),
            ("verify_exception", _("Can verify and close exceptions")),
        ]
        verbose_name = _("exception")
        verbose_name_plural = _("exceptions")

    def __str__(self) -> str:
        return self.title


class ExceptionEvent(models.Model):
    """One step on an exception: who, when, what, and the words they gave."""

    exception = models.ForeignKey(
        FloorException,
        verbose_name=_("exception"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    kind = models.CharField(_("step"), max_length=20)
    actor_label = models.CharField(_("by"), max_length=200)
    actor_user = models.ForeignKey(
        _USER,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("exception step")
        verbose_name_plural = _("exception steps")

    def __str__(self) -> str:
        return f"{self.exception_id} {self.kind}"


class T3Rule(models.Model):
    """Days before the due date at which unfinished work opens a T-3 exception, for one
    customer or one channel account (neither: the default)."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    account = models.OneToOneField(
        "channels.ChannelAccount",
        verbose_name=_("channel"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    days = models.PositiveIntegerField(_("days before due"), default=3)

    class Meta:
        verbose_name = _("T-3 rule")
        verbose_name_plural = _("T-3 rules")

    def __str__(self) -> str:
        return f"T-{self.days}"


class PromiseRule(models.Model):
    """How many days after an order is placed its delivery is committed to the customer when
    the channel sends no deadline of its own: for one channel account, or (no account) the
    default. Counted in working days of ``calendar`` when one is chosen (its holidays skipped,
    its make-up days counted), else in calendar days. No days: the date available-to-promise
    gives (the day it is placed when in stock, the backorder's promise date when not)."""

    account = models.OneToOneField(
        "channels.ChannelAccount",
        verbose_name=_("channel account"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    promise_days = models.PositiveIntegerField(
        _("promise days"),
        null=True,
        blank=True,
        default=3,
        validators=[MaxValueValidator(365)],
        help_text=_(
            "Days from the order to the date committed to the customer when the channel sends "
            "no deadline; empty: the date available-to-promise gives."
        ),
    )
    calendar = models.ForeignKey(
        "production.Calendar",
        verbose_name=_("working days of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Count working days of this calendar; empty: calendar days."),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(account__isnull=True),
                name="one_default_promise_rule",
            )
        ]
        verbose_name = _("promise rule")
        verbose_name_plural = _("promise rules")

    def __str__(self) -> str:
        return f"{self.account_id or '*'}: {self.promise_days}"


class CommitSource(models.TextChoices):
    CHANNEL = "channel", _("The channel's deadline")
    PROMISE_DAYS = "promise_days", _("Promise days")
    AVAILABLE = "available", _("Available to promise")
    AGREED = "agreed", _("Agreed with the customer")
    DEMO = "demo", _("Demo")


class CommitDate(models.Model):
    """The date committed to the customer for an order, and a new one agreed with them.

    Written once when the order arrives (:mod:`omnioms.floor.commits`); after that it moves
    only by agreement with the customer (:func:`omnioms.floor.t3.answer_t3`)."""

    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="commit_date",
    )
    committed_on = models.DateField(_("committed date"))
    original_on = models.DateField(_("first committed date"))
    source = models.CharField(
        _("committed from"), max_length=20, choices=CommitSource.choices, blank=True
    )
    agreed_at = models.DateTimeField(_("new date agreed at"), null=True, blank=True)
    agreed_by = models.CharField(_("agreed by"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("commit date")
        verbose_name_plural = _("commit dates")

    def __str__(self) -> str:
        return f"{self.order_id} {self.committed_on}"


class ChatKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class ChatWebhook(models.Model):
    """A team chat's group robot that is told about exceptions."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=ChatKind.choices)
    url = models.URLField(_("webhook address"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk's 加签 secret (SEC...); empty when the robot uses keywords."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team chat robot")
        verbose_name_plural = _("team chat robots")

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """A message to a person in the app (and by e-mail when they have an address)."""

    user = models.ForeignKey(
        _USER, verbose_name=_("user"), on_delete=models.CASCADE, related_name="floor_notes"
    )
    exception = models.ForeignKey(
        FloorException,
        verbose_name=_("exception"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.CharField(_("text"), max_length=500)
    at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # The e-mail is an outbox too: the worker step ``floor.mail`` sends it after the commit.
    email = models.EmailField(_("e-mail to"), blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    email_attempts = models.PositiveIntegerField(_("e-mail attempts"), default=0)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="floor_note_unread"),
            models.Index(fields=["emailed_at", "email_attempts"], name="floor_note_mail_due"),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.text


class ChatMessage(models.Model):
    """An outbox row: a message for a team chat robot, sent by the worker after the commit."""

    webhook = models.ForeignKey(
        ChatWebhook, verbose_name=_("robot"), on_delete=models.CASCADE, related_name="+"
    )
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["sent_at", "attempts"], name="floor_chat_due")]
        verbose_name = _("team chat message")
        verbose_name_plural = _("team chat messages")

    def __str__(self) -> str:
        return self.text[:50]


class InventoryBenchmark(models.Model):
    """A published peer figure of inventory days, or the company's own."""

    segment = models.CharField(_("segment"), max_length=200)
    company = models.CharField(_("company"), max_length=200)
    year = models.PositiveIntegerField(_("year"))
    days = models.DecimalField(_("inventory days"), max_digits=8, decimal_places=1)
    source = models.CharField(
        _("source"),
        max_length=500,
        help_text=_("The document, and the page or table the figures are on."),
    )
    url = models.URLField(_("source address"), max_length=500, blank=True)
    method = models.TextField(
        _("how the days were computed"),
        blank=True,
        help_text=_("The published figures used and the arithmetic, so that anyone can check it."),
    )

    class Meta:
        ordering = ["segment", "company", "-year"]
        constraints = [
            models.CheckConstraint(condition=Q(days__gt=0), name="benchmark_days_positive")
        ]
        verbose_name = _("inventory benchmark")
        verbose_name_plural = _("inventory benchmarks")

    def __str__(self) -> str:
        return f"{self.company} {self.year}: {self.days}"


class KpiTargets(models.Model):
    """The company's targets (one row): on-time delivery, OEE, the inventory days band around
    the benchmark it picked, schedule adherence and forecast accuracy."""

    otd = models.DecimalField(
        _("on-time delivery target"), max_digits=5, decimal_places=4, default="0.95"
    )
    oee = models.DecimalField(_("OEE target"), max_digits=5, decimal_places=4, default="0.80")
    inventory_band = models.DecimalField(
        _("inventory days band"), max_digits=5, decimal_places=4, default="0.20"
    )
    adherence = models.DecimalField(
        _("schedule adherence target"), max_digits=5, decimal_places=4, default="0.90"
    )
    forecast_accuracy = models.DecimalField(
        _("forecast accuracy target"), max_digits=5, decimal_places=4, default="0.70"
    )
    benchmark = models.ForeignKey(
        InventoryBenchmark,
        verbose_name=_("benchmark"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    own_benchmark_days = models.DecimalField(
        _("own benchmark (days)"), max_digits=8, decimal_places=1, null=True, blank=True
    )

    class Meta:
        permissions = [("view_kpi_dashboard", _("Can see the KPI dashboards"))]
        verbose_name = _("KPI targets")
        verbose_name_plural = _("KPI targets")

    def __str__(self) -> str:
        return str(_("KPI targets"))
