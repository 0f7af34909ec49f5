"""Fixtures of the web UI tests: two stores, a channel account each, and people in each role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation
from pytest_django import Settings

from omnioms.channels.models import ChannelAccount
from omnioms.core.models import Location
from omnioms.core.roles import Role
from omnioms.web.tests.factories import make_account, make_location, make_user

LoginAs = Callable[..., User]


@pytest.fixture(autouse=True)
def _business_time_zone_and_english(settings: Settings) -> Iterator[None]:
    settings.TIME_ZONE = "Asia/Shanghai"
    settings.LANGUAGE_CODE = "en"
    # A request in Chinese leaves Chinese active in the thread; code outside requests
    # (presenters, assertions on labels) expects English.
    with translation.override("en"):
        yield


@dataclass
class Shop:
    north: Location
    south: Location
    north_pos: ChannelAccount
    """A ``manual`` account whose orders belong to the north store."""
    south_pos: ChannelAccount
    """A ``manual`` account whose orders belong to the south store."""
    web_shop: ChannelAccount
    """A ``shopify`` account with no store."""


@pytest.fixture
def shop(db: None) -> Shop:
    north, south = make_location("north-store"), make_location("south-store")
    return Shop(
        north=north,
        south=south,
        north_pos=make_account("north-pos", location=north, display_name="North POS"),
        south_pos=make_account("south-pos", location=south, display_name="South POS"),
        web_shop=make_account("webshop", platform="shopify", display_name="Web shop"),
    )


@pytest.fixture
def login_as(client: Client, shop: Shop) -> LoginAs:
    """``login_as(role, store=...)`` logs the test client in as a new user in that role."""

    def login(role: str, *, store: Location | None = None, **extra: Any) -> User:
        user = make_user(f"{role}-{User.objects.count() + 1}", role, store=store, **extra)
        client.force_login(user)
        return user

    return login


@pytest.fixture
def order_clerk(login_as: LoginAs) -> User:
    return login_as(Role.ORDER_CLERK)
