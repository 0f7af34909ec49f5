"""Forms of the production pages. Row rules are the workbook import's: quantities above zero,
scrap in [0, 1), a SKU is never its own component, one row per component or sequence."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from omnioms.catalog.models import MAX_UNIT_DECIMALS, Sku, SkuKind
from omnioms.core.money import AMOUNT_DIGITS, AMOUNT_PLACES
from omnioms.production import editing
from omnioms.production.domain import BomItem
from omnioms.production.models import (
    QUANTITY_DIGITS,
    QUANTITY_PLACES,
    Calendar,
    CalendarDay,
    DayKind,
    SetupTime,
    Supplier,
    SupplyTerm,
    VersionStatus,
    Weekday,
    WorkCenter,
)
from omnioms.production.spreadsheets import breaks as parse_breaks

MAX_MACHINES = 10_000
MAX_AMOUNT = Decimal(10 ** (AMOUNT_DIGITS - AMOUNT_PLACES) - 1)
MAX_QUANTITY = Decimal(10 ** (QUANTITY_DIGITS - QUANTITY_PLACES) - 1)
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def read_only(*forms_: Any) -> None:
    """Show a form or formset to someone who may look but not change."""
    for item in forms_:
        for form in getattr(item, "forms", [item]):
            for field in form.fields.values():
                field.disabled = True


def plain(value: Decimal | None) -> str | None:
    """1.5 rather than 1.500000 in a field: the columns keep six places, people type fewer."""
    return None if value is None else format(value.normalize(), "f")


def _plain_initial(form: forms.ModelForm, *names: str) -> None:
    if form.instance.pk:
        for name in names:
            form.initial[name] = plain(getattr(form.instance, name))


def _sku_field(label: Any) -> forms.ModelChoiceField[Sku]:
    return forms.ModelChoiceField(
        label=label,
        queryset=Sku.objects.all(),
        to_field_name="code",
        widget=forms.TextInput(attrs={"class": "code", "autocomplete": "off"}),
        error_messages={"invalid_choice": _("no SKU with this code")},
    )


def _currency(value: str) -> str:
    value = value.strip().upper()
    if len(value) != 3 or not value.isalpha():
        raise forms.ValidationError(_("three letters, like CNY"))
    return value


# ----------------------------------------------------------------------------------------------
# Work centres


class WorkCenterForm(forms.ModelForm):
    class Meta:
        model = WorkCenter
        fields = ["code", "name", "machines", "calendar", "hourly_cost", "currency", "site"]
        fields += ["is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["machines"].min_value = 1  # type: ignore[attr-defined]
        self.fields["machines"].max_value = MAX_MACHINES  # type: ignore[attr-defined]
        self.fields["machines"].widget.attrs.update(min=1, max=MAX_MACHINES)
        _plain_initial(self, "hourly_cost")

    def clean_machines(self) -> int:
        machines: int = self.cleaned_data["machines"]
        if not 1 <= machines <= MAX_MACHINES:
            raise forms.ValidationError(_("between 1 and %(n)s") % {"n": MAX_MACHINES})
        return machines

    def clean_hourly_cost(self) -> Decimal:
        cost: Decimal = self.cleaned_data["hourly_cost"]
        if cost < 0:
            raise forms.ValidationError(_("cannot be negative"))
        return cost

    def clean_currency(self) -> str:
        return _currency(self.cleaned_data["currency"])


SetupTimeFormSet: type[forms.BaseInlineFormSet[SetupTime, WorkCenter, Any]]
SetupTimeFormSet = forms.inlineformset_factory(
    WorkCenter,
    SetupTime,
    fields=["from_family", "to_family", "minutes"],
    extra=3,
    can_delete=True,
)


# ----------------------------------------------------------------------------------------------
# Versions: the header of a BOM or routing version


class VersionHeaderForm(forms.Form):
    effective_from = forms.DateField(label=_("effective from"), widget=DATE)
    effective_to = forms.DateField(label=_("effective to"), required=False, widget=DATE)
    status = forms.ChoiceField(label=_("status"))
    note = forms.CharField(label=_("note"), required=False, max_length=500)

    def __init__(self, *args: Any, current: str, with_note: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Activation has its own button (it ends the version before): the field only keeps
        # the current status or moves between draft and archived.
        allowed = {current, VersionStatus.DRAFT, VersionStatus.ARCHIVED}
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in VersionStatus.choices if value in allowed
        ]
        if not with_note:
            del self.fields["note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end <= start:
            self.add_error("effective_to", _("must be after effective from"))
        return data

    def header(self) -> editing.Header:
        data = self.cleaned_data
        return editing.Header(
            data["effective_from"], data["effective_to"], data["status"], data.get("note", "")
        )


class _Rows(forms.BaseFormSet):
    """A formset whose blank extra rows and rows marked for deletion are left out; the others
    keep the order they were typed in."""

    def live(self) -> list[forms.Form]:
        return [
            form
            for form in self.forms
            if not (self.can_delete and getattr(form, "cleaned_data", {}).get("DELETE"))
        ]

    def row_errors(self) -> bool:
        return any(form.errors for form in self.live())

    def filled(self) -> list[dict[str, Any]]:
        return [form.cleaned_data for form in self.live() if form.cleaned_data]

    def repeats(self, key: str, message: Any) -> None:
        seen: Counter[Any] = Counter()
        for form in self.live():
            value = form.cleaned_data.get(key)
            if value is None:
                continue
            seen[value] += 1
            if seen[value] == 2:
                form.add_error(key, message)


# ----------------------------------------------------------------------------------------------
# BOM lines


class BomLineForm(forms.Form):
    component = _sku_field(_("component"))
    quantity_per = forms.DecimalField(
        label=_("quantity per unit"),
        max_digits=QUANTITY_DIGITS,
        decimal_places=QUANTITY_PLACES,
        max_value=MAX_QUANTITY,
    )
    scrap_factor = forms.DecimalField(
        label=_("scrap factor"),
        max_digits=6,
        decimal_places=4,
        required=False,
        min_value=0,
        help_text=_("0.05: 5 % more is used than the quantity per unit."),
    )

    def clean_quantity_per(self) -> Decimal:
        value: Decimal = self.cleaned_data["quantity_per"]
        if value <= 0:
            raise forms.ValidationError(_("must be more than 0"))
        return value

    def clean_scrap_factor(self) -> Decimal:
        value: Decimal = self.cleaned_data["scrap_factor"] or Decimal(0)
        if value >= 1:
            raise forms.ValidationError(_("must be below 1 (0.05 is 5 %)"))
        return value


class BaseBomLineFormSet(_Rows):
    def __init__(self, *args: Any, sku: Sku, **kwargs: Any) -> None:
        self.sku = sku
        super().__init__(*args, **kwargs)

    def clean(self) -> None:
        if self.row_errors():
            return
        for form in self.live():
            component = form.cleaned_data.get("component")
            if component is not None and component.pk == self.sku.pk:
                form.add_error("component", _("a SKU cannot be its own component"))
        self.repeats("component", _("this component is already on another line"))
        if self.row_errors():
            return
        items = [
            BomItem(d["component"].code, d["quantity_per"], d["scrap_factor"])
            for d in self.filled()
        ]
        cycle = editing.cycle_in(self.sku.code, items)
        if cycle:
            raise forms.ValidationError(cycle)

    def lines(self) -> list[editing.Line]:
        return [
            editing.Line(d["component"], d["quantity_per"], d["scrap_factor"])
            for d in self.filled()
        ]


BomLineFormSet = cast(
    type[BaseBomLineFormSet],
    forms.formset_factory(BomLineForm, formset=BaseBomLineFormSet, extra=3, can_delete=True),
)


# ----------------------------------------------------------------------------------------------
# Routing operations


class OperationForm(forms.Form):
    sequence = forms.IntegerField(label=_("sequence"), min_value=1, max_value=2_147_483_647)
    name = forms.CharField(label=_("name"), max_length=200)
    work_center = forms.ModelChoiceField(
        label=_("work centre"), queryset=WorkCenter.objects.order_by("code")
    )
    alternatives = forms.ModelMultipleChoiceField(
        label=_("allowed alternatives"),
        queryset=WorkCenter.objects.order_by("code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )
    setup_minutes = forms.DecimalField(
        label=_("setup (minutes)"), max_digits=10, decimal_places=2, min_value=0, initial=0
    )
    run_seconds_per_unit = forms.DecimalField(
        label=_("run time per unit (seconds)"), max_digits=12, decimal_places=3, min_value=0
    )
    min_transfer_batch = forms.IntegerField(
        label=_("minimum transfer batch"), required=False, min_value=1, max_value=2_147_483_647
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        centre, others = data.get("work_center"), data.get("alternatives") or []
        if centre is not None and centre in others:
            self.add_error("alternatives", _("the work centre itself is not an alternative"))
        return data


class BaseOperationFormSet(_Rows):
    def clean(self) -> None:
        if not self.row_errors():
            self.repeats("sequence", _("another operation has this sequence number"))

    def operations(self) -> list[editing.Operation]:
        return [
            editing.Operation(
                sequence=d["sequence"],
                name=d["name"],
                work_center=d["work_center"],
                alternatives=tuple(d["alternatives"]),
                setup_minutes=d["setup_minutes"] or Decimal(0),
                run_seconds_per_unit=d["run_seconds_per_unit"],
                min_transfer_batch=d["min_transfer_batch"],
            )
            for d in self.filled()
        ]


OperationFormSet = cast(
    type[BaseOperationFormSet],
    forms.formset_factory(OperationForm, formset=BaseOperationFormSet, extra=3, can_delete=True),
)


# ----------------------------------------------------------------------------------------------
# Calendars


class CalendarForm(forms.ModelForm):
    class Meta:
        model = Calendar
        fields = ["code", "name", "time_zone"]

    def clean_time_zone(self) -> str:
        zone: str = self.cleaned_data["time_zone"].strip()
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(_("unknown time zone")) from None
        return zone


def _minutes_after(start: time, moment: time) -> int:
    """Minutes from ``start`` to ``moment``, going forward past midnight if need be."""
    day = date(2000, 1, 3)
    delta = datetime.combine(day, moment) - datetime.combine(day, start)
    return int((delta % timedelta(days=1)).total_seconds() // 60)


class ShiftForm(forms.Form):
    # A blank first choice keeps an untouched extra row blank (Monday would make it a row).
    weekday = forms.TypedChoiceField(
        label=_("weekday"), choices=[("", "---------"), *Weekday.choices], coerce=int
    )
    name = forms.CharField(label=_("name"), required=False, max_length=50)
    start = forms.TimeField(label=_("start"), widget=TIME)
    end = forms.TimeField(label=_("end"), widget=TIME, help_text=_("before the start: next day"))
    breaks = forms.CharField(
        label=_("breaks"),
        required=False,
        max_length=500,
        help_text=_("like 12:00-13:00; 17:30-18:00"),
    )

    def clean_breaks(self) -> list[tuple[time, time]]:
        try:
            return parse_breaks(self.cleaned_data["breaks"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start is None or end is None:
            return data
        length = _minutes_after(start, end) or 24 * 60
        for begin, finish in data.get("breaks") or []:
            offset = _minutes_after(start, begin)
            if offset >= length or offset + (_minutes_after(begin, finish) or 24 * 60) > length:
                self.add_error(
                    "breaks",
                    _("%(start)s-%(end)s is not within the shift")
                    % {"start": f"{begin:%H:%M}", "end": f"{finish:%H:%M}"},
                )
        return data


class BaseShiftFormSet(_Rows):
    def clean(self) -> None:
        if self.row_errors():
            return
        keys: Counter[tuple[int, time]] = Counter()
        for data in self.filled():
            keys[(data["weekday"], data["start"])] += 1
        for form in self.live():
            data = form.cleaned_data
            if data and keys[(data["weekday"], data["start"])] > 1:
                form.add_error("start", _("another shift starts then on this weekday"))

    def shifts(self) -> list[editing.ShiftInput]:
        return [
            editing.ShiftInput(
                d["weekday"], d["start"], d["end"], d["name"], tuple(d["breaks"] or ())
            )
            for d in self.filled()
        ]


ShiftFormSet = cast(
    type[BaseShiftFormSet],
    forms.formset_factory(ShiftForm, formset=BaseShiftFormSet, extra=2, can_delete=True),
)


def shift_initial(calendar: Calendar) -> list[dict[str, Any]]:
    return [
        {
            "weekday": shift.weekday,
            "name": shift.name,
            "start": shift.start,
            "end": shift.end,
            "breaks": "; ".join(f"{b.start:%H:%M}-{b.end:%H:%M}" for b in shift.breaks.all()),
        }
        for shift in calendar.shifts.prefetch_related("breaks")
    ]


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "works_like", "note"]
        widgets = {"date": DATE}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == DayKind.HOLIDAY and data.get("works_like") is not None:
            self.add_error("works_like", _("only a make-up working day works like a weekday"))
        return data


CalendarDayFormSet = forms.inlineformset_factory(
    Calendar, CalendarDay, form=CalendarDayForm, extra=3, can_delete=True
)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))


# ----------------------------------------------------------------------------------------------
# Suppliers and SKUs


class SupplierForm(forms.ModelForm):
    class Meta:
        model = Supplier
        fields = ["code", "name", "contact"]


class SupplyTermForm(forms.ModelForm):
    sku = _sku_field(_("SKU"))

    class Meta:
        model = SupplyTerm
        fields = ["sku", "lead_time_days", "min_order_quantity", "order_multiple"]
        fields += ["unit_price", "currency", "preferred"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # the field names SKUs by code, the row holds the id
            self.initial["sku"] = self.instance.sku.code
        _plain_initial(self, "min_order_quantity", "order_multiple", "unit_price")
        for name in ("min_order_quantity", "order_multiple"):
            self.fields[name].min_value = 0  # type: ignore[attr-defined]
        self.fields["lead_time_days"].max_value = 3650  # type: ignore[attr-defined]

    def clean_unit_price(self) -> Decimal | None:
        price: Decimal | None = self.cleaned_data["unit_price"]
        if price is not None and not 0 <= price <= MAX_AMOUNT:
            raise forms.ValidationError(_("cannot be negative"))
        return price

    def clean_currency(self) -> str:
        return _currency(self.cleaned_data["currency"])


SupplyTermFormSet = forms.inlineformset_factory(
    Supplier, SupplyTerm, form=SupplyTermForm, extra=3, can_delete=True
)


class SkuFilterForm(forms.Form):
    q = forms.CharField(
        label=_("SKU"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Code or name")}),
    )
    kind = forms.ChoiceField(
        label=_("kind"), required=False, choices=[("", _("All")), *SkuKind.choices]
    )


class SkuKindForm(forms.ModelForm):
    class Meta:
        model = Sku
        fields = ["kind", "unit", "unit_decimals", "family"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit_decimals"].max_value = MAX_UNIT_DECIMALS  # type: ignore[attr-defined]
        self.fields["unit_decimals"].widget.attrs.update(min=0, max=MAX_UNIT_DECIMALS)

    def clean_unit_decimals(self) -> int:
        places: int = self.cleaned_data["unit_decimals"]
        if places > MAX_UNIT_DECIMALS:
            raise forms.ValidationError(_("at most %(n)s") % {"n": MAX_UNIT_DECIMALS})
        return places

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        changed = [name for name in ("unit", "unit_decimals") if name in self.changed_data]
        # The ledger counts a SKU in steps of its unit: once stock has moved, another unit
        # or step would silently rescale every quantity on record. The ledger sits above
        # this app, so it is named, not imported (as upward foreign keys are).
        if changed and self.instance.pk:
            movements = apps.get_model("inventory", "StockMovement")
            if movements.objects.filter(sku_id=self.instance.pk).exists():
                for name in changed:
                    self.add_error(name, _("stock of this SKU has moved: its unit is fixed"))
        return data


SkuKindFormSet = forms.modelformset_factory(
    Sku, form=SkuKindForm, extra=0, edit_only=True, can_delete=False
)
