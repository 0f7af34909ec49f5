"""Back office for customers and the identities channels know them by.

It lives with the orders (imported by ``orders/admin.py``) because who may see a customer
follows from the orders they may see, and ``customers`` sits below ``orders`` in the layers.

Scoped like ``OrderAdmin`` rather than closed to a store clerk: whoever sees every order sees
every customer; anyone else (a store clerk's staff account) sees only the customers of the
orders they may see, so the admin shows no more of other stores' buyers than the order pages.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from omnioms.core.choices import Platform
from omnioms.customers.domain import normalize_email, normalize_phone
from omnioms.customers.models import Customer, CustomerIdentity, IdentityKind
from omnioms.orders.selectors import visible_orders


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
    list_display = ["__str__", "email", "phone", "tier", "suggested_tier", "created_at"]
    list_filter = ["tier", "tier_by_hand"]
    search_fields = ["name", "email", "phone"]
    autocomplete_fields = ["merged_into"]
    readonly_fields = ["suggested_tier", "created_at"]
    fields = [
        "name",
        "email",
        "phone",
        "tier",
        "tier_by_hand",
        "suggested_tier",
        "merged_into",
        "created_at",
    ]
    show_full_result_count = False
    inlines = [CustomerIdentityInline]

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        # A tier changed here is the person's choice: suggestions no longer overwrite it.
        if "tier" in form.changed_data:
            obj.tier_by_hand = True
        super().save_model(request, obj, form, change)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        # Also scopes the change, history and autocomplete views, which look rows up here.
        customers = super().get_queryset(request)
        user = request.user
        if user.has_perm("orders.view_order") and user.has_perm("orders.view_all_orders"):
            return customers
        return customers.filter(pk__in=visible_orders(user).values("customer_id"))
