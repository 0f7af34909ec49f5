"""Every account's stock rule, read once and kept for a few seconds.

Reading the rules of every account costs three queries; the reconcile needs them on every
batch. They change when a manager edits them, so each process keeps them for
``RULES_TTL`` seconds and forgets them at once when this process saves an account, location or
rule (other processes see the edit within the TTL).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass

from omnioms.channels.clients.registry import is_connected
from omnioms.core.models import Location, LocationKind
from omnioms.inventory.domain import NO_PUSH_PLATFORMS, Rule
from omnioms.inventory.models import ChannelStockRule, RuleLocation

RULES_TTL = 2.0


@dataclass(frozen=True)
class RoutingConfig:
    rules: dict[int, Rule]
    provinces: dict[int, str]
    sellers: dict[int, tuple[int, ...]]
    """Location id -> accounts whose channel figure counts that location (push enabled)."""

    def rule(self, account_id: int) -> Rule:
        # An account created after the config was read: forget and read again.
        found = self.rules.get(account_id)
        if found is None:
            forget_rules()
            found = routing_config().rules.get(account_id, Rule(account_id=account_id))
        return found


_lock = threading.Lock()
_cached: tuple[float, RoutingConfig] | None = None


def routing_config() -> RoutingConfig:
    global _cached
    with _lock:
        if _cached is not None and time.monotonic() - _cached[0] < RULES_TTL:
            return _cached[1]
    config = _read()
    with _lock:
        _cached = (time.monotonic(), config)
    return config


def forget_rules(**_: object) -> None:
    global _cached
    with _lock:
        _cached = None


def _read() -> RoutingConfig:
    from omnioms.channels.models import ChannelAccount

    locations = list(Location.objects.values_list("pk", "kind", "province", "is_active", "code"))
    kinds = {pk: kind for pk, kind, *_ in locations}
    provinces = {pk: province for pk, _, province, *_ in locations}
    warehouses = tuple(
        pk
        for pk, kind, _, active, _code in sorted(locations, key=lambda row: row[4])
        if kind == LocationKind.WAREHOUSE and active
    )
    stored = {rule.account_id: rule for rule in ChannelStockRule.objects.all()}
    allowed: dict[int, list[int]] = defaultdict(list)
    for rule_id, location_id in (
        RuleLocation.objects.filter(location__is_active=True)
        .order_by("priority", "location__code")
        .values_list("rule_id", "location_id")
    ):
        allowed[rule_id].append(location_id)
    rules: dict[int, Rule] = {}
    sellers: dict[int, list[int]] = defaultdict(list)
    for (
        account_id,
        platform,
        location_id,
        active,
        credentials,
    ) in ChannelAccount.objects.values_list(
        "pk", "platform", "location_id", "is_active", "api_credentials"
    ):
        own = (location_id,) if location_id else warehouses
        # Nothing is queued for an account that is not connected to its platform's API: its
        # figures are shown but there is nobody to tell (registry.is_connected).
        connected = is_connected(platform, credentials)
        store = location_id if platform == "pos_csv" and kinds.get(location_id) == "store" else None
        stored_rule = stored.get(account_id)
        if stored_rule is None:
            rule = Rule(
                account_id=account_id,
                locations=own,
                push_enabled=connected and platform not in NO_PUSH_PLATFORMS,
                store_location=store,
            )
        else:
            rule = Rule(
                account_id=account_id,
                reserve_on=stored_rule.reserve_on,
                locations=tuple(allowed.get(stored_rule.pk, ())) or own,
                nearest_by_province=stored_rule.nearest_by_province,
                split_allowed=stored_rule.split_allowed,
                buffer=stored_rule.buffer,
                share_percent=stored_rule.share_percent,
                cap=stored_rule.cap,
                push_enabled=(
                    connected and stored_rule.push_enabled and platform not in NO_PUSH_PLATFORMS
                ),
                tracks_from=stored_rule.tracks_from,
                store_location=store,
            )
        rules[account_id] = rule
        if active and rule.push_enabled:
            for location in rule.locations:
                sellers[location].append(account_id)
    return RoutingConfig(
        rules=rules,
        provinces=provinces,
        sellers={loc: tuple(accounts) for loc, accounts in sellers.items()},
    )
