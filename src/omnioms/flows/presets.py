"""The three flows omnioms ships: marketplace, store counter, social selling (``presets/``).

Each account starts with the preset that fits its platform (:data:`PRESET_OF_PLATFORM`); a
manager shapes it from there in the flow editor.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop

from omnioms.core.choices import Platform

PRESETS_DIR = Path(__file__).resolve().parent / "presets"
PRESETS = ("marketplace", "store_counter", "social_selling")

PRESET_OF_PLATFORM: dict[str, str] = {
    Platform.POS_CSV: "store_counter",
    Platform.SQUARE: "store_counter",
    Platform.MANUAL: "social_selling",
    Platform.WECHAT_CHANNELS: "social_selling",
}
"""Platforms whose orders are not a marketplace's; every other platform: ``marketplace``."""


def preset_for(platform: str) -> str:
    return PRESET_OF_PLATFORM.get(platform, "marketplace")


@cache
def _load(name: str) -> str:
    if name not in PRESETS:
        raise KeyError(name)
    return (PRESETS_DIR / f"{name}.json").read_text(encoding="utf-8")


def preset(name: str) -> dict[str, Any]:
    """A fresh copy of the preset's definition (JSON)."""
    data: dict[str, Any] = json.loads(_load(name))
    return data


# The presets' names and labels, for the message catalogue: shown through gettext, so that a
# preset's stages read in the user's language until a manager renames them.
_LABELS = (
    gettext_noop("Marketplace"),
    gettext_noop("Store counter"),
    gettext_noop("Social selling"),
    gettext_noop("Accepted, awaiting payment"),
    gettext_noop("Approve"),
    gettext_noop("Ask a manager to approve the discount"),
    gettext_noop("Ask for payment or a deposit"),
    gettext_noop("Awaiting approval"),
    gettext_noop("Awaiting payment"),
    gettext_noop("Awaiting payment or deposit"),
    gettext_noop("Cancel"),
    gettext_noop("Cancelled"),
    gettext_noop("Change the address"),
    gettext_noop("Complete"),
    gettext_noop("Completed"),
    gettext_noop("Confirm"),
    gettext_noop("Customer accepted"),
    gettext_noop("Delivered"),
    gettext_noop("Draft"),
    gettext_noop("Hand over"),
    gettext_noop("Handed over"),
    gettext_noop("Hold"),
    gettext_noop("Inquiry"),
    gettext_noop("Invoiced"),
    gettext_noop("Issue the invoice"),
    gettext_noop("Lost"),
    gettext_noop("Lost or cancelled"),
    gettext_noop("On hold"),
    gettext_noop("Paid"),
    gettext_noop("Partially shipped"),
    gettext_noop("Payment received"),
    gettext_noop("Picked"),
    gettext_noop("Quote sent"),
    gettext_noop("Receive a return"),
    gettext_noop("Record payment"),
    gettext_noop("Refund"),
    gettext_noop("Refunded"),
    gettext_noop("Release the hold"),
    gettext_noop("Resolve the conflict"),
    gettext_noop("Send back"),
    gettext_noop("Send the quote"),
    gettext_noop("Ship"),
    gettext_noop("Shipped"),
    gettext_noop("Shipped from another location"),
    gettext_noop("Split the order"),
    gettext_noop("Take payment"),
    gettext_noop("Taken at the counter"),
    gettext_noop("To pick"),
)
