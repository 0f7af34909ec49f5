"""The adapter registry: one line per platform.

Modules are imported on first use so that ``omnioms normalize`` loads only the one it needs.
Adding a platform: write ``adapters/<code>.py`` exposing ``ADAPTER``, add its line here and its
code to :class:`omnioms.core.choices.Platform`.
"""

from __future__ import annotations

from importlib import import_module

from omnioms.channels.adapters.base import Adapter

_MODULES: dict[str, str] = {
    "shopify": "omnioms.channels.adapters.shopify",
    "taobao": "omnioms.channels.adapters.taobao",
    "douyin": "omnioms.channels.adapters.douyin",
    "pos_csv": "omnioms.channels.adapters.pos_csv",
    "manual": "omnioms.channels.adapters.manual",
    "csv": "omnioms.channels.adapters.csv_mapped",
    "woocommerce": "omnioms.channels.adapters.woocommerce",
    "square": "omnioms.channels.adapters.square",
    "amazon": "omnioms.channels.adapters.amazon",
    "jd": "omnioms.channels.adapters.jd",
    "pinduoduo": "omnioms.channels.adapters.pinduoduo",
    "youzan": "omnioms.channels.adapters.youzan",
    "wechat_channels": "omnioms.channels.adapters.wechat_channels",
}


class UnknownPlatform(LookupError):
    pass


def get_adapter(code: str) -> Adapter:
    try:
        module = _MODULES[code]
    except KeyError:
        known = ", ".join(sorted(_MODULES))
        raise UnknownPlatform(f"unknown channel {code!r}; known channels: {known}") from None
    adapter: Adapter = import_module(module).ADAPTER
    return adapter


def adapter_codes() -> list[str]:
    return sorted(_MODULES)
