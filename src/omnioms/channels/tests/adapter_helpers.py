"""Scaffolding the adapter tests share: fixture files, normalising a payload, UTC times, and a
webhook signature written independently of the adapters' own code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from omnioms.channels.adapters.base import Adapter, AdapterContext, Record
from omnioms.channels.contract import NormalizedOrder

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_reader(folder: str) -> Callable[[str], bytes]:
    """``fixture_bytes(name)``: the bytes of ``fixtures/<folder>/<name>``."""

    def fixture_bytes(name: str) -> bytes:
        return (FIXTURES / folder / name).read_bytes()

    return fixture_bytes


class Normalize(Protocol):
    def __call__(
        self, raw: bytes | Any, context: AdapterContext | None = None
    ) -> NormalizedOrder: ...


def normalizer(adapter: Adapter) -> Normalize:
    """``normalize(raw, context=None)`` for one adapter: ``raw`` is a payload's bytes, or data
    that is written as JSON (UTF-8) first; the context is the default account's unless given."""

    def normalize(raw: bytes | Any, context: AdapterContext | None = None) -> NormalizedOrder:
        if not isinstance(raw, bytes):
            raw = json.dumps(raw, ensure_ascii=False).encode()
        return adapter.normalize(Record(raw=raw), context or AdapterContext())

    return normalize


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def hmac_base64(secret: str, message: bytes) -> str:
    """base64(HMAC-SHA256(secret, message)), as Shopify, WooCommerce and Square sign webhooks."""
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()
