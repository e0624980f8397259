"""Value parsing and row rules of the feed contract, without a database."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest

from sangkien.feeds.contract import Reason
from sangkien.feeds.readers import SourceRecord
from sangkien.feeds.rows import STORED_COLUMNS, check_record
from sangkien.feeds.values import parse_benefit, parse_bool, parse_date, parse_timestamp

from feed_builder import row

ICT = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-05-31", datetime(2022, 5, 31, 0, 0, tzinfo=ICT)),
        ("2022-05-31T21:04:00+07:00", datetime(2022, 5, 31, 21, 4, tzinfo=ICT)),
        # Z and other offsets are converted to local time before the date is taken.
        ("2022-05-31T18:30:00Z", datetime(2022, 6, 1, 1, 30, tzinfo=ICT)),
        ("2022-05-31T23:30:00-02:00", datetime(2022, 6, 1, 8, 30, tzinfo=ICT)),
        ("31/05/2022", datetime(2022, 5, 31, 0, 0, tzinfo=ICT)),
        ("31/05/2022 21:04", datetime(2022, 5, 31, 21, 4, tzinfo=ICT)),
        ("1/6/2022 7:05:09", datetime(2022, 6, 1, 7, 5, 9, tzinfo=ICT)),
        # The common 19-character shape, and spellings of the same length that are
        # not it: a short offset is still converted, not read as local time.
        ("2022-05-31 21:04:09", datetime(2022, 5, 31, 21, 4, 9, tzinfo=ICT)),
        ("2022-05-31T21:04:09", datetime(2022, 5, 31, 21, 4, 9, tzinfo=ICT)),
        ("2022-05-31T21:04+05", datetime(2022, 5, 31, 23, 4, tzinfo=ICT)),
    ],
)
def test_timestamps_in_every_accepted_spelling_are_local_time(
    text: str, expected: datetime
) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(hours=7)


def test_a_date_with_a_utc_time_takes_the_local_date() -> None:
    assert parse_date("2022-05-31T20:00:00Z") == date(2022, 6, 1)


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2022",
        "2022-02-29",
        "2022-13-01",
        "2022-05-31T24:00",
        "hôm qua",
        "05/31",
        "2022-02-29 10:00:00",
        "2022-05-31 24:00:00",
        "2022-W22-2T10:00:00",
        "2022-05-31_21:04:09",
        "2022-05-31-07:00:00",
    ],
)
def test_impossible_or_unparseable_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=text.replace("/", "/")):
        parse_timestamp(text)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2022-05-31T21:04:09+07:60", "offset +07:60 out of range"),
        ("2022-05-31T21:04:09+15:00", "offset +15:00 out of range"),
        # Local time before the year 1 or after 9999: a rejected row, not a failed delivery.
        ("0001-01-01T00:00:00+07:00", "out of range"),
        ("9999-12-31T23:59:59-07:00", "out of range"),
    ],
)
def test_offsets_and_instants_out_of_range_are_refused(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        parse_timestamp(text)


def test_a_timestamp_out_of_range_rejects_its_row_only() -> None:
    checked = _check(updated_at="9999-12-31T23:59:59-07:00")
    assert checked.stored is None
    assert checked.reasons == [
        (
            Reason.BAD_DATE,
            "updated_at: '9999-12-31T23:59:59-07:00' is out of range (years 1–9999 in local time)",
        )
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1500000", 1_500_000),
        ("1.500.000", 1_500_000),
        ("1,500,000", 1_500_000),
        ("1 500 000", 1_500_000),
        ("0", 0),
        ("999", 999),
    ],
)
def test_benefit_accepts_grouped_whole_numbers(text: str, expected: int) -> None:
    assert parse_benefit(text) == expected


@pytest.mark.parametrize("text", ["-5", "1.5", "1.500,000", "15.00", "1.5000", "abc", "1e6"])
def test_benefit_refuses_what_is_not_a_whole_non_negative_number(text: str) -> None:
    with pytest.raises(ValueError):
        parse_benefit(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("Có", True),
        ("x", True),
        ("X", True),
        ("false", False),
        ("0", False),
        ("không", False),
        ("KHÔNG", False),
        ("", False),
    ],
)
def test_booleans_in_the_contract_spellings(text: str, expected: bool) -> None:
    assert parse_bool(text) is expected


def _check(**overrides: str):
    return check_record(SourceRecord(7, row(**overrides)), "P38")


def test_a_valid_record_is_stored_with_canonical_values() -> None:
    checked = _check(solution_type="TECHNICAL", benefit_vnd="2.000.000", is_confidential="không")
    assert checked.reasons == []
    stored = dict(zip(STORED_COLUMNS, checked.stored, strict=True))  # type: ignore[arg-type]
    assert stored["line_number"] == 7
    assert stored["solution_type"] == "technical"
    assert stored["benefit_vnd"] == 2_000_000
    assert stored["is_confidential"] is False
    assert stored["submitted_at"] == datetime(2022, 5, 31, 21, 4, tzinfo=ICT)


def test_every_reason_that_applies_is_reported() -> None:
    checked = _check(
        title="", field="sports", applied_on="32/01/2022", benefit_vnd="-1", unit_code="P01"
    )
    assert checked.stored is None
    assert sorted(code for code, _ in checked.reasons) == sorted(
        [
            Reason.MISSING_REQUIRED,
            Reason.BAD_ENUM,
            Reason.BAD_DATE,
            Reason.BAD_NUMBER,
            Reason.UNIT_MISMATCH,
        ]
    )
    details = dict(checked.reasons)
    assert details[Reason.MISSING_REQUIRED] == "title"
    assert "sports" in details[Reason.BAD_ENUM] and "field" in details[Reason.BAD_ENUM]


def test_a_confidential_summary_is_dropped_even_when_the_row_is_rejected() -> None:
    checked = _check(is_confidential="có", summary="MẬT-KHÔNG-LƯU", title="abc")
    assert checked.stored is None
    assert [code for code, _ in checked.warnings] == ["CONFIDENTIAL_CONTENT"]
    assert "MẬT" not in repr(checked)


def test_a_confidential_record_needs_no_summary() -> None:
    checked = _check(is_confidential="x", summary="")
    assert checked.reasons == []


def test_a_tombstone_needs_only_its_keys() -> None:
    record = SourceRecord(3, {"record_id": "R9", "unit_code": "P38", "is_deleted": "true"})
    checked = check_record(record, "P38")
    assert checked.reasons == []
    stored = dict(zip(STORED_COLUMNS, checked.stored, strict=True))  # type: ignore[arg-type]
    assert stored["is_deleted"] is True and stored["record_id"] == "R9"


def test_an_empty_recognized_by_is_stored_not_rejected() -> None:
    assert _check(recognized_by="").reasons == []


def test_a_missing_recognized_by_column_is_a_missing_required_field() -> None:
    values = row()
    del values["recognized_by"]
    checked = check_record(SourceRecord(1, values), "P38")
    assert checked.reasons == [(Reason.MISSING_REQUIRED, "recognized_by (column absent)")]
