"""Schemathesis against the API's own OpenAPI schema: no 5xx, no status the schema does not
declare, every answer in the shape the schema says.

A bounded run (``MAX_EXAMPLES`` valid and as many invalid requests per operation, drawn the
same way every run) through the WSGI application, as an administrator holding a bearer
token. The webhook, which takes any body, is sent bodies for names that are no account and,
in a second run, for one that exists, so that the signature check runs and refuses them.

Deselect it while iterating: ``pytest -m "not fuzz"``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from omnioms.api.services import create_token
from omnioms.core.roles import Role
from omnioms.testing import make_account, make_user

pytestmark = pytest.mark.fuzz

MAX_EXAMPLES = 10
WEBHOOK = "/api/v1/webhooks/{account}"

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
schema.config.generation.update(
    max_examples=MAX_EXAMPLES,
    modes=["positive", "negative"],
    deterministic=True,  # the same requests every run: a failure here is a failure anywhere
    database="none",
)


@pytest.fixture
def admin_token(db: None) -> Iterator[str]:
    make_account("relay")
    # As Django's test client does: the requests share the test's connection (and transaction),
    # which the request signals would otherwise close.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield create_token(make_user(Role.ADMINISTRATOR))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_the_api_answers_as_its_schema_says(case: Any, admin_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS)


@schema.include(path=WEBHOOK).parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_a_webhook_of_an_existing_account_answers_as_its_schema_says(
    case: Any, admin_token: str
) -> None:
    # The account exists, so every body reaches the signature check (and fails it).
    case.path_parameters = {**(case.path_parameters or {}), "account": "relay"}
    case.call_and_validate(checks=CHECKS)
