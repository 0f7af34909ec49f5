"""A request for a host this site does not serve is logged as one line, not a traceback."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

LOGGER = "django.security.DisallowedHost"


def test_an_unknown_host_is_one_line_naming_host_path_and_address(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = client.get("/orders/", HTTP_HOST="scanner.example", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 400
    [record] = [r for r in caplog.records if r.name == LOGGER]
    assert record.getMessage() == (
        "Unknown host 'scanner.example' (not in OMNIOMS_ALLOWED_HOSTS): "
        "GET '/orders/' from 203.0.113.9"
    )
    assert record.exc_info is None
    assert "Traceback" not in caplog.text
    assert len(caplog.text.strip().splitlines()) == 1


def test_a_line_break_in_the_path_cannot_forge_a_second_log_line(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        client.get("/x%0AERROR forged", HTTP_HOST="scanner.example")

    [record] = [r for r in caplog.records if r.name == LOGGER]
    assert "\n" not in record.getMessage()
