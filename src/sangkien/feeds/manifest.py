"""`manifest.json`: what the unit says it delivered (contract §1)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sangkien.feeds.contract import DATA_FILES


class ManifestError(ValueError):
    """The manifest cannot be trusted at all: the delivery is refused."""


@dataclass(frozen=True)
class Manifest:
    unit_code: str
    business_date: date
    file: str
    encoding: str | None
    row_count: int
    sha256: str
    generated_at: str | None

    @classmethod
    def read(cls, path: Path, *, unit_code: str, business_date: date) -> Manifest:
        """Read and check a manifest against the folder it sits in."""
        try:
            data = json.loads(path.read_bytes().decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ManifestError(f"manifest.json is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ManifestError("manifest.json must be a JSON object")
        if data.get("schema_version") != 1:
            raise ManifestError(f"schema_version {data.get('schema_version')!r} is not 1")
        missing = [
            k
            for k in ("unit_code", "business_date", "file", "row_count", "sha256")
            if data.get(k) in (None, "")
        ]
        if missing:
            raise ManifestError(f"manifest.json lacks {', '.join(missing)}")
        if data["unit_code"] != unit_code:
            raise ManifestError(
                f"manifest unit_code '{data['unit_code']}' is not the folder's unit {unit_code}"
            )
        if data["business_date"] != business_date.isoformat():
            raise ManifestError(
                f"manifest business_date '{data['business_date']}' is not the folder's date "
                f"{business_date.isoformat()}"
            )
        if data["file"] not in DATA_FILES:
            raise ManifestError(f"manifest names file '{data['file']}', not one of {DATA_FILES}")
        row_count = data["row_count"]
        if not isinstance(row_count, int) or isinstance(row_count, bool) or row_count < 0:
            raise ManifestError(f"row_count {row_count!r} is not a whole number ≥ 0")
        return cls(
            unit_code=unit_code,
            business_date=business_date,
            file=data["file"],
            encoding=data.get("encoding"),
            row_count=row_count,
            sha256=str(data["sha256"]).lower(),
            generated_at=data.get("generated_at"),
        )

    def semantic_key(self) -> str:
        """What identifies the manifest's content (its `generated_at` aside)."""
        return f"{self.file}|{self.encoding}|{self.row_count}|{self.sha256}"
