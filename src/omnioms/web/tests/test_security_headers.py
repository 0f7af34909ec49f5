"""Every response carries a Content-Security-Policy and a Permissions-Policy; no template
holds what that policy refuses (inline script, inline style, event-handler attributes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import omnioms

pytestmark = pytest.mark.django_db

TEMPLATES = sorted(Path(omnioms.__file__).parent.glob("*/templates/**/*.html"))


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("/login/", id="html"),
        pytest.param("/api/v1/orders", id="api"),
        pytest.param("/api/v1/docs", id="api-docs"),
        pytest.param("/static/web/omnioms.css", id="static"),
        pytest.param("/no-such-page/", id="404"),
    ],
)
def test_every_response_allows_only_this_sites_own_files(client: Client, url: str) -> None:
    response = client.get(url)

    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert not re.search(r"https?:|\*|unsafe", response["Content-Security-Policy"])
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_the_templates_are_found() -> None:
    assert len(TEMPLATES) > 10


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_template_has_what_the_policy_refuses(template: Path) -> None:
    source = template.read_text()

    # A JSON data block (``json_script``) is data the policy does not run, not a script.
    inline = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>")
    assert not inline.search(source), "an inline <script>"
    assert not re.search(r"<style\b", source), "a <style> element"
    assert not re.search(r"\sstyle=", source), "a style= attribute"
    assert not re.search(r"\son[a-z]+=", source), "an event-handler attribute"
    assert "javascript:" not in source
