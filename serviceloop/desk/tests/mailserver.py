"""Real mail servers for the e-mail tests: Dovecot (IMAP) and aiosmtpd (SMTP).

``DovecotServer`` runs Debian's ``dovecot`` as a throw-away, unprivileged instance: its own
configuration, a passwd-file user and maildirs in a temporary directory, listening on
127.0.0.1 at a free port (``dovecot -c CONF -F``). Under root the whole instance runs as
``nobody``. Tests put mail in with IMAP APPEND, as any mail client would.

Fixtures (import them into a test module): ``dovecot`` (one server per test session),
``imap_mailbox`` (a fresh folder per test, IMAP_URL pointing at it) and ``smtp_sink``
(an SMTP server per test, Django's SMTP backend pointing at it).
"""

import atexit
import contextlib
import email
import email.policy
import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

USER, PASSWORD = "desk", "desk-test-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if os.access("/usr/sbin/dovecot", os.X_OK) else None
    )


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class DovecotServer:
    """A private Dovecot IMAP server; ``url(folder)`` is an IMAP_URL for one of its folders."""

    def __init__(self, binary: str):
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="sl-dovecot-"))
        self.port = free_port()
        # Dovecot refuses to run its login processes as root: drop to nobody under root.
        account = pwd.getpwnam("nobody") if os.getuid() == 0 else pwd.getpwuid(os.getuid())
        self.account = account
        group = account.pw_gid
        for name in ("run", "state", "mail", "home"):
            (self.root / name).mkdir()
        (self.root / "passwd").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{account.pw_uid}:{group}::{self.root}/home/{USER}\n"
        )
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(
                root=self.root,
                user=account.pw_name,
                group=grp.getgrgid(group).gr_name,
                port=self.port,
            )
        )
        if os.getuid() == 0:
            for path in [self.root, *self.root.rglob("*")]:
                os.chown(path, account.pw_uid, group)
        self.process = None
        atexit.register(self.cleanup)  # even if the session ends without its teardown

    def _run_as(self) -> dict:
        if os.getuid() == 0:
            return {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}
        return {}

    def start(self, timeout: float = 10.0) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own binary and config
            [self.binary, "-c", str(self.root / "dovecot.conf"), "-F"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, stopped as a whole
            **self._run_as(),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not start listening:\n{self.log()}")

    def stop(self) -> None:
        """Stop the server and its helper processes (a clean shutdown takes Dovecot a second;
        the data is thrown away, so the group is killed if it lingers)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=0.3)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def url(self, folder: str = "INBOX") -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{folder}"

    def client(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        connection.login(USER, PASSWORD)
        return connection

    def kick(self, user: str = USER, timeout: float = 5.0) -> None:
        """Drop every IMAP connection of ``user`` on the server side (``doveadm kick``), and
        wait until they are gone: a real fault in the middle of a session."""
        doveadm = [
            shutil.which("doveadm") or "/usr/bin/doveadm",
            "-c",
            str(self.root / "dovecot.conf"),
        ]
        # exit status 68: nobody was connected
        kicked = subprocess.run(  # noqa: S603
            [*doveadm, "kick", user], capture_output=True, text=True, **self._run_as()
        )
        if kicked.returncode not in (0, 68):
            raise RuntimeError(f"doveadm kick failed: {kicked.stderr}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            who = subprocess.run(  # noqa: S603
                [*doveadm, "who", "-1"], capture_output=True, text=True, **self._run_as()
            )
            if user not in who.stdout:
                return
            time.sleep(0.05)
        raise RuntimeError(f"{user} still connected after doveadm kick")


class ImapFolder:
    """One folder of the test server, with helpers to put mail in and look at its flags."""

    def __init__(self, server: DovecotServer, name: str):
        self.server, self.name = server, name
        with self._client() as connection:
            typ, data = connection.create(name)
            assert typ == "OK", data

    def _client(self):
        server = self.server

        class _Session:
            def __enter__(self):
                self.connection = server.client()
                return self.connection

            def __exit__(self, *exc):
                self.connection.logout()

        return _Session()

    @property
    def url(self) -> str:
        return self.server.url(self.name)

    def append(self, message, *, seen: bool = False, arrived_at=None) -> int:
        """Store ``message`` (bytes or an email.message) with IMAP APPEND, as arrived at
        ``arrived_at`` (the server's INTERNALDATE; now by default); returns its UID."""
        raw = message if isinstance(message, bytes) else message.as_bytes()
        date = imaplib.Time2Internaldate(arrived_at) if arrived_at else None
        with self._client() as connection:
            typ, data = connection.append(self.name, "(\\Seen)" if seen else None, date, raw)
            assert typ == "OK", data
            # "[APPENDUID <uidvalidity> <uid>] Append completed."
            return int(data[0].split(b"]")[0].split()[-1])

    def flags(self) -> dict[int, set[str]]:
        """UID → flags of every message in the folder."""
        with self._client() as connection:
            connection.select(self.name, readonly=True)
            typ, data = connection.uid("FETCH", "1:*", "(FLAGS)")
            result = {}
            for line in data:
                if not line:
                    continue
                text = line.decode()
                uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                flags = text.split("FLAGS (")[1].split(")")[0].split()
                result[uid] = set(flags)
            return result


class SmtpSink:
    """aiosmtpd handler keeping every message it accepts, parsed."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [
            m for m, e in zip(self.messages, self.envelopes, strict=True) if address in e.rcpt_tos
        ]


@pytest.fixture(scope="session")
def dovecot():
    binary = dovecot_binary()
    if binary is None:
        pytest.skip(
            "dovecot is not installed: the IMAP tests need a real server "
            "(apt-get install dovecot-imapd, see scripts/system-packages)"
        )
    server = DovecotServer(binary)
    try:
        server.start()
    except RuntimeError:
        server.cleanup()
        raise
    yield server
    server.cleanup()


@pytest.fixture
def imap_mailbox(dovecot, settings):
    """A new, empty folder for this test; IMAP_URL points at it."""
    folder = ImapFolder(dovecot, f"t{uuid.uuid4().hex[:12]}")
    settings.IMAP_URL = folder.url
    settings.IMAP_DELETE = False
    return folder


@pytest.fixture
def smtp_sink(settings):
    """A local SMTP server on a free port; Django's SMTP backend points at it."""
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield sink
    controller.stop()
