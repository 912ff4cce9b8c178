"""Deterministic synthetic registers for benchmarks (typed grids, as a backend reads them)."""

from __future__ import annotations

import datetime as dt
import random

from sheetsync.grid import Grid, PercentValue

HEADER = ["案件ID", "案件名", "顧客名", "担当者", "フェーズ", "確度", "受注確率", "見込金額",
          "受注予定日", "完了日", "流入経路", "登録日", "最終接触日", "次回アクション",
          "次回アクション日", "失注理由", "備考"]
STAGES = ["リード", "初回商談", "提案", "見積提出", "交渉", "受注", "失注"]
SOURCES = ["Web問い合わせ", "展示会", "紹介", "テレアポ", "既存顧客", "パートナー", "その他", None]
OWNERS = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺"]


def _messy_amount(rng: random.Random, amount: int) -> object:
    man = amount // 10_000
    return rng.choice([f"{man}万円", f"¥{amount:,}", f"{amount:,}", f"{man * 10}千円",
                       f"￥{amount:,}円", str(amount).translate(str.maketrans("0123456789",
                                                                              "０１２３４５６７８９"))])


def _messy_date(rng: random.Random, day: dt.date) -> object:
    return rng.choice([f"{day.year}/{day.month}/{day.day}", day.isoformat(),
                       f"{day.year}年{day.month}月{day.day}日",
                       f"R{day.year - 2018}.{day.month}.{day.day}"])


_INVALID = {"amount": ["abc", "-5", "12,34,5"], "date": ["3/31", "2026/2/30", "来月"],
            "stage": ["保留", "?"], "rank": ["Z"], "probability": ["120%", "0.8"]}


def make_register(rows: int, *, messy: float = 0.0, invalid: float = 0.0, seed: int = 1,
                  today: dt.date = dt.date(2026, 11, 26)) -> Grid:
    """A register grid of ``rows`` deals. ``messy``/``invalid``: share of cells rewritten in a
    messy-but-valid form / replaced by an invalid value (amount, dates, stage, rank, prob)."""
    rng = random.Random(seed)
    out: list[list[object]] = [HEADER]
    for i in range(rows):
        stage = rng.choices(STAGES, weights=[20, 15, 15, 10, 10, 15, 15])[0]
        created = today - dt.timedelta(days=rng.randint(1, 540))
        close = created + dt.timedelta(days=rng.randint(10, 200))
        amount = rng.randint(30, 5000) * 10_000
        closed = stage in ("受注", "失注")
        client = rng.randint(1, rows // 10 + 1)
        # each client has its rep; now and then a second rep approaches it too
        owner = OWNERS[client % len(OWNERS)] if rng.random() > 0.01 else rng.choice(OWNERS)
        cells: dict[str, object] = {
            "案件ID": f"D-{i:06d}", "案件名": f"案件{i}", "顧客名": f"株式会社顧客{client}",
            "担当者": owner, "フェーズ": stage, "確度": rng.choice(["A", "B", "C", "D", None]),
            "受注確率": None if closed else rng.choice([None, None, None, 50, PercentValue(0.3)]),
            "見込金額": amount, "受注予定日": close if not closed else None,
            "完了日": close if closed else None, "流入経路": rng.choice(SOURCES), "登録日": created,
            "最終接触日": created + dt.timedelta(days=rng.randint(0, 30)),
            "次回アクション": rng.choice(["訪問", "見積提出", None]),
            "次回アクション日": today + dt.timedelta(days=rng.randint(-10, 30)),
            "失注理由": "価格" if stage == "失注" else None, "備考": None,
        }
        if closed and cells["確度"] in ("C", "D", "A", "B"):
            cells["確度"] = "A" if stage == "受注" else "D"
        for key in ("見込金額", "受注予定日", "完了日", "登録日", "最終接触日"):
            value = cells[key]
            if value is None:
                continue
            if messy and rng.random() < messy:
                cells[key] = (_messy_amount(rng, value) if key == "見込金額"  # type: ignore[arg-type]
                              else _messy_date(rng, value))  # type: ignore[arg-type]
            elif invalid and rng.random() < invalid:
                cells[key] = rng.choice(_INVALID["amount" if key == "見込金額" else "date"])
        if invalid and rng.random() < invalid:
            cells["フェーズ"] = rng.choice(_INVALID["stage"])
        if invalid and rng.random() < invalid:
            cells["受注確率"] = rng.choice(_INVALID["probability"])
        out.append([cells[h] for h in HEADER])
    return Grid("案件一覧", out)
