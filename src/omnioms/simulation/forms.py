from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from omnioms.simulation.scenario import shipped_names


class RunForm(forms.Form):
    scenario = forms.ChoiceField(label=_("Scenario"), choices=())
    days = forms.IntegerField(label=_("Days"), min_value=7, max_value=365, initial=365)
    demand_change_pct = forms.IntegerField(
        label=_("Demand change (%)"),
        min_value=-90,
        max_value=300,
        required=False,
        help_text=_("Every product's base demand, e.g. 30 for +30 %"),
    )
    work_center = forms.CharField(label=_("Work centre"), max_length=40, required=False)
    machines = forms.IntegerField(
        label=_("Its machines"), min_value=1, max_value=50, required=False
    )
    benchmark_days = forms.DecimalField(
        label=_("Benchmark inventory days"), min_value=1, max_value=1000, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scenario"].choices = [(n, n) for n in shipped_names()]  # type: ignore[attr-defined]

    def clean_work_center(self) -> str:
        return str(self.cleaned_data.get("work_center") or "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("work_center")) != bool(data.get("machines")):
            raise forms.ValidationError(_("Give both a work centre and its number of machines."))
        return data

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {}
        if data.get("demand_change_pct"):
            out["demand_change_pct"] = data["demand_change_pct"]
        if data.get("work_center"):
            out["work_center"] = data["work_center"]
            out["machines"] = data["machines"]
        if data.get("benchmark_days"):
            out["benchmark_days"] = float(data["benchmark_days"])
        return out
