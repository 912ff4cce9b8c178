"""`sheetsync schema show|apply` and `sheetsync fix`: the commands that look at or write
into the register itself (:mod:`sheetsync.cli` adds them to the main group)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .a1 import column_letters
from .cli_options import config_option, format_option, new_console, open_config

if TYPE_CHECKING:
    from rich.table import Table

    from .enforce import RegisterSetup

# what a command works with (the schema, the backends, rich) is imported in its body:
# listing the commands (`sheetsync --help`) imports none of it


@click.group("schema")
def schema_group() -> None:
    """Show the field dictionary, or put the schema into the sheet itself."""


@schema_group.command("show")
@config_option(optional=True)
@format_option("table", "json", "markdown")
@click.option("--language", type=click.Choice(["ja", "en"]), default=None,
              help="Language of the labels (default: the config's, else ja).")
def schema_show(config_path: Path | None, fmt: str, language: str | None) -> None:
    """Print the field dictionary: labels, types, examples, rules, allowed values.

    The schema, language and owners are the config's (./config.yaml when it exists, as for
    every command); without a config, the packaged schema.
    """
    from rich import box
    from rich.table import Table

    from . import dictionary
    from .config import Config
    from .render import dumps
    from .schema import load_schema

    config = open_config(config_path) if config_path else Config()
    schema = load_schema(config.schema_path)
    language = language or config.language
    rows = dictionary.entries(schema, language, config.owners)
    if fmt == "json":
        click.echo(dumps([r.as_dict() for r in rows]))
    elif fmt == "markdown":
        click.echo(dictionary.markdown(schema, language, config.owners), nl=False)
    else:
        head = dictionary.headers(language)
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_lines=False)
        for key in ("label", "type", "example", "required", "choices", "description"):
            table.add_column(head[key], overflow="fold")
        for r in rows:
            table.add_row(r.label, r.type, r.example, r.required, r.choices, r.description)
        new_console().print(table)


@schema_group.command("apply")
@config_option
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
def schema_apply(config_path: Path, dry_run: bool) -> None:
    """Put the schema into the sheet: dropdowns and rules, formats, header notes,
    protections and a 項目定義 tab. Cell values are never changed; applying twice is the
    same as once."""
    from .apply import apply_schema

    config = open_config(config_path)
    result = apply_schema(config, dry_run=dry_run)
    console = new_console()
    console.print(_plan_table(result.setup, config.language))
    en = config.language == "en"
    if result.setup.protect_tabs:
        protection = getattr(result.checked.backend, "protection", None)
        label = _PROTECTION.get(protection, ("Protected", "保護"))
        console.print(f"{label[0] if en else label[1]}: " + ", ".join(result.setup.protect_tabs))
    kept = sum(len(c.kept_rows) for c in result.setup.columns)
    if kept:
        console.print(
            f"{kept} cells keep their format (the format would change what they mean); "
            "`sheetsync fix` rewrites them." if en else
            f"{kept}セルは書式を変えていません（書式で意味が変わるため）。"
            "`sheetsync fix` で整えられます。")
    if dry_run:
        console.print("[yellow]--dry-run: nothing was changed.[/yellow]" if en else
                      "[yellow]--dry-run: 何も変更していません。[/yellow]")
    elif result.written:
        console.print(("Applied to " if en else "適用しました: ") + result.written.location)


#: what each backend's protection is (SheetEditor.protection), as the team reads it: Excel
#: has no warning-only protection, so the workbook's is a protection without a password
_PROTECTION = {
    "no_password": ("Protected (no password)", "保護（パスワードなし）"),
    "warning_only": ("Protected (warning only)", "保護（警告のみ）"),
}


def _plan_table(setup: RegisterSetup, language: str) -> Table:
    from rich import box
    from rich.table import Table

    en = language == "en"
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=setup.tab, title_justify="left")
    for head in (("Column", "列"), ("Format", "書式"), ("Rule", "入力規則"),
                 ("Left as is", "書式を変えないセル")):
        table.add_column(head[0] if en else head[1], overflow="fold")
    for c in setup.columns:
        rule = ""
        if c.rule is not None:
            if c.rule.kind == "list":
                rule = ("list: " if en else "リスト: ") + ", ".join(c.rule.values)
            elif c.rule.kind == "date":
                rule = "date" if en else "日付"
            elif c.rule.kind == "number_min":
                rule = f"≥ {c.rule.minimum or 0:g}"
            else:
                rule = "0–100%"
            rule += (" (reject)" if en else "（拒否）") if c.rule.strict else (
                " (warn)" if en else "（警告）")
        letter = _letter(c.column)
        kept = ", ".join(f"{letter}{r}" for r in c.kept_rows[:5])
        if len(c.kept_rows) > 5:
            kept += f" … (+{len(c.kept_rows) - 5})"
        table.add_row(c.label, c.number_format or "", rule, kept)
    return table


def _letter(column: int) -> str:
    return column_letters(column + 1)


@click.command("fix")
@config_option
@click.option("--columns", multiple=True, metavar="COLUMNS",
              help="Only these columns (labels or keys, comma-separated; repeatable).")
@click.option("--apply", "do_apply", is_flag=True,
              help="Write the changes (default: preview only).")
@format_option("table", "json")
def fix(config_path: Path, columns: tuple[str, ...], do_apply: bool, fmt: str) -> None:
    """Rewrite messy-but-valid register values in canonical form (120万円 → 1200000).

    Without --apply it only previews every change (cell, old → new). With --apply it
    writes the cells that still hold what was read, in one write; a cell a rep changed
    meanwhile is skipped and listed. Invalid cells are never touched.
    """
    from .apply import fix_register

    config = open_config(config_path)
    result = fix_register(config, columns=columns, apply=do_apply)
    en = config.language == "en"
    outcome = result.outcome
    if fmt == "json":
        def item(e):
            old, new = e.describe()
            return {"cell": e.cell, "column": e.label, "old": old, "new": new,
                    "kind": e.kind(config.language), "kinds": [k.code for k in e.kinds]}
        data = {"changes": [item(e) for e in result.edits], "applied": None, "skipped": None}
        if outcome is not None:
            data["applied"] = [e.cell for e in outcome.applied]
            data["skipped"] = [{"cell": e.cell, "now": str(now)} for e, now in outcome.skipped]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    from rich import box
    from rich.table import Table

    from .history import KIND_HEADER  # the column 変更履歴 names the kind in, too

    console = new_console()
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for head in (("Cell", "セル"), ("Column", "列"), ("Now", "現在"), ("Canonical", "修正後"),
                 (KIND_HEADER.en, KIND_HEADER.ja)):
        table.add_column(head[0] if en else head[1], overflow="fold")
    for e in result.edits:
        old, new = e.describe()
        table.add_row(f"{e.tab}!{e.cell}", e.label, old, new, e.kind(config.language))
    if result.edits:
        console.print(table)
    count = len(result.edits)
    if outcome is None:
        console.print(f"{count} cells would change. Run again with --apply to write them."
                      if en else f"{count}セルを修正できます。--apply を付けると書き込みます。")
        return
    console.print(f"Wrote {len(outcome.applied)} cells." if en else
                  f"{len(outcome.applied)}セルを書き込みました。")
    for e, now in outcome.skipped:
        console.print(
            f"[yellow]skipped {e.tab}!{e.cell}: it changed since it was read "
            f"(now {now!r})[/yellow]" if en else
            f"[yellow]{e.tab}!{e.cell} は読み込み後に変更されたため書き込んでいません"
            f"（現在の値: {now!r}）[/yellow]")
