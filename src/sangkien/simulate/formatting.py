"""How values are spelled in a delivered row: dates, times, amounts, enumerations.

All spellings here are accepted by contract §3 (ISO or day-first dates, times with
+07:00, Z or no zone, amounts grouped by dots, commas or spaces).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from .rng import Rng

_TRUE_WORDS = frozenset(("true", "1", "có", "x"))
_ICT = timezone(timedelta(hours=7))


def _two(n: int) -> str:
    return f"0{n}" if n < 10 else str(n)


def format_date(d: date, style: str) -> str:
    if style == "dmy":
        return f"{_two(d.day)}/{_two(d.month)}/{d.year}"
    return f"{d.year}-{_two(d.month)}-{_two(d.day)}"


def format_time(dt: datetime, style: str) -> str:
    """A local (Asia/Ho_Chi_Minh) wall time in one of the accepted spellings."""
    if style == "utc":
        u = dt - timedelta(hours=7)
        return (
            f"{u.year}-{_two(u.month)}-{_two(u.day)}T{_two(u.hour)}:{_two(u.minute)}:"
            f"{_two(u.second)}Z"
        )
    if style == "dmy":
        return f"{_two(dt.day)}/{_two(dt.month)}/{dt.year} {_two(dt.hour)}:{_two(dt.minute)}"
    base = (
        f"{dt.year}-{_two(dt.month)}-{_two(dt.day)}T{_two(dt.hour)}:{_two(dt.minute)}:"
        f"{_two(dt.second)}"
    )
    return base if style == "naive" else f"{base}+07:00"


def format_benefit(amount: int, grouping: str) -> str:
    if grouping == "plain" or amount < 1000:
        return str(amount)
    grouped = f"{amount:,}"
    if grouping == "dot":
        return grouped.replace(",", ".")
    if grouping == "space":
        return grouped.replace(",", " ")
    return grouped


def odd_case(value: str, rng: Rng) -> str:
    """An enumeration in unusual case or padded (accepted: matched case-insensitively)."""
    return rng.choice((value.upper(), value.capitalize(), f" {value} ", value.title()))


def submitted_date(values: dict[str, str], business: date) -> date:
    """Local date of a formatted submitted_at (only used to confirm a planted anomaly)."""
    text = values.get("submitted_at", "")
    try:
        if "/" in text:
            return datetime.strptime(text[:10], "%d/%m/%Y").date()
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(_ICT).replace(tzinfo=None)
        return parsed.date()
    except ValueError:
        return business


def is_true(text: str) -> bool:
    """A contract boolean spelling of true (`true`, `1`, `có`, `x`, any case)."""
    return text.strip().lower() in _TRUE_WORDS
