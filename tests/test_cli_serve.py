"""``omnioms serve`` and ``omnioms demo`` on a busy port, and ``make demo PORT=...``."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnioms.cli import bind_error, main, port_problem

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that another process (here: this test) listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_busy_port_is_said_in_one_line_before_anything_is_loaded(
    command: str, busy_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    # No database access is allowed here: loading the demo or migrating would fail the test.
    status = main([command, "--port", str(busy_port), "--no-worker"])

    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(
        f"omnioms: port {busy_port} is in use on 127.0.0.1; run make {command} PORT="
    )
    suggested = int(err.split("PORT=")[1].split()[0])
    assert suggested != busy_port
    assert bind_error("127.0.0.1", suggested) is None


def test_a_free_port_has_no_problem(busy_port: int) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]

    assert port_problem("serve", "127.0.0.1", free) == ""
    assert port_problem("serve", "127.0.0.1", busy_port) != ""


def test_a_host_that_cannot_be_listened_on_is_named() -> None:
    assert "cannot listen on 'no-such-host.invalid'" in port_problem(
        "serve", "no-such-host.invalid", 8000
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", ["demo", "serve"])
def test_make_passes_the_port_on(target: str) -> None:
    dry_run = subprocess.run(
        ["make", "-n", "--always-make", target, "PORT=8011"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert f"omnioms {target} --port 8011" in dry_run.stdout
