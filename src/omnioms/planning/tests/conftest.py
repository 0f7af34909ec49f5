from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_promise_views() -> Iterator[None]:
    """Plans in tests reuse ids from one test to the next: no promise view carried over."""
    from omnioms.planning.promise import forget_views

    forget_views()
    yield
    forget_views()
