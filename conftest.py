"""Fixtures every test may use."""

from __future__ import annotations

import os
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


_DB_FIXTURES = frozenset(
    {"db", "transactional_db", "client", "admin_client", "live_server", "django_db_setup"}
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``OMNIOMS_DB_TESTS_ONLY=1`` (``make test``'s second run, on PostgreSQL) only the
    tests that touch the database run: the pure ones (engines, adapters, parsers, solvers) do
    not depend on it and gave their answer in the first run, on SQLite."""
    if os.environ.get("OMNIOMS_DB_TESTS_ONLY") != "1":
        return
    kept, dropped = [], []
    for item in items:
        uses_db = item.get_closest_marker("django_db") is not None or bool(
            _DB_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        )
        (kept if uses_db else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
