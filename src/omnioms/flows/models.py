"""Flows and their versions: one flow per channel account, or per platform as its default."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnioms.core.choices import Platform


class Flow(models.Model):
    """The flow of one account's orders, or the default of every account of a platform that
    has none of its own. Its versions are kept; orders name the version they run under."""

    name = models.CharField(_("name"), max_length=100)
    account = models.OneToOneField(
        "channels.ChannelAccount",
        verbose_name=_("channel account"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="flow",
    )
    platform = models.CharField(
        _("default for platform"), max_length=30, choices=Platform.choices, blank=True
    )
    preset = models.CharField(_("started from preset"), max_length=50, blank=True)
    current = models.ForeignKey(
        "FlowVersion",
        verbose_name=_("published version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform"],
                condition=models.Q(account__isnull=True),
                name="flow_one_default_per_platform",
            ),
            models.CheckConstraint(
                condition=models.Q(account__isnull=False) | ~models.Q(platform=""),
                name="flow_for_account_or_platform",
            ),
        ]
        permissions = [("publish_flow", "Can publish a new version of a flow")]
        verbose_name = _("flow")
        verbose_name_plural = _("flows")

    def __str__(self) -> str:
        return self.name


class VersionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class FlowVersion(models.Model):
    flow = models.ForeignKey(
        Flow, verbose_name=_("flow"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    state = models.CharField(
        _("state"), max_length=20, choices=VersionState.choices, default=VersionState.DRAFT
    )
    definition = models.JSONField(_("definition"))
    """A :class:`omnioms.flows.definition.Definition` as JSON."""
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    moved = models.JSONField(_("open orders moved"), default=dict, blank=True)
    """At publishing: the mapping the manager confirmed (old stage -> new stage) and how many
    open orders each moved."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["flow", "number"], name="flow_version_number")
        ]
        ordering = ["flow", "-number"]
        verbose_name = _("flow version")
        verbose_name_plural = _("flow versions")

    def __str__(self) -> str:
        return f"{self.flow} v{self.number}"
