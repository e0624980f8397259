"""Title variants for planted duplicates.

An exact duplicate differs from its source only by case, punctuation or diacritics (so
the contract §4 normalisation maps both to the same key); a near duplicate has a typo
or two swapped words (a suspected duplicate, listed for review, not removed).
"""

from __future__ import annotations

from .rng import Rng

_STRIP_MARKS = str.maketrans(
    "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ",
    "aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd"
    "AAAAAAAAAAAAAAAAAEEEEEEEEEEEIIIIIOOOOOOOOOOOOOOOOOUUUUUUUUUUUYYYYYD",
)


def exact_variant(title: str, rng: Rng) -> str:
    """Same title modulo case, punctuation and diacritics (an exact duplicate)."""
    choice = rng.randrange(5)
    if choice == 0:
        return title.upper()
    if choice == 1:
        return title.lower()
    if choice == 2:
        return title.translate(_STRIP_MARKS)  # typed without diacritics
    if choice == 3:
        return f"{title}."
    words = title.split(" ")
    cut = max(1, len(words) // 2)
    return " ".join(words[:cut]) + " - " + " ".join(words[cut:])


def near_variant(title: str, rng: Rng) -> str:
    """A typo or two swapped words: a suspected duplicate, not an exact one."""
    words = title.split(" ")
    if rng.random() < 0.5 and len(words) > 3:
        k = rng.randrange(1, len(words) - 1)
        words[k], words[k + 1] = words[k + 1], words[k]
        if " ".join(words) != title:
            return " ".join(words)
    long_words = [k for k, w in enumerate(words) if len(w) > 3]
    k = rng.choice(long_words) if long_words else len(words) - 1
    w = words[k]
    p = rng.randrange(1, max(2, len(w) - 1))
    typo = rng.randrange(3)
    if typo == 0:
        w = w[:p] + w[p + 1 :]  # dropped letter
    elif typo == 1:
        w = w[:p] + w[p] + w[p:]  # doubled letter
    else:
        w = w[: p - 1] + w[p] + w[p - 1] + w[p + 1 :] if p < len(w) else w + "n"
    words[k] = w
    changed = " ".join(words)
    if changed.lower() == title.lower():  # e.g. swapped two equal letters: force a change
        changed = f"{title[:-1]}{title[-1] * 2}"
    return changed
