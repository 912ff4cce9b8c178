"""The two commands that write into the register tab, both on request only.

:func:`apply_schema` (`sheetsync schema apply`) puts the schema into the sheet: formats,
validation, notes, protections and the 項目定義 tab — never a value. :func:`fix_register`
(`sheetsync fix`) previews, and with ``apply`` writes, canonical forms of messy-but-valid
values; a cell a rep changed since the plan was made is skipped and listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .backends.base import EditResult, SheetEditor, WriteResult
from .config import Config
from .dictionary import DICTIONARY_TAB, dictionary_tab
from .enforce import RegisterSetup, plan_setup
from .errors import BackendError, ConfigError
from .fixes import CellEdit, plan_fixes, select_fields
from .history import HISTORY_TAB, Recorded, Retention, cell_value, history_tab
from .pipeline import Checked, check, protect_owned_tabs
from .report import ERRORS_TAB, run_note
from .reports import tab_names
from .tabspec import TabSpec


def owned_tab_names(language: str) -> list[str]:
    """Every visible tab sheetsync writes, in ``language``."""
    return [*tab_names(language), ERRORS_TAB(language), HISTORY_TAB(language),
            DICTIONARY_TAB(language)]


def _editor(checked: Checked) -> SheetEditor:
    backend = checked.backend
    if not isinstance(backend, SheetEditor):
        raise BackendError(f"{backend.describe()}: this backend cannot edit the register")
    return backend


def _note(checked: Checked, now: dt.datetime) -> str:
    return run_note(language=checked.config.language, as_of=checked.as_of, run_at=now,
                    excluded_rows=0, errors_tab=ERRORS_TAB(checked.config.language))


@dataclass
class SetupResult:
    checked: Checked
    setup: RegisterSetup
    written: WriteResult | None = None


def apply_schema(config: Config, *, dry_run: bool = False,
                 now: dt.datetime | None = None) -> SetupResult:
    """Plan (and unless ``dry_run``, apply) the schema's formats and rules to the sheet."""
    checked = check(config)
    header = checked.validation.header
    if header is None:
        raise ConfigError(f"{checked.location}: no header row in {checked.register.name}; "
                          "nothing to apply the schema to (run `sheetsync validate`)")
    language = config.language
    now = now or config.now()
    info = checked.read.tab(checked.register.name)
    owned = [name for name in owned_tab_names(language)
             if checked.read.tab(name) is not None or name == DICTIONARY_TAB(language)]
    setup = plan_setup(
        checked.register, header, checked.schema, language=language, owners=config.owners,
        strict=config.enforce.reject, row_count=info.row_count if info else None,
        protect_tabs=owned if config.enforce.protect_tabs else [],
        tabs=[dictionary_tab(checked.schema, language, _note(checked, now), config.owners)],
    )
    for tab in setup.tabs:
        tab.protected = config.enforce.protect_tabs
    result = SetupResult(checked, setup)
    if not dry_run:
        result.written = _editor(checked).apply_setup(setup, checked.read)
    return result


@dataclass
class FixResult:
    checked: Checked
    edits: list[CellEdit]
    outcome: EditResult | None = None
    history: list[Recorded] = field(default_factory=list)


def fix_register(config: Config, *, columns: Iterable[str] | None = None, apply: bool = False,
                 now: dt.datetime | None = None) -> FixResult:
    """Preview (or with ``apply``, write) canonical forms of messy-but-valid cells."""
    checked = check(config)
    try:
        fields = select_fields(checked.schema, columns)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    edits = plan_fixes(checked.validation, checked.register, checked.schema,
                       language=config.language, fields=fields)
    result = FixResult(checked, edits)
    if not apply or not edits:
        return result
    now = now or config.now()
    history_grid = checked.read.grids.get(HISTORY_TAB(config.language))

    def tabs_for(applied: list[CellEdit]) -> Sequence[TabSpec]:
        # recorded in 変更履歴 only when the team has one (it appears with the first run)
        if history_grid is None or not applied:
            return []
        result.history = _recorded(checked, applied, now)
        tabs = [history_tab(
            history_grid, result.history, schema=checked.schema, language=config.language,
            note=_note(checked, now), as_of=checked.as_of,
            retention=Retention(config.history.retention_rows, config.history.retention_days),
        )]
        protect_owned_tabs(checked, tabs)  # as a run would write it
        return tabs

    result.outcome = _editor(checked).edit_cells(edits, checked.read, tabs_for)
    return result


def _recorded(checked: Checked, applied: list[CellEdit], now: dt.datetime) -> list[Recorded]:
    """The 変更履歴 rows of the applied edits: the cell as it was typed → as it was written,
    the deal's owner, and what kind of fix it was."""
    validation = checked.validation
    values = validation.values
    index = {row: i for i, row in enumerate(validation.rows)}
    owner_col = validation.header.columns.get("owner") if validation.header else None
    stamp = now.replace(tzinfo=None, second=0, microsecond=0)
    language = checked.config.language
    rows = []
    for edit in applied:
        i = index.get(edit.row)
        deal_id = values["deal_id"][i] if i is not None and "deal_id" in values else None
        owner = None
        if i is not None and owner_col is not None and "owner" in values:
            owner = cell_value(values["owner"][i],
                               checked.register.cell(edit.row, owner_col + 1))
        rows.append(Recorded(stamp, deal_id if isinstance(deal_id, str) else "", edit.field,
                             edit.old, edit.new, owner, edit.kind(language)))
    return rows
