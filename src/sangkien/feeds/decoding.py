"""From bytes to NFC text without ever replacing a bad byte silently.

Undecodable bytes become U+10FFFE, a Unicode noncharacter that no real text
carries; a row holding it is rejected `ENCODING_ERROR` (contract §2) and the
rest of the file is read on. So does a NUL character (PostgreSQL's text
cannot hold one; before, it stopped the unit's night at the COPY). NFD input
and cp1258's decomposed tone marks are normalised to NFC.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Iterable, Iterator

#: Stands for each undecodable byte run; never stored (its row is rejected).
UNDECODABLE = "\U0010fffe"
_HANDLER = "sangkien-undecodable"

codecs.register_error(_HANDLER, lambda exc: (UNDECODABLE, exc.end))  # type: ignore[arg-type]
ERRORS = _HANDLER

_ALIASES = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf-8-bom": "utf-8-sig",
    "utf-16": "utf-16",
    "utf16": "utf-16",
    "cp1258": "cp1258",
    "windows-1258": "cp1258",
}


class UnsupportedEncoding(ValueError):
    """The manifest names an encoding the contract does not accept."""


def codec_for(declared: str | None, head: bytes) -> str:
    """The Python codec for a CSV file, from the manifest's word and the first bytes.

    A byte-order mark is unambiguous and wins: UTF-16 files always carry one,
    and a UTF-8 BOM under a plain `utf-8` declaration is dropped, not kept as text.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if declared is None:
        return "utf-8"
    try:
        return _ALIASES[declared.strip().lower()]
    except KeyError:
        raise UnsupportedEncoding(
            f"encoding '{declared}' is not accepted (utf-8, utf-8-sig, utf-16, cp1258)"
        ) from None


def nfc(text: str) -> str:
    """`text` in NFC (cheap when it already is). A NUL character, which no text
    column can hold, reads as an undecodable byte: its row is rejected, not the file."""
    if "\x00" in text:
        text = text.replace("\x00", UNDECODABLE)
    if text.isascii():
        return text
    # normalize() returns at once what its quick check passes; is_normalized() first
    # would normalise decomposed text twice (it answers "maybe" only after doing so).
    return unicodedata.normalize("NFC", text)


def clean_text(value: str) -> str:
    """Trim at both ends and normalise to NFC."""
    return nfc(value.strip())


def nfc_lines(lines: Iterable[str]) -> Iterator[str]:
    """The lines in NFC. Line by line gives the same text as field by field: a
    line break or a delimiter never composes with a neighbouring character."""
    return map(nfc, lines)
