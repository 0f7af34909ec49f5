"""Forms of the forecasting pages."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.utils.translation import gettext_lazy as _

from omnioms.forecasting.models import BlendRule, DemandEvent, RollingSchedule


class RunForm(forms.Form):
    as_of = forms.DateField(
        label=_("As of"),
        help_text=_("History up to the day before is used."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    horizon_months = forms.IntegerField(
        label=_("Months ahead"), min_value=1, max_value=24, initial=6
    )
    rule = forms.ChoiceField(
        label=_("Blend with the sales input"), choices=BlendRule.choices, initial=BlendRule.WEIGHTED
    )
    frozen_days = forms.IntegerField(
        label=_("Frozen days"),
        min_value=0,
        max_value=90,
        initial=7,
        help_text=_("Days whose figures the previous run already fixed are kept."),
    )


class EventForm(forms.ModelForm):
    class Meta:
        model = DemandEvent
        fields = ["name", "kind", "start", "end", "family", "note"]
        widgets = {
            "start": forms.DateInput(attrs={"type": "date"}),
            "end": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The last day is before the first."))
        return data


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))


class ScheduleForm(forms.ModelForm):
    """The rolling forecast's rhythm, edited by a planner on the forecast page."""

    class Meta:
        model = RollingSchedule
        fields = [
            "enabled",
            "monthly_day",
            "weekly_weekday",
            "daily",
            "run_at",
            "time_zone",
            "horizon_months",
            "blend",
            "frozen_days",
        ]
        widgets = {"run_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise forms.ValidationError(
                _("%(name)s is not a time zone (for example Asia/Shanghai)."),
                params={"name": name},
            ) from exc
        return name
