"""Forms of the agent's screen; every text field refuses NUL and is bounded."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omnioms.core.inputs import NUL
from omnioms.service.models import ContactKind, Priority, TicketStatus, TicketType
from omnioms.service.services import REPLY_LIMIT


def _no_nul(value: str, name: str) -> str:
    if NUL in value:
        raise forms.ValidationError(
            _("%(field)s must not contain NUL characters.") % {"field": name}
        )
    return value


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Answer"), max_length=REPLY_LIMIT, widget=forms.Textarea(attrs={"rows": 6})
    )
    note = forms.BooleanField(label=_("Internal note (not sent)"), required=False)

    def clean_text(self) -> str:
        return _no_nul(self.cleaned_data["text"], "text")


def agents() -> Any:
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__permissions__codename="answer_ticket") | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


class ChangeForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    ticket_type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False
    )
    tags = forms.CharField(
        label=_("Tags"), max_length=500, required=False, help_text=_("Separated by commas.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents()  # type: ignore[attr-defined]

    def clean_tags(self) -> list[str]:
        text = _no_nul(self.cleaned_data.get("tags") or "", "tags")
        return [t.strip() for t in text.replace("，", ",").split(",") if t.strip()]


class MergeForm(forms.Form):
    into = forms.CharField(label=_("Merge into ticket"), max_length=20)

    def clean_into(self) -> str:
        return _no_nul(self.cleaned_data["into"].strip(), "into")


class LinkOrderForm(forms.Form):
    order = forms.CharField(label=_("Order number"), max_length=100)

    def clean_order(self) -> str:
        return _no_nul(self.cleaned_data["order"].strip(), "order")


class LogContactForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Contact"),
        choices=[
            (ContactKind.PHONE, ContactKind.PHONE.label),
            (ContactKind.STORE_VISIT, ContactKind.STORE_VISIT.label),
        ],
    )
    customer = forms.CharField(
        label=_("Customer (phone, e-mail or name)"), max_length=200, required=False
    )
    order = forms.CharField(label=_("Order number"), max_length=100, required=False)
    ticket_type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices)
    text = forms.CharField(
        label=_("What the customer said"),
        max_length=REPLY_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("customer", "order", "text"):
            if isinstance(data.get(name), str):
                _no_nul(data[name], name)
        return data


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200)

    def clean_q(self) -> str:
        return _no_nul(self.cleaned_data["q"], "q")
