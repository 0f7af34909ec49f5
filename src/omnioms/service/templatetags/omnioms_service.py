"""Filters of the customer-service pages."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from omnioms.service.views_support import hit_url as _hit_url

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """Business time as days, hours and minutes (``1 d 2 h``, ``3 h 5 min``, ``12 min``)."""
    if seconds is None:
        return ""
    total = int(abs(seconds)) // 60
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}


@register.simple_tag
def hit_url(kind: str, object_id: int) -> str:
    return _hit_url(kind, object_id)


@register.filter
def get_item(mapping: dict[object, object], key: object) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None
