"""Real mail servers for the e-mail tests: Dovecot (IMAP, Debian's ``dovecot-imapd``) and
aiosmtpd (SMTP, aio-libs), each on a free port of 127.0.0.1.

Dovecot runs from a configuration written into a temporary directory (its own base and
state directories, a passwd-file of mailboxes, maildirs), so it touches nothing of the
system's installation. One Dovecot serves a test module (it takes about three seconds to
stop); each test gets a mailbox of its own, the next of the passwd-file's users, so no test
sees another's mail. An SMTP server is started for each test. Tests skip, saying why, where
Dovecot is not installed (``apt-get install dovecot-imapd``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
SHOP_ADDRESS = "support@shop.test"
"""The address the shop's mail is sent from and customers write to."""
MAILBOX_PASSWORD = "mailbox-pw-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={base}/mail/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


MAILBOXES = 100
"""Users in the passwd-file, one per test of a module (written before Dovecot starts: it
caches the file, and a user added later is refused for a while)."""


@dataclass
class Dovecot:
    port: int
    used: int = 0

    def new_mailbox(self) -> str:
        assert self.used < MAILBOXES, "more tests in the module than mailboxes: raise MAILBOXES"
        self.used += 1
        return _mailbox(self.used)


def _mailbox(number: int) -> str:
    return f"support-{number}@shop.test"


@dataclass
class ImapServer:
    """One test's mailbox on the module's Dovecot."""

    port: int
    user: str

    def settings(self) -> dict[str, object]:
        return {
            "imap_host": "127.0.0.1",
            "imap_port": self.port,
            "imap_ssl": False,
            "imap_user": self.user,
            "imap_password": MAILBOX_PASSWORD,
        }

    def deliver(self, raw: bytes) -> None:
        """A message arrives in the mailbox (IMAP APPEND, as a delivery agent would file it)."""
        import imaplib

        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            connection.login(self.user, MAILBOX_PASSWORD)
            answer = connection.append("INBOX", "", "", raw)
            assert answer[0] == "OK"
        finally:
            connection.logout()


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    if not os.path.exists(DOVECOT):
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    base = Path(tempfile.mkdtemp(prefix="dovecot-", dir="/tmp"))
    for sub in ("run", "state", "mail"):
        (base / sub).mkdir()
    me = pwd.getpwuid(os.getuid()).pw_name
    as_root = os.getuid() == 0
    mail_user = "nobody" if as_root else me
    (base / "mail").chmod(0o777)
    base.chmod(0o755)
    port = free_port()
    config = base / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            base=base,
            port=port,
            internal="dovecot" if as_root else me,
            login="dovenull" if as_root else me,
            mail_user=mail_user,
            mail_group="nogroup" if as_root else os.getgid(),
        )
    )
    (base / "users").write_text(
        "".join(f"{_mailbox(n)}:{{PLAIN}}{MAILBOX_PASSWORD}\n" for n in range(1, MAILBOXES + 1))
    )
    (base / "users").chmod(0o644)
    subprocess.run([DOVECOT, "-c", str(config)], check=True, timeout=30)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield Dovecot(port)
    finally:
        subprocess.run([DOVEADM, "-c", str(config), "stop"], check=False, timeout=30)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def imap_server(dovecot: Dovecot) -> ImapServer:
    return ImapServer(dovecot.port, dovecot.new_mailbox())


@dataclass
class SmtpServer:
    port: int
    received: list[EmailMessage] = field(default_factory=list)
    refuse: bool = False

    def settings(self) -> dict[str, object]:
        return {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_starttls": False,
            "address": SHOP_ADDRESS,
        }


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    server = SmtpServer(free_port())

    class Collect:
        async def handle_DATA(self, smtp: object, session: object, envelope: object) -> str:
            if server.refuse:
                return "451 try again later"
            content = envelope.content  # type: ignore[attr-defined]
            raw = content if isinstance(content, bytes) else content.encode()
            message = message_from_bytes(raw, policy=policy.default)
            server.received.append(message)
            return "250 OK"

    controller = Controller(Collect(), hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
