"""The API docs page works offline: Swagger UI's files come from this site, not a CDN."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_docs_page_loads_swagger_ui_from_this_sites_static_files(client: Client) -> None:
    response = client.get("/api/v1/docs")

    page = response.content.decode()
    assert response.status_code == 200
    assert not re.search(r"(https?:)?//[a-z0-9]", page, re.IGNORECASE), "an outside origin"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert {"/static/ninja/swagger-ui-bundle.js", "/static/ninja/swagger-ui.css"} <= set(assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert client.get(asset).status_code == 200, asset


def test_swagger_ui_sends_the_schema_to_no_outside_validator(client: Client) -> None:
    page = client.get("/api/v1/docs").content.decode()

    assert '"validatorUrl": null' in page
