"""A1 notation for the cells sheetsync names in messages, links and tabs.

The same results as ``gspread.utils.rowcol_to_a1`` (a test keeps the two equal), without
importing gspread — and with it google-auth and requests — on the workbook path and at
start-up: gspread is imported only by the Google backend.

>>> rowcol_to_a1(1, 1), rowcol_to_a1(12, 28), column_letters(16384)
('A1', 'AB12', 'XFD')
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def column_letters(column: int) -> str:
    """The letters of 1-based ``column``: 1 → ``A``, 26 → ``Z``, 27 → ``AA``.

    >>> column_letters(26), column_letters(27), column_letters(702), column_letters(703)
    ('Z', 'AA', 'ZZ', 'AAA')
    """
    if column < 1:
        raise ValueError(f"column must be 1 or more, not {column}")
    letters = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def rowcol_to_a1(row: int, column: int) -> str:
    """The A1 label of 1-based ``row`` and ``column``.

    >>> rowcol_to_a1(3, 2)
    'B3'
    >>> rowcol_to_a1(0, 1)
    Traceback (most recent call last):
    ...
    ValueError: row must be 1 or more, not 0
    """
    if row < 1:
        raise ValueError(f"row must be 1 or more, not {row}")
    return f"{column_letters(column)}{row}"
