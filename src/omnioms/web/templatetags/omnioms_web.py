"""Template filters of the web UI: money in the reader's locale, channel and status labels."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import get_language, to_locale

from omnioms.channels.bodies import BODY_DISPLAY_LIMIT, Body, head_of
from omnioms.core.choices import Platform
from omnioms.core.money import Money
from omnioms.web import presenters
from omnioms.web.selectors import WebUser, role_labels

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """``{{ order.total|money:order.currency }}``: "CN¥96.20" in English, "¥96.20" in Chinese."""
    if amount is None:
        return ""
    try:
        return Money(Decimal(amount), currency).display(to_locale(get_language() or "en"))
    except (TypeError, ValueError):
        return f"{amount} {currency}"


@register.filter
def platform_label(code: str) -> str:
    return str(Platform(code).label) if code in Platform.values else code


@register.filter
def status_label(code: str) -> str:
    return presenters.status_label(code)


@register.filter
def is_nonzero(amount: Decimal | None) -> bool:
    return bool(amount)


@register.simple_tag
def body_head(row: Any, limit: int = BODY_DISPLAY_LIMIT) -> Body:
    """``{% body_head payload as body %}``: the body of a row read with ``with_body_head``."""
    return head_of(row, limit)


@register.simple_tag
def user_roles(user: WebUser) -> str:
    """``{% user_roles user as roles %}``: the user's roles, translated, comma-separated."""
    return ", ".join(role_labels(user))
