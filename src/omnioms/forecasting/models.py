"""Demand history, the event calendar, the sales team's input, and forecast runs.

``docs/production.md`` ("Demand and forecasts"). The statistical engine is pure
(``forecasting.engine``); these rows are what it reads and what it wrote.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnioms.catalog.models import ProductFamily, Sku
from omnioms.production.models import Weekday

FIGURE_DIGITS = 18
FIGURE_PLACES = 3


class DemandSource(models.TextChoices):
    ORDERS = "orders", _("Counted from orders")
    IMPORTED = "imported", _("Imported history")


class DemandDay(models.Model):
    """Units of a SKU ordered on one business day through one channel account.

    Counted when ordered, from the unified orders: cancelled orders left out, refunded
    quantities taken off, bundles exploded into their components. Rebuilt for every day an
    order change touches (``forecasting.history``). History from before omnioms (a file of
    past sales) is ``imported``; it counts only where no order of that SKU and day is known.
    """

    sku = models.ForeignKey(Sku, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    account = models.ForeignKey(
        "channels.ChannelAccount",
        verbose_name=_("channel account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    orders = models.PositiveIntegerField(_("orders"))
    source = models.CharField(
        _("source"), max_length=10, choices=DemandSource.choices, default=DemandSource.ORDERS
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "sku", "account", "source"], name="demand_day_once"
            )
        ]
        indexes = [models.Index(fields=["sku", "day"], name="demand_sku_day")]
        verbose_name = _("demand of a day")
        verbose_name_plural = _("demand by day")

    def __str__(self) -> str:
        return f"{self.day} {self.sku_id} × {self.quantity}"


class DemandDayToRecount(models.Model):
    """A business day whose demand must be counted again: an order placed on it changed."""

    day = models.DateField(_("day"), unique=True)
    marked_at = models.DateTimeField(_("marked at"), default=timezone.now)

    class Meta:
        verbose_name = _("day to recount")
        verbose_name_plural = _("days to recount")

    def __str__(self) -> str:
        return str(self.day)


class EventKind(models.TextChoices):
    FESTIVAL = "festival", _("Marketplace festival")
    PROMOTION = "promotion", _("Promotion")
    HOLIDAY = "holiday", _("Public holiday")


class DemandEvent(models.Model):
    """A promotion or festival (618, Double 11, Double 12, Spring Festival) the planner keeps,
    so that the forecast learns its uplift instead of being fooled by it."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    family = models.ForeignKey(
        ProductFamily,
        verbose_name=_("only this family"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["start", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="demand_event_range")
        ]
        verbose_name = _("demand event")
        verbose_name_plural = _("event calendar")

    def __str__(self) -> str:
        return f"{self.name} {self.start}"


class SalesInput(models.Model):
    """What the sales team expects for a SKU or a product family in a month."""

    sku = models.ForeignKey(
        Sku,
        verbose_name=_("SKU"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    family = models.ForeignKey(
        ProductFamily,
        verbose_name=_("product family"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    month = models.DateField(_("month"), help_text=_("Its first day."))
    quantity = models.DecimalField(
        _("quantity"), max_digits=FIGURE_DIGITS, decimal_places=FIGURE_PLACES
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        ordering = ["month"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(sku__isnull=False) & Q(family__isnull=True))
                | (Q(sku__isnull=True) & Q(family__isnull=False)),
                name="sales_input_sku_or_family",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="sales_input_quantity"),
            models.UniqueConstraint(fields=["sku", "month"], name="sales_input_sku_month"),
            models.UniqueConstraint(fields=["family", "month"], name="sales_input_family_month"),
        ]
        verbose_name = _("sales forecast")
        verbose_name_plural = _("sales forecasts")

    def __str__(self) -> str:
        return f"{self.sku_id or self.family_id} {self.month:%Y-%m}: {self.quantity}"


class BlendRule(models.TextChoices):
    REPLACE = "replace", _("Sales input replaces the statistical forecast")
    ADD = "add", _("Sales input is added to it")
    WEIGHTED = "weighted", _("Weighted by each source's measured accuracy")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class ForecastRun(models.Model):
    """One rolling forecast: a snapshot made as of a date from the demand known then."""

    as_of = models.DateField(_("as of"))
    horizon_months = models.PositiveSmallIntegerField(_("months ahead"), default=6)
    blend = models.CharField(
        _("blend rule"), max_length=20, choices=BlendRule.choices, default=BlendRule.WEIGHTED
    )
    frozen_days = models.PositiveSmallIntegerField(
        _("frozen days"),
        default=7,
        help_text=_("Days after 'as of' whose figures the previous run already fixed."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    job = models.ForeignKey(
        "core.Job", verbose_name=_("job"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-as_of", "-pk"]
        verbose_name = _("forecast run")
        verbose_name_plural = _("forecast runs")

    def __str__(self) -> str:
        return f"{_('Forecast')} {self.as_of}"


class Level(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")


class ForecastFigure(models.Model):
    """A SKU's forecast for one period of one run, with both inputs kept visible."""

    run = models.ForeignKey(
        ForecastRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="figures"
    )
    sku = models.ForeignKey(Sku, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="+")
    level = models.CharField(_("level"), max_length=5, choices=Level.choices)
    period_start = models.DateField(_("period start"))
    statistical = models.DecimalField(
        _("statistical"), max_digits=FIGURE_DIGITS, decimal_places=FIGURE_PLACES
    )
    lower = models.DecimalField(
        _("lower bound"), max_digits=FIGURE_DIGITS, decimal_places=FIGURE_PLACES, null=True
    )
    upper = models.DecimalField(
        _("upper bound"), max_digits=FIGURE_DIGITS, decimal_places=FIGURE_PLACES, null=True
    )
    sales = models.DecimalField(
        _("sales input"), max_digits=FIGURE_DIGITS, decimal_places=FIGURE_PLACES, null=True
    )
    final = models.DecimalField(_("final"), max_digits=FIGURE_DIGITS, decimal_places=FIGURE_PLACES)
    model = models.CharField(_("model"), max_length=50, blank=True)
    frozen = models.BooleanField(_("frozen"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "sku", "level", "period_start"], name="forecast_figure_once"
            ),
            models.CheckConstraint(
                condition=Q(statistical__gte=0) & Q(final__gte=0), name="forecast_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["sku", "level", "period_start"], name="forecast_sku_period")
        ]
        verbose_name = _("forecast figure")
        verbose_name_plural = _("forecast figures")

    def __str__(self) -> str:
        return f"{self.sku_id} {self.level} {self.period_start}: {self.final}"


class RollingSchedule(models.Model):
    """When forecast runs are made without anyone asking: the rolling forecast's rhythm.

    One row. A monthly re-forecast on a day of the month, a weekly refresh on a weekday and,
    when chosen, a daily refresh, each at ``run_at`` in ``time_zone``. A cadence is due when
    no finished run is as of a day since its last anchor (a run made by hand or from the
    command line counts), so a stopped worker catches up once, never several times.
    """

    enabled = models.BooleanField(_("runs on a schedule"), default=True)
    run_at = models.TimeField(_("at"), default=time(2, 0))
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    monthly_day = models.PositiveSmallIntegerField(
        _("monthly re-forecast on day"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    weekly_weekday = models.PositiveSmallIntegerField(
        _("weekly refresh on"), choices=Weekday.choices, default=Weekday.MONDAY
    )
    daily = models.BooleanField(_("refresh every day"), default=False)
    horizon_months = models.PositiveSmallIntegerField(
        _("months ahead"), default=6, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    blend = models.CharField(
        _("blend rule"), max_length=20, choices=BlendRule.choices, default=BlendRule.WEIGHTED
    )
    frozen_days = models.PositiveSmallIntegerField(
        _("frozen days"), default=7, validators=[MaxValueValidator(90)]
    )

    class Meta:
        verbose_name = _("rolling forecast schedule")
        verbose_name_plural = _("rolling forecast schedules")

    def __str__(self) -> str:
        return str(_("Rolling forecast schedule"))
