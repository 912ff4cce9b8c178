"""Fidelity: replay Google traffic recorded by gspread's test suite against the emulator.

Each cassette's last recording episode is replayed request by request (Drive calls are
skipped; the spreadsheet the recording made through Drive is made with
``spreadsheets.create`` and the recorded title instead) and every JSON answer must equal the
recorded one, once ids the server chose (spreadsheet, sheets, protected ranges, named ranges,
charts, metadata) are mapped. Status codes must match too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from sheetsync.testing.emulator import Emulator

CASSETTES = Path(__file__).parent / "cassettes"
SHEETS = "https://sheets.googleapis.com"
DRIVE_CREATE = re.compile(r"^https://www\.googleapis\.com/drive/v3/files(\?|$)")
RECORDED_ACCOUNT = "telegram-budgeter@telegram-budgeter.iam.gserviceaccount.com"
ID_KEYS = {
    "sheetId",
    "protectedRangeId",
    "namedRangeId",
    "chartId",
    "metadataId",
    "filterViewId",
    "bandedRangeId",
}

# Files of the reference set that are not replayed, and why.
SKIPPED = {
    "ClientTest.test_copy.json": "Drive files.copy and comments: state made by the Drive API",
    "ClientTest.test_import_csv.json": "Drive upload (import_csv) replaces the sheet and time zone",
    "ClientTest.test_openall.json": "Drive files.list, then opens spreadsheets made elsewhere",
    "ClientTest.test_open_all_has_metadata.json": (
        "Drive files.list, then opens spreadsheets made elsewhere"
    ),
}


def _foreign_spreadsheet(emulator: Emulator, recorded_id: str) -> None:
    """test_access_private_spreadsheet opens a spreadsheet someone else owns."""
    emulator.strict_auth = True
    emulator.create_spreadsheet("private", owner="someone@example.com", spreadsheet_id=recorded_id)


SETUP: dict[str, Callable[[Emulator, str], None]] = {
    "ClientTest.test_access_private_spreadsheet.json": lambda emu, _sid: _foreign_spreadsheet(
        emu, "1jIKzPs8LsiZZdLdeMEP-5ZIHw6RkjiOmj1LrJN706Yc"
    ),
}


def last_episode(interactions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    starts = [
        i
        for i, it in enumerate(interactions)
        if it["request"]["method"] == "POST" and DRIVE_CREATE.match(it["request"]["uri"])
    ]
    return interactions[starts[-1] :] if starts else interactions


class IdMap:
    """Recorded id ↔ emulator id, learnt from answers where both hold the same field."""

    def __init__(self) -> None:
        self.forward: dict[Any, Any] = {0: 0}
        self.back: dict[Any, Any] = {0: 0}

    def learn(self, recorded: Any, actual: Any) -> None:
        if isinstance(recorded, dict) and isinstance(actual, dict):
            for key in recorded.keys() & actual.keys():
                if key in ID_KEYS and not isinstance(recorded[key], (dict, list)):
                    if recorded[key] not in self.forward and actual[key] not in self.back:
                        self.forward[recorded[key]] = actual[key]
                        self.back[actual[key]] = recorded[key]
                else:
                    self.learn(recorded[key], actual[key])
        elif isinstance(recorded, list) and isinstance(actual, list):
            for a, b in zip(recorded, actual, strict=False):
                self.learn(a, b)


def remap(obj: Any, table: dict[Any, Any]) -> Any:
    if isinstance(obj, dict):
        return {
            k: table.get(v, v)
            if k in ID_KEYS and not isinstance(v, (dict, list))
            else remap(v, table)
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [remap(v, table) for v in obj]
    return obj


def canonical(obj: Any) -> str:
    """JSON text that tells ``true`` from ``1`` (Python's ``==`` does not)."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def replay(emulator: Emulator, path: Path) -> int:
    episode = last_episode(json.loads(path.read_text(encoding="utf-8"))["interactions"])
    first = episode[0]
    title = json.loads(first["request"]["body"])["name"]
    recorded_id = json.loads(first["response"]["body"]["string"])["id"]
    emulator.make_service_account(RECORDED_ACCOUNT)
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + emulator.issue_token(RECORDED_ACCOUNT)
    created = session.post(
        f"{emulator.base_url}/v4/spreadsheets", json={"properties": {"title": title}}, timeout=10
    )
    new_id = created.json()["spreadsheetId"]
    if path.name in SETUP:
        SETUP[path.name](emulator, recorded_id)
    ids = IdMap()
    compared = 0
    for n, interaction in enumerate(episode[1:], start=1):
        request, response = interaction["request"], interaction["response"]
        if not request["uri"].startswith(SHEETS):
            continue  # Drive API
        url = emulator.base_url + request["uri"][len(SHEETS) :].replace(recorded_id, new_id)
        body = request["body"]
        if body:
            body = json.dumps(remap(json.loads(body), ids.forward))
        headers = {"Content-Type": "application/json"} if body else {}
        answer = session.request(request["method"], url, data=body, headers=headers, timeout=10)
        expected = (
            json.loads(response["body"]["string"]) if response["body"]["string"].strip() else None
        )
        actual = answer.json() if answer.content else None
        ids.learn(expected, actual)
        normalised = json.loads(json.dumps(remap(actual, ids.back)).replace(new_id, recorded_id))
        where = f"interaction {n}: {request['method']} {request['uri'][len(SHEETS) :]}"
        assert answer.status_code == response["status"]["code"], where
        assert canonical(normalised) == canonical(expected), where
        compared += 1
    return compared


REPLAYED = sorted(p.name for p in CASSETTES.glob("*.json"))


@pytest.mark.parametrize(
    "name",
    [
        *REPLAYED,
        *(pytest.param(name, marks=pytest.mark.skip(reason=why)) for name, why in SKIPPED.items()),
    ],
)
def test_replay_recorded_google_traffic(emulator: Emulator, name: str) -> None:
    assert replay(emulator, CASSETTES / name) >= 1


def test_replay_set_covers_the_important_behaviours() -> None:
    required = {
        "SpreadsheetTest.test_values_get.json",
        "SpreadsheetTest.test_values_batch_get.json",
        "WorksheetTest.test_append_row_with_empty_value.json",
        "WorksheetTest.test_append_row_with_empty_value_and_table_range.json",
        "SpreadsheetTest.test_update_title.json",
        "SpreadsheetTest.test_add_del_worksheet.json",
        "WorksheetTest.test_batch_update.json",
        "WorksheetTest.test_get_all_values_date_time_render_options.json",
        "WorksheetTest.test_update_tab_color.json",
        "WorksheetTest.test_get_notes.json",
    }
    assert required <= set(REPLAYED)
    assert not set(SKIPPED) & set(REPLAYED)
