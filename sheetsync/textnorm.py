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
# Legal-form markers that reps write in many ways; they do not distinguish clients.
_COMPANY_FORMS = re.compile(
    r"(株式会社|有限会社|合同会社|合資会社|合名会社|一般社団法人|一般財団法人|"
    r"\(株\)|\(有\)|\(同\)|\(社\)|\(財\)|"
    r"\bco\.?,?\s*ltd\.?|\bcorporation\b|\bcorp\.?|\binc\.?|\bllc\b|\bltd\.?|\bk\.?k\.?$)",
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


def is_blank(value: object) -> bool:
    """True for an empty cell: ``None`` or a string of whitespace only."""
    return value is None or (isinstance(value, str) and not value.strip())


def display_width(text: str) -> int:
    """Terminal/spreadsheet column width: East Asian wide characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
