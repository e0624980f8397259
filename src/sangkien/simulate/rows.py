"""`Row`: one delivered row and what the simulator knows about it (for the ledger)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Row:
    """One delivered row and what the simulator knows about it."""

    values: dict[str, str]
    record_id: str
    order: tuple[int, int, int]  # (day ordinal, second of day, tie-break) of the change
    tags: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail) for the ledger
    bad_bytes: bytes | None = None  # ENCODING_ERROR: raw bytes replacing BAD_BYTES_MARK
    malformed: str | None = None  # MALFORMED_ROW variant
    version: str = "new"  # new | repeat (superseded in the same file) | update | tombstone

    @property
    def is_tombstone(self) -> bool:
        return self.version == "tombstone"
