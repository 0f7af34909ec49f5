"""Small helpers the pages and their template tags share."""

from __future__ import annotations

from django.urls import reverse

from omnioms.service.models import SearchKind


def hit_url(kind: str, object_id: int) -> str:
    """Where a search hit opens: the agent's screen, the order page, the customer page."""
    if kind == SearchKind.TICKET:
        return reverse("service:ticket", args=[object_id])
    if kind == SearchKind.ORDER:
        return reverse("web:order_detail", args=[object_id])
    return reverse("service:customer", args=[object_id])
