"""Production master data: suppliers, calendars, work centres, bills of materials, routings.

What is made, from what, on which machines and when they work (``docs/production.md``).
Quantities per unit are ``Decimal`` in the component's stock unit; times are minutes (setup)
and seconds per unit (run); shifts are local times of the calendar's zone.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from omnioms.catalog.models import ProductFamily, Sku
from omnioms.core.models import Location
from omnioms.core.money import AMOUNT_DIGITS, AMOUNT_PLACES

QUANTITY_DIGITS = 18
QUANTITY_PLACES = 6
"""Quantities per unit: 0.000001 of a metre is finer than any cutting room measures."""


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Supplier(models.Model):
    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    contact = models.CharField(_("contact"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self) -> str:
        return self.name


class SupplyTerm(models.Model):
    """How a bought SKU is bought from one supplier."""

    sku = models.ForeignKey(
        Sku, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="supply_terms"
    )
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="terms"
    )
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"))
    min_order_quantity = models.DecimalField(
        _("minimum order quantity"),
        max_digits=QUANTITY_DIGITS,
        decimal_places=QUANTITY_PLACES,
        default=0,
    )
    order_multiple = models.DecimalField(
        _("order multiple"),
        max_digits=QUANTITY_DIGITS,
        decimal_places=QUANTITY_PLACES,
        default=0,
        help_text=_("Orders are rounded up to a multiple of this (0: any quantity)."),
    )
    unit_price = models.DecimalField(
        _("unit price"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        null=True,
        blank=True,
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    preferred = models.BooleanField(_("preferred"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sku", "supplier"], name="supply_term_once"),
            models.CheckConstraint(
                condition=Q(min_order_quantity__gte=0) & Q(order_multiple__gte=0),
                name="supply_term_quantities_not_negative",
            ),
        ]
        verbose_name = _("supply term")
        verbose_name_plural = _("supply terms")

    def __str__(self) -> str:
        return f"{self.sku_id} ← {self.supplier_id}"


class Calendar(models.Model):
    """When a work centre works: shifts per weekday, their breaks, and exceptional days."""

    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")

    class Meta:
        ordering = ["code"]
        verbose_name = _("calendar")
        verbose_name_plural = _("calendars")

    def __str__(self) -> str:
        return self.name


class Shift(models.Model):
    """One shift on one weekday; a shift that ends at or before it starts runs past midnight."""

    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="shifts"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        ordering = ["calendar", "weekday", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "weekday", "start"], name="shift_start_once_per_day"
            )
        ]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class ShiftBreak(models.Model):
    shift = models.ForeignKey(
        Shift, verbose_name=_("shift"), on_delete=models.CASCADE, related_name="breaks"
    )
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        ordering = ["shift", "start"]
        verbose_name = _("break")
        verbose_name_plural = _("breaks")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (no work)")
    WORKDAY = "workday", _("Working day (make-up day, 调休)")


class CalendarDay(models.Model):
    """A day that does not follow the weekly pattern: a public holiday, or a make-up working
    day that works like ``works_like`` (China's 调休). Loaded from a file, never coded."""

    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    works_like = models.PositiveSmallIntegerField(
        _("works like"),
        choices=Weekday.choices,
        null=True,
        blank=True,
        help_text=_("For a working day: whose shifts it has (default Monday)."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_once")
        ]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class WorkCenter(models.Model):
    """Identical machines or stations that do the same operations (a sewing line, cutting)."""

    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    machines = models.PositiveIntegerField(_("machines"), default=1)
    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="+"
    )
    hourly_cost = models.DecimalField(
        _("hourly cost"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, default=0
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    site = models.ForeignKey(
        Location,
        verbose_name=_("site"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(machines__gte=1), name="work_center_has_machines"),
            models.CheckConstraint(condition=Q(hourly_cost__gte=0), name="work_center_cost"),
        ]
        verbose_name = _("work centre")
        verbose_name_plural = _("work centres")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class SetupTime(models.Model):
    """Minutes a machine of ``work_center`` needs to change over between two families."""

    work_center = models.ForeignKey(
        WorkCenter, verbose_name=_("work centre"), on_delete=models.CASCADE, related_name="setups"
    )
    from_family = models.ForeignKey(
        ProductFamily, verbose_name=_("from family"), on_delete=models.CASCADE, related_name="+"
    )
    to_family = models.ForeignKey(
        ProductFamily, verbose_name=_("to family"), on_delete=models.CASCADE, related_name="+"
    )
    minutes = models.PositiveIntegerField(_("minutes"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["work_center", "from_family", "to_family"], name="setup_time_once"
            )
        ]
        verbose_name = _("setup time")
        verbose_name_plural = _("setup times")

    def __str__(self) -> str:
        return f"{self.from_family_id} → {self.to_family_id}: {self.minutes} min"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    ARCHIVED = "archived", _("Archived")


class Bom(models.Model):
    """One version of a made SKU's bill of materials, in effect from a date."""

    sku = models.ForeignKey(
        Sku, verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="boms"
    )
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.ACTIVE
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["sku", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "version"], name="bom_version_once"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
                name="bom_effective_range",
            ),
        ]
        verbose_name = _("bill of materials")
        verbose_name_plural = _("bills of materials")

    def __str__(self) -> str:
        return f"{self.sku_id} v{self.version}"


class BomLine(models.Model):
    bom = models.ForeignKey(
        Bom, verbose_name=_("bill of materials"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveIntegerField(_("position"))
    component = models.ForeignKey(
        Sku, verbose_name=_("component"), on_delete=models.PROTECT, related_name="used_in_boms"
    )
    quantity_per = models.DecimalField(
        _("quantity per unit"), max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES
    )
    scrap_factor = models.DecimalField(
        _("scrap factor"),
        max_digits=6,
        decimal_places=4,
        default=0,
        help_text=_("0.05: 5 % more is used than the quantity per unit."),
    )

    class Meta:
        ordering = ["bom", "position"]
        constraints = [
            models.UniqueConstraint(fields=["bom", "position"], name="bom_line_position_once"),
            models.CheckConstraint(condition=Q(quantity_per__gt=0), name="bom_line_positive"),
            models.CheckConstraint(
                condition=Q(scrap_factor__gte=0) & Q(scrap_factor__lt=1), name="bom_line_scrap"
            ),
        ]
        verbose_name = _("BOM line")
        verbose_name_plural = _("BOM lines")

    def __str__(self) -> str:
        return f"{self.quantity_per} × {self.component_id}"


class Routing(models.Model):
    """One version of how a made SKU is made: its operations in order."""

    sku = models.ForeignKey(
        Sku, verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="routings"
    )
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.ACTIVE
    )

    class Meta:
        ordering = ["sku", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "version"], name="routing_version_once"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
                name="routing_effective_range",
            ),
        ]
        verbose_name = _("routing")
        verbose_name_plural = _("routings")

    def __str__(self) -> str:
        return f"{self.sku_id} v{self.version}"


class RoutingOperation(models.Model):
    routing = models.ForeignKey(
        Routing, verbose_name=_("routing"), on_delete=models.CASCADE, related_name="operations"
    )
    sequence = models.PositiveIntegerField(_("sequence"))
    name = models.CharField(_("name"), max_length=200)
    work_center = models.ForeignKey(
        WorkCenter, verbose_name=_("work centre"), on_delete=models.PROTECT, related_name="+"
    )
    alternatives = models.ManyToManyField(
        WorkCenter, verbose_name=_("allowed alternatives"), blank=True, related_name="+"
    )
    setup_minutes = models.DecimalField(
        _("setup (minutes)"), max_digits=10, decimal_places=2, default=0
    )
    run_seconds_per_unit = models.DecimalField(
        _("run time per unit (seconds)"), max_digits=12, decimal_places=3
    )
    min_transfer_batch = models.PositiveIntegerField(
        _("minimum transfer batch"),
        null=True,
        blank=True,
        help_text=_("The next operation may start once this many units are done (empty: all)."),
    )

    class Meta:
        ordering = ["routing", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["routing", "sequence"], name="routing_operation_sequence_once"
            ),
            models.CheckConstraint(
                condition=Q(setup_minutes__gte=0) & Q(run_seconds_per_unit__gte=0),
                name="routing_operation_times",
            ),
        ]
        verbose_name = _("operation")
        verbose_name_plural = _("operations")

    def __str__(self) -> str:
        return f"{self.sequence} {self.name}"
