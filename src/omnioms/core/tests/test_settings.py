"""Production settings: they pass Django's deployment checks, and refuse to start unsafe."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

CHECK_DEPLOY = [
    sys.executable,
    "-m",
    "omnioms.cli",
    "manage",
    "check",
    "--deploy",
    "--fail-level",
    "WARNING",
]


def production_environment(data_dir: Path, **overrides: str) -> dict[str, str]:
    """This process's environment without any omnioms or database setting, plus ``overrides``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OMNIOMS_", "DJANGO_")) and name != "DATABASE_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="omnioms.settings.prod",
        OMNIOMS_DATA_DIR=str(data_dir),
        OMNIOMS_ALLOWED_HOSTS="oms.example.com",
        **overrides,
    )
    return env


def run(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        CHECK_DEPLOY, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_production_settings_pass_the_deployment_checks_without_a_warning(
    tmp_path: Path,
) -> None:
    key = secrets.token_urlsafe(45)
    assert len(key) == 60
    result = run(production_environment(tmp_path, OMNIOMS_SECRET_KEY=key), tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = run(production_environment(tmp_path), tmp_path)

    assert result.returncode != 0
    assert "OMNIOMS_SECRET_KEY" in result.stderr


def test_production_settings_refuse_a_short_secret_key(tmp_path: Path) -> None:
    result = run(production_environment(tmp_path, OMNIOMS_SECRET_KEY="too-short"), tmp_path)

    assert result.returncode != 0
    assert "OMNIOMS_SECRET_KEY" in result.stderr


def test_the_embedded_database_syncs_each_commit_to_disk(tmp_path: Path) -> None:
    # A webhook is answered 2xx after its commit: in WAL mode, synchronous=NORMAL could lose
    # that commit in a power cut, and the platform would not send the webhook again.
    probe = (
        "import django; django.setup(); from django.db import connection; "
        "cursor = connection.cursor(); "
        "print(cursor.execute('PRAGMA journal_mode').fetchone()[0], "
        "cursor.execute('PRAGMA synchronous').fetchone()[0])"
    )
    env = {
        **production_environment(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"),
        "DJANGO_SETTINGS_MODULE": "omnioms.settings.base",
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["wal", "2"]  # 2 is FULL
