"""docs/definitions.md covers what the program has: every JSON key of a real run, every
follow-up reason, every issue code, every configuration key, every field, stage and choice of
the default schema, every tab and tab column — so the page cannot silently fall behind."""

from __future__ import annotations

import datetime as dt
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from sheetsync import messages, pipeline, report
from sheetsync.config import Config, load_config
from sheetsync.demo import write_demo_config, write_demo_workbook
from sheetsync.errors import SheetsyncError
from sheetsync.forecast_snapshots import FORECAST_SNAPSHOT_TAB
from sheetsync.history import HISTORY_TAB, SNAPSHOT_TAB
from sheetsync.metrics import periods, targets
from sheetsync.reports import REPORTS
from sheetsync.reports.followup import REASON_LABELS, REASONS
from sheetsync.rewind import REMOVED_TAB
from sheetsync.schema import load_schema
from sheetsync.targets_tab import TARGET_FIELDS, TARGETS_TITLE

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "definitions.md"
#: message templates that are parts of another code's message, not codes of their own
MESSAGE_PARTS = {"missing_column_closest", "missing_column_none"}


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _missing_code(doc: str, names: Iterable[str]) -> list[str]:
    """Names that the page never writes as code (in backticks)."""
    return sorted({n for n in names if f"`{n}`" not in doc})


def _missing_text(doc: str, texts: Iterable[str]) -> list[str]:
    return sorted({t for t in texts if t not in doc})


@pytest.fixture(scope="module")
def run_json(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The JSON of a real run on the demo (dry run: nothing written)."""
    folder = tmp_path_factory.mktemp("definitions")
    write_demo_workbook(folder / "deals.xlsx", today=dt.date(2026, 12, 4))
    write_demo_config(folder / "config.yaml")
    result = pipeline.run(load_config(folder / "config.yaml"), as_of=dt.date(2026, 12, 4),
                          dry_run=True)
    return result.to_json()


def _json_keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _json_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _json_keys(inner)


def test_every_json_key_of_a_run_is_defined(doc: str, run_json: dict[str, Any]) -> None:
    assert run_json["stale"] and run_json["validation"]["warnings"]  # rows to take keys from
    assert not (missing := _missing_code(doc, _json_keys(run_json))), missing


def test_every_declared_json_key_of_every_report_is_defined(doc: str) -> None:
    declared = set()
    for entry in REPORTS:
        module = sys.modules[entry.compute.__module__]
        for name, value in vars(module).items():
            if name.endswith("_KEYS") and isinstance(value, dict):
                declared |= set(value)
        assert f"`{entry.key}`" in doc
    assert {"period", "wilson_high", "reasons"} <= declared  # the lookup found them
    assert not (missing := _missing_code(doc, declared)), missing


def test_every_follow_up_reason_is_defined(doc: str) -> None:
    assert not (missing := _missing_code(doc, REASONS)), missing
    labels = [label(lang) for label in REASON_LABELS.values() for lang in ("ja", "en")]
    assert not (missing := _missing_text(doc, labels)), missing


def test_every_issue_code_is_defined(doc: str) -> None:
    codes = (set(messages.TEMPLATES) - MESSAGE_PARTS) | set(targets._MESSAGES) | set(
        periods._MESSAGES)
    assert MESSAGE_PARTS <= set(messages.TEMPLATES)  # still parts: else drop them here
    assert not (missing := _missing_code(doc, codes)), missing


def _config_keys(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, info in model.model_fields.items():
        if info.exclude:
            continue
        key = prefix + (info.alias or name)
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _config_keys(annotation, key + ".")
        else:
            yield key


def test_every_configuration_key_is_defined(doc: str) -> None:
    keys = set(_config_keys(Config))
    assert {"spreadsheet.endpoint", "tabs.register", "schema"} <= keys
    assert not (missing := _missing_code(doc, keys)), missing
    # and every key config.example.yaml sets, or shows commented out (`# key: value`)
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")

    def walk(data: dict[str, Any], prefix: str = "") -> Iterator[str]:
        for key, value in data.items():
            if isinstance(value, dict) and value:
                yield from walk(value, f"{prefix}{key}.")
            elif value == {} and any(k.startswith(f"{prefix}{key}.") for k in keys):
                continue  # `tabs: {}`: its keys are commented out below it
            else:
                yield prefix + key

    assert not (missing := _missing_code(doc, walk(yaml.safe_load(text)))), missing
    leaves = {k.rsplit(".", 1)[-1] for k in keys} | {
        c.value for c in load_schema().stage_field.choices}  # stale.by_stage examples
    commented = re.findall(r"^\s*#\s*([a-z_]+): \S+\s*$", text, re.M)
    assert commented and not (unknown := sorted(set(commented) - leaves)), unknown


def test_every_field_stage_and_choice_of_the_default_schema_is_defined(doc: str) -> None:
    schema = load_schema()
    names, texts = [], []
    for field in schema.fields:
        names.append(field.name)
        texts += [field.label("ja"), field.label("en"), *field.aliases]
        for choice in field.choices:
            if field.name != "rank":
                names.append(choice.value)
            texts += [choice.label("ja"), choice.label("en")]
    assert not (missing := _missing_code(doc, names)), missing
    assert not (missing := _missing_text(doc, texts)), missing


def test_every_tab_and_tab_column_is_defined(doc: str) -> None:
    texts = [SNAPSHOT_TAB, FORECAST_SNAPSHOT_TAB, REMOVED_TAB]
    for label in (HISTORY_TAB, report.ERRORS_TAB, TARGETS_TITLE, *report._HEADERS.values()):
        texts += [label.ja, label.en]
    for field in TARGET_FIELDS:
        texts += [field.label("ja"), field.label("en"), *field.aliases]
    for entry in REPORTS:
        texts += [entry.title.ja, entry.title.en]
        module = sys.modules[entry.compute.__module__]
        for spec in module.TAB_COLUMNS:
            texts += [spec.ja, spec.en]
    from sheetsync.history import _HISTORY_HEADERS

    for label in _HISTORY_HEADERS.values():
        texts += [label.ja, label.en]
    assert not (missing := _missing_text(doc, texts)), missing


def test_every_exit_code_is_defined(doc: str) -> None:
    def subclasses(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    codes = {0, 1} | {cls.exit_code for cls in subclasses(SheetsyncError)}  # 0 clean, 1 invalid
    assert codes == {0, 1, 2, 3}
    assert not (missing := [c for c in sorted(codes) if f"| `{c}` |" not in doc]), missing


def test_code_points_to_the_page_not_to_design_notes() -> None:
    """Comments cite docs/definitions.md; DESIGN.md is not in the repository."""
    assert DOC.is_file()
    cited = [f"{path.relative_to(ROOT)}:{n}"
             for folder in ("sheetsync", "tests", "benchmarks")
             for path in sorted((ROOT / folder).rglob("*.py")) if path != Path(__file__).resolve()
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"DESIGN\b|design notes", line)]
    for doc_file in ("README.md", "schemas/README.md", "jobs/README.md", "config.example.yaml"):
        text = (ROOT / doc_file).read_text(encoding="utf-8")
        cited += [f"{doc_file}:{n}" for n, line in enumerate(text.splitlines(), 1)
                  if re.search(r"DESIGN\b|design notes", line)]
    assert not cited, cited


def _github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, only letters, marks, digits, ``_``,
    ``-`` and spaces kept (backticks, brackets, ``—`` dropped), each space a ``-``."""
    kept = "".join(c for c in heading.strip().lower()
                   if c in " -" or unicodedata.category(c)[0] in "LMN"
                   or unicodedata.category(c) == "Pc")
    return kept.replace(" ", "-")


def test_github_anchor_is_what_github_makes() -> None:
    assert _github_anchor("売上予測 (Forecast) — the ヨミ表") == "売上予測-forecast--the-ヨミ表"
    assert _github_anchor("Digests (`sheetsync notify`)") == "digests-sheetsync-notify"
    assert _github_anchor("担当者サマリー (Rep summary)") == "担当者サマリー-rep-summary"


def test_contents_line_links_every_section_in_order(doc: str) -> None:
    """The "Contents:" paragraph links each ``##`` section, in the order of the page, and
    every ``(#anchor)`` link on the page leads to a heading."""
    headings = re.findall(r"^#{2,6} (.+)$", doc, re.M)
    sections = [_github_anchor(h) for h in re.findall(r"^## (.+)$", doc, re.M)]
    contents = re.search(r"^Contents: (.+?)\n\n", doc, re.M | re.S)
    assert contents and len(sections) > 15
    linked = re.findall(r"\]\(#([^)]+)\)", contents.group(1))
    assert linked == sections, sorted(set(sections) - set(linked))
    anchors = {_github_anchor(h) for h in headings}
    assert not (broken := sorted(set(re.findall(r"\]\(#([^)]+)\)", doc)) - anchors)), broken
