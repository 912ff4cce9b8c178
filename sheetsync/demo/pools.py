"""The text the demo's deals are drawn from, in both languages.

Every pool has the same length in both languages: the generator (:mod:`.generate`) draws an
index, so the ja and en demos contain the same deals; the workbook (:mod:`.workbook`) looks
the text up in the team's language.
"""

from __future__ import annotations

CLIENTS: tuple[str, ...] = (
    "北斗ロジスティクス", "みなと精密", "青葉システムズ", "さくら食品", "大和テクノサービス",
    "富士見建設", "ひかり製薬", "東雲エンジニアリング", "KSKデータ", "ミライ電子", "山城運輸",
    "湘南ケミカル", "北陸メディカル", "朝凪印刷", "つばさ商事", "ABCテクノロジー",
    "中央フードサービス", "銀河ソフトウェア", "NEXTソリューションズ", "若葉不動産",
    "東海プラント", "瀬戸内マリン", "信州精工", "ことぶき保険サービス", "オリオン物産",
    "第一ファシリティーズ", "イースト交通", "SKYネットワークス", "千代田リース",
    "はなまる教育", "丸栄繊維", "ユニバースホテルズ", "関西ガス設備", "グリーンエナジー開発",
    "三つ葉会計サービス", "明星電機", "ベイサイド開発", "石狩乳業", "桜島観光", "やまびこ通信",
    "TMHホールディングス", "緑川製紙", "白鷺化粧品", "なごみ介護サービス", "新星アパレル",
    "昴メディア", "西日本フーズ", "アルファ工機", "城北ヘルスケア", "エムズ・ファーマ",
    "鳴門水産", "こだま出版", "ライトハウス・キャピタル", "日高酒造", "琥珀システム開発",
    "Q-BITラボ", "富岳重工", "そよかぜ住宅", "タカミ電装", "J-Linkコンサルティング",
)

DEAL_NAMES: dict[str, tuple[str, ...]] = {
    "ja": (
        "基幹システム更改", "勤怠管理クラウド導入", "社内ネットワーク更新", "セキュリティ診断",
        "データ分析基盤構築", "コールセンターCRM刷新", "ECサイトリニューアル",
        "生産管理システム保守", "RPA導入支援", "社内ポータル刷新", "在庫管理SaaS導入",
        "会計システム移行", "BIダッシュボード構築", "PC入替 (500台)", "Web会議システム導入",
        "管理職研修プログラム", "年間保守契約更新", "クラウド移行 (AWS)", "電子契約導入",
        "人事評価システム導入",
    ),
    "en": (
        "ERP replacement", "Cloud time-tracking rollout", "Office network refresh",
        "Security assessment", "Data analytics platform", "Call-centre CRM renewal",
        "E-commerce site relaunch", "Production system maintenance", "RPA rollout support",
        "Intranet portal renewal", "Inventory SaaS rollout", "Accounting system migration",
        "BI dashboards", "PC refresh (500 units)", "Video conferencing rollout",
        "Manager training programme", "Annual maintenance renewal", "Cloud migration (AWS)",
        "E-signature rollout", "HR appraisal system",
    ),
}
PHASE_SUFFIX = {"ja": " 第2期", "en": " (phase 2)"}

NEXT_ACTIONS: dict[str, tuple[str, ...]] = {
    "ja": (
        "見積書を送付", "デモ日程を調整", "決裁者と面談", "提案書をブラッシュアップ",
        "契約書ドラフト送付", "価格交渉の回答待ち", "PoC結果を報告", "稟議状況を確認",
        "ヒアリング訪問", "競合比較資料を作成",
    ),
    "en": (
        "Send the quote", "Schedule a demo", "Meet the decision maker", "Polish the proposal",
        "Send the draft contract", "Await reply on pricing", "Report PoC results",
        "Check approval status", "Discovery visit", "Prepare competitor comparison",
    ),
}
WON_ACTIONS = {"ja": "導入キックオフ", "en": "Kick-off meeting"}
#: what a parked (保留) deal's next action says: its 次回アクション日 is the review date
HOLD_ACTIONS: dict[str, tuple[str, ...]] = {
    "ja": ("再開時期を確認", "予算確定後に再提案", "体制変更後に再訪問"),
    "en": ("Check when to resume", "Re-propose once the budget is set",
           "Revisit after the reorganisation"),
}
# Text a spreadsheet would happily treat as a formula: it must stay text.
FORMULA_LIKE: dict[str, tuple[str, ...]] = {
    "ja": ("=確認する", "+αの追加提案を準備", "-", "@山田部長に稟議状況を確認"),
    "en": ("=check pricing", "+α options proposal", "-", "@Yamada: budget approval?"),
}
LOSS_REASONS: dict[str, tuple[str, ...]] = {
    "ja": ("価格", "競合に決定 (他社)", "予算凍結", "時期尚早", "機能不足", "決裁者の反対",
           "連絡途絶"),
    "en": ("Price", "Went with a competitor", "Budget frozen", "Too early", "Missing features",
           "Decision maker said no", "Went silent"),
}
NOTES: dict[str, tuple[str, ...]] = {
    "ja": ("先方検討中", "担当者変更あり", "来期予算で再検討", "要件確認中", "上長同行予定",
           "情報システム部も同席", "他部署展開の可能性あり", "支払条件の確認が必要"),
    "en": ("Client evaluating", "Contact changed", "Revisit with next year's budget",
           "Clarifying requirements", "Manager to join next visit", "IT department involved",
           "May expand to other departments", "Payment terms to confirm"),
}
MEMOS: dict[str, tuple[str, ...]] = {
    "ja": ("紹介元: みずほ台銀行", "請求先は本社経理部", "展示会で名刺交換", "前任: 山本",
           "反社チェック済", "NDA締結済"),
    "en": ("Referred by Mizuhodai Bank", "Invoice to head-office accounting",
           "Met at the trade show", "Previous owner: Yamamoto", "Compliance check done",
           "NDA signed"),
}

#: the people reps deal with at the clients (先方担当者): a family and a given name each,
#: written 山田 太郎 in Japanese and Taro Yamada in English
FAMILY_NAMES: dict[str, tuple[str, ...]] = {
    "ja": ("山田", "中村", "小林", "加藤", "吉田", "山口", "松本", "井上", "木村", "林",
           "清水", "山崎", "森", "池田", "橋本", "阿部", "石川", "前田", "藤田", "岡田",
           "後藤", "長谷川", "村上", "近藤", "坂本", "遠藤", "青木", "西村", "福田", "太田"),
    "en": ("Yamada", "Nakamura", "Kobayashi", "Kato", "Yoshida", "Yamaguchi", "Matsumoto",
           "Inoue", "Kimura", "Hayashi", "Shimizu", "Yamazaki", "Mori", "Ikeda", "Hashimoto",
           "Abe", "Ishikawa", "Maeda", "Fujita", "Okada", "Goto", "Hasegawa", "Murakami",
           "Kondo", "Sakamoto", "Endo", "Aoki", "Nishimura", "Fukuda", "Ota"),
}
GIVEN_NAMES: dict[str, tuple[str, ...]] = {
    "ja": ("太郎", "花子", "誠", "恵", "浩二", "真由美", "拓也", "直美", "健一", "陽子",
           "修", "久美子", "隆", "明美", "大輝", "愛", "剛", "智子", "亮", "舞"),
    "en": ("Taro", "Hanako", "Makoto", "Megumi", "Koji", "Mayumi", "Takuya", "Naomi",
           "Ken'ichi", "Yoko", "Osamu", "Kumiko", "Takashi", "Akemi", "Daiki", "Ai", "Tsuyoshi",
           "Tomoko", "Ryo", "Mai"),
}
