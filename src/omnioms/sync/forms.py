"""Forms of the channel pages: a sample upload, the column mapping, a file to import; and
the reason a dead letter is dismissed (web page and admin action)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from omnioms.channels.adapters.base import NormalizationError
from omnioms.channels.adapters.csv_mapped import (
    DATE_AUTO,
    DATE_UNIX,
    ColumnMapping,
    MappingError,
    read_mapping,
)
from omnioms.channels.adapters.csv_sample import Sample, read_sample
from omnioms.channels.adapters.pos_csv import _zone as zone_of
from omnioms.channels.models import DISMISSAL_REASON_LIMIT
from omnioms.core.choices import OrderStatus

SAMPLE_MAX_BYTES = 10 * 1024 * 1024
"""A sample needs only its first rows; a larger upload is refused rather than read for long."""
IMPORT_MAX_BYTES = 200 * 1024 * 1024

TARGET_GROUPS: list[tuple[Any, list[tuple[str, Any]]]] = [
    (
        _("Order"),
        [
            ("order_id", _("Order id (groups rows into orders)")),
            ("status", _("Status")),
            ("created_at", _("Order time")),
            ("paid_at", _("Payment time")),
            ("updated_at", _("Last change time")),
            ("currency", _("Currency")),
        ],
    ),
    (
        _("Lines (one per row)"),
        [
            ("line_id", _("Line id")),
            ("sku", _("SKU")),
            ("title", _("Title")),
            ("quantity", _("Quantity")),
            ("unit_price", _("Unit price (before discount)")),
            ("line_total", _("Line total (after discount)")),
            ("line_discount", _("Line discount")),
        ],
    ),
    (
        _("Order amounts"),
        [
            ("shipping", _("Shipping")),
            ("order_discount", _("Order discount")),
            ("tax", _("Tax")),
            ("order_total", _("Order total paid")),
        ],
    ),
    (
        _("Buyer and address"),
        [
            ("buyer_name", _("Buyer name")),
            ("buyer_phone", _("Buyer phone")),
            ("buyer_email", _("Buyer e-mail")),
            ("buyer_id", _("Buyer id on the channel")),
            ("ship_name", _("Recipient")),
            ("ship_phone", _("Recipient phone")),
            ("country", _("Country")),
            ("province", _("Province or state")),
            ("city", _("City")),
            ("district", _("District")),
            ("address", _("Street address")),
            ("postal_code", _("Postal code")),
        ],
    ),
    (
        _("Notes"),
        [("buyer_note", _("Buyer note")), ("seller_note", _("Seller note"))],
    ),
]
TARGET_LABELS = {target: label for _group, fields in TARGET_GROUPS for target, label in fields}
DATE_FORMATS = [
    (DATE_AUTO, _("Recognise automatically")),
    (DATE_UNIX, _("Unix time (seconds or milliseconds)")),
    ("%Y-%m-%d %H:%M:%S", "2024-03-05 19:32:10"),
    ("%Y/%m/%d %H:%M", "2024/03/05 19:32"),
    ("%d/%m/%Y %H:%M", "05/03/2024 19:32"),
    ("%m/%d/%Y %I:%M %p", "03/05/2024 07:32 PM"),
    ("%d.%m.%Y %H:%M", "05.03.2024 19:32"),
]
"""Suggestions; any strptime pattern is accepted."""


def column_field(target: str) -> str:
    return f"col_{target}"


def status_field(value: str) -> str:
    """The form field of one status value, named by the value itself so that a row keeps its
    choice when the list of values changes (another status column, another sample)."""
    return "status__" + hashlib.sha256(value.encode()).hexdigest()[:16]


class SampleUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Sample file"),
        help_text=_("A CSV or XLSX export; its first 200 rows are used for the preview."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )

    sample: Sample

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > SAMPLE_MAX_BYTES:
            raise forms.ValidationError(
                _("The sample is larger than %(limit)d MB: keep only its first rows.")
                % {"limit": SAMPLE_MAX_BYTES // (1024 * 1024)}
            )
        try:
            self.sample = read_sample(upload.read(), upload.name or "")
        except NormalizationError as exc:
            raise forms.ValidationError(
                _("This file cannot be read: %(reason)s") % {"reason": exc}
            ) from None
        return upload


class ImportFileForm(forms.Form):
    file = forms.FileField(
        label=_("File to import"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)d MB: import it with the omnioms command.")
                % {"limit": IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return upload


class ColumnMappingForm(forms.Form):
    """Which column is which target field, and how to read the values.

    Built for one sample's header. The status-map rows are the values the sample has in the
    chosen status column, plus those a saved mapping already maps.
    """

    money_unit = forms.ChoiceField(
        label=_("Money is in"),
        choices=[
            ("major", _("Yuan or dollars (12.50)")),
            ("minor", _("Fen or cents (1250)")),
        ],
    )
    date_format = forms.CharField(
        label=_("Date format"),
        max_length=100,
    )
    time_zone = forms.CharField(
        label=_("Time zone of the times"),
        max_length=64,
        required=False,
        help_text=_("Empty: the account's zone. An IANA name (Asia/Shanghai) or UTC+8."),
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        required=False,
        help_text=_("Empty: a currency column, money symbols, else the account's currency."),
    )
    default_status = forms.ChoiceField(
        label=_("Status when no status column is chosen"), choices=OrderStatus.choices
    )
    order_values = forms.ChoiceField(
        label=_("Order amounts on several rows"),
        choices=[
            ("first", _("Repeated on each row, or only on the first")),
            ("sum", _("Each row carries its share: add them up")),
        ],
    )
    taxes_included = forms.BooleanField(label=_("Prices include tax"), required=False)

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        sample: Sample,
        saved: ColumnMapping | None = None,
        initial: Mapping[str, Any] | None = None,
        refresh_url: str = "",
    ) -> None:
        values = data if data is not None else initial
        start = self._initial(saved) if values is None else {k: values.get(k) for k in values}
        super().__init__(data, initial=start if data is None else None)
        self.fields["date_format"].help_text = _(
            "Choose a suggestion, or type a pattern such as %(example)s. Dates from Excel cells "
            "are always understood."
        ) % {"example": "%d/%m/%Y %H:%M"}
        choices = [("", "—"), *((name, name) for name in sample.header if name)]
        for _group, fields in TARGET_GROUPS:
            for target, label in fields:
                self.fields[column_field(target)] = forms.ChoiceField(
                    label=label, choices=choices, required=False
                )
        if refresh_url:  # choosing the status column lists its values to map, at once
            self.fields[column_field("status")].widget.attrs.update(
                {
                    "hx-post": refresh_url,
                    "hx-trigger": "change",
                    "hx-target": "#status-map",
                    "hx-select": "#status-map",
                    "hx-swap": "outerHTML",
                    "hx-vals": '{"action": "refresh"}',
                }
            )
        status_column = str(start.get(column_field("status")) or "")
        found = sample.values(status_column) if status_column else []
        known = list((saved.status_map if saved else {}).keys())
        self.status_values = list(dict.fromkeys([*found, *known]))[:100]
        status_choices = [("", _("— not mapped —")), *OrderStatus.choices]
        for value in self.status_values:
            name = status_field(value)
            self.fields[name] = forms.ChoiceField(
                label=value, choices=status_choices, required=False
            )
            if data is None:
                self.initial.setdefault(name, saved.status_map.get(value, "") if saved else "")

    @staticmethod
    def _initial(saved: ColumnMapping | None) -> dict[str, Any]:
        if saved is None:
            return {
                "money_unit": "major",
                "date_format": DATE_AUTO,
                "default_status": OrderStatus.PAID,
                "order_values": "first",
            }
        initial: dict[str, Any] = {
            key: value
            for key, value in saved.as_options().items()
            if key not in ("columns", "status_map")
        }
        initial.update((column_field(t), name) for t, name in saved.columns.items())
        return initial

    def target_groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [
            (group, [self[column_field(target)] for target, _label in fields])
            for group, fields in TARGET_GROUPS
        ]

    def status_rows(self) -> list[forms.BoundField]:
        return [self[status_field(value)] for value in self.status_values]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        document = {
            "columns": {
                target: cleaned[column_field(target)]
                for target in TARGET_LABELS
                if cleaned.get(column_field(target))
            },
            "money_unit": cleaned["money_unit"],
            "date_format": cleaned["date_format"].strip(),
            "time_zone": cleaned.get("time_zone", "").strip(),
            "currency": cleaned.get("currency", "").strip().upper(),
            "status_map": {
                value: cleaned[status_field(value)]
                for value in self.status_values
                if cleaned.get(status_field(value))
            },
            "default_status": cleaned["default_status"],
            "order_values": cleaned["order_values"],
            "taxes_included": bool(cleaned.get("taxes_included")),
        }
        self._check(document)
        if self.errors:
            return cleaned
        try:
            self.mapping = read_mapping({"column_mapping": document})
        except MappingError as exc:
            self.add_error(self._field_of(exc.field or ""), exc.message)
        return cleaned

    def _check(self, document: dict[str, Any]) -> None:
        """The mistakes a person makes here, explained in their language (``read_mapping``
        checks everything again, in English, for mappings that did not come from this form)."""
        columns = document["columns"]
        if "order_id" not in columns:
            self.add_error(
                column_field("order_id"), _("Choose the column that holds the order id.")
            )
        if "unit_price" not in columns and "line_total" not in columns:
            self.add_error(
                column_field("unit_price"), _("Choose a unit price or a line total column.")
            )
        if "title" not in columns and "sku" not in columns:
            self.add_error(column_field("title"), _("Choose a title or a SKU column."))
        date_format = document["date_format"]
        if date_format not in (DATE_AUTO, DATE_UNIX) and "%" not in date_format:
            self.add_error(
                "date_format",
                _("Use a suggestion, or a pattern such as %(example)s.")
                % {"example": "%Y-%m-%d %H:%M"},
            )
        if document["time_zone"] and zone_of(document["time_zone"]) is None:
            self.add_error(
                "time_zone",
                _("%(zone)s is not a known time zone.") % {"zone": document["time_zone"]},
            )
        currency = document["currency"]
        if currency and not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
            self.add_error("currency", _("Use a three-letter currency code such as CNY."))

    def _field_of(self, key: str) -> str | None:
        """The form field a mapping error is about (``column_mapping.columns.sku`` -> col_sku)."""
        parts = key.split(".")[1:]
        if len(parts) == 2 and parts[0] == "columns" and parts[1] in TARGET_LABELS:
            return column_field(parts[1])
        if len(parts) == 1 and parts[0] in self.fields:
            return parts[0]
        return None


class DismissForm(forms.Form):
    """Why a dead letter is closed without a replay (``services.dismiss_dead_letter``)."""

    reason = forms.CharField(
        label=_("Why dismiss it?"),
        max_length=DISMISSAL_REASON_LIMIT,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Recorded with your name, for whoever looks later, e.g. a test order, or sent again "
            "by the platform under a new event."
        ),
    )
