"""A small provincial API for tests and demos: contract §1's HTTP pull, on loopback.

    with ProvinceApi(page_size=2, tokens={"P01": "secret"}) as api:
        api.set_records("P01", date(2022, 5, 31), records)
        source = Source("P01", "http", api.base_url("P01"), credential="P01_TOKEN")
        ...
        assert [r.page for r in api.requests_for("P01")] == [1, 2, 3]

One server serves several units, each under its own path prefix
(`http://127.0.0.1:<port>/<unit_code>/v1/initiatives`), from records held in
memory. Failure modes are switched per unit to exercise the puller:

- `"down"`: `base_url()` points to a closed port (connection refused); a
  request that still reaches the server is dropped without an answer;
- `"timeout"`: the answer is delayed by `timeout_sleep` seconds (bounded);
- `"bad_page"`: page 2 (page 1 if there is only one) is malformed JSON;
- `"wrong_page"`: page 2 (page 1 if there is only one) says it is another page;
- `"server_error"`: HTTP 500;
- `"unauthorized"`: HTTP 401 whatever the token.

A mode applies to the first `count` matching calls, then the API answers
normally again (`count=None`: every call). Every request is recorded
(`requests`), with its Authorization header, to assert retries and tokens.
The server binds 127.0.0.1 only and stops cleanly on exit.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import math
import socket
import sys
import threading
import time
from dataclasses import dataclass, replace
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

FAILURE_MODES = frozenset(
    {"down", "timeout", "bad_page", "wrong_page", "server_error", "unauthorized"}
)
#: The longest a "timeout" answer is delayed, whatever is asked: tests must stay quick.
MAX_TIMEOUT_SLEEP = 10.0


def closed_port_url() -> str:
    """A loopback URL on which nothing listens (a port just freed), for "API down"."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class RecordedRequest:
    """One request the API received, recorded on arrival, and the status it answered."""

    unit_code: str | None
    path: str
    business_date: str | None
    page: int | None
    authorization: str | None
    at: float  # time.monotonic() on arrival
    #: None while the answer is pending (a "timeout" sleeping) or if it was dropped ("down").
    status: int | None = None


@dataclass
class _Failure:
    mode: str
    remaining: int | None  # None: always


class ProvinceApi:
    """A threaded loopback HTTP server answering `GET /<unit>/v1/initiatives`."""

    def __init__(
        self,
        *,
        page_size: int = 100,
        tokens: dict[str, str] | None = None,
        timeout_sleep: float = 2.0,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.page_size = page_size
        self.timeout_sleep = min(max(0.0, timeout_sleep), MAX_TIMEOUT_SLEEP)
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._tokens: dict[str, str] = dict(tokens or {})
        self._failures: dict[str, _Failure] = {}
        self._requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> ProvinceApi:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.api = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="province-api",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes handlers sleeping in "timeout" mode
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> ProvinceApi:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- configuration ------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the API is not started")
        return int(self._server.server_address[1])

    def base_url(self, unit_code: str) -> str:
        """The base URL to put in the unit's `Source` (a closed port when it is "down")."""
        with self._lock:
            failure = self._failures.get(unit_code)
        if failure is not None and failure.mode == "down":
            return f"{closed_port_url()}/{unit_code}"
        return f"http://127.0.0.1:{self.port}/{unit_code}"

    def set_records(
        self, unit_code: str, business_date: date | str, records: list[dict[str, Any]]
    ) -> None:
        """What the unit delivers for that night (an empty list: an empty answer)."""
        day = business_date.isoformat() if isinstance(business_date, date) else business_date
        with self._lock:
            self._records[(unit_code, day)] = [dict(r) for r in records]

    def remove_records(self, unit_code: str, business_date: date | str) -> None:
        """Forget the night: the API then answers 404 for it."""
        day = business_date.isoformat() if isinstance(business_date, date) else business_date
        with self._lock:
            self._records.pop((unit_code, day), None)

    def set_token(self, unit_code: str, token: str | None) -> None:
        """Require `Authorization: Bearer <token>` for the unit (None: no token needed)."""
        with self._lock:
            if token is None:
                self._tokens.pop(unit_code, None)
            else:
                self._tokens[unit_code] = token

    def set_failure(self, unit_code: str, mode: str | None, *, count: int | None = None) -> None:
        """Make the unit fail in `mode` for its first `count` matching calls (None: always)."""
        if mode is not None and mode not in FAILURE_MODES:
            raise ValueError(f"unknown failure mode {mode!r}; one of {sorted(FAILURE_MODES)}")
        with self._lock:
            if mode is None:
                self._failures.pop(unit_code, None)
            else:
                self._failures[unit_code] = _Failure(mode, count)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far, oldest first (copies: later answers do not change them)."""
        with self._lock:
            return [replace(r) for r in self._requests]

    def requests_for(self, unit_code: str, page: int | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if r.unit_code == unit_code and (page is None or r.page == page)
        ]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # --- answering (called from handler threads) ----------------------------------------

    def _take_failure(self, unit_code: str, page: int, pages: int) -> str | None:
        """The failure this call suffers, if any (and count it)."""
        with self._lock:
            failure = self._failures.get(unit_code)
            if failure is None:
                return None
            if failure.mode in ("bad_page", "wrong_page") and page != min(2, max(1, pages)):
                return None
            if failure.remaining is not None:
                if failure.remaining <= 0:
                    return None
                failure.remaining -= 1
            return failure.mode

    def _answer(self, handler: _Handler) -> None:
        started = time.monotonic()
        url = urlsplit(handler.path)
        query = parse_qs(url.query)
        parts = url.path.strip("/").split("/")
        unit = parts[0] if parts and parts[0] else None
        day = query["business_date"][0] if "business_date" in query else None
        page_text = query["page"][0] if "page" in query else "1"
        page = int(page_text) if page_text.isascii() and page_text.isdigit() else None
        auth = handler.headers.get("Authorization")
        # Recorded on arrival, so a test sees requests whose answer is still sleeping.
        recorded = RecordedRequest(unit, url.path, day, page, auth, started)
        with self._lock:
            self._requests.append(recorded)

        def reply(status: int, body: bytes | None) -> None:
            if body is None:  # drop the connection without an answer
                handler.close_connection = True
                return
            with self._lock:
                recorded.status = status
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        def error(status: int, message: str) -> None:
            reply(status, json.dumps({"error": message}).encode())

        if len(parts) != 3 or parts[1:] != ["v1", "initiatives"] or unit is None:
            return error(404, "no such endpoint")
        if page is None or page < 1:
            return error(400, "page must be a whole number ≥ 1")
        with self._lock:
            token = self._tokens.get(unit)
            records = self._records.get((unit, day or ""))
        pages = math.ceil(len(records) / self.page_size) if records else 0
        mode = self._take_failure(unit, page, pages)
        if mode == "down":
            return reply(0, None)  # no status: dropped
        if mode == "unauthorized":
            return error(401, "unauthorized")
        if token is not None and not hmac.compare_digest(
            (auth or "").encode(), f"Bearer {token}".encode()
        ):
            return error(401, "unauthorized")
        if mode == "server_error":
            return error(500, "internal server error")
        if mode == "timeout":
            self._stopping.wait(self.timeout_sleep)
        if records is None:
            return error(404, "no delivery for that unit and date")
        if page > max(1, pages):
            return error(404, f"page {page} is beyond the last page ({pages})")
        if mode == "bad_page":
            return reply(200, b'{"unit_code": "' + unit.encode() + b'", "records": [{"rec')
        start = (page - 1) * self.page_size
        body = {
            "unit_code": unit,
            "business_date": day,
            "page": page + 1 if mode == "wrong_page" else page,
            "pages": pages,
            "total": len(records),
            "records": records[start : start + self.page_size],
        }
        reply(200, json.dumps(body, ensure_ascii=False).encode("utf-8"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: ProvinceApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout) makes the late answer fail: expected, not noise.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "ProvinceApi/1"

    def do_GET(self) -> None:
        # The client may close first (a timeout): then there is nobody to answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.server.api._answer(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read `ProvinceApi.requests`; no access log on stderr
