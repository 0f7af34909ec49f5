"""Fixtures every test may use."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SHARED_DIR = Path(os.environ.get("OMNIOMS_SHARED_DIR", ROOT.parent / "shared"))
CHANNEL_FIXTURES = SHARED_DIR / "fixtures" / "channels"


@pytest.fixture
def published_payload() -> Callable[[str], bytes]:
    """Bytes of a published platform sample from ``shared/fixtures/channels`` (kept unedited)."""

    def read(relative: str) -> bytes:
        path = CHANNEL_FIXTURES / relative
        if not path.exists():
            raise FileNotFoundError(
                f"{path} is missing: clone the project with shared/ beside it "
                "or set OMNIOMS_SHARED_DIR"
            )
        return path.read_bytes()

    return read
