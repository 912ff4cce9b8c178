"""People's names as reps type them: one person, one key, one spelling shown.

``佐藤 健``, ``佐藤　健`` (a full-width space) and ``佐藤健`` are one rep. Names are matched by
:func:`~sheetsync.textnorm.match_key` (NFKC, case folded, whitespace removed) — the key the
roster in the config is matched by too, so a register behaves the same with or without one.
What a tab shows is the roster's spelling when there is a roster, else the spelling the reps
use most.

>>> spellings(["佐藤 健", "佐藤　健", "佐藤 健", "鈴木"])
{'佐藤健': '佐藤 健', '鈴木': '鈴木'}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .textnorm import match_key


def spellings(names: Iterable[Any], preferred: Sequence[str] = ()) -> dict[str, str]:
    """Key → the spelling to show: ``preferred`` (the roster) first, else the most common
    spelling among ``names`` (ties: the one seen first). Non-text values are skipped."""
    counts: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    # count each distinct value once at C speed (a register has 100,000 rows and a handful
    # of reps), then fold the values that strip to one text; the order of first appearance
    # of the distinct values is that of their first rows, so ties break as before
    names = names if isinstance(names, (list, tuple)) else list(names)
    try:
        raw = Counter(names)
    except TypeError:  # an unhashable value: count one by one
        raw = Counter()
        for name in names:
            raw[name if isinstance(name, str) else None] += 1
    for i, (name, n) in enumerate(raw.items()):
        if isinstance(name, str) and name.strip():
            text = name.strip()
            counts[text] += n
            first_seen.setdefault(text, i)
    best: dict[str, str] = {}
    for text in sorted(counts, key=lambda t: (-counts[t], first_seen[t])):
        best.setdefault(match_key(text), text)
    for name in preferred:
        best[match_key(name)] = name
    return best


def canonical(names: Sequence[Any], shown: Mapping[str, str]) -> list[Any]:
    """``names`` with every text replaced by its key's spelling in ``shown`` (others kept).

    >>> canonical(["佐藤　健", None, "高橋"], {"佐藤健": "佐藤 健"})
    ['佐藤 健', None, '高橋']
    """
    out: list[Any] = []
    cache: dict[str, Any] = {}
    for name in names:
        if not isinstance(name, str):
            out.append(name)
            continue
        if name not in cache:
            cache[name] = shown.get(match_key(name), name.strip())
        out.append(cache[name])
    return out


#: honorifics reps add to a client's name, which do not make another person
_HONORIFICS = ("様", "さま", "さん", "殿", "氏")


def contact_key(name: str) -> str:
    """Key under which two spellings of the same client contact compare equal: the name key,
    honorifics dropped (``山田 太郎 様`` = ``山田太郎``; ``Mr.``/``Ms.`` likewise).

    >>> contact_key("山田　太郎様") == contact_key("山田太郎") == contact_key(" 山田 太郎 さん")
    True
    """
    key = match_key(name)
    for suffix in _HONORIFICS:
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
    for prefix in ("mr.", "ms.", "mrs.", "mr", "ms"):
        if key.startswith(prefix) and len(key) > len(prefix) + 1:
            key = key[len(prefix):]
            break
    return key
