"""Rows a worker step takes its turn on: due now, not locked by another worker."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Model, QuerySet


def claim_due(queryset: QuerySet[Model], now: datetime, limit: int) -> list[int]:
    """Ids of up to ``limit`` rows of ``queryset`` whose ``next_attempt_at`` has come, oldest
    first, skipping rows another worker holds (each then works its rows one by one)."""
    with transaction.atomic():
        return list(
            queryset.select_for_update(skip_locked=True)
            .filter(next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
