"""Fixtures of the sync tests that talk to a platform: a local HTTP server replaying it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from omnioms.channels.tests.replay_server import FakeShopify, ReplayServer


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as running:
        yield running


@pytest.fixture
def shop(server: ReplayServer) -> FakeShopify:
    return FakeShopify(server)
