"""Shared master data every app stands on: locations, and what a staff user is bound to."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LocationKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("Warehouse")
    STORE = "store", _("Store")


class Location(models.Model):
    """A warehouse or a store: where stock is held and orders are fulfilled or sold."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=LocationKind.choices)
    province = models.CharField(_("province"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    store = models.ForeignKey(
        Location,
        verbose_name=_("store"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Store clerks see and change only the orders of this store."),
    )

    class Meta:
        # Not auth.change_user: in the admin that would let a manager make anyone a superuser.
        permissions = [
            ("manage_staff", "Can create staff users, deactivate them and reset their passwords")
        ]
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return str(self.user)


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Job(models.Model):
    """Long work (a forecast run, a planning run, a simulation) a person can watch and cancel.

    Written by :func:`omnioms.core.jobs.start_job`; the task queue carries only its id.
    """

    kind = models.CharField(_("kind"), max_length=100)
    label = models.CharField(_("label"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    progress = models.FloatField(_("progress"), default=0.0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    log = models.TextField(_("log"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by_label = models.CharField(_("started by"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "-created_at"], name="job_kind_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0) & models.Q(progress__lte=1),
                name="job_progress_fraction",
            )
        ]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self) -> str:
        return f"{self.label or self.kind} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
