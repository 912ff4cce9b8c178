"""What every ``sheetsync`` command shares: option factories, the group that turns
exceptions into exit codes, and the team's language for the messages the CLI writes.

Both :mod:`sheetsync.cli` and :mod:`sheetsync.cli_schema` import this module; neither
imports the other's commands back, so there is no import circle.

Exit codes (one place, :class:`SheetsyncGroup`): configuration and usage errors exit 2, an
unreachable or unwritable spreadsheet exits 3, validation errors in the data exit 1, a clean
run exits 0. A command that loads its config through :func:`open_config` has its errors
shown in the config's language (:mod:`sheetsync.cli_messages`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .cli_messages import translate
from .errors import ConfigError, SheetsyncError

if TYPE_CHECKING:
    from rich.console import Console

    from .config import Config

# The config (pydantic), the coercers, rich and everything below them are imported where a
# command needs them, never at import: `sheetsync --help` and `--version` load click and
# these few modules only (tests/test_cli_startup.py).

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CLEAN, EXIT_INVALID, EXIT_USAGE, EXIT_BACKEND = 0, 1, 2, 3

#: where the command's language is kept (``click.Context.meta`` is shared by the whole
#: command chain, so the group sees what the command set)
_LANGUAGE = "sheetsync.language"
_CONFIG_ENV = "SHEETSYNC_CONFIG"


class SheetsyncGroup(click.Group):
    """Maps every :class:`SheetsyncError` to a one-line message and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SheetsyncError as exc:
            language = ctx.meta.get(_LANGUAGE, "en")
            click.echo(f"sheetsync: {translate(str(exc), language)}", err=True)
            ctx.exit(exc.exit_code)


def remember_language(language: str) -> None:
    """Show the rest of this command's messages in ``language``."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[_LANGUAGE] = language


def open_config(path: Path) -> Config:
    """:func:`~sheetsync.config.load_config`, remembering the team's language for the
    messages the CLI writes from now on (a config rejected when read: the ``language:`` it
    states, see :func:`stated_language`)."""
    from .config import load_config

    try:
        config = load_config(path)
    except ConfigError:
        remember_language(stated_language(path))
        raise
    remember_language(config.language)
    return config


def stated_language(path: Path) -> str:
    """The ``language:`` a config file states (``ja`` | ``en``) even when another of its keys
    is wrong — a bad ``notify.managers`` address is reported in the team's language; English
    when the file is not readable YAML or states none."""
    from .config import read_text
    from .yamlfile import load_yaml

    try:
        data = load_yaml(read_text(path, "config"), path)
    except (SheetsyncError, OSError):
        return "en"
    language = data.get("language") if isinstance(data, dict) else None
    return language if language in ("ja", "en") else "en"


def usage_language(ctx: click.Context | None) -> str:
    """The language for a usage error: the command's (``--language``, or a config already
    loaded), else the config the command would read (``--config``, ``$SHEETSYNC_CONFIG``,
    ``./config.yaml``) if it can be read, else English."""
    params = ctx.params if ctx is not None else {}
    language = (ctx.meta.get(_LANGUAGE) if ctx is not None else None) or params.get("language")
    if language in ("ja", "en"):
        return language
    path = params.get("config_path") or Path(os.environ.get(_CONFIG_ENV, "config.yaml"))
    from .config import load_config

    try:
        return load_config(path).language
    except (SheetsyncError, OSError):
        return "en"


# ----------------------------------------------------------------- shared option factories


def _parse_as_of(_ctx: click.Context, _param: click.Parameter, value: str | None
                 ) -> dt.date | None:
    if value is None:
        return None
    from .coerce import CoercionError, parse_date

    try:
        return parse_date(value)
    except CoercionError:
        raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)") from None


def _config_path(optional: bool) -> Callable[[click.Context, click.Parameter, Path | None],
                                             Path | None]:
    """The config the command reads: ``--config``, else ``$SHEETSYNC_CONFIG``, else
    ``./config.yaml``. With ``optional``, a missing ``./config.yaml`` gives ``None`` (the
    packaged schema); a path given by ``--config`` or the variable must exist.

    Resolved here rather than by a callable default and ``get_parameter_source``: when the
    source is recorded relative to the callback differs between click releases (8.4 records
    it after), and the command must not depend on which one is installed.
    """
    def resolve(ctx: click.Context, param: click.Parameter, value: Path | None
                ) -> Path | None:
        if value is not None:
            return value
        named = os.environ.get(_CONFIG_ENV)
        if named:
            return Path(named)
        default = Path("config.yaml")
        if optional and not default.exists():
            return None
        return default
    return resolve


def config_option(func: F | None = None, *, optional: bool = False) -> Any:
    """``--config``/``-c``: the config file, ``$SHEETSYNC_CONFIG`` or ``./config.yaml``.

    With ``optional``, a missing ``./config.yaml`` gives ``None`` (the command then uses the
    packaged schema) instead of an error.
    """
    def decorate(f: F) -> F:
        return click.option(
            "--config", "-c", "config_path",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            show_default="$SHEETSYNC_CONFIG or config.yaml",
            callback=_config_path(optional),
            help="Configuration file (see config.example.yaml)"
                 + ("; without one, the packaged schema." if optional else "."),
        )(f)
    return decorate(func) if func is not None else decorate


def as_of_option(func: F | None = None, *, help: str | None = None) -> Any:
    """``--as-of YYYY-MM-DD``: the date used as today (``help`` overrides the text)."""
    def decorate(f: F) -> F:
        return click.option(
            "--as-of", "as_of", callback=_parse_as_of, metavar="YYYY-MM-DD",
            help=help or "Use this date as today for every date rule (default: today in the "
                         "config's time zone).",
        )(f)
    return decorate(func) if func is not None else decorate


def format_option(*choices: str) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return click.option(
            "--format", "-f", "fmt", type=click.Choice(choices), default=choices[0],
            show_default=True, help="Output: a table for people, JSON for machines"
            + (", GitHub Actions annotations" if "github" in choices else "") + ".",
        )(func)
    return decorate


def new_console() -> Console:
    """Where commands print tables and summaries (stdout, no syntax highlighting)."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)
