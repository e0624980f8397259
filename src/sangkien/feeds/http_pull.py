"""Pull one unit's night from its API into the landing area (contract §1, HTTP pull).

`GET <base_url>/v1/initiatives?business_date=YYYY-MM-DD&page=N` is called for
pages 1..pages with the unit's bearer token. Every page is checked before it is
kept (unit, date, page number, page count, a list of records) and the records
are streamed into one `initiatives.json` (`{"records": [...]}`) plus a
`manifest.json` the pipeline writes itself, in a temporary folder beside the
unit's deliveries. Only a complete, consistent pull is moved into
`<landing>/<unit_code>/<business_date>/`; anything wrong raises `PullError` and
leaves the landing area as it was, so the loader never sees a partial pull.

Decisions where the contract is silent:

- A 404 on page 1, or an answer with `total == 0` and no records (`pages` 0 or
  1), is "no delivery that night": nothing is written and `None` is returned;
  an earlier pull of that night, if any, stays as it was.
- Records are written byte-for-byte deterministically, so a re-pull of
  unchanged data yields the same data file; then the existing folder is left
  untouched (same bytes, same mtimes) and the loader reports it `unchanged`.
- `Source.retries` counts *extra* attempts: a page is asked at most
  `1 + retries` times, on connection errors, timeouts, 429 and 5xx only.

The token is looked up when needed (environment variable, then Airflow
connection) and never written to a log line, an exception message or a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from sangkien.feeds.contract import MANIFEST_FILE
from sangkien.landing.folders import UnsafePath, sha256_of, unit_folder
from sangkien.registry import Source

log = logging.getLogger(__name__)

#: Base of the exponential backoff between attempts (seconds); tests set it near 0.
BACKOFF_ENV = "SANGKIEN_PULL_BACKOFF_SECONDS"
DEFAULT_BACKOFF_SECONDS = 0.5
#: No single wait (backoff or a server's Retry-After) is longer than this.
MAX_WAIT_SECONDS = 30.0
#: Leftover temporary folders older than this are from a crashed pull and are removed.
STALE_TEMP_SECONDS = 3600.0

DATA_FILE = "initiatives.json"
_LOCAL_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")  # no DST in Viet Nam
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504}) | frozenset(range(505, 600))


class PullError(RuntimeError):
    """The unit's API pull failed; nothing was landed. The message says why (never the token)."""


def pull_night(
    source: Source,
    business_date: date,
    landing_dir: Path,
    *,
    client: httpx.Client | None = None,
) -> Path | None:
    """Pull `source`'s delivery for `business_date`; return its landing folder, or None.

    None means the API had nothing for that night (404 or an empty answer) and
    nothing was written. Raises `PullError` on any failure.
    """
    unit = source.unit_code
    try:
        unit_dir = unit_folder(landing_dir, unit)
    except UnsafePath as exc:
        raise PullError(str(exc)) from None
    if not source.base_url:
        raise PullError(f"{unit}: no base_url configured for the API pull")
    if not source.base_url.startswith(("http://", "https://")):
        raise PullError(f"{unit}: base_url must be an http:// or https:// URL")
    try:
        httpx.URL(source.base_url)
    except httpx.InvalidURL:
        raise PullError(f"{unit}: base_url is not a valid URL") from None
    token = _token(source)
    own_client = client is None
    http = client or httpx.Client(timeout=source.timeout_seconds, follow_redirects=False)
    try:
        puller = _Puller(source, business_date, token, http)
        first = puller.page(1)
        if first is None:
            log.info("%s %s: the API has no delivery for that night", unit, business_date)
            return None
        try:
            return _land(puller, first, unit_dir, business_date)
        except OSError as exc:  # disk full, permissions: still this unit's failure only
            raise PullError(
                f"{unit} {business_date}: cannot write the landing folder: {exc}"
            ) from exc
    finally:
        if own_client:
            http.close()


# --- the token ------------------------------------------------------------------------------


def _token(source: Source) -> str | None:
    """The bearer token named by `source.credential`: env variable first, then Airflow."""
    name = source.credential
    if not name:
        return None  # an open API (or one behind a network boundary): no header
    value = os.environ.get(name)
    if value:
        return value
    try:
        # Imported lazily: Airflow is heavy and absent outside the scheduler.
        from airflow.sdk import BaseHook
    except ImportError:
        raise PullError(
            f"{source.unit_code}: credential '{name}' is not set "
            "(no environment variable of that name, and Airflow is not available)"
        ) from None
    try:
        password = BaseHook.get_connection(name).password
    except Exception as exc:  # Airflow raises several kinds; the text could be anything
        raise PullError(
            f"{source.unit_code}: credential '{name}' is not set (no environment variable "
            f"of that name, and no Airflow connection: {type(exc).__name__})"
        ) from None
    if not password:
        raise PullError(
            f"{source.unit_code}: Airflow connection '{name}' has no password (the token)"
        )
    return str(password)


# --- asking the API -------------------------------------------------------------------------


def _backoff_base() -> float:
    raw = os.environ.get(BACKOFF_ENV)
    if raw is None:
        return DEFAULT_BACKOFF_SECONDS
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_BACKOFF_SECONDS
    return value if math.isfinite(value) and value >= 0 else DEFAULT_BACKOFF_SECONDS


def _retry_after(response: httpx.Response) -> float | None:
    """A numeric Retry-After the server sent (HTTP dates are ignored: backoff is used)."""
    try:
        value = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _reject_constant(name: str) -> Any:
    # NaN/Infinity are not JSON; re-dumping them would make the landed file unreadable.
    raise ValueError(f"{name} is not a JSON value")


class _Puller:
    """Asks for pages and checks each answer against the request and page 1."""

    def __init__(
        self, source: Source, business_date: date, token: str | None, client: httpx.Client
    ) -> None:
        self.source = source
        self.business_date = business_date
        self.client = client
        self.url = source.base_url.rstrip("/") + "/v1/initiatives"  # type: ignore[union-attr]
        self.headers = {"Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self._token = token
        self.pages: int | None = None
        self.total: int | None = None

    def _fail(self, page: int, what: str) -> PullError:
        text = f"{self.source.unit_code} {self.business_date} page {page}: {what}"
        if self._token:  # belt and braces: nothing we quote may carry the token
            text = text.replace(self._token, "***")
        return PullError(text)

    def page(self, number: int) -> list[Any] | None:
        """The checked records of page `number`; None if page 1 says "no delivery"."""
        response = self._get(number)
        if response.status_code == 404:
            if number == 1:
                return None
            raise self._fail(number, f"HTTP 404 after page 1 said there were {self.pages} pages")
        body = self._parse(number, response)
        return self._check(number, body)

    def _get(self, number: int) -> httpx.Response:
        params = {"business_date": self.business_date.isoformat(), "page": str(number)}
        attempts = 1 + max(0, self.source.retries)
        base = _backoff_base()
        for attempt in range(1, attempts + 1):
            try:
                response = self.client.get(
                    self.url,
                    params=params,
                    headers=self.headers,
                    timeout=self.source.timeout_seconds,
                )
                response.read()  # the whole page, so a slow body also hits the timeout
            except httpx.TimeoutException:
                problem = f"no answer within {self.source.timeout_seconds:g} s"
                wait = None
            except httpx.RequestError as exc:  # refused, reset, TLS, a broken body...
                # The exception type, not its text: it is enough and cannot leak anything.
                problem = f"cannot connect ({type(exc).__name__})"
                wait = None
            else:
                status = response.status_code
                if status == 200 or status == 404:
                    return response
                if status in (401, 403):
                    what = (
                        "the API refused the token"
                        if self._token
                        else "the API requires a token and none is configured"
                    )
                    raise self._fail(number, f"{what} (HTTP {status})")
                if status not in _RETRY_STATUSES:
                    raise self._fail(number, f"unexpected HTTP {status}")
                problem = f"HTTP {status}"
                wait = _retry_after(response)
            if attempt == attempts:
                raise self._fail(number, f"{problem}; gave up after {attempts} attempt(s)")
            delay = min(MAX_WAIT_SECONDS, wait if wait is not None else base * 2 ** (attempt - 1))
            log.warning(
                "%s %s page %d: %s (attempt %d of %d); retrying in %.2f s",
                self.source.unit_code,
                self.business_date,
                number,
                problem,
                attempt,
                attempts,
                delay,
            )
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _parse(self, number: int, response: httpx.Response) -> dict[str, Any]:
        try:
            body = json.loads(response.content.decode("utf-8-sig"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as exc:
            # ValueError covers JSONDecodeError; its text names a position, not the content.
            raise self._fail(number, f"the answer is not valid JSON ({exc})") from None
        if not isinstance(body, dict):
            raise self._fail(number, "the answer is not a JSON object")
        return body

    def _check(self, number: int, body: dict[str, Any]) -> list[Any] | None:
        unit, day = self.source.unit_code, self.business_date.isoformat()
        if body.get("unit_code") != unit:
            raise self._fail(number, f"unit_code is {body.get('unit_code')!r}, not {unit}")
        if body.get("business_date") != day:
            raise self._fail(number, f"business_date is {body.get('business_date')!r}, not {day}")
        for key in ("page", "pages", "total"):
            value = body.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise self._fail(number, f"{key} is {value!r}, not a whole number ≥ 0")
        if body["page"] != number:
            raise self._fail(number, f"the answer says page {body['page']}")
        records = body.get("records")
        if not isinstance(records, list):
            raise self._fail(number, "records is not a list")
        if number == 1:
            if body["total"] == 0 and not records and body["pages"] <= 1:
                return None  # an empty night: no delivery
            if body["pages"] == 0 or body["pages"] > max(1, body["total"]):
                # Also guards against looping over millions of pages for a few records.
                raise self._fail(number, f"pages is {body['pages']} but total is {body['total']}")
            self.pages, self.total = body["pages"], body["total"]
        elif (body["pages"], body["total"]) != (self.pages, self.total):
            raise self._fail(
                number,
                f"pages/total are {body['pages']}/{body['total']} "
                f"but page 1 said {self.pages}/{self.total}",
            )
        return records


# --- landing the pages ----------------------------------------------------------------------


def _land(puller: _Puller, first: list[Any], unit_dir: Path, business_date: date) -> Path:
    """Stream every page into a temporary folder, then install it as the night's folder."""
    unit = puller.source.unit_code
    day = business_date.isoformat()
    unit_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale(unit_dir, day)
    temp = unit_dir / f".pull-{day}-{secrets.token_hex(4)}"
    temp.mkdir()
    try:
        row_count, digest = _write_data(temp / DATA_FILE, _all_records(puller, first))
        if row_count != puller.total:
            raise PullError(
                f"{unit} {day}: pages 1-{puller.pages} hold {row_count} records "
                f"but total says {puller.total}"
            )
        manifest = {
            "schema_version": 1,
            "unit_code": unit,
            "business_date": day,
            "file": DATA_FILE,
            "encoding": "utf-8",
            "row_count": row_count,
            "sha256": digest,
            "generated_at": datetime.now(_LOCAL_TZ).isoformat(timespec="seconds"),
        }
        _write_synced(
            temp / MANIFEST_FILE,
            (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode(),
        )
        final = unit_dir / day
        if _same_delivery(final, digest, row_count):
            shutil.rmtree(temp)
            log.info(
                "%s %s: pulled %d records, unchanged since the last pull", unit, day, row_count
            )
            return final
        _install(temp, final, unit_dir, day)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    log.info(
        "%s %s: pulled %d records in %d page(s) into %s", unit, day, row_count, puller.pages, final
    )
    return final


def _all_records(puller: _Puller, first: list[Any]) -> Iterator[Any]:
    """Records page after page; only one page is in memory at a time."""
    seen = len(first)
    yield from first
    for number in range(2, (puller.pages or 1) + 1):
        records = puller.page(number)
        if records is None:  # only page 1 can mean "no delivery"
            raise puller._fail(number, "an empty answer after page 1")
        seen += len(records)
        if seen > (puller.total or 0):  # fail as soon as the count cannot add up
            raise puller._fail(number, f"{seen} records so far but total says {puller.total}")
        yield from records


def _write_data(path: Path, records: Iterator[Any]) -> tuple[int, str]:
    """Write `{"records": [...]}` one record per line; return (count, sha256)."""
    digest = hashlib.sha256()
    count = 0
    with path.open("wb") as f:

        def put(chunk: bytes) -> None:
            f.write(chunk)
            digest.update(chunk)

        put(b'{"records":[\n')
        for record in records:
            # Fixed separators and key order as received: same records → same bytes.
            # surrogatepass keeps a lone surrogate as undecodable bytes, so the loader
            # rejects that one row (ENCODING_ERROR) instead of the whole pull failing.
            text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
            put((b",\n" if count else b"") + text.encode("utf-8", "surrogatepass"))
            count += 1
        put(b"\n]}\n")
        _sync(f)
    return count, digest.hexdigest()


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as f:
        f.write(data)
        _sync(f)


def _sync(f: BinaryIO) -> None:
    # On disk before the rename that publishes it: a crash never leaves a half file in place.
    f.flush()
    os.fsync(f.fileno())


def _same_delivery(final: Path, digest: str, row_count: int) -> bool:
    """True if `final` already holds exactly this data file with a matching manifest."""
    if final.is_symlink() or not final.is_dir():
        return False
    data = final / DATA_FILE
    names = {p.name for p in final.iterdir()}
    if names != {DATA_FILE, MANIFEST_FILE} or data.is_symlink() or not data.is_file():
        return False
    try:
        manifest = json.loads((final / MANIFEST_FILE).read_bytes())
    except (OSError, ValueError):
        return False
    return (
        isinstance(manifest, dict)
        and manifest.get("sha256") == digest
        and manifest.get("row_count") == row_count
        and manifest.get("file") == DATA_FILE
        and sha256_of(data) == digest
    )


def _install(temp: Path, final: Path, unit_dir: Path, day: str) -> None:
    """Replace `final` by `temp`: old aside, new in, old removed (each step a rename)."""
    old: Path | None = None
    if final.exists() or final.is_symlink():
        old = unit_dir / f".old-{day}-{secrets.token_hex(4)}"
        final.rename(old)
    try:
        temp.rename(final)
    except BaseException:
        if old is not None:
            with contextlib.suppress(OSError):
                old.rename(final)  # put the previous delivery back
        raise
    if old is not None:
        _remove(old)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _remove_stale(unit_dir: Path, day: str) -> None:
    """Remove temporary folders of this night left by a pull that crashed long ago."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    patterns = [f".pull-{day}-*"]
    if (unit_dir / day).is_dir():
        # A set-aside old folder is garbage only once a current folder is in place.
        patterns.append(f".old-{day}-*")
    for pattern in patterns:
        for leftover in unit_dir.glob(pattern):
            with contextlib.suppress(OSError):
                if leftover.lstat().st_mtime < cutoff:
                    _remove(leftover)
