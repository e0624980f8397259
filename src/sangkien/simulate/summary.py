"""`SimulationSummary`: what a simulation wrote and which defects it planted on purpose."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

# Row-level defects that make the loader reject the row (contract §4).
REJECTION_KINDS = (
    "MISSING_REQUIRED", "BAD_ENUM", "BAD_DATE", "BAD_NUMBER", "TITLE_LENGTH", "UNIT_MISMATCH",
    "ENCODING_ERROR", "MALFORMED_ROW",
)  # fmt: skip
# Stored rows that a programme rule classifies invalid, and the confidentiality cases.
RULE_KINDS = (
    "NOT_RECOGNIZED", "APPLIED_OUT_OF_WINDOW", "SUBMITTED_OUT_OF_WINDOW", "SUBMITTED_IN_FUTURE",
    "CONFIDENTIAL", "CONFIDENTIAL_CONTENT",
)  # fmt: skip
DUPLICATE_KINDS = ("DUPLICATE_EXACT", "DUPLICATE_CROSS_UNIT", "NEAR_DUPLICATE")
VERSION_KINDS = ("IN_DELIVERY_REPEAT", "TOMBSTONE", "CORRECTION")
# Whole-delivery defects (the ones in BROKEN_MANIFEST_KINDS make a manifest lie).
DELIVERY_KINDS = (
    "UNKNOWN_COLUMN", "NO_MANIFEST", "BAD_ROW_COUNT", "BAD_SHA256", "REDELIVERY", "MISSED_NIGHT",
)  # fmt: skip
BROKEN_MANIFEST_KINDS = ("BAD_ROW_COUNT", "BAD_SHA256")
ALL_KINDS = REJECTION_KINDS + RULE_KINDS + DUPLICATE_KINDS + VERSION_KINDS + DELIVERY_KINDS


@dataclass
class SimulationSummary:
    """Counts of one `simulate` call; `str()` gives a readable report."""

    out: Path
    date_from: date
    date_to: date
    scale: float
    seed: int
    units: int = 0
    nights: int = 0
    folders_written: int = 0  # final deliveries (one folder per unit and business date)
    previous_folders_written: int = 0  # earlier versions under _previous/ (re-deliveries)
    empty_deliveries: int = 0  # folders whose data file has no rows
    rows_written: int = 0  # data rows in the final folders
    new_records: int = 0  # first submissions among them
    updates: int = 0  # later versions of earlier records (review, edit, re-send)
    rows_by_format: Counter[str] = field(default_factory=Counter)
    rows_by_encoding: Counter[str] = field(default_factory=Counter)
    defects: Counter[str] = field(default_factory=Counter)  # planted on purpose, by kind
    missed_nights: int = 0  # unit-nights without a folder (the next delivery catches up)
    # (unit, business_date, kind) of every final manifest that does not match its file
    broken_manifests: list[tuple[str, str, str]] = field(default_factory=list)
    missing_manifests: list[tuple[str, str]] = field(default_factory=list)
    # (unit, business_date, variant of the earlier version: partial | incomplete | stale)
    redeliveries: list[tuple[str, str, str]] = field(default_factory=list)
    ledger_path: Path | None = None
    elapsed_seconds: float = 0.0

    def merge(self, other: SimulationSummary) -> None:
        for name in ("folders_written", "previous_folders_written", "empty_deliveries",
                     "rows_written", "new_records", "updates", "missed_nights"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rows_by_format.update(other.rows_by_format)
        self.rows_by_encoding.update(other.rows_by_encoding)
        self.defects.update(other.defects)
        self.broken_manifests.extend(other.broken_manifests)
        self.missing_manifests.extend(other.missing_manifests)
        self.redeliveries.extend(other.redeliveries)

    def sort(self) -> None:
        self.broken_manifests.sort()
        self.missing_manifests.sort()
        self.redeliveries.sort()

    @property
    def rejected_rows(self) -> int:
        return sum(self.defects[k] for k in REJECTION_KINDS)

    def as_dict(self) -> dict[str, object]:
        return {
            "out": str(self.out),
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "scale": self.scale,
            "seed": self.seed,
            "units": self.units,
            "nights": self.nights,
            "folders_written": self.folders_written,
            "previous_folders_written": self.previous_folders_written,
            "empty_deliveries": self.empty_deliveries,
            "rows_written": self.rows_written,
            "new_records": self.new_records,
            "updates": self.updates,
            "rows_by_format": dict(sorted(self.rows_by_format.items())),
            "rows_by_encoding": dict(sorted(self.rows_by_encoding.items())),
            "defects": {k: self.defects[k] for k in ALL_KINDS if self.defects[k]},
            "missed_nights": self.missed_nights,
            "broken_manifests": [list(x) for x in self.broken_manifests],
            "missing_manifests": [list(x) for x in self.missing_manifests],
            "redeliveries": [list(x) for x in self.redeliveries],
        }

    def __str__(self) -> str:
        def pct(n: int) -> str:
            return f"{100 * n / self.rows_written:.2f} %" if self.rows_written else "-"

        lines = [
            f"Simulated feed {self.date_from} .. {self.date_to} (scale {self.scale:g}, "
            f"seed {self.seed}) into {self.out}",
            f"  units {self.units}, nights {self.nights}, folders {self.folders_written} "
            f"({self.empty_deliveries} empty), earlier versions under _previous/ "
            f"{self.previous_folders_written}, missed unit-nights {self.missed_nights}",
            f"  rows {self.rows_written:,}: new records {self.new_records:,}, "
            f"later versions {self.updates:,}, tombstones {self.defects['TOMBSTONE']:,}",
            "  by format: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(self.rows_by_format.items())),
            "  by encoding: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(self.rows_by_encoding.items())),
            f"  rows with a rejection defect: {self.rejected_rows:,} ({pct(self.rejected_rows)})",
        ]
        for title, kinds in (
            ("rejections", REJECTION_KINDS),
            ("programme rules", RULE_KINDS),
            ("duplicates", DUPLICATE_KINDS),
            ("versions", VERSION_KINDS),
            ("deliveries", DELIVERY_KINDS),
        ):
            lines.append(f"  {title}: " + ", ".join(f"{k} {self.defects[k]:,}" for k in kinds))
        if self.broken_manifests:
            shown = ", ".join(f"{u}/{d} ({k})" for u, d, k in self.broken_manifests[:6])
            more = len(self.broken_manifests) - 6
            lines.append(f"  broken manifests: {shown}" + (f" … +{more}" if more > 0 else ""))
        if self.ledger_path:
            lines.append(f"  defect ledger: {self.ledger_path}")
        lines.append(f"  took {self.elapsed_seconds:.1f} s")
        return "\n".join(lines)
