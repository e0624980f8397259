"""The C row path for CSV (`sangkien.landing.csv_rows`, `_csv_rows.c`) against the
Python rules, which are the contract: for any bytes, the raw rows, rejections,
warnings and counts must be the same whichever path reads them."""

from __future__ import annotations

import csv
import io
import random
import struct
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from sangkien.feeds.contract import COLUMNS
from sangkien.feeds.pseudonyms import author_keys as python_author_keys
from sangkien.feeds.readers import UnreadableFile, read_csv
from sangkien.feeds.values import LOCAL_TZ, parse_timestamp
from sangkien.landing import _csv_rows as native
from sangkien.landing import csv_rows, unicode_tables
from sangkien.landing.checked_rows import CsvFile, DeliveryResult, DeliveryRows
from sangkien.simulate.encodings import to_cp1258_text

UNIT = "P38"
BUSINESS_DATE = date(2022, 5, 31)
PREFIX = (7, UNIT, BUSINESS_DATE)


def safe_code_points() -> list[int]:
    return [cp for first, last in native.SAFE_RANGES for cp in range(first, last + 1)]


# --------------------------------------------------------------------------- characters


def test_safe_characters_are_nfc_whatever_surrounds_them() -> None:
    """Text of these characters alone is NFC: none decomposes, none is a combining
    mark, none is the second character of a composition."""
    seconds = set()
    for cp in range(0x110000):
        decomposition = unicodedata.decomposition(chr(cp)).split()
        if len(decomposition) == 2 and not decomposition[0].startswith("<"):
            first, second = (chr(int(part, 16)) for part in decomposition)
            if unicodedata.normalize("NFC", first + second) == chr(cp):
                seconds.add(int(decomposition[1], 16))
    for cp in safe_code_points():
        char = chr(cp)
        assert unicodedata.is_normalized("NFC", char), hex(cp)
        assert unicodedata.combining(char) == 0, hex(cp)
        assert cp not in seconds, hex(cp)
        assert unicodedata.category(char) not in ("Cs", "Co", "Cn"), hex(cp)


def test_fields_are_trimmed_as_python_strips_them() -> None:
    """Each safe character at both ends of a title: the C path trims exactly what
    str.strip removes, and stores the records padded with white space itself."""
    from feed_builder import csv_bytes, row

    def padded(chars: list[str]) -> bytes:
        rows = [
            row(record_id=f"R{n}", title=f"{c}Sáng kiến số {n}{c}") for n, c in enumerate(chars)
        ]
        return csv_bytes(rows).encode("utf-8")

    safe = [chr(cp) for cp in safe_code_points()]
    space = [c for c in safe if c.isspace()]
    others = [c for c in safe if not c.isspace() and c not in '"\x00']
    assert space and others
    for data in (padded(space), padded(others)):
        assert _read(data, "utf-8", native_path=True) == _read(data, "utf-8", native_path=False)
    assert _accepted_by_c(padded(space)) == len(space)


def test_the_committed_unicode_tables_are_what_python_gives() -> None:
    committed = Path(csv_rows.__file__).with_name("_csv_rows_unicode.h").read_text()
    assert committed == unicode_tables.header()


def test_the_c_nfc_is_pythons() -> None:
    """Every safe letter decomposed, each with every mark, and random Vietnamese-like
    runs of letters and marks: the C code's NFC is Python's, or it leaves the text
    to Python."""
    letters = [chr(cp) for cp in safe_code_points()]
    marks = [chr(cp) for cp in range(0x300, 0x370)]
    texts = [unicodedata.normalize("NFD", c) for c in letters]
    texts += [c + m for c in letters for m in marks]
    tones = "\u0300\u0301\u0303\u0309\u0323"
    shapes = "\u0302\u0306\u031b"
    rng = random.Random(15)
    for _ in range(20000):
        text = "".join(
            rng.choice(letters)
            + "".join(rng.choices(tones + shapes + "".join(marks), k=rng.randint(0, 3)))
            for _ in range(rng.randint(1, 6))
        )
        texts.append(text)
        texts.append(unicodedata.normalize("NFD", text))
    composed = 0
    for text in texts:
        result = native.nfc(text)
        if result is not None:
            composed += 1
            assert result == unicodedata.normalize("NFC", text), [hex(ord(c)) for c in text]
    # Vietnamese, decomposed or as Windows-1258 writes it, is composed here (not by Python).
    vietnamese_marks = set(tones + shapes)
    for letter in letters:
        nfd = unicodedata.normalize("NFD", letter)
        if len(nfd) > 1 and set(nfd[1:]) <= vietnamese_marks:
            assert native.nfc(nfd) == letter
            assert native.nfc(to_cp1258_text(letter)) == letter
    assert native.nfc(unicodedata.normalize("NFD", " ".join(PHRASES))) == " ".join(PHRASES)
    assert composed > 3000


def test_author_keys_are_pythons_for_every_safe_letter() -> None:
    key = b"k" * 40
    letters = [chr(cp) for cp in safe_code_points() if chr(cp) not in ";"]
    names = ["".join(letters[at : at + 7]) for at in range(0, len(letters), 7)]
    cases = [
        ("; ".join(names[:3]), None),
        ("  Nguyễn  Văn\u00a0An ;; Lê Thị Bình;  ", "M1;;  M3 "),
        ("ẞtraße İlhan ǰo", ""),
        ("A;B;C", "1;2"),
        (";".join(names), ";".join(f"id{i}" for i in range(0, len(names), 3))),
    ]
    cases += [(name, None) for name in names]
    for authors, ids in cases:
        assert native.author_keys(key, UNIT, authors, ids) == python_author_keys(
            key, UNIT, authors, ids
        ), (authors, ids)


# --------------------------------------------------------------------------- dates


def _moment_strings(rng: random.Random) -> list[str]:
    spellings = [
        "2022-05-31",
        "2022-5-3",
        "31/05/2022",
        "1/2/2022",
        "31/05/2022 21:04",
        "31/05/2022   7:04:09",
        "2022-05-31T21:04:09",
        "2022-05-31t21:04:09",
        "2022-05-31 21:04:09",
        "2022-05-31T21:04",
        "2022-05-31T21:04:09Z",
        "2022-05-31T21:04:09z",
        "2022-05-31T21:04:09+07:00",
        "2022-05-31T21:04:09-14:59",
        "2022-05-31T21:04:09+14:59",
        "2022-05-31T21:04:09+15:00",
        "2022-05-31T21:04:09+07:60",
        "2022-05-31T23:30:00-03:00",
        "2022-05-31T01:30:00+09:00",
        "2022-05-31T21:04:09.5",
        "2022-05-31T21:04:09 +07:00",
        "2022-05-31T21:04:09+0700",
        "2022-05-31T24:00:00",
        "2022-05-31T23:60:00",
        "2022-05-31T23:59:60",
        "2022-02-29",
        "2024-02-29",
        "1900-02-29",
        "2000-02-29",
        "1975-12-31",
        "1976-01-01",
        "1976-01-01T03:00:00+14:00",
        "9000-12-31T23:59:59",
        "9000-12-31T20:00:00Z",
        "9001-01-01",
        "0001-01-01",
        "31/02/2022",
        "32/01/2022",
        "2022-13-01",
        "2022-00-10",
        "2022-05-31T",
        "2022-05-31T9:4",
        "2022/05/31",
        "22-05-31",
        "31-05-2022",
        "",
        " ",
        "٢٠٢٢-05-31",
    ]
    for _ in range(3000):
        year = rng.choice([rng.randint(1970, 2030), rng.randint(1, 9999)])
        month, day = rng.randint(0, 13), rng.randint(0, 32)
        hour, minute, second = rng.randint(0, 25), rng.randint(0, 61), rng.randint(0, 61)
        zone = rng.choice(
            ["", "Z", "+07:00", f"-{rng.randint(0, 16):02d}:{rng.randint(0, 61):02d}"]
        )
        spellings.append(
            rng.choice(
                [
                    f"{year:04d}-{month:02d}-{day:02d}",
                    f"{year:04d}-{month}-{day}",
                    f"{day:02d}/{month:02d}/{year:04d}",
                    f"{day}/{month}/{year:04d} {hour}:{minute:02d}",
                    f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{zone}",
                    f"{year:04d}-{month:02d}-{day:02d} {hour}:{minute:02d}{zone}",
                ]
            )
        )
    return spellings


def test_the_c_dates_and_times_are_pythons() -> None:
    """Every spelling the C code reads means what parse_timestamp says; the others it
    leaves to Python (which may accept them, or not)."""
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    read = 0
    for text in _moment_strings(random.Random(6)):
        moment = native.moment(text)
        if moment is None:
            continue
        read += 1
        expected = parse_timestamp(text)  # raises if C read what Python refuses
        assert moment == (
            (expected - epoch) // timedelta(microseconds=1),
            (expected.astimezone(LOCAL_TZ).date() - date(2000, 1, 1)).days,
        ), text
    assert read > 500  # the C code reads the usual spellings


# --------------------------------------------------------------------------- rows


PHRASES = (
    "Giải pháp nâng cao hiệu quả công tác an toàn lao động tại phân xưởng sản xuất",
    "Ứng dụng phần mềm quản lý hồ sơ điện tử Cải tiến quy trình kiểm tra chất lượng",
    "Đổi mới phương pháp giảng dạy trực tuyến tiết kiệm chi phí ₫ “trích dẫn” – …",
)
VIETNAMESE = [word for phrase in PHRASES for word in phrase.split(" ")]
NAMES = ["Nguyễn Văn An", "Lê Thị Bình", "Trần Quốc Toản", "Phạm Thị Hằng", "Đỗ Mười"]
UNSAFE = ["\u0301", "😀", "\u2028", "\x0b", "\x85", "\ufeff", "\x00", "\u10fffe", "Ω", "\u202f"]


def _text(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(VIETNAMESE) for _ in range(words))
    roll = rng.random()
    if roll < 0.01:
        text = unicodedata.normalize("NFD", text)
    elif roll < 0.02:
        text += rng.choice(UNSAFE)
    elif roll < 0.05:
        text = rng.choice(["\u00a0", " ", "\t", "\n"]) + text + rng.choice(["\u00a0 ", "\r\n"])
    elif roll < 0.11:
        text = text.replace(" ", '"', 1)
    return text


def _case(rng: random.Random, value: str) -> str:
    spellings = [value, value.upper(), value.title(), f" {value} ", value + "x", "ö" + value]
    return rng.choices(spellings, weights=(90, 3, 3, 3, 1, 1))[0]


def _one(rng: random.Random, usual: str, *odd: str) -> str:
    """Mostly the usual value, now and then one of the odd ones."""
    return rng.choice(odd) if odd and rng.random() < 0.03 else usual


def _moment(rng: random.Random, dated: bool) -> str:
    day = datetime(2022, 1, 8) + timedelta(minutes=rng.randint(0, 800_000))
    shapes = [
        day.strftime("%Y-%m-%d") if dated else day.strftime("%Y-%m-%dT%H:%M:%S+07:00"),
        day.strftime("%d/%m/%Y") if dated else day.strftime("%d/%m/%Y %H:%M"),
        day.strftime("%Y-%m-%dT%H:%M:%SZ"),
        day.strftime("%Y-%m-%dT%H:%M:%S"),
        day.strftime("%Y-%m-%d %H:%M"),
        "31/02/2022",
        "hôm qua",
        "1970-01-01",
    ]
    return rng.choices(shapes, weights=(200, 100, 40, 40, 20, 1, 1, 1))[0]


def _record(rng: random.Random, n: int) -> dict[str, str]:
    authors = rng.sample(NAMES, rng.randint(1, 3))
    record = {
        "record_id": _one(rng, f"R{n}", f"R{n // 3}", "", "x" * 65, f"Rế{n}"),
        "unit_code": _one(rng, UNIT, "P01", "", " P38 "),
        "grassroots_union": rng.choice(["", "CĐCS Trường THPT Hàm Rồng", _text(rng, 4)]),
        "title": _one(rng, _text(rng, 8), "abc", "x" * 501, ""),
        "solution_type": _case(rng, rng.choice(["technical", "management", "operational"])),
        "field": _case(rng, rng.choice(["environment", "community", "pandemic_prevention"])),
        "participant_group": _case(rng, rng.choice(["state_agency", "other"])),
        "authors": _one(rng, ";".join(authors), " ; ".join(authors) + ";", ""),
        "author_ids": rng.choice(
            [";".join(f"M{n}{i}" for i in range(len(authors))), "", "M1", f" M{n} ;"]
        ),
        "summary": _one(rng, _text(rng, 12), ""),
        "effect_summary": _one(rng, _text(rng, 10), ""),
        "benefit_vnd": rng.choice(
            [
                "",
                str(rng.randint(0, 10**9)),
                f"{rng.randint(1000, 10**9):,}",
                f"{rng.randint(1000, 10**9):,}".replace(",", "."),
                f"{rng.randint(1000, 10**9):,}".replace(",", " "),
                _one(rng, "1", f"{rng.randint(1000, 10**9):,}".replace(",", "\u00a0")),
                _one(rng, "2", "1.50.000", "-5", "9223372036854775807", "9223372036854775808"),
                "00012",
            ]
        ),
        "applied_on": _moment(rng, dated=True),
        "recognized_by": rng.choice(["Hội đồng sáng kiến", "", "Thủ trưởng đơn vị"]),
        "recognition_level": _case(rng, rng.choice(["grassroots", "confederation"])),
        "award": rng.choice(["", "Giấy khen"]),
        "is_confidential": _one(
            rng, rng.choice(["", "false", "0", "không", "KHÔNG"]), "true", "Có", "x", "maybe"
        ),
        "review_status": _case(rng, rng.choice(["valid", "pending", "invalid"])),
        "submitted_at": _moment(rng, dated=False),
        "updated_at": rng.choice(["", "", _moment(rng, dated=False)]),
        "is_deleted": _one(rng, rng.choice(["", "false", "0"]), "true", "1", "không", "x", "oops"),
    }
    if record["is_confidential"] in ("true", "Có", "x") and rng.random() < 0.5:
        record["summary"] = ""
    return record


def _csv_text(rng: random.Random, rows: int, columns: list[str], line_end: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(columns)
    for n in range(rows):
        roll = rng.random()
        if roll < 0.01:
            out.write(line_end)  # a blank line
        elif roll < 0.02:
            out.write(f'R{n},"a "b", c{line_end}')  # a character after a closing quote
        elif roll < 0.025:
            out.write(f'R{n},"never closed{line_end}next line,"x"y{line_end}')
        record = _record(rng, n)
        cells = [record.get(c, "extra") for c in columns]
        if rng.random() < 0.01:
            cells = cells[:-1]  # one field short
        writer.writerow(cells)
    return out.getvalue()


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8-nfd":
        return unicodedata.normalize("NFD", text).encode("utf-8", "surrogatepass")
    if encoding == "cp1258":
        return to_cp1258_text(text).encode("cp1258", errors="replace")
    if encoding == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    data = text.encode("utf-8", "surrogatepass")
    return (b"\xef\xbb\xbf" + data) if encoding == "utf-8-sig" else data


def _raw_rows(stream: bytes) -> list[tuple[bytes | None, ...]]:
    """Binary COPY rows back into their fields' bytes."""
    rows, at = [], 0
    while at < len(stream):
        (count,) = struct.unpack_from(">h", stream, at)
        at += 2
        fields = []
        for _ in range(count):
            (length,) = struct.unpack_from(">i", stream, at)
            at += 4
            fields.append(None if length < 0 else stream[at : at + length])
            at += max(length, 0)
        rows.append(tuple(fields))
    return rows


def _read(data: bytes, codec: str, *, native_path: bool) -> tuple[object, ...]:
    rows = DeliveryRows(DeliveryResult(UNIT, BUSINESS_DATE.isoformat(), "loaded"), [])
    raw = io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]
    try:
        if native_path:
            stream = b"".join(rows.raw_rows(CsvFile(raw, codec), PREFIX))
        else:
            stream = b"".join(rows.encoded(read_csv(raw, codec, rows.headers), PREFIX))
    except UnreadableFile as exc:
        return ("unreadable", str(exc))
    result = rows.result
    return (
        sorted(_raw_rows(stream), key=repr),
        sorted(rows.rejected, key=repr),
        sorted(rows.warnings, key=repr),
        (result.rows_received, result.rows_rejected, rows.published, rows.repeats),
        rows.headers[0].columns if rows.headers else None,
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-8-nfd", "cp1258", "utf-16"])
@pytest.mark.parametrize("block_bytes", [1 << 20, 300])
def test_both_paths_store_and_reject_the_same_rows(encoding, block_bytes, monkeypatch) -> None:
    """Random records of every kind (valid, each defect, odd spellings and characters,
    broken quoting, blank lines), in every encoding, read in large and in small blocks."""
    monkeypatch.setattr(csv_rows, "BLOCK_BYTES", block_bytes)
    rng = random.Random(f"{encoding}{block_bytes}")
    codec = "utf-8" if encoding == "utf-8-nfd" else encoding
    accepted = 0
    for file in range(6):
        columns = list(COLUMNS)
        if file % 3 == 1:
            rng.shuffle(columns)
            columns.insert(3, "note")  # an unknown column
        if file % 3 == 2:
            columns = [c for c in columns if c not in ("author_ids", "benefit_vnd", "updated_at")]
        text = _csv_text(rng, 300, columns, rng.choice(["\r\n", "\n", "\r"]))
        data = _encode(text, encoding)
        if encoding != "utf-16" and file == 3:
            data = data.replace(b"Gi", b"G\xff", 3)  # undecodable bytes in some rows
        python_rows = _read(data, codec, native_path=False)
        native_rows = _read(data, codec, native_path=True)
        assert native_rows == python_rows
        accepted += len(python_rows[0])
    assert accepted > 600  # most records are stored, so the C path did the storing


def _accepted_by_c(data: bytes) -> int:
    rows = DeliveryRows(DeliveryResult(UNIT, BUSINESS_DATE.isoformat(), "loaded"), [])
    calls: list[int] = []
    original = rows.count_stored
    rows.count_stored = lambda n: (calls.append(n), original(n))  # type: ignore[method-assign]
    raw = io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]
    b"".join(rows.raw_rows(CsvFile(raw, "utf-8"), PREFIX))
    return sum(calls)


def test_the_usual_record_never_reaches_python() -> None:
    """A clean file, in the shapes the units send, is stored by the C path alone."""
    from feed_builder import csv_bytes, row

    rows = [
        row(record_id=f"R{n}", title=f"Sáng kiến số {n} về an toàn lao động") for n in range(50)
    ]
    rows += [row(record_id="C1", summary="", is_confidential="Có")]
    rows += [row(record_id="D1", submitted_at="31/05/2022 21:04", applied_on="01/03/2022")]
    data = csv_bytes(rows).encode("utf-8")
    assert _accepted_by_c(data) == len(rows)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "record_id\r\n",
        "\r\nR1,P38\r\n",
        "record_id,record_id\r\nR1,R2\r\n",
        'record_id,"unit\r\n',
        '"record_id"x,unit_code\r\nR1,P38\r\n',
        ",".join(COLUMNS) + "\r\n" + ",".join(["a"] * 21),
        ",".join([*COLUMNS, *(f"c{i}" for i in range(600))]) + "\r\nR1\r\n",
    ],
)
def test_odd_headers_read_the_same(text) -> None:
    data = text.encode("utf-8")
    assert _read(data, "utf-8", native_path=True) == _read(data, "utf-8", native_path=False)


def test_a_batch_rows_take_their_delivery_id_later() -> None:
    from feed_builder import csv_bytes, row

    data = csv_bytes([row(record_id=f"R{n}") for n in range(3)]).encode("utf-8")
    rows = DeliveryRows(DeliveryResult(UNIT, BUSINESS_DATE.isoformat(), "loaded"), [])
    raw = io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]
    encoded = b"".join(rows.raw_rows(CsvFile(raw, "utf-8"), (0, UNIT, BUSINESS_DATE)))
    patched = _raw_rows(native.with_delivery_id(encoded, 123456789))
    assert [r[0] for r in patched] == [struct.pack(">q", 123456789)] * 3
    assert [r[1:] for r in patched] == [r[1:] for r in _raw_rows(encoded)]
    with pytest.raises(ValueError):
        native.with_delivery_id(encoded[:-3], 1)
