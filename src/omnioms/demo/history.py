"""The demo's whole order history: every channel's deliveries, in the order they arrive."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime

from omnioms.demo.generators import douyin, pos, shopify, taobao
from omnioms.demo.generators.common import Delivery

CHANNELS = {
    taobao.ACCOUNT: taobao.generate,
    douyin.ACCOUNT: douyin.generate,
    shopify.ACCOUNT: shopify.generate,
}


def generate_all(
    seed: int, *, days: int, now: datetime, secrets: Mapping[str, str]
) -> list[Delivery]:
    """Every delivery of the demo history, in the order they reach omnioms.

    Each channel draws from its own ``Random(f"{seed}:{account}")``, so changing one
    generator leaves the others' data as it was. ``secrets`` maps account names to the
    webhook secret each payload is signed with.
    """
    deliveries: list[Delivery] = []
    for account, generate in CHANNELS.items():
        rng = random.Random(f"{seed}:{account}")
        deliveries += generate(rng, now=now, days=days, secret=secrets[account])
    deliveries += pos.generate(random.Random(f"{seed}:pos"), now=now, days=days)
    return sorted(deliveries, key=lambda delivery: delivery.at)
