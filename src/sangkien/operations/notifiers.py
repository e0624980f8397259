"""Alert channels: the log, e-mail (SMTP) and a webhook, chosen from the environment.

`SANGKIEN_ALERT_CHANNELS` is a comma list of `log`, `smtp`, `webhook` (default `log`).

- `smtp`: `SANGKIEN_SMTP_HOST`, `SANGKIEN_SMTP_PORT` (default 587 with STARTTLS, else
  25), `SANGKIEN_SMTP_FROM`, `SANGKIEN_SMTP_TO` (comma list), `SANGKIEN_SMTP_STARTTLS`
  (`true`/`false`, default false), `SANGKIEN_SMTP_USER` and `SANGKIEN_SMTP_PASSWORD`
  (login only over STARTTLS: a password never crosses the network in clear),
  `SANGKIEN_SMTP_CA_FILE` (a private CA to trust), `SANGKIEN_SMTP_TIMEOUT` (s, 30).
- `webhook`: `SANGKIEN_ALERT_WEBHOOK_URL` (JSON is POSTed there),
  `SANGKIEN_ALERT_WEBHOOK_TOKEN` (optional bearer token),
  `SANGKIEN_ALERT_WEBHOOK_TIMEOUT` (s, 10); one retry on a network error or a 5xx/429.

Secrets (password, token, the webhook's URL path, which often embeds a token) live only
in the environment and never reach a log line, an exception message or a `repr`.
A channel that is misconfigured is logged and left out; with none left, alerts go to
the log.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from sangkien.operations.alerts import Alert, render_text, subject_of

log = logging.getLogger(__name__)
alert_log = logging.getLogger("sangkien.alerts")


class NotifierConfigError(ValueError):
    """A channel's settings are missing or unsafe; the message names the variable."""


class NotifierError(RuntimeError):
    """A channel could not deliver; the message carries no secret."""


@runtime_checkable
class Notifier(Protocol):
    """Delivers one batch of alerts; raises if it could not."""

    name: str

    def send(self, alerts: Sequence[Alert]) -> None: ...


def scrub(text: str, notifier: object | None = None) -> str:
    """`text` without DSN passwords and without the notifier's own secrets."""
    from sangkien.warehouse.connection import redact

    text = redact(text)
    for secret in getattr(notifier, "secrets", lambda: [])():
        if secret:
            text = text.replace(secret, "***")
    return text


class _MaskSecrets(logging.Filter):
    """Masks registered secrets in an HTTP client logger's records: httpx logs every
    request's full URL at INFO, and a webhook URL's path is often its credential."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = text
        for secret in sorted(self.secrets, key=len, reverse=True):
            masked = masked.replace(secret, "***")
        if masked != text:
            record.msg, record.args = masked, ()
        return True


_HTTP_LOG_MASK = _MaskSecrets()


def _mask_in_http_logs(secrets: list[str]) -> None:
    logger = logging.getLogger("httpx")
    if _HTTP_LOG_MASK not in logger.filters:
        logger.addFilter(_HTTP_LOG_MASK)
    _HTTP_LOG_MASK.secrets.update(s for s in secrets if s)


def webhook_payload(alerts: Sequence[Alert]) -> dict[str, object]:
    """The JSON body: structured alerts, plus `text` for chat tools that show only that."""
    return {
        "source": "sangkien",
        "subject": subject_of(alerts),
        "text": render_text(alerts),
        "business_dates": sorted({a.business_date.isoformat() for a in alerts}),
        "alerts": [a.as_dict() for a in alerts],
    }


@dataclass
class LogNotifier:
    """Each alert as one WARNING line on the `sangkien.alerts` logger (the Airflow task log)."""

    name: str = "log"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LogNotifier:
        return cls()

    def send(self, alerts: Sequence[Alert]) -> None:
        for a in alerts:
            alert_log.warning(
                "ALERT %s %s %s: %s", a.business_date, a.kind, a.unit_code or "-", a.message
            )


@dataclass
class SmtpNotifier:
    """One plain-text e-mail per batch, through an SMTP relay."""

    host: str
    sender: str
    recipients: list[str]
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    timeout: float = 30.0
    name: str = "smtp"

    def __post_init__(self) -> None:
        if not self.recipients:
            raise NotifierConfigError("SANGKIEN_SMTP_TO names no recipient")
        if self.username and not self.starttls:
            raise NotifierConfigError(
                "SANGKIEN_SMTP_USER is set but SANGKIEN_SMTP_STARTTLS is off: "
                "refusing to send the password in clear"
            )
        if self.username and not self.password:
            raise NotifierConfigError("SANGKIEN_SMTP_USER is set but SANGKIEN_SMTP_PASSWORD is not")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpNotifier:
        env = os.environ if env is None else env
        starttls = _flag(env, "SANGKIEN_SMTP_STARTTLS")
        return cls(
            host=_required(env, "SANGKIEN_SMTP_HOST"),
            port=int(_number(env, "SANGKIEN_SMTP_PORT", 587 if starttls else 25)),
            sender=_required(env, "SANGKIEN_SMTP_FROM"),
            recipients=_list(_required(env, "SANGKIEN_SMTP_TO")),
            starttls=starttls,
            username=env.get("SANGKIEN_SMTP_USER") or None,
            password=env.get("SANGKIEN_SMTP_PASSWORD") or None,
            ca_file=env.get("SANGKIEN_SMTP_CA_FILE") or None,
            timeout=_number(env, "SANGKIEN_SMTP_TIMEOUT", 30.0),
        )

    def secrets(self) -> list[str]:
        return [self.password or ""]

    def message(self, alerts: Sequence[Alert]) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = subject_of(alerts)
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = make_msgid(domain="sangkien")
        msg.set_content(render_text(alerts))
        return msg

    def send(self, alerts: Sequence[Alert]) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=self.ca_file))
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(self.message(alerts))
        except (smtplib.SMTPException, OSError) as exc:
            # `from None`: the original exception may carry what the server echoed.
            raise NotifierError(
                f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {scrub(str(exc), self)}"
            ) from None


@dataclass
class WebhookNotifier:
    """POSTs the batch as JSON; retries once after a network error or a 5xx/429."""

    url: str = field(repr=False)
    token: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    retry_delay: float = 2.0
    name: str = "webhook"

    def __post_init__(self) -> None:
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise NotifierConfigError("SANGKIEN_ALERT_WEBHOOK_URL must be an http(s) URL")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebhookNotifier:
        env = os.environ if env is None else env
        return cls(
            url=_required(env, "SANGKIEN_ALERT_WEBHOOK_URL"),
            token=env.get("SANGKIEN_ALERT_WEBHOOK_TOKEN") or None,
            timeout=_number(env, "SANGKIEN_ALERT_WEBHOOK_TIMEOUT", 10.0),
        )

    @property
    def where(self) -> str:
        """Scheme, host and port only: the path and query may hold a token."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")

    def secrets(self) -> list[str]:
        parts = urlsplit(self.url)
        tail = parts.path + (f"?{parts.query}" if parts.query else "")
        # Longest first, so the whole URL is replaced before its parts.
        return [self.url, tail if len(tail) > 1 else "", self.token or ""]

    def send(self, alerts: Sequence[Alert]) -> None:
        import httpx

        _mask_in_http_logs(self.secrets())
        headers = {"User-Agent": "sangkien-alerts"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = webhook_payload(alerts)
        problem = ""
        for attempt in (1, 2):
            try:
                response = httpx.post(self.url, json=payload, headers=headers, timeout=self.timeout)
            except httpx.HTTPError as exc:
                problem = type(exc).__name__  # its text may quote the URL
            else:
                if response.is_success:
                    return
                problem = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    break  # the request itself is refused: the same again would be too
            if attempt == 1:
                log.warning("webhook %s: %s, retrying once", self.where, problem)
                time.sleep(self.retry_delay)
        raise NotifierError(f"webhook {self.where}: {problem}")


_CHANNELS: dict[str, type[LogNotifier | SmtpNotifier | WebhookNotifier]] = {
    "log": LogNotifier,
    "smtp": SmtpNotifier,
    "webhook": WebhookNotifier,
}


def notifiers_from_env(env: Mapping[str, str] | None = None) -> list[Notifier]:
    """The channels named by `SANGKIEN_ALERT_CHANNELS`; never raises (see module doc)."""
    env = os.environ if env is None else env
    names = list(dict.fromkeys(_list(env.get("SANGKIEN_ALERT_CHANNELS") or "log")))
    notifiers: list[Notifier] = []
    for name in names:
        kind = _CHANNELS.get(name.lower())
        if kind is None:
            log.error("unknown alert channel %r (known: %s)", name, ", ".join(_CHANNELS))
            continue
        try:
            notifiers.append(kind.from_env(env))
        except NotifierConfigError as exc:
            log.error("alert channel %s left out: %s", name, exc)
    if not notifiers:
        log.error("no usable alert channel: alerts go to the log")
        notifiers.append(LogNotifier())
    return notifiers


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _required(env: Mapping[str, str], name: str) -> str:
    value = (env.get(name) or "").strip()
    if not value:
        raise NotifierConfigError(f"{name} is not set")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = (env.get(name) or "false").strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise NotifierConfigError(f"{name} must be true or false")
    return value in ("true", "1", "yes")


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name)
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        raise NotifierConfigError(f"{name} must be a number") from None
