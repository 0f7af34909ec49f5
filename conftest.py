"""Fixtures every test may use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
CHANNEL_FIXTURES = ROOT / "tests" / "fixtures" / "channels"


@pytest.fixture
def published_payload() -> Callable[[str], bytes]:
    """Bytes of a published platform sample from ``tests/fixtures/channels`` (kept unedited)."""

    def read(relative: str) -> bytes:
        return (CHANNEL_FIXTURES / relative).read_bytes()

    return read
