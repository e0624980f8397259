"""Names fixed by the feed contract: columns, enumerations and codes (feed-v1 §2–§4)."""

from __future__ import annotations

from enum import StrEnum

#: Every column of contract §3, in the order the warehouse stores them.
COLUMNS: tuple[str, ...] = (
    "record_id",
    "unit_code",
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
KNOWN_COLUMNS = frozenset(COLUMNS)

#: Columns whose value may not be empty (summary: unless confidential).
REQUIRED_VALUES: tuple[str, ...] = (
    "record_id",
    "unit_code",
    "title",
    "solution_type",
    "field",
    "participant_group",
    "authors",
    "summary",
    "effect_summary",
    "applied_on",
    "recognition_level",
    "review_status",
    "submitted_at",
)
#: Columns that must be present even though an empty value is allowed.
REQUIRED_COLUMNS_EMPTY_ALLOWED: tuple[str, ...] = ("recognized_by", "is_confidential")
#: A tombstone needs only these.
TOMBSTONE_REQUIRED: tuple[str, ...] = ("record_id", "unit_code")

ENUMS: dict[str, frozenset[str]] = {
    "solution_type": frozenset(
        {"technical", "management", "operational", "technology_application", "research_topic"}
    ),
    "field": frozenset(
        {
            "pandemic_prevention",
            "production_business",
            "occupational_safety",
            "environment",
            "administrative_reform",
            "management",
            "union_activity",
            "community",
        }
    ),
    "participant_group": frozenset(
        {"state_agency", "public_service_unit", "enterprise_worker", "union_officer", "other"}
    ),
    "recognition_level": frozenset(
        {"grassroots", "upper_grassroots", "provincial_or_sector", "confederation"}
    ),
    "review_status": frozenset({"pending", "valid", "invalid"}),
}

TITLE_MIN, TITLE_MAX = 5, 500
RECORD_ID_MAX = 64


class Reason(StrEnum):
    """Why a row is rejected (contract §4): one quarantine row per reason that applies."""

    MISSING_REQUIRED = "MISSING_REQUIRED"
    BAD_ENUM = "BAD_ENUM"
    BAD_DATE = "BAD_DATE"
    BAD_NUMBER = "BAD_NUMBER"
    TITLE_LENGTH = "TITLE_LENGTH"
    UNIT_MISMATCH = "UNIT_MISMATCH"
    ENCODING_ERROR = "ENCODING_ERROR"
    MALFORMED_ROW = "MALFORMED_ROW"


class Warning_(StrEnum):
    """Recorded per delivery; never a rejection."""

    NO_MANIFEST = "NO_MANIFEST"
    UNKNOWN_COLUMN = "UNKNOWN_COLUMN"
    CONFIDENTIAL_CONTENT = "CONFIDENTIAL_CONTENT"


DATA_FILES: tuple[str, ...] = ("initiatives.csv", "initiatives.json", "initiatives.xlsx")
MANIFEST_FILE = "manifest.json"
