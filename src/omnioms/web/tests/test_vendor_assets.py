"""Chart and timeline libraries come from the npm lockfile and are served by omnioms itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

ROOT = Path(__file__).resolve().parents[4]
ASSETS = [
    "vendor/echarts/echarts.min.js",
    "vendor/vis-timeline/vis-timeline-graph2d.min.js",
    "vendor/vis-timeline-styles/vis-timeline-graph2d.min.css",
    "vendor/vis-data/vis-data.min.js",
    "vendor/moment/moment-with-locales.min.js",
]


def test_every_library_is_pinned_by_the_lockfile() -> None:
    wanted = json.loads((ROOT / "package.json").read_text())["dependencies"]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]

    for name in wanted:
        assert locked[f"node_modules/{name}"]["integrity"].startswith("sha512-"), name


@pytest.mark.parametrize("asset", ASSETS)
def test_a_library_file_is_found_and_served_from_this_site(client: Client, asset: str) -> None:
    assert finders.find(asset), f"{asset}: run `make install` (npm ci)"

    response = client.get(f"/static/{asset}")

    assert response.status_code == 200
    assert response["Content-Length"] != "0"
