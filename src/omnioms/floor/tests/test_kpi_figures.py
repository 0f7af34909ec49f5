"""What the KPI pages open on and how stock is valued when nobody priced a made SKU."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from omnioms.catalog.models import SkuKind
from omnioms.floor import kpis
from omnioms.floor.reporting import report_operation
from omnioms.floor.tests.factories import ACTOR, START, production_order, shop
from omnioms.inventory.services import receive_stock
from omnioms.inventory.tests.factories import warehouse
from omnioms.kpi.inventory_days import StockCategory
from omnioms.production.tests.factories import sku

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _clock(monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
    monkeypatch.setattr(kpis.timezone, "now", lambda: at)


def test_the_pages_open_on_four_weeks_up_to_today_or_up_to_the_last_report_long_ago(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _clock(monkeypatch, datetime(2026, 12, 6, 4, tzinfo=UTC))
    assert kpis.default_period(SHANGHAI).end == date(2026, 12, 6)  # nothing reported yet

    cut = production_order(shop(), 100).operations.get(sequence=10)
    for kind, minutes in (("start", 0), ("pause", 30)):  # 1 December
        report_operation(
            operation_id=cut.pk,
            report_id=f"p-{kind}",
            kind=kind,
            at=START + timedelta(minutes=minutes),
            actor=ACTOR,
            source="api",
            pause_reason="setup" if kind == "pause" else "",
        )

    period = kpis.default_period(SHANGHAI)
    assert (period.start, period.end) == (date(2026, 11, 9), date(2026, 12, 6))
    _clock(monkeypatch, datetime(2027, 6, 1, 4, tzinfo=UTC))
    assert kpis.default_period(SHANGHAI).end == date(2026, 12, 1)


def test_a_made_sku_without_a_unit_cost_is_valued_at_its_standard_cost() -> None:
    tee = sku("TEE", SkuKind.MADE)
    receive_stock(sku=tee, location=warehouse(), quantity=10, unit_cost=None, actor=ACTOR)
    tee.unit_cost, tee.standard_cost = None, Decimal("40")
    tee.save(update_fields=["unit_cost", "standard_cost"])
    today = timezone.now().astimezone(SHANGHAI).date()

    snapshots, _cogs, per_sku = kpis.inventory_snapshots(kpis.Period(today, today, SHANGHAI))

    finished = [s for s in snapshots if s.category == StockCategory.FINISHED_GOODS]
    assert [s.value.amount for s in finished] == [Decimal(400)]
    assert per_sku["TEE"] == Decimal(400)
