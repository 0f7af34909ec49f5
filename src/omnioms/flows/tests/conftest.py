"""Every inventory test starts with no cached stock rules (ids repeat between tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from omnioms.inventory.rules import forget_rules


@pytest.fixture(autouse=True)
def _fresh_rules() -> Iterator[None]:
    forget_rules()
    yield
    forget_rules()
