from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SimulationRun(models.Model):
    """A run started from the web page: the scenario, what was changed, where its report is."""

    scenario = models.CharField(_("scenario"), max_length=100)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    days = models.PositiveIntegerField(_("days"))
    job = models.ForeignKey(
        "core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    out_dir = models.CharField(_("report folder"), max_length=500, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("simulation run")
        verbose_name_plural = _("simulation runs")

    def __str__(self) -> str:
        return f"{self.scenario} #{self.pk}"
