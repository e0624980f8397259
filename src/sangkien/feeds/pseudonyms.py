"""Keyed pseudonyms for authors: analysts count participants without seeing names.

Each author becomes `HMAC-SHA256(key, unit_code | member id)` — or the
normalised name when the unit sends no member id — truncated to 16 bytes of
hex. The key (`SANGKIEN_PSEUDONYM_KEY`) stays outside the database: the loader
computes the digests, so neither the warehouse nor dbt's compiled SQL ever
holds it. Member ids are the unit system's own, so a pseudonym is per unit.
Rotating the key means replaying the landing (docs in SECURITY.md).
"""

from __future__ import annotations

import hmac
import os
import secrets
import unicodedata
from functools import lru_cache
from pathlib import Path

from sangkien.settings import STATE_DIR

KEY_VARIABLE = "SANGKIEN_PSEUDONYM_KEY"


def pseudonym_key() -> bytes:
    """The key from the environment; a developer checkout gets a private one."""
    value = os.environ.get(KEY_VARIABLE)
    if value:
        return value.encode("utf-8")
    return _local_key(STATE_DIR / "pseudonym.key")


@lru_cache(maxsize=4)
def _local_key(local: Path) -> bytes:
    """The checkout's own key, read once a process (a replay asks for it 48,000 times)."""
    if not local.exists():
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text(secrets.token_hex(32))
        local.chmod(0o600)
    return local.read_text().strip().encode("utf-8")


def _normal_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


# A re-delivered record repeats its authors: about a quarter of a unit's rows on
# the bench, and each author costs one HMAC.
@lru_cache(maxsize=1 << 16)
def author_keys(
    key: bytes, unit_code: str, authors: str | None, author_ids: str | None
) -> str | None:
    """`;`-joined pseudonyms of the record's authors, in the delivered order."""
    if not authors:
        return None
    names = [a for a in authors.split(";") if a.strip()]
    ids = [i.strip() for i in (author_ids or "").split(";")]
    keys = []
    for position, name in enumerate(names):
        member = ids[position] if position < len(ids) and ids[position] else None
        identity = f"id:{member}" if member else f"name:{_normal_name(name)}"
        keys.append(hmac.digest(key, f"{unit_code}|{identity}".encode(), "sha256").hex()[:32])
    return ";".join(keys)
