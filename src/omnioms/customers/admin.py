"""Back office for customers and the identities channels know them by."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from omnioms.core.choices import Platform
from omnioms.customers.domain import normalize_email, normalize_phone
from omnioms.customers.models import Customer, CustomerIdentity, IdentityKind


class CustomerIdentityForm(forms.ModelForm):
    """Stores identities in the normalised form that matching looks them up by."""

    class Meta:
        model = CustomerIdentity
        fields = ["kind", "scope", "value"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, scope, value = data.get("kind"), data.get("scope") or "", data.get("value") or ""
        if kind == IdentityKind.CHANNEL_BUYER:
            if scope not in Platform.values:
                self.add_error(
                    "scope",
                    gettext("A channel buyer id needs the platform code: %(codes)s.")
                    % {"codes": ", ".join(Platform.values)},
                )
        elif kind in (IdentityKind.EMAIL, IdentityKind.PHONE):
            if scope:
                self.add_error("scope", _("Leave the scope empty for e-mails and phones."))
            normalized = (
                normalize_email(value) if kind == IdentityKind.EMAIL else normalize_phone(value)
            )
            if normalized is None:
                self.add_error("value", _("This is not a usable e-mail or phone number."))
            else:
                data["value"] = normalized
        return data


class CustomerIdentityInline(admin.TabularInline):
    model = CustomerIdentity
    form = CustomerIdentityForm
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "phone", "tier", "created_at"]
    list_filter = ["tier"]
    search_fields = ["name", "email", "phone"]
    autocomplete_fields = ["merged_into"]
    readonly_fields = ["created_at"]
    fields = ["name", "email", "phone", "tier", "merged_into", "created_at"]
    show_full_result_count = False
    inlines = [CustomerIdentityInline]
