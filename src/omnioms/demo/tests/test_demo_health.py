"""A fresh demo's channel health page warns of nothing but the demo's deliberate dead letters,
whatever the time of day it is loaded: stores are closed at night and import their sales
after closing, and the platforms' accounts are plainly not connected."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from omnioms.demo.loader import load_demo
from omnioms.inventory.models import AvailabilityOutbox
from omnioms.inventory.rules import forget_rules
from omnioms.sync.health import AlertKind, channel_health

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "loaded_at",
    [
        datetime(2026, 12, 7, 9, 30, tzinfo=BEIJING),  # the stores open at ten
        datetime(2026, 12, 7, 21, 45, tzinfo=BEIJING),  # the day's files come at 22:30
    ],
    ids=["morning", "evening"],
)
def test_a_fresh_demo_shows_no_false_warnings(loaded_at: datetime) -> None:
    forget_rules()
    load_demo(seed=3, days=7, now=loaded_at, plan_seconds=2)

    report = channel_health(now=loaded_at)

    warned = {
        item.account.name: [
            alert.message for alert in item.alerts if alert.kind != AlertKind.DEAD_LETTERS
        ]
        for item in report.accounts
    }
    assert warned == {name: [] for name in warned}
    connections = {item.account.name: (item.has_api, item.connected) for item in report.accounts}
    assert connections == {
        "tmall-flagship": (True, False),
        "douyin-shop": (True, False),
        "shopify-global": (True, False),
        "pos-shanghai": (False, False),
        "pos-hangzhou": (False, False),
    }
    assert not AvailabilityOutbox.objects.exists()  # nothing queued that could fail
