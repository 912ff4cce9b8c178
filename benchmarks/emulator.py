"""The Sheets API emulator's own speed on a 100,000-deal spreadsheet, over real HTTP.

    python benchmarks/emulator.py                     # 100,000 × 17, against the recorded baseline
    python benchmarks/emulator.py --rows 10000
    python benchmarks/emulator.py --against 677c027   # also measure that revision's emulator now

Operations (plain ``requests`` with pre-encoded bodies; answers are read as bytes, not parsed,
so the time is the emulator's handling plus the transfer):

1. create a 100,000 × 17 register with :func:`sheetsync.testing.load.load_grids` (direct,
   one batchUpdate of 1.7M cells);
2. ``spreadsheets.get`` with the Google backend's metadata mask (``SPREADSHEET_FIELDS``:
   properties and, per cell, the number-format type and note);
3. ``values:batchGet`` of the register (UNFORMATTED_VALUE, SERIAL_NUMBER);
4. a ``batchUpdate`` replacing a 60,000-row tab (deleteSheet + addSheet with the same id,
   widths, header, number formats, the 60,000 rows as ``updateCells``, a conditional rule);
5. a ``values:batchUpdate`` of 10,000 rows (USER_ENTERED) into that tab.

Seconds are the best of ``--repeat`` runs; "MB" is the body sent or answered, "peak MB" the
tracemalloc peak of the operation (client and emulator share the process), measured in a
separate traced run. Each figure is printed with the baseline's and the ratio (new / old:
below 1 is better). The baseline is the emulator before copy-on-write and masked rendering
(revision 677c027), measured on the 2-core benchmark machine; ``--against REF`` measures
that revision's emulator in a subprocess now instead (slow: minutes at 100,000 rows).
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from registers import make_register  # noqa: E402

from sheetsync.backends.google.read import SPREADSHEET_FIELDS, VALUE_PARAMS  # noqa: E402
from sheetsync.testing.load import load_grids  # noqa: E402

REGISTER = "案件一覧"
TAB, TAB_ID, TAB_ROWS, TAB_COLS = "要フォロー案件", 424_242, 60_000, 12
VALUE_ROWS = 10_000
OPERATIONS = ("create register", "get (metadata mask)", "values:batchGet register",
              "batchUpdate 60k-row tab", "values:batchUpdate 10k rows")

#: 677c027's emulator, 100,000 rows, this machine (2 cores, shared), best of 2:
#: operation → (seconds, MB sent/answered, peak MB)
BASELINE: dict[str, tuple[float, float, float]] = {
    "create register": (15.08, 0.0, 2034),
    "get (metadata mask)": (15.55, 41.5, 1217),
    "values:batchGet register": (4.89, 13.3, 186),
    "batchUpdate 60k-row tab": (15.00, 33.1, 1749),
    "values:batchUpdate 10k rows": (8.16, 0.8, 1321),
}


def _tab_requests() -> bytes:
    """deleteSheet + addSheet + layout + 60,000 data rows + a rule: one tab replaced."""
    header = [{"userEnteredValue": {"stringValue": f"列{c + 1}"},
               "userEnteredFormat": {"textFormat": {"bold": True}}} for c in range(TAB_COLS)]
    rows = [{"values": header}]
    for r in range(TAB_ROWS):
        values: list[dict[str, Any]] = [{"userEnteredValue": {"stringValue": f"D-{r:06d}"}},
                                        {"userEnteredValue": {"stringValue": f"案件 {r}"}}]
        values += [{"userEnteredValue": {"numberValue": (r * 7919 + c) % 100_000}}
                   for c in range(2, TAB_COLS - 1)]
        values.append({"userEnteredValue": {"numberValue": 46_000 + r % 365}})
        rows.append({"values": values})
    fmt = {"numberFormat": {"type": "DATE", "pattern": "yyyy/mm/dd"}}
    requests_ = [
        {"deleteSheet": {"sheetId": TAB_ID}},
        {"addSheet": {"properties": {"sheetId": TAB_ID, "title": TAB, "index": 1,
                                     "gridProperties": {"rowCount": TAB_ROWS + 1,
                                                        "columnCount": TAB_COLS,
                                                        "frozenRowCount": 1}}}},
        {"updateDimensionProperties": {
            "range": {"sheetId": TAB_ID, "dimension": "COLUMNS", "startIndex": 0,
                      "endIndex": TAB_COLS},
            "properties": {"pixelSize": 120}, "fields": "pixelSize"}},
        {"updateCells": {"start": {"sheetId": TAB_ID}, "rows": rows,
                         "fields": "userEnteredValue,userEnteredFormat"}},
        {"repeatCell": {"range": {"sheetId": TAB_ID, "startRowIndex": 1,
                                  "endRowIndex": TAB_ROWS + 1, "startColumnIndex": TAB_COLS - 1,
                                  "endColumnIndex": TAB_COLS},
                        "cell": {"userEnteredFormat": fmt},
                        "fields": "userEnteredFormat.numberFormat"}},
        {"addConditionalFormatRule": {"index": 0, "rule": {
            "ranges": [{"sheetId": TAB_ID, "startRowIndex": 1, "endRowIndex": TAB_ROWS + 1,
                        "startColumnIndex": 2, "endColumnIndex": 3}],
            "booleanRule": {"condition": {"type": "NUMBER_LESS",
                                          "values": [{"userEnteredValue": "1000"}]},
                            "format": {"backgroundColor": {"red": 1}}}}}},
    ]
    return json.dumps({"requests": requests_}, ensure_ascii=False).encode()


def _values_body() -> bytes:
    rows = [[f"'D-{r:06d}", f"'更新 {r}", *[(r * 31 + c) % 1000 for c in range(TAB_COLS - 3)],
             "2026/11/26"] for r in range(VALUE_ROWS)]
    data = [{"range": f"'{TAB}'!A2", "majorDimension": "ROWS", "values": rows}]
    return json.dumps({"valueInputOption": "USER_ENTERED", "data": data},
                      ensure_ascii=False).encode()


def measure(rows: int, repeat: int, emulator_class: Any) -> dict[str, tuple[float, float, float]]:
    """operation → (best seconds, MB sent or answered, peak traced MB)."""
    import requests

    grid = make_register(rows, messy=0.03, invalid=0.005, seed=rows)
    tab_body, values_body = _tab_requests(), _values_body()
    results: dict[str, tuple[float, float, float]] = {}
    with emulator_class() as emulator:
        session = requests.Session()
        session.headers["Authorization"] = "Bearer benchmark"
        json_headers = {"Content-Type": "application/json; charset=UTF-8"}
        sid: list[str] = []

        def create() -> int:
            emulator.reset()  # (forget the previous copy)
            sid[:] = [load_grids(emulator, [grid], title="benchmark")]
            return 0

        def add_tab() -> None:
            body = {"requests": [{"addSheet": {"properties": {"sheetId": TAB_ID, "title": TAB}}}]}
            session.post(f"{base()}:batchUpdate", data=json.dumps(body).encode(),
                         headers=json_headers).raise_for_status()

        def base() -> str:
            return f"{emulator.base_url}/v4/spreadsheets/{sid[0]}"

        def get() -> int:
            r = session.get(base(), params={"fields": SPREADSHEET_FIELDS, "prettyPrint": "false"})
            r.raise_for_status()
            return len(r.content)

        def batch_get() -> int:
            r = session.get(f"{base()}/values:batchGet",
                            params={"ranges": [f"'{REGISTER}'"], **VALUE_PARAMS,
                                    "prettyPrint": "false"})
            r.raise_for_status()
            return len(r.content)

        def replace_tab() -> int:
            r = session.post(f"{base()}:batchUpdate", data=tab_body, headers=json_headers)
            r.raise_for_status()
            return len(tab_body)

        def write_values() -> int:
            r = session.post(f"{base()}/values:batchUpdate", data=values_body,
                             headers=json_headers)
            r.raise_for_status()
            return len(values_body)

        ops: list[Callable[[], int]] = [create, get, batch_get, replace_tab, write_values]
        best: dict[str, float] = {}
        sizes: dict[str, int] = {}
        for _ in range(repeat):
            for name, op in zip(OPERATIONS, ops):
                gc.collect()
                start = time.perf_counter()
                sizes[name] = op()
                best[name] = min(best.get(name, float("inf")), time.perf_counter() - start)
                if name == OPERATIONS[0]:  # the next ones work on it, with a tab to replace
                    add_tab()
        for name, op in zip(OPERATIONS, ops):
            gc.collect()
            tracemalloc.start()
            op()
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            if name == OPERATIONS[0]:
                add_tab()
            results[name] = (best[name], sizes[name] / 2**20, peak)
    return results


def emulator_at(ref: str) -> Any:
    """The ``Emulator`` class of ``sheetsync/testing/emulator`` at git revision ``ref``."""
    folder = Path(tempfile.mkdtemp(prefix="emulator-at-"))
    package = folder / "emulator_at_ref"
    package.mkdir()
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", ref, "sheetsync/testing/emulator/"], cwd=ROOT,
        check=True, capture_output=True, text=True).stdout.split()
    for name in names:
        text = subprocess.run(["git", "show", f"{ref}:{name}"], cwd=ROOT, check=True,
                              capture_output=True).stdout
        (package / Path(name).name).write_bytes(text)
    sys.path.insert(0, str(folder))
    from emulator_at_ref import Emulator  # type: ignore[import-not-found]

    return Emulator


def _ratio(new: float, old: float | None, digits: int = 2) -> str:
    if not old:
        return ""
    return f"(was {old:.{digits}f} → {new / old:.2f}×)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--against", metavar="REF",
                        help="also measure the emulator of this git revision (in a subprocess)")
    parser.add_argument("--at", metavar="REF", help=argparse.SUPPRESS)  # the subprocess
    args = parser.parse_args()
    if args.at:
        print(json.dumps(measure(args.rows, args.repeat, emulator_at(args.at))))
        return
    from sheetsync.testing.emulator import Emulator

    before: dict[str, Any] = dict(BASELINE) if args.rows == 100_000 else {}
    label = "recorded baseline (677c027)" if before else "no baseline"
    if args.against:
        print(f"measuring the emulator of {args.against} first …", flush=True)
        out = subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--repeat",
                              str(args.repeat), "--at", args.against], check=True,
                             capture_output=True, text=True).stdout
        before = json.loads(out.strip().splitlines()[-1])
        label = args.against
    now = measure(args.rows, args.repeat, Emulator)
    print(f"emulator, {args.rows:,} × 17 register — now vs {label} (ratio: new / old)")
    print(f"{'operation':<28} {'seconds':>8} {'':<22} {'MB':>6} {'peak MB':>8}")
    for name in OPERATIONS:
        seconds, size, peak = now[name]
        old = before.get(name)
        shown_size = f"{size:6.1f}" if size else f"{'—':>6}"
        print(f"{name:<28} {seconds:8.2f} {_ratio(seconds, old and old[0]):<22} "
              f"{shown_size} {peak:8.0f} {_ratio(peak, old and old[2], 0)}")


if __name__ == "__main__":
    main()
