"""Message templates in Japanese and English, keyed by the issue ``code``.

Each message says what is wrong and what would be accepted. Templates use
``str.format`` fields: ``{value}`` (the cell as typed), ``{column}`` (its header) and the
parameters the raising code passes. A long ``{value}`` is quoted by its beginning and its
length (:func:`quote`): the message of a 400-digit cell is not 400 characters long. Only the
message is shortened; the issue's ``value`` (the JSON ``value``) is the cell in full.

>>> render("required", "en", column="Client", value=None)
'Client is empty; it is required.'
"""

from __future__ import annotations

from typing import Any

_MONEY_EXAMPLES = "1200000, 1,200,000, ¥1,200,000, 120万円, 1.2億, 1200千円"
_DATE_EXAMPLES = "2026/3/31, 2026-03-31, 2026年3月31日, 令和8年3月31日, R8.3.31"

TEMPLATES: dict[str, dict[str, str]] = {
    # --- cell values --------------------------------------------------------------------
    "invalid_money": {
        "ja": "「{value}」は金額として読めません。入力例: " + _MONEY_EXAMPLES,
        "en": "“{value}” is not an amount in yen. Accepted: " + _MONEY_EXAMPLES,
    },
    "negative_money": {
        "ja": "「{value}」: 金額は0以上で入力してください。",
        "en": "“{value}”: amounts must be 0 or more.",
    },
    "money_too_large": {
        "ja": "「{value}」は金額として大きすぎます（上限 1兆円）。桁や列を確認してください。",
        "en": "“{value}” is too large an amount (at most ¥1,000,000,000,000); check the digits and the column.",
    },
    "fractional_money": {
        "ja": "「{value}」: 金額は1円単位の整数で入力してください。",
        "en": "“{value}”: amounts must be whole yen.",
    },
    "invalid_percent": {
        "ja": "「{value}」は確率として読めません。入力例: 80、80%、８０％（0〜100）",
        "en": "“{value}” is not a percentage. Accepted: 80, 80%, ８０％ (0–100)",
    },
    "ambiguous_percent": {
        "ja": "「{value}」は {value}% か {suggestion}% か判断できません。{suggestion}% なら「{suggestion}」または「{suggestion}%」と入力してください。",
        "en": "“{value}” could mean {value}% or {suggestion}%. For {suggestion}% type {suggestion} or {suggestion}%.",
    },
    "percent_out_of_range": {
        "ja": "「{value}」: 確率は0〜100の範囲で入力してください。",
        "en": "“{value}”: a percentage must be within 0–100.",
    },
    "invalid_date": {
        "ja": "「{value}」は日付として読めません。入力例: " + _DATE_EXAMPLES,
        "en": "“{value}” is not a date. Accepted: " + _DATE_EXAMPLES,
    },
    "date_without_year": {
        "ja": "「{value}」には年がありません。2026/3/31 のように年から入力してください。",
        "en": "“{value}” has no year. Type the full date, e.g. 2026/3/31.",
    },
    "ambiguous_year": {
        "ja": "「{value}」は2桁の年で、西暦か和暦か判断できません。2026/3/31 や R8.3.31 のように入力してください。",
        "en": "“{value}” has a two-digit year. Type the full year, e.g. 2026/3/31 or R8.3.31.",
    },
    "impossible_date": {
        "ja": "「{value}」は存在しない日付です。",
        "en": "“{value}” is not a real date.",
    },
    "date_out_of_range": {
        "ja": "「{value}」は日付として範囲外です（1950年〜2199年）。数値が日付列に入っていませんか。",
        "en": "“{value}” is outside 1950–2199 as a date. Is a number in the date column?",
    },
    "formula_without_value": {
        "ja": "「{value}」は数式ですが、計算結果がファイルに保存されていません。Excel で開いて保存し直してください。",
        "en": "“{value}” is a formula whose result the file does not hold; open the file in Excel and save it again.",
    },
    "boolean_not_text": {
        "ja": "「{value}」は論理値（TRUE/FALSE）のセルです。{column}は文字で入力してください。",
        "en": "“{value}” is a TRUE/FALSE cell; type {column} as text.",
    },
    "error_value": {
        "ja": "「{value}」は数式のエラー値です。数式を直すか、値を入力してください。",
        "en": "“{value}” is a formula error; fix the formula or type the value.",
    },
    "text_too_long": {
        "ja": "{column}は{max}文字までです（{length}文字あります）。",
        "en": "{column} is at most {max} characters (this one has {length}).",
    },
    "invalid_number": {
        "ja": "「{value}」は数値として読めません。",
        "en": "“{value}” is not a number.",
    },
    "invalid_integer": {
        "ja": "「{value}」は整数ではありません。",
        "en": "“{value}” is not a whole number.",
    },
    "below_min": {
        "ja": "「{value}」は最小値 {min} より小さい値です。",
        "en": "“{value}” is below the minimum of {min}.",
    },
    "above_max": {
        "ja": "「{value}」は最大値 {max} より大きい値です。",
        "en": "“{value}” is above the maximum of {max}.",
    },
    "invalid_choice": {
        "ja": "「{value}」は{column}の選択肢にありません。選択肢: {choices}",
        "en": "“{value}” is not a valid {column}. Choose one of: {choices}",
    },
    "not_in_roster": {
        "ja": "「{value}」は担当者名簿にありません。名簿: {choices}",
        "en": "“{value}” is not on the owner roster. Roster: {choices}",
    },
    "required": {
        "ja": "{column}が空欄です（必須項目）。",
        "en": "{column} is empty; it is required.",
    },
    "required_when": {
        "ja": "{column}が空欄です。{condition}の案件では必須です。",
        "en": "{column} is empty; it is required when {condition}.",
    },
    # a parked deal (保留) without its review date: say what to type, not just "required"
    "hold_review_date_required": {
        "ja": "{stage_column}が{stage}の案件は{column}（見直し日）を入力してください。",
        "en": "Enter {column} (the review date) for deals whose {stage_column} is {stage}.",
    },
    "duplicate_id": {
        "ja": "{column}「{value}」が重複しています（{rows}行目）。IDは案件ごとに一意にしてください。",
        "en": "{column} “{value}” appears more than once (rows {rows}). Each deal needs its own ID.",
    },
    # --- tab structure --------------------------------------------------------------------
    "tab_missing": {
        "ja": "タブ「{tab}」が見つかりません。あるタブ: {tabs}",
        "en": "Tab “{tab}” not found. Tabs present: {tabs}",
    },
    "no_header_row": {
        "ja": "見出し行が見つかりません。先頭{rows}行に {examples} などの見出しが必要です。",
        "en": "No header row found. The first {rows} rows need headers such as {examples}.",
    },
    "missing_column": {
        "ja": "必須の列「{column}」がありません。{closest}",
        "en": "Required column “{column}” is missing. {closest}",
    },
    "missing_column_closest": {
        "ja": "似た見出し「{header}」（{cell}）があります。名前を「{column}」に直してください。",
        "en": "A similar header “{header}” is in {cell}; rename it to “{column}”.",
    },
    "missing_column_none": {
        "ja": "見出し行に「{column}」（または {aliases}）の列を追加してください。",
        "en": "Add a “{column}” column (or one of: {aliases}) to the header row.",
    },
    "duplicate_column": {
        "ja": "「{column}」を表す列が複数あります（{cells}）。1つにしてください。この列は使われません。",
        "en": "More than one column means “{column}” ({cells}). Keep one; none of them is used.",
    },
    "blank_header": {
        "ja": "{cell}の列には値がありますが見出しが空欄のため、無視されます。",
        "en": "The column at {cell} has values but no header; it is ignored.",
    },
    # --- warnings -----------------------------------------------------------------------
    "multiple_owners": {
        "ja": "顧客「{value}」に複数の担当者がアプローチ中です（{owners}）。担当を調整してください。",
        "en": "Client “{value}” has open deals with several owners ({owners}). Agree who leads.",
    },
    "multiple_owners_contact": {
        "ja": "顧客「{client}」の先方担当者「{value}」に複数の担当者がアプローチ中です（{owners}）。同じ人に別々に連絡しないよう、担当を調整してください。",
        "en": "{owners} all have open deals with “{value}” at client “{client}”. Agree who talks to them.",
    },
    "closed_probability_mismatch": {
        "ja": "フェーズは「{stage}」ですが受注確率が {percent}% です（{expected}% のはず）。",
        "en": "Stage is “{stage}” but the win probability is {percent}% (expected {expected}%).",
    },
    "closed_rank_mismatch": {
        "ja": "フェーズは「{stage}」ですが確度が「{value}」です。",
        "en": "Stage is “{stage}” but the confidence rank is “{value}”.",
    },
    "future_date": {
        "ja": "{column}「{value}」は基準日 {as_of} より後の日付です。",
        "en": "{column} “{value}” is after the as-of date {as_of}.",
    },
}

_CONDITION_JOIN = {"ja": "・", "en": ", "}


#: a typed value longer than QUOTE_MAX characters is quoted by its first QUOTE_HEAD
QUOTE_MAX = 50
QUOTE_HEAD = 40


def render(code: str, language: str, **params: Any) -> str:
    """The message for ``code`` in ``language`` (``ja`` or ``en``), filled with ``params``;
    a long ``value`` is shortened (:func:`quote`).

    >>> render("invalid_number", "en", value="9" * 400)
    '“9999999999999999999999999999999999999999… (400 characters)” is not a number.'
    """
    lang = "en" if language == "en" else "ja"
    template = TEMPLATES[code][lang]
    values = {k: ("" if v is None else v) for k, v in params.items()}
    if "value" in values:
        values["value"] = quote(values["value"], lang)
    return template.format_map(_Defaults(values))


def quote(value: Any, language: str) -> Any:
    """``value`` as a message quotes it: as it is, or, when longer than ``QUOTE_MAX``
    characters, its first ``QUOTE_HEAD``, ``…`` and its length.

    >>> quote("あ" * 1000, "ja")
    'ああああああああああああああああああああああああああああああああああああああああ…（1,000文字）'
    >>> quote("x" * 50, "en") == "x" * 50
    True
    """
    if not isinstance(value, str) or len(value) <= QUOTE_MAX:
        return value
    if language == "en":
        return f"{value[:QUOTE_HEAD]}… ({len(value):,} characters)"
    return f"{value[:QUOTE_HEAD]}…（{len(value):,}文字）"


def join(items: list[str], language: str) -> str:
    """Join a short list the way each language does (``A・B`` / ``A, B``)."""
    return _CONDITION_JOIN["en" if language == "en" else "ja"].join(items)


class _Defaults(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
