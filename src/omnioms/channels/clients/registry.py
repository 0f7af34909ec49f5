"""Which client talks to which platform: one line per platform with an API.

Modules are imported on first use. Platforms without an order API (store POS exports, manual
entry, spreadsheets) raise :class:`~omnioms.channels.clients.NotSupported`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any

from omnioms.channels.clients import NotSupported, PlatformClient

if TYPE_CHECKING:
    from omnioms.channels.models import ChannelAccount

_MODULES: dict[str, str] = {
    "shopify": "omnioms.channels.clients.shopify",
    "taobao": "omnioms.channels.clients.taobao",
    "douyin": "omnioms.channels.clients.douyin",
    "woocommerce": "omnioms.channels.clients.woocommerce",
    "square": "omnioms.channels.clients.square",
    "amazon": "omnioms.channels.clients.amazon",
    "jd": "omnioms.channels.clients.jd",
    "pinduoduo": "omnioms.channels.clients.pinduoduo",
    "youzan": "omnioms.channels.clients.youzan",
    "wechat_channels": "omnioms.channels.clients.wechat_channels",
}

NO_API = frozenset({"pos_csv", "manual", "csv"})


def client_for(account: ChannelAccount) -> PlatformClient:
    """The account's client, configured from its ``api_credentials``.

    Raises :class:`NotSupported` for platforms without an API, and
    :class:`~omnioms.channels.clients.ClientError` (not retryable) naming a missing or bad
    credential.
    """
    module = _MODULES.get(account.platform)
    if module is None:
        if account.platform in NO_API:
            raise NotSupported(
                f"{account.platform} has no platform API: its orders arrive as files or are "
                "entered by staff"
            )
        raise NotSupported(f"no API client for platform {account.platform!r}")
    client: PlatformClient = import_module(module).Client(account)
    return client


def has_client(platform: str) -> bool:
    """Whether omnioms can call this platform's API (pull, reconcile, ship, push stock)."""
    return platform in _MODULES


def is_connected(platform: str, api_credentials: Mapping[str, Any] | None) -> bool:
    """Whether omnioms talks to an account's platform: the platform has an API client and the
    account has credentials for it. An account that is not connected is never polled, told of
    shipments or sent what it may sell; its pages say "not connected" instead of warning."""
    return platform in _MODULES and bool(api_credentials)


def writes_back(platform: str, kind: str) -> bool:
    """Whether omnioms can send an outbound command of ``kind`` (``channels.CommandKind``) to
    this platform: its client declares the call (``BaseClient.writes_back``)."""
    module = _MODULES.get(platform)
    if module is None:
        return False
    client_class = import_module(module).Client
    return kind in getattr(client_class, "writes_back", frozenset({"mark_shipped"}))


def client_platforms() -> list[str]:
    return sorted(_MODULES)


def named_orders_finder(platform: str) -> Callable[[bytes], list[str]] | None:
    """For platforms whose webhooks may only name orders (Square, Douyin's id-only pushes): a
    function from a webhook body (or one record of it) to the order ids to fetch; else None.

    The adapter module's ``order_ids_to_fetch`` when it has one, else the client module's
    ``named_orders``.
    """
    if platform not in _MODULES:
        return None
    from omnioms.channels.adapters import UnknownPlatform, get_adapter

    try:
        adapter = get_adapter(platform)
    except UnknownPlatform:
        return None
    adapter_module = import_module(adapter.normalize.__module__)
    finder = getattr(adapter_module, "order_ids_to_fetch", None)
    if finder is None:
        finder = getattr(import_module(_MODULES[platform]), "named_orders", None)
    return finder
