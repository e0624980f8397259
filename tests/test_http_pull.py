"""The HTTP pull (contract §1) against the loopback `ProvinceApi`: no database needed."""

from __future__ import annotations

import json
import logging
import sys
import time
import types
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from sangkien.feeds.http_pull import BACKOFF_ENV, PullError, pull_night
from sangkien.feeds.manifest import Manifest
from sangkien.feeds.readers import read_json
from sangkien.landing.folders import sha256_of
from sangkien.registry import Source
from sangkien.testing import ProvinceApi, closed_port_url

UNIT = "P01"
NIGHT = date(2022, 5, 31)
TOKEN = "s3cr3t-token-P01-7f9a"
TOKEN_ENV = "SANGKIEN_TEST_P01_TOKEN"


def _records(n: int, tag: str = "a") -> list[dict[str, Any]]:
    return [
        {
            "record_id": f"R{i:04d}",
            "unit_code": UNIT,
            "title": f"Cải tiến quy trình số {i} ({tag})",
            "solution_type": "technical",
            "field": "production_business",
            "participant_group": "enterprise_worker",
            "authors": "Nguyễn Văn A; Trần Thị Bích",
            "summary": "Tóm tắt nội dung",
            "effect_summary": "Giảm 10% thời gian",
            "benefit_vnd": 1500000 + i,
            "applied_on": "2022-03-01",
            "recognized_by": "Hội đồng sáng kiến",
            "recognition_level": "grassroots",
            "is_confidential": False,
            "review_status": "valid",
            "submitted_at": "2022-05-31T21:04:00+07:00",
            "award": None,
        }
        for i in range(1, n + 1)
    ]


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BACKOFF_ENV, "0.01")
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


@pytest.fixture
def api() -> Iterator[ProvinceApi]:
    with ProvinceApi(page_size=2, tokens={UNIT: TOKEN}, timeout_sleep=1.0) as server:
        yield server


def _source(api: ProvinceApi, **kw: Any) -> Source:
    fields: dict[str, Any] = {
        "unit_code": UNIT,
        "transport": "http",
        "base_url": api.base_url(UNIT),
        "credential": TOKEN_ENV,
        "timeout_seconds": 2.0,
        "retries": 2,
    }
    fields.update(kw)
    return Source(**fields)


def _landed(landing: Path) -> list[str]:
    """Every path under the landing area, relative (leftover temp folders included)."""
    return sorted(str(p.relative_to(landing)) for p in landing.rglob("*"))


def _read_back(folder: Path) -> list[dict[str, str]]:
    with (folder / "initiatives.json").open("rb") as f:
        rows = list(read_json(f, []))
    assert all(r.malformed is None for r in rows)
    assert [r.line_number for r in rows] == list(range(1, len(rows) + 1))
    return [r.values for r in rows]


def _assert_no_token(text: str) -> None:
    assert TOKEN not in text


# --- a good pull ----------------------------------------------------------------------------


def test_multi_page_pull_writes_one_json_file_and_a_matching_manifest(
    api: ProvinceApi, tmp_path: Path
) -> None:
    records = _records(5)
    api.set_records(UNIT, NIGHT, records)

    folder = pull_night(_source(api), NIGHT, tmp_path)

    assert folder == tmp_path / UNIT / "2022-05-31"
    assert _landed(tmp_path) == [
        UNIT,
        f"{UNIT}/2022-05-31",
        f"{UNIT}/2022-05-31/initiatives.json",
        f"{UNIT}/2022-05-31/manifest.json",
    ]
    manifest = Manifest.read(folder / "manifest.json", unit_code=UNIT, business_date=NIGHT)
    assert manifest.file == "initiatives.json"
    assert manifest.encoding == "utf-8"
    assert manifest.row_count == 5
    assert manifest.sha256 == sha256_of(folder / "initiatives.json")
    assert manifest.generated_at and manifest.generated_at.endswith("+07:00")

    values = _read_back(folder)
    assert [v["record_id"] for v in values] == [r["record_id"] for r in records]
    assert values[0]["title"] == "Cải tiến quy trình số 1 (a)"
    assert values[0]["benefit_vnd"] == "1500001"
    assert values[0]["award"] == ""
    # Non-ASCII stays readable UTF-8 (ensure_ascii=False), one record per line.
    raw = (folder / "initiatives.json").read_bytes()
    assert "Nguyễn Văn A".encode() in raw
    assert json.loads(raw) == {"records": records}

    assert [r.page for r in api.requests_for(UNIT)] == [1, 2, 3]
    assert {r.business_date for r in api.requests_for(UNIT)} == {"2022-05-31"}
    assert {r.authorization for r in api.requests_for(UNIT)} == {f"Bearer {TOKEN}"}


def test_repull_of_unchanged_data_leaves_the_folder_untouched(
    api: ProvinceApi, tmp_path: Path
) -> None:
    api.set_records(UNIT, NIGHT, _records(3))
    folder = pull_night(_source(api), NIGHT, tmp_path)
    assert folder is not None
    before = {p.name: (p.stat().st_mtime_ns, p.stat().st_ino) for p in folder.iterdir()}
    folder_inode = folder.stat().st_ino
    time.sleep(0.02)  # so that a rewrite would show in the mtimes

    again = pull_night(_source(api), NIGHT, tmp_path)

    assert again == folder
    assert folder.stat().st_ino == folder_inode
    assert {p.name: (p.stat().st_mtime_ns, p.stat().st_ino) for p in folder.iterdir()} == before
    assert not list((tmp_path / UNIT).glob(".*"))  # the temporary pull was discarded


def test_changed_data_replaces_the_folder(api: ProvinceApi, tmp_path: Path) -> None:
    api.set_records(UNIT, NIGHT, _records(3))
    folder = pull_night(_source(api), NIGHT, tmp_path)
    assert folder is not None
    first_sha = sha256_of(folder / "initiatives.json")

    api.set_records(UNIT, NIGHT, _records(4, tag="corrected"))
    again = pull_night(_source(api), NIGHT, tmp_path)

    assert again == folder
    manifest = Manifest.read(folder / "manifest.json", unit_code=UNIT, business_date=NIGHT)
    assert manifest.row_count == 4
    assert manifest.sha256 == sha256_of(folder / "initiatives.json") != first_sha
    assert [v["title"] for v in _read_back(folder)][-1] == "Cải tiến quy trình số 4 (corrected)"
    assert sorted(p.name for p in (tmp_path / UNIT).iterdir()) == ["2022-05-31"]


def test_a_repull_with_identical_bytes_is_byte_for_byte_deterministic(
    api: ProvinceApi, tmp_path: Path
) -> None:
    api.set_records(UNIT, NIGHT, _records(5))
    a = pull_night(_source(api), NIGHT, tmp_path / "a")
    b = pull_night(_source(api), NIGHT, tmp_path / "b")
    assert a is not None and b is not None
    assert (a / "initiatives.json").read_bytes() == (b / "initiatives.json").read_bytes()


# --- no delivery ----------------------------------------------------------------------------


def test_404_means_no_delivery_and_writes_nothing(api: ProvinceApi, tmp_path: Path) -> None:
    assert pull_night(_source(api), NIGHT, tmp_path) is None
    assert _landed(tmp_path) == []
    assert len(api.requests_for(UNIT)) == 1  # a 404 is not retried


def test_an_empty_answer_means_no_delivery(api: ProvinceApi, tmp_path: Path) -> None:
    api.set_records(UNIT, NIGHT, [])
    assert pull_night(_source(api), NIGHT, tmp_path) is None
    assert _landed(tmp_path) == []


def test_an_empty_night_leaves_an_earlier_pull_of_it_in_place(
    api: ProvinceApi, tmp_path: Path
) -> None:
    api.set_records(UNIT, NIGHT, _records(2))
    folder = pull_night(_source(api), NIGHT, tmp_path)
    assert folder is not None
    api.set_records(UNIT, NIGHT, [])
    assert pull_night(_source(api), NIGHT, tmp_path) is None
    assert len(_read_back(folder)) == 2


# --- failures -------------------------------------------------------------------------------


def test_api_down_fails_quickly_after_bounded_retries(api: ProvinceApi, tmp_path: Path) -> None:
    api.set_failure(UNIT, "down")
    started = time.monotonic()
    with pytest.raises(PullError, match=r"page 1: cannot connect .*3 attempt"):
        pull_night(_source(api, retries=2), NIGHT, tmp_path)
    assert time.monotonic() - started < 3
    assert _landed(tmp_path) == []


def test_closed_port_url_refuses_connections(tmp_path: Path) -> None:
    source = Source(UNIT, "http", closed_port_url(), retries=0)
    with pytest.raises(PullError, match="cannot connect"):
        pull_night(source, NIGHT, tmp_path)


def test_timeout_fails_after_all_attempts(api: ProvinceApi, tmp_path: Path) -> None:
    api.set_records(UNIT, NIGHT, _records(3))
    api.set_failure(UNIT, "timeout")
    started = time.monotonic()
    with pytest.raises(PullError, match=r"page 1: no answer within 0\.2 s; gave up after 3"):
        pull_night(_source(api, timeout_seconds=0.2, retries=2), NIGHT, tmp_path)
    assert time.monotonic() - started < 3
    assert len(api.requests_for(UNIT)) == 3  # 1 + retries
    assert _landed(tmp_path) == []


def test_one_timeout_then_an_answer_succeeds(api: ProvinceApi, tmp_path: Path) -> None:
    api.set_records(UNIT, NIGHT, _records(3))
    api.set_failure(UNIT, "timeout", count=1)
    folder = pull_night(_source(api, timeout_seconds=0.2), NIGHT, tmp_path)
    assert folder is not None and len(_read_back(folder)) == 3


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("bad_page", r"page 2: the answer is not valid JSON"),
        ("wrong_page", r"page 2: the answer says page 3"),
    ],
)
def test_a_bad_page_fails_the_pull_and_lands_nothing(
    api: ProvinceApi, tmp_path: Path, mode: str, message: str
) -> None:
    api.set_records(UNIT, NIGHT, _records(5))
    api.set_failure(UNIT, mode)
    with pytest.raises(PullError, match=message) as caught:
        pull_night(_source(api), NIGHT, tmp_path)
    _assert_no_token(str(caught.value))
    assert not (tmp_path / UNIT / "2022-05-31").exists()
    assert list((tmp_path / UNIT).iterdir()) == []  # no leftover temporary folder
    assert len(api.requests_for(UNIT, page=2)) == 1  # a broken answer is not retried


def test_a_bad_page_keeps_the_previous_delivery(api: ProvinceApi, tmp_path: Path) -> None:
    api.set_records(UNIT, NIGHT, _records(3))
    folder = pull_night(_source(api), NIGHT, tmp_path)
    assert folder is not None
    before = (folder / "initiatives.json").read_bytes()
    api.set_records(UNIT, NIGHT, _records(5, tag="new"))
    api.set_failure(UNIT, "bad_page")
    with pytest.raises(PullError, match="page 2"):
        pull_night(_source(api), NIGHT, tmp_path)
    assert (folder / "initiatives.json").read_bytes() == before
    assert sorted(p.name for p in (tmp_path / UNIT).iterdir()) == ["2022-05-31"]


def test_server_errors_are_retried_then_the_pull_succeeds(api: ProvinceApi, tmp_path: Path) -> None:
    api.set_records(UNIT, NIGHT, _records(3))
    api.set_failure(UNIT, "server_error", count=2)
    folder = pull_night(_source(api, retries=3), NIGHT, tmp_path)
    assert folder is not None and len(_read_back(folder)) == 3
    assert [(r.page, r.status) for r in api.requests_for(UNIT)] == [
        (1, 500),
        (1, 500),
        (1, 200),
        (2, 200),
    ]


def test_server_errors_beyond_the_retries_fail(api: ProvinceApi, tmp_path: Path) -> None:
    api.set_records(UNIT, NIGHT, _records(3))
    api.set_failure(UNIT, "server_error")
    with pytest.raises(PullError, match=r"HTTP 500; gave up after 2 attempt"):
        pull_night(_source(api, retries=1), NIGHT, tmp_path)
    assert len(api.requests_for(UNIT)) == 2


@pytest.mark.parametrize("mode", ["unauthorized", "wrong_token"])
def test_a_refused_token_is_not_retried(
    api: ProvinceApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    api.set_records(UNIT, NIGHT, _records(3))
    if mode == "unauthorized":
        api.set_failure(UNIT, "unauthorized")
    else:
        api.set_token(UNIT, "another-token")
    with pytest.raises(PullError, match=r"the API refused the token \(HTTP 401\)") as caught:
        pull_night(_source(api, retries=3), NIGHT, tmp_path)
    _assert_no_token(str(caught.value))
    assert len(api.requests_for(UNIT)) == 1
    assert _landed(tmp_path) == []


def test_no_credential_sends_no_authorization_header(api: ProvinceApi, tmp_path: Path) -> None:
    api.set_records(UNIT, NIGHT, _records(1))
    api.set_token(UNIT, None)
    assert pull_night(_source(api, credential=None), NIGHT, tmp_path) is not None
    assert [r.authorization for r in api.requests_for(UNIT)] == [None]


def test_no_credential_against_a_protected_api_says_so(api: ProvinceApi, tmp_path: Path) -> None:
    api.set_records(UNIT, NIGHT, _records(1))
    with pytest.raises(PullError, match="requires a token and none is configured"):
        pull_night(_source(api, credential=None), NIGHT, tmp_path)


def test_a_landing_area_that_cannot_be_written_is_a_pull_error(
    api: ProvinceApi, tmp_path: Path
) -> None:
    api.set_records(UNIT, NIGHT, _records(1))
    not_a_folder = tmp_path / "landing"
    not_a_folder.write_text("a file, not a folder")
    with pytest.raises(PullError, match="cannot write the landing folder"):
        pull_night(_source(api), NIGHT, not_a_folder)


# --- the token ------------------------------------------------------------------------------


def test_the_token_is_sent_and_never_logged_raised_or_written(
    api: ProvinceApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore included
    api.set_records(UNIT, NIGHT, _records(5))
    api.set_failure(UNIT, "server_error", count=1)
    folder = pull_night(_source(api), NIGHT, tmp_path)
    assert folder is not None
    api.set_failure(UNIT, "bad_page")
    with pytest.raises(PullError) as caught:
        pull_night(_source(api), NIGHT, tmp_path)

    assert {r.authorization for r in api.requests_for(UNIT)} == {f"Bearer {TOKEN}"}
    _assert_no_token(str(caught.value))
    _assert_no_token(repr(caught.value))
    assert caplog.records  # the retry was logged
    for record in caplog.records:
        _assert_no_token(record.getMessage())
    _assert_no_token(caplog.text)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            _assert_no_token(path.read_text(encoding="utf-8"))


def test_the_token_comes_from_the_environment_variable_named_by_credential(
    api: ProvinceApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.set_records(UNIT, NIGHT, _records(1))
    api.set_token(UNIT, "from-another-variable")
    monkeypatch.setenv("OTHER_UNIT_TOKEN", "from-another-variable")
    assert pull_night(_source(api, credential="OTHER_UNIT_TOKEN"), NIGHT, tmp_path)
    assert api.requests_for(UNIT)[0].authorization == "Bearer from-another-variable"


def _fake_airflow(monkeypatch: pytest.MonkeyPatch, get_connection: Callable[[str], Any]) -> None:
    """A stand-in `airflow.sdk` so the Airflow branch is tested without Airflow itself."""
    sdk = types.ModuleType("airflow.sdk")
    sdk.BaseHook = types.SimpleNamespace(get_connection=get_connection)  # type: ignore[attr-defined]
    package = types.ModuleType("airflow")
    package.sdk = sdk  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "airflow", package)
    monkeypatch.setitem(sys.modules, "airflow.sdk", sdk)


def test_the_token_falls_back_to_an_airflow_connection(
    api: ProvinceApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.set_records(UNIT, NIGHT, _records(1))
    monkeypatch.delenv(TOKEN_ENV)
    asked: list[str] = []

    def get_connection(conn_id: str) -> Any:
        asked.append(conn_id)
        return types.SimpleNamespace(password=TOKEN)

    _fake_airflow(monkeypatch, get_connection)
    assert pull_night(_source(api), NIGHT, tmp_path) is not None
    assert asked == [TOKEN_ENV]
    assert api.requests_for(UNIT)[0].authorization == f"Bearer {TOKEN}"


def test_a_credential_found_nowhere_fails_before_any_request(
    api: ProvinceApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV)

    def get_connection(conn_id: str) -> Any:
        raise LookupError(f"The conn_id `{conn_id}` isn't defined")

    _fake_airflow(monkeypatch, get_connection)
    with pytest.raises(PullError, match=f"credential '{TOKEN_ENV}' is not set"):
        pull_night(_source(api), NIGHT, tmp_path)
    assert api.requests == []


# --- what every page must say ---------------------------------------------------------------


def _page(page: int, pages: int = 2, total: int = 3, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "unit_code": UNIT,
        "business_date": NIGHT.isoformat(),
        "page": page,
        "pages": pages,
        "total": total,
        "records": _records(3)[(page - 1) * 2 : page * 2],
    }
    body.update(kw)
    return body


@pytest.mark.parametrize(
    ("page2", "message"),
    [
        ([1, 2], "page 2: the answer is not a JSON object"),
        (_page(2, unit_code="P02"), "page 2: unit_code is 'P02', not P01"),
        (_page(2, business_date="2022-06-01"), "page 2: business_date is '2022-06-01'"),
        (_page(2, pages=3), "page 2: pages/total are 3/3 but page 1 said 2/3"),
        (_page(2, total=4), "page 2: pages/total are 2/4 but page 1 said 2/3"),
        (_page(2, records={"a": 1}), "page 2: records is not a list"),
        (_page(2, records=_records(2)), "page 2: 4 records so far but total says 3"),
        (_page(2, records=[]), "pages 1-2 hold 2 records but total says 3"),
        ({**_page(2), "page": "2"}, "page 2: page is '2', not a whole number"),
    ],
)
def test_every_page_is_checked(tmp_path: Path, page2: Any, message: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return httpx.Response(200, json=_page(1) if page == 1 else page2)

    client = httpx.Client(transport=httpx.MockTransport(answer))
    source = Source(UNIT, "http", "http://province.invalid/api")
    with pytest.raises(PullError, match=message):
        pull_night(source, NIGHT, tmp_path, client=client)
    assert list((tmp_path / UNIT).iterdir()) == []


def test_429_is_retried_and_an_injected_client_is_used(tmp_path: Path) -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "0"})
        return httpx.Response(200, json=_page(1, pages=1, total=2))

    client = httpx.Client(transport=httpx.MockTransport(answer))
    source = Source(UNIT, "http", "http://province.invalid/api/")
    folder = pull_night(source, NIGHT, tmp_path, client=client)
    assert folder is not None and len(_read_back(folder)) == 2
    assert (
        calls == ["http://province.invalid/api/v1/initiatives?business_date=2022-05-31&page=1"] * 2
    )
    assert not client.is_closed  # the caller's client is the caller's to close
