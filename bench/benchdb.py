"""What the benchmarks share: a fresh database to measure in, SQLite or PostgreSQL.

PostgreSQL is reached at ``BENCH_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``), where a database ``omnioms_bench_<pid>`` is
created, migrated and dropped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OMNIOMS = [sys.executable, "-m", "omnioms.cli"]
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


class Database:
    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.workdir = workdir
        self.name = f"omnioms_bench_{os.getpid()}"

    @property
    def path(self) -> Path:
        return self.workdir / "bench.sqlite3"

    @property
    def url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.path}"
        return PG_SERVER.rsplit("/", 1)[0] + "/" + self.name

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.url,
            "OMNIOMS_DATA_DIR": str(self.workdir),
            "DJANGO_SETTINGS_MODULE": "omnioms.settings.base",
        }

    def create(self) -> None:
        self.drop()
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(PG_SERVER, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
        run([*OMNIOMS, "manage", "migrate", "--verbosity", "0"], self.env())

    def drop(self) -> None:
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        import psycopg

        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def raw_connection(self) -> Any:
        if self.kind == "sqlite":
            import sqlite3

            conn = sqlite3.connect(self.path, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # as the application sets it
            return conn
        import psycopg

        return psycopg.connect(self.url)


def run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def postgres_answers() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_SERVER, connect_timeout=2):
            return True
    except Exception:
        return False
