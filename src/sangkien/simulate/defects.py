"""Planting the row-level defects that contract §4 makes the loader reject.

One call per defective row: blank a required field, an unknown enumeration, an
impossible or unparseable date, a malformed amount, a too short or too long title, a
foreign or unknown unit code, raw undecodable bytes, or a CSV row with the wrong
number of fields (rendered by `writers`). Only first submissions get a defect; the
ledger tag records which one.
"""

from __future__ import annotations

from .encodings import BAD_BYTES_MARK, undecodable_bytes
from .profiles import Profile
from .rng import Rng
from .rows import Row

_REQUIRED = (
    "title", "solution_type", "field", "participant_group", "authors", "effect_summary",
    "applied_on", "recognition_level", "review_status", "submitted_at", "record_id",
)  # fmt: skip
_BAD_ENUMS = (
    ("solution_type", "kỹ thuật"), ("solution_type", "technique"), ("field", "education"),
    ("field", "y tế"), ("participant_group", "worker"), ("participant_group", "công nhân"),
    ("recognition_level", "national"), ("recognition_level", "cấp tỉnh"),
    ("review_status", "approved"), ("review_status", "đã duyệt"),
)  # fmt: skip
_BAD_DATES = (  # impossible dates as well as unparseable ones
    ("applied_on", "31/02/2022"), ("applied_on", "2022-02-30"), ("applied_on", "29/02/2023"),
    ("applied_on", "2022-13-05"), ("applied_on", "15/13/2022"), ("applied_on", "không rõ"),
    ("applied_on", "2022/05/xx"), ("submitted_at", "31/04/2022 10:15"),
    ("submitted_at", "2022-05-31T25:10:00+07:00"), ("submitted_at", "32/05/2022 21:04"),
)  # fmt: skip
_BAD_NUMBERS = (
    "1,5 triệu", "-500000", "2.500.000đ", "1.50.000", "khoảng 3 tỷ", "12.5", "1.500.000,50",
    "10 000 00",
)  # fmt: skip
_SHORT_TITLES = ("SK 1", "Abc", " SK ", "GP2", "x")


def plant_defect(row: Row, kind: str, rng: Rng, prof: Profile, other_units: list[str]) -> None:
    """Change `row` so the loader must reject it for `kind`; tag it for the ledger."""
    v = row.values
    cols = prof.columns
    detail = ""
    if kind == "BAD_NUMBER" and "benefit_vnd" not in cols:
        kind = "BAD_DATE"
    if kind == "MISSING_REQUIRED":
        choices = list(_REQUIRED)
        if v["summary"] and v["is_confidential"] != prof.bool_style[0]:
            choices.append("summary")  # required unless confidential
        detail = rng.choice(choices)
        v[detail] = "  " if rng.random() < 0.2 else ""
    elif kind == "BAD_ENUM":
        detail, v_bad = rng.choice(_BAD_ENUMS)
        v[detail] = v_bad
    elif kind == "BAD_DATE":
        detail, v_bad = rng.choice(_BAD_DATES)
        v[detail] = v_bad
    elif kind == "BAD_NUMBER":
        detail = "benefit_vnd"
        v[detail] = rng.choice(_BAD_NUMBERS)
    elif kind == "TITLE_LENGTH":
        detail = "title"
        if rng.random() < 0.6:
            v["title"] = rng.choice(_SHORT_TITLES)
        else:
            long_text = f"{v['title']}. {v['effect_summary']} "
            v["title"] = (long_text * (520 // len(long_text) + 1))[: rng.randrange(505, 700)]
    elif kind == "UNIT_MISMATCH":
        detail = rng.choice(("P99", "X01", "P038", "TH", *other_units[:8]))
        v["unit_code"] = detail
    elif kind == "ENCODING_ERROR":
        # The raw bytes go right before a space so they cannot merge with the next
        # character into a valid sequence.
        title = v["title"]
        cut = title.find(" ")
        if cut > 0:
            v["title"] = f"{title[:cut]}{BAD_BYTES_MARK}{title[cut:]}"
        else:
            v["title"] = f"{title}{BAD_BYTES_MARK} "
        row.bad_bytes = undecodable_bytes(prof.encoding, rng.randrange(16))
        detail = "title"
    elif kind == "MALFORMED_ROW":
        row.malformed = rng.choice(("missing_field", "unquoted_comma", "unescaped_quote"))
        detail = row.malformed
    row.tags.append((kind, detail))
