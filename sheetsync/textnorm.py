"""Text normalisation shared by header matching, enum matching and client names.

>>> match_key(" Ｄｅａｌ  ID ")
'dealid'
>>> company_key("㈱ サンプル商事") == company_key("サンプル商事 株式会社")
True
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Legal-form markers that reps write in many ways; they do not distinguish clients. The
# English ones start at a word boundary: ``\bco`` is spelt ``c(?<!\wc)o`` (no word character
# before the c), so that every alternative starts with a literal character and the regex
# engine skips in C every position that cannot start one — 9× faster over 10,000 names, the
# same matches (tests/test_validate_engine.py compares it with the ``\b`` spelling).
_COMPANY_FORMS = re.compile(
    r"(株式会社|有限会社|合同会社|合資会社|合名会社|一般社団法人|一般財団法人|"
    r"\(株\)|\(有\)|\(同\)|\(社\)|\(財\)|"
    r"c(?<!\wc)o\.?,?\s*ltd\.?|c(?<!\wc)orporation\b|c(?<!\wc)orp\.?|i(?<!\wi)nc\.?|"
    r"l(?<!\wl)lc\b|l(?<!\wl)td\.?|k(?<!\wk)\.?k\.?$)",
)


def nfkc(text: str) -> str:
    """NFKC-normalise: full-width letters/digits to ASCII, ㈱ to (株), ￥ to ¥."""
    return unicodedata.normalize("NFKC", text)


def match_key(text: str) -> str:
    """Key for matching labels and choices: NFKC, case folded, all whitespace removed."""
    if text.isascii():  # NFKC leaves ASCII alone; skip it on the hot path
        return "".join(text.casefold().split())
    return _SPACES.sub("", nfkc(text).casefold())


def company_key(name: str) -> str:
    """Key under which two spellings of the same client compare equal."""
    key = nfkc(name).casefold()
    key = _COMPANY_FORMS.sub("", key)
    key = re.sub(r"[\s,.・\u3000]+", "", key)
    return key or match_key(name)


def company_keys(names: list[str]) -> list[str]:
    """:func:`company_key` of many names at once: one NFKC pass and one pass of each pattern
    over all of them (a 100,000-deal register has about 10,000 clients).

    >>> company_keys(["㈱ サンプル商事", "Sample Co., Ltd.", "ABC K.K.", "株式会社"])
    ['サンプル商事', 'sample', 'abc', '株式会社']
    """
    joined = "\0".join(names)
    if len(names) < 2 or joined.count("\0") != len(names) - 1:
        return [company_key(name) for name in names]  # too few, or a name holds a \0
    # \0 survives NFKC and case folding, and no pattern matches or crosses it
    keys = _COMPANY_FORMS_ALL.sub("", nfkc(joined).casefold())
    keys = _COMPANY_PUNCTUATION.sub("", keys)
    return [key or match_key(name) for key, name in zip(keys.split("\0"), names)]


_COMPANY_PUNCTUATION = re.compile(r"[\s,.・\u3000]+")
# the same forms over names joined by \0: a name ends at a \0 as well as at the end, and
# ``$`` also matches before a name's final newline (k.k. is a suffix)
_COMPANY_FORMS_ALL = re.compile(
    _COMPANY_FORMS.pattern.replace("$)", r"(?=\n?(?:\x00|\Z)))"))


def is_blank(value: object) -> bool:
    """True for an empty cell: ``None`` or a string of whitespace only."""
    return value is None or (isinstance(value, str) and not value.strip())


def display_width(text: str) -> int:
    """Terminal/spreadsheet column width: East Asian wide characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
