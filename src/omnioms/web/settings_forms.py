"""Forms of the settings pages: a channel account, its stock rule, a staff user."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from omnioms.core.models import Location, LocationKind
from omnioms.core.roles import ROLE_LABELS, Role
from omnioms.core.services import assignable_roles
from omnioms.inventory.models import ChannelStockRule, RuleLocation
from omnioms.sync.account_forms import ChannelAccountForm


class AccountSettingsForm(ChannelAccountForm):
    """The back office's account form without the secret-rotation details: a manager enters
    the platform's current webhook secret and its API credentials, never sees either."""

    LEFT_OUT = ("previous_webhook_secret", "clear_previous_webhook_secret")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.LEFT_OUT:
            del self.fields[name]
        self.fields["location"].queryset = Location.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("code")
        if self.instance.pk is None:
            del self.fields["is_active"]  # a new account is active
            del self.fields["keep_replaced_secret"]  # there is nothing to replace
        else:
            # Orders, payloads and the webhook address name the account: it keeps its name.
            self.fields["name"].disabled = True
            self.fields["platform"].disabled = True

    SECRET_INPUTS = (
        "webhook_secret",
        "keep_replaced_secret",
        "api_credentials",
        "clear_api_credentials",
    )

    def account_fields(self) -> list[forms.BoundField]:
        grouped = {*self.HEALTH_FIELDS, *self.SECRET_INPUTS}
        return [field for field in self if field.name not in grouped]

    def secret_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.SECRET_INPUTS if name in self.fields]

    def health_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.HEALTH_FIELDS]


class StockRuleForm(forms.ModelForm):
    class Meta:
        model = ChannelStockRule
        fields = [
            "reserve_on",
            "nearest_by_province",
            "split_allowed",
            "buffer",
            "share_percent",
            "cap",
            "push_enabled",
        ]
        widgets = {"reserve_on": forms.RadioSelect}

    def clean_share_percent(self) -> int:
        share: int = self.cleaned_data["share_percent"]
        if share > 100:
            raise ValidationError(_("The share is a percentage: at most 100."))
        return share


class BaseRuleLocationFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        chosen = [
            form.cleaned_data["location"]
            for form in self.forms
            if form.cleaned_data.get("location") and not form.cleaned_data.get("DELETE")
        ]
        if len(chosen) != len(set(chosen)):
            raise ValidationError(_("Each location may be listed once."))


RuleLocationFormSet: type[BaseInlineFormSet] = inlineformset_factory(
    ChannelStockRule,
    RuleLocation,
    formset=BaseRuleLocationFormSet,
    fields=["location", "priority"],
    extra=2,
    can_delete=True,
)


class StaffUserForm(forms.Form):
    """A new staff user (``core.services.create_staff_user``): a manager gives any role but
    administrator; a store clerk needs a store."""

    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")},
    )
    first_name = forms.CharField(label=_("Name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"))
    store = forms.ModelChoiceField(
        label=_("Store"),
        queryset=Location.objects.none(),
        required=False,
        help_text=_("Store clerks see and change only the orders and stock of this store."),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Give it to the person; they log in with it."),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [  # type: ignore[attr-defined]
            (role, ROLE_LABELS[role]) for role in assignable_roles(actor)
        ]
        self.fields["store"].queryset = Location.objects.filter(  # type: ignore[attr-defined]
            kind=LocationKind.STORE, is_active=True
        ).order_by("code")

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("This username is taken."))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("role") == Role.STORE_CLERK and not data.get("store"):
            self.add_error("store", _("A store clerk needs a store."))
        if data.get("role") not in (None, Role.STORE_CLERK) and data.get("store"):
            self.add_error("store", _("Only store clerks are bound to a store."))
        password, again = data.get("password"), data.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", _("The two passwords differ."))
        elif password:
            try:
                validate_password(password, User(username=data.get("username", "")))
            except ValidationError as exc:
                self.add_error("password", exc)
        return data
