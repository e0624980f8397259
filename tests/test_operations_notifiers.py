"""The e-mail and webhook channels against loopback servers written here.

`LoopbackSmtp` speaks just enough SMTP (EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA)
for `smtplib`; `LoopbackWebhook` is `http.server` in a thread answering the statuses
it is told to. Both listen on 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import http.server
import ipaddress
import json
import logging
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from sangkien.operations import Alert, SmtpNotifier, WebhookNotifier, send_alerts
from sangkien.operations.alerts import KINDS, RUNBOOK
from sangkien.operations.notifiers import NotifierConfigError
from sangkien.testing.province_api import closed_port_url

NIGHT = date(2022, 5, 31)
PASSWORD = "s3cret-Passw0rd"
TOKEN = "tok-8f3a9c"
ALERTS = [
    Alert(NIGHT, "unit_failed", "P06: landing failed: tệp không đọc được", "P06"),
    Alert(NIGHT, "missed_delivery", "P04: no delivery for 2022-05-31 — 2 nights in a row", "P04"),
    Alert(NIGHT, "missed_delivery", "P01: no delivery for 2022-05-31 — 1 night in a row", "P01"),
]


# -- a loopback SMTP server ----------------------------------------------------


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: bytes
    login: tuple[str, str] | None
    tls: bool

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class SmtpState:
    tls: ssl.SSLContext | None
    password: str
    mails: list[Mail] = field(default_factory=list)


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: _SmtpServer

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        state = self.server.state
        tls, login, sender, recipients = False, None, "", []
        self.reply("220 loopback ESMTP")
        while line := self.rfile.readline():
            command = line.decode().rstrip("\r\n")
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                offers = ["250-loopback"]
                if state.tls and not tls:
                    offers.append("250-STARTTLS")
                if tls:
                    offers.append("250-AUTH PLAIN")
                self.reply("\r\n".join([*offers, "250 8BITMIME"]))
            elif verb == "STARTTLS" and state.tls and not tls:
                self.reply("220 go ahead")
                self.request = state.tls.wrap_socket(self.request, server_side=True)
                self.rfile = self.request.makefile("rb")
                self.wfile = self.request.makefile("wb")
                tls = True
            elif verb == "AUTH" and tls:
                _, user, password = base64.b64decode(command.split()[2]).decode().split("\0")
                if password != state.password:
                    self.reply("535 5.7.8 authentication failed")
                    continue
                login = (user, password)
                self.reply("235 authenticated")
            elif verb == "MAIL":
                if state.tls and login is None:
                    self.reply("530 authentication required")
                    continue
                sender = command.split(":", 1)[1].strip().split()[0].strip("<>")
                self.reply("250 ok")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 end with .")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                state.mails.append(Mail(sender, recipients, data, login, tls))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok" if verb in ("RSET", "NOOP") else "502 not implemented")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state: SmtpState) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.state = state

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client refusing our certificate is what one test is about


def _serve(server: socketserver.BaseServer) -> None:
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def smtp_server() -> Iterator[_SmtpServer]:
    server = _SmtpServer(SmtpState(tls=None, password=PASSWORD))
    _serve(server)
    yield server
    server.shutdown()
    server.server_close()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, made with `cryptography` (an Airflow dependency)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_smtp_server(tmp_path: Path) -> Iterator[tuple[_SmtpServer, Path]]:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = _SmtpServer(SmtpState(tls=context, password=PASSWORD))
    _serve(server)
    yield server, cert
    server.shutdown()
    server.server_close()


def _smtp_env(server: _SmtpServer, **extra: str) -> dict[str, str]:
    return {
        "SANGKIEN_SMTP_HOST": "127.0.0.1",
        "SANGKIEN_SMTP_PORT": str(server.server_address[1]),
        "SANGKIEN_SMTP_FROM": "Sáng kiến <sangkien@example.org>",
        "SANGKIEN_SMTP_TO": "ops@example.org,thongke@example.org",
        "SANGKIEN_SMTP_TIMEOUT": "5",
        **extra,
    }


def test_the_alert_email_arrives_with_every_alert(smtp_server: _SmtpServer) -> None:
    notifier = SmtpNotifier.from_env(_smtp_env(smtp_server))
    assert send_alerts(ALERTS, [notifier]) == ["smtp"]

    (mail,) = smtp_server.state.mails
    assert mail.sender == "sangkien@example.org"
    assert mail.recipients == ["ops@example.org", "thongke@example.org"]
    message = mail.message
    assert message["To"] == "ops@example.org, thongke@example.org"
    # (A long subject is folded whole onto the next line; unfolding leaves a space.)
    assert message["Subject"].strip() == (
        f"[sangkien] night {NIGHT}: 3 alerts (1 unit failed, 2 missed delivery)"
    )
    body = message.get_content().replace("\r\n", "\n")  # SMTP lines end in CRLF
    for alert in ALERTS:
        assert f"  - {alert.message}\n" in body  # Vietnamese text survives the trip
    assert f"Unit failed (1) — what to do: {RUNBOOK}#unit-failed" in body
    assert f"{KINDS['missed_delivery']} (2)" in body
    assert body.index("Unit failed") < body.index("Missed delivery")  # most urgent first


def test_starttls_and_login_and_the_password_stays_out_of_the_logs(
    tls_smtp_server: tuple[_SmtpServer, Path], caplog: pytest.LogCaptureFixture
) -> None:
    server, ca = tls_smtp_server
    env = _smtp_env(
        server,
        SANGKIEN_SMTP_STARTTLS="true",
        SANGKIEN_SMTP_USER="canhbao",
        SANGKIEN_SMTP_PASSWORD=PASSWORD,
        SANGKIEN_SMTP_CA_FILE=str(ca),
    )
    notifier = SmtpNotifier.from_env(env)
    assert PASSWORD not in repr(notifier)
    assert send_alerts(ALERTS[:1], [notifier]) == ["smtp"]
    (mail,) = server.state.mails
    assert (mail.tls, mail.login) == (True, ("canhbao", PASSWORD))
    assert mail.message["Subject"].endswith("1 alert (1 unit failed)")

    wrong = SmtpNotifier.from_env({**env, "SANGKIEN_SMTP_PASSWORD": "not-" + PASSWORD})
    with caplog.at_level(logging.DEBUG):
        assert send_alerts(ALERTS, [wrong]) == []
    assert "alert channel smtp failed" in caplog.text
    assert "SMTPAuthenticationError" in caplog.text
    assert PASSWORD not in caplog.text
    assert len(server.state.mails) == 1


def test_a_certificate_that_is_not_trusted_is_refused(
    tls_smtp_server: tuple[_SmtpServer, Path],
) -> None:
    server, _ = tls_smtp_server
    env = _smtp_env(
        server,
        SANGKIEN_SMTP_STARTTLS="true",
        SANGKIEN_SMTP_USER="canhbao",
        SANGKIEN_SMTP_PASSWORD=PASSWORD,
    )
    assert send_alerts(ALERTS, [SmtpNotifier.from_env(env)]) == []
    assert server.state.mails == []


def test_a_login_without_starttls_is_refused_before_anything_is_sent(
    smtp_server: _SmtpServer,
) -> None:
    env = _smtp_env(smtp_server, SANGKIEN_SMTP_USER="canhbao", SANGKIEN_SMTP_PASSWORD=PASSWORD)
    with pytest.raises(NotifierConfigError, match="in clear") as refused:
        SmtpNotifier.from_env(env)
    assert PASSWORD not in str(refused.value)


# -- a loopback webhook --------------------------------------------------------


@dataclass
class Hook:
    statuses: list[int] = field(default_factory=list)  # answered in turn, then 200
    received: list[tuple[str, dict[str, str], object]] = field(default_factory=list)


class _HookHandler(http.server.BaseHTTPRequestHandler):
    server: _HookServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        hook = self.server.hook
        hook.received.append((self.path, dict(self.headers), json.loads(body)))
        status = hook.statuses.pop(0) if hook.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


class _HookServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _HookHandler)
        self.hook = Hook()

    def url(self, path: str = f"/hooks/{TOKEN}") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@pytest.fixture
def hook_server() -> Iterator[_HookServer]:
    server = _HookServer()
    _serve(server)
    yield server
    server.shutdown()
    server.server_close()


def test_the_webhook_receives_the_alerts_as_json(hook_server: _HookServer) -> None:
    notifier = WebhookNotifier.from_env(
        {"SANGKIEN_ALERT_WEBHOOK_URL": hook_server.url(), "SANGKIEN_ALERT_WEBHOOK_TOKEN": TOKEN}
    )
    assert send_alerts(ALERTS, [notifier]) == ["webhook"]
    ((path, headers, payload),) = hook_server.hook.received
    assert path == f"/hooks/{TOKEN}"
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Type"] == "application/json"
    assert payload["source"] == "sangkien"
    assert payload["business_dates"] == [NIGHT.isoformat()]
    assert payload["alerts"] == [
        {
            "business_date": NIGHT.isoformat(),
            "kind": a.kind,
            "title": KINDS[a.kind],
            "unit_code": a.unit_code,
            "message": a.message,
            "details": {},
        }
        for a in ALERTS
    ]
    assert all(a.message in payload["text"] for a in ALERTS)


def test_the_webhook_is_retried_once_after_a_server_error(hook_server: _HookServer) -> None:
    hook_server.hook.statuses = [503]
    notifier = WebhookNotifier(hook_server.url(), retry_delay=0.05)
    assert send_alerts(ALERTS, [notifier]) == ["webhook"]
    assert len(hook_server.hook.received) == 2


@pytest.mark.parametrize(("statuses", "attempts"), [([500, 502], 2), ([400], 1), ([404], 1)])
def test_a_refusing_webhook_fails_without_leaking_its_url(
    hook_server: _HookServer,
    caplog: pytest.LogCaptureFixture,
    statuses: list[int],
    attempts: int,
) -> None:
    hook_server.hook.statuses = list(statuses)
    notifier = WebhookNotifier(hook_server.url(), token=TOKEN, retry_delay=0.05)
    with caplog.at_level(logging.DEBUG):
        assert send_alerts(ALERTS, [notifier]) == []
    assert len(hook_server.hook.received) == attempts  # client errors are not retried
    assert f"HTTP {statuses[-1]}" in caplog.text
    assert TOKEN not in caplog.text


def test_a_down_webhook_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    notifier = WebhookNotifier(f"{closed_port_url()}/hooks/{TOKEN}", timeout=2, retry_delay=0.05)
    started = time.monotonic()
    with caplog.at_level(logging.DEBUG):
        assert send_alerts(ALERTS, [notifier]) == []
    assert time.monotonic() - started < 5
    assert "alert channel webhook failed" in caplog.text and "ConnectError" in caplog.text
    assert TOKEN not in caplog.text
