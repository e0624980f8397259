"""Turning a CSV text into the bytes a unit's system would write.

Owns the five byte layouts the simulator produces (UTF-8, UTF-8 with BOM, UTF-16 with
BOM, Windows-1258 with decomposed tone marks, NFD UTF-8) and the injection of raw
undecodable bytes for the ENCODING_ERROR defect.
"""

from __future__ import annotations

import unicodedata
from functools import cache

# Byte layouts (the manifest spells them in its own ways, see profiles.py).
UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
UTF16 = "utf-16"
CP1258 = "cp1258"
UTF8_NFD = "utf-8-nfd"  # UTF-8 bytes of NFD text (e.g. written by a macOS tool)
ALL_ENCODINGS = (UTF8, UTF8_BOM, UTF16, CP1258, UTF8_NFD)

# A private-use character marks where the raw bad bytes go; it never occurs in content.
BAD_BYTES_MARK = "\ue000"

# Windows-1258 has the shape-marked letters (ư ơ â ê ô ă đ) as single bytes but writes
# the five tone marks as combining characters after the letter.
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _cp1258_form(char: str) -> str:
    decomposed = unicodedata.normalize("NFD", char)
    base = "".join(c for c in decomposed if c not in TONE_MARKS)
    tones = "".join(c for c in decomposed if c in TONE_MARKS)
    return unicodedata.normalize("NFC", base) + tones


@cache
def _cp1258_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x00C0, 0x1EFF + 1):
        char = chr(code)
        form = _cp1258_form(char)
        if form != char:
            table[code] = form
    return table


def to_cp1258_text(text: str) -> str:
    """NFC text rewritten the way Windows-1258 stores it (tone marks decomposed)."""
    return unicodedata.normalize("NFC", text).translate(_cp1258_table())


def _body(text: str, encoding: str) -> bytes:
    if encoding in (UTF8, UTF8_BOM):
        return text.encode("utf-8")
    if encoding == UTF8_NFD:
        return unicodedata.normalize("NFD", text).encode("utf-8")
    if encoding == UTF16:
        return text.encode("utf-16-le")  # explicit byte order: same bytes on every machine
    if encoding == CP1258:
        return to_cp1258_text(text).encode("cp1258")
    raise ValueError(f"unknown encoding {encoding!r}")


_BOMS = {UTF8_BOM: b"\xef\xbb\xbf", UTF16: b"\xff\xfe"}

# Raw sequences that are invalid in the file's encoding: a cp1258/Latin-1 byte inside
# UTF-8, a stray continuation byte, a truncated sequence; bytes cp1258 leaves undefined.
_BAD_UTF8 = (b"\xe1", b"\xa0", b"\xc3\x28", b"\xff", b"\xe2\x82")
_BAD_CP1258 = (b"\x81", b"\x8d", b"\x9e")


def undecodable_bytes(encoding: str, pick: int) -> bytes:
    options = _BAD_CP1258 if encoding == CP1258 else _BAD_UTF8
    return options[pick % len(options)]


def supports_bad_bytes(encoding: str) -> bool:
    """Whether a row-local undecodable byte sequence can be planted in this layout."""
    return encoding in (UTF8, UTF8_BOM, UTF8_NFD, CP1258)


def encode_text(text: str, encoding: str, bad: list[bytes] | None = None) -> bytes:
    """Encode `text`; each BAD_BYTES_MARK is replaced by the next sequence of `bad`."""
    prefix = _BOMS.get(encoding, b"")
    if BAD_BYTES_MARK not in text:
        return prefix + _body(text, encoding)
    parts = text.split(BAD_BYTES_MARK)
    bad = bad or []
    chunks = [prefix]
    for k, part in enumerate(parts):
        chunks.append(_body(part, encoding))
        if k < len(parts) - 1:
            chunks.append(bad[k] if k < len(bad) else _BAD_UTF8[0])
    return b"".join(chunks)
