"""The row rules of contract §4: a record is stored, or rejected with every reason.

`check_record` is pure: it takes one `SourceRecord` and the delivering unit and
returns a `CheckedRow` — either the canonical values to store (`stored`) or the
list of `(reason, detail)` pairs — plus any warnings. The summary of a
confidential initiative is dropped here, before anything else sees the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sangkien.feeds.contract import (
    ENUMS,
    RECORD_ID_MAX,
    REQUIRED_COLUMNS_EMPTY_ALLOWED,
    REQUIRED_VALUES,
    TITLE_MAX,
    TITLE_MIN,
    TOMBSTONE_REQUIRED,
    Reason,
    Warning_,
)
from sangkien.feeds.decoding import UNDECODABLE
from sangkien.feeds.limits import MAX_FIELD_CHARS
from sangkien.feeds.readers import SourceRecord
from sangkien.feeds.values import (
    is_clearly_false,
    parse_benefit,
    parse_bool,
    parse_date,
    parse_timestamp,
)

#: Stored columns after (delivery_id, unit_code, business_date), in raw's order.
STORED_COLUMNS: tuple[str, ...] = (
    "line_number",
    "record_id",
    "grassroots_union",
    "title",
    "solution_type",
    "field",
    "participant_group",
    "authors",
    "author_ids",
    "summary",
    "effect_summary",
    "benefit_vnd",
    "applied_on",
    "recognized_by",
    "recognition_level",
    "award",
    "is_confidential",
    "review_status",
    "submitted_at",
    "updated_at",
    "is_deleted",
)

_PRESENT_EMPTY_ALLOWED = frozenset(REQUIRED_COLUMNS_EMPTY_ALLOWED)


@dataclass(slots=True)
class CheckedRow:
    line_number: int
    record_id: str | None
    stored: tuple[Any, ...] | None = None
    reasons: list[tuple[Reason, str]] = field(default_factory=list)
    warnings: list[tuple[Warning_, str]] = field(default_factory=list)


def _readable_record_id(values: dict[str, str]) -> str | None:
    record_id = values.get("record_id") or None
    if record_id is None or UNDECODABLE in record_id:
        return None
    return record_id if len(record_id) <= RECORD_ID_MAX else record_id[:RECORD_ID_MAX] + "…"


def check_record(record: SourceRecord, unit_code: str) -> CheckedRow:
    """Judge one record delivered by `unit_code` (contract §3–§4)."""
    values = record.values
    confidential_raw = values.get("is_confidential")
    warnings: list[tuple[Warning_, str]] = []
    # Dropped before anything is stored, also when the row is later rejected;
    # anything but a clear "false" may mean confidential.
    if values.get("summary") and not is_clearly_false(confidential_raw):
        values = {**values, "summary": ""}
        if confidential_raw is not None and confidential_raw.casefold() in {"true", "1", "có", "x"}:
            warnings.append(
                (Warning_.CONFIDENTIAL_CONTENT, "summary of a confidential initiative dropped")
            )

    checked = CheckedRow(record.line_number, _readable_record_id(values), warnings=warnings)
    reasons = checked.reasons
    if record.malformed is not None:
        reasons.append((Reason.MALFORMED_ROW, record.malformed))
        return checked

    # One join answers both screens for the usual row (no long field, no bad byte);
    # only a row that fails it pays for the field-by-field look.
    joined = "\x00".join(values.values())
    if len(joined) > MAX_FIELD_CHARS:
        oversized = [name for name, value in values.items() if len(value) > MAX_FIELD_CHARS]
        if oversized:
            reasons.append(
                (
                    Reason.MALFORMED_ROW,
                    f"{', '.join(oversized)} longer than {MAX_FIELD_CHARS:,} characters",
                )
            )
            return checked

    undecodable: set[str] = set()
    clean = values  # the values, an undecodable one read as empty
    if UNDECODABLE in joined:
        undecodable = {name for name, value in values.items() if UNDECODABLE in value}
        for name in sorted(undecodable):
            reasons.append((Reason.ENCODING_ERROR, f"undecodable bytes in {name}"))
        clean = {name: "" if name in undecodable else value for name, value in values.items()}
    value = clean.get

    record_id = value("record_id", "")
    if len(record_id) > RECORD_ID_MAX:
        reasons.append((Reason.MALFORMED_ROW, f"record_id longer than {RECORD_ID_MAX} characters"))

    try:
        is_deleted = parse_bool(value("is_deleted", ""))
    except ValueError as exc:
        reasons.append((Reason.BAD_ENUM, f"is_deleted: {exc}"))
        is_deleted = False

    required = TOMBSTONE_REQUIRED if is_deleted else REQUIRED_VALUES
    # Only an empty value needs a closer look (the usual row has none).
    for name in [name for name in required if not values.get(name)]:
        if name in undecodable:
            continue
        if name == "summary" and not is_clearly_false(confidential_raw):
            continue
        detail = name if name in values else f"{name} (column absent)"
        reasons.append((Reason.MISSING_REQUIRED, detail))
    if not is_deleted and not values.keys() >= _PRESENT_EMPTY_ALLOWED:
        for name in REQUIRED_COLUMNS_EMPTY_ALLOWED:
            if name not in values:
                reasons.append((Reason.MISSING_REQUIRED, f"{name} (column absent)"))

    row_unit = value("unit_code", "")
    if row_unit and row_unit != unit_code:
        reasons.append(
            (
                Reason.UNIT_MISMATCH,
                f"row unit_code '{row_unit}' is not the delivering unit {unit_code}",
            )
        )

    updated_at = _timestamp(value("updated_at", ""), "updated_at", reasons)
    if is_deleted:
        if reasons:
            return checked
        checked.stored = (
            record.line_number,
            record_id,
            *([None] * 14),
            False,
            None,
            None,
            updated_at,
            True,
        )
        return checked

    title = value("title", "")
    if title and not TITLE_MIN <= len(title) <= TITLE_MAX:
        reasons.append(
            (Reason.TITLE_LENGTH, f"title has {len(title)} characters ({TITLE_MIN}–{TITLE_MAX})")
        )
    canonical: dict[str, str | None] = {}
    for name, allowed in ENUMS.items():
        raw = value(name, "")
        folded = raw.lower()
        if raw and folded not in allowed:
            reasons.append((Reason.BAD_ENUM, f"{name}: '{raw}'"))
        canonical[name] = folded or None
    try:
        is_confidential = parse_bool(value("is_confidential", ""))
    except ValueError as exc:
        reasons.append((Reason.BAD_ENUM, f"is_confidential: {exc}"))
        is_confidential = False
    benefit = None
    if raw_benefit := value("benefit_vnd", ""):
        try:
            benefit = parse_benefit(raw_benefit)
        except ValueError as exc:
            reasons.append((Reason.BAD_NUMBER, f"benefit_vnd: {exc}"))
    applied_on = _date(value("applied_on", ""), "applied_on", reasons)
    submitted_at = _timestamp(value("submitted_at", ""), "submitted_at", reasons)
    if reasons:
        return checked

    checked.stored = (
        record.line_number,
        record_id,
        value("grassroots_union") or None,
        title,
        canonical["solution_type"],
        canonical["field"],
        canonical["participant_group"],
        value("authors") or None,
        value("author_ids") or None,
        value("summary") or None,
        value("effect_summary") or None,
        benefit,
        applied_on,
        value("recognized_by") or None,
        canonical["recognition_level"],
        value("award") or None,
        is_confidential,
        canonical["review_status"],
        submitted_at,
        updated_at,
        False,
    )
    return checked


def _date(raw: str, name: str, reasons: list[tuple[Reason, str]]) -> date | None:
    if not raw:
        return None
    try:
        return parse_date(raw)
    except ValueError as exc:
        reasons.append((Reason.BAD_DATE, f"{name}: {exc}"))
        return None


def _timestamp(raw: str, name: str, reasons: list[tuple[Reason, str]]) -> datetime | None:
    if not raw:
        return None
    try:
        return parse_timestamp(raw)
    except ValueError as exc:
        reasons.append((Reason.BAD_DATE, f"{name}: {exc}"))
        return None
