"""The configuration file (``config.yaml``): every key, checked, with one-line errors.

Keys and defaults: docs/definitions.md, "Configuration"; ``config.example.yaml`` documents
each. Unknown keys are errors (a typo must not silently fall back to a default). Relative
paths are relative to the config file.

>>> cfg = parse_config("spreadsheet: {path: deals.xlsx}\\nlanguage: en\\n", Path("/x/c.yaml"))
>>> cfg.workbook_path, cfg.language, cfg.forecast.period
(PosixPath('/x/deals.xlsx'), 'en', 'quarter')
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from .errors import ConfigError
from .yamlfile import cut, load_yaml, quote, read_bounded

#: a rep's name, as the roster lists it (a 5 MB "name" kept `validate` busy for minutes)
OwnerName = Annotated[str, StringConstraints(max_length=100)]


class _Strict(BaseModel):
    # .inf and NaN are not numbers anyone means in a config (and overflow later)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SpreadsheetConfig(_Strict):
    backend: Literal["workbook", "google"] = "workbook"
    path: str | None = None
    key: str | None = None
    credentials: str | None = None
    endpoint: str | None = None
    #: google: give up retrying 429/5xx/connection errors after this many seconds
    retry_seconds: float = Field(default=60.0, ge=0, le=3600)


class ForecastConfig(_Strict):
    period: Literal["quarter", "month"] = "quarter"
    #: the weighted forecast's stage probabilities: the schema's (configured), or ファネル's
    #: win rate from the stage once 20 deals seen at a stage have closed (observed)
    probabilities: Literal["configured", "observed"] = "configured"


class StaleConfig(_Strict):
    default_days: int = Field(default=14, ge=0, le=3650)
    by_stage: dict[str, int] = Field(default_factory=dict, max_length=100)
    #: `close_pushed` once 受注予定日 was moved later this many times
    max_close_pushes: int = Field(default=2, ge=1, le=100)
    #: `unrealistic_close`: fewer days left to 受注予定日 than the team's median from the
    #: deal's stage to 受注 (ファネル)
    unrealistic_close: bool = False


class WinRateConfig(_Strict):
    window_months: int = Field(default=12, ge=1, le=120)


class HistoryConfig(_Strict):
    #: 変更履歴 keeps at most this many rows (newest first)
    retention_rows: int = Field(default=20_000, ge=0, le=1_000_000)
    #: … and drops rows older than this many days (none: keep by rows only); 予測の推移's
    #: snapshots too
    retention_days: int | None = Field(default=None, ge=1)
    #: 予測の推移's hidden snapshot tab keeps at most this many rows (oldest days dropped whole)
    forecast_rows: int = Field(default=50_000, ge=1, le=1_000_000)


#: weeks before a period's end, as the config lists them (4, 8): whole numbers only
WeeksBefore = Annotated[int, Field(strict=True, ge=1, le=104)]


class ForecastAccuracyConfig(_Strict):
    #: 予測の推移: accuracy of the forecast as it stood this many weeks before a period ended
    weeks_before: list[WeeksBefore] = Field(default_factory=lambda: [4, 8], min_length=1,
                                            max_length=12)

    @field_validator("weeks_before")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("each number of weeks once (e.g. [4, 8])")
        return value


class PipelineChangesConfig(_Strict):
    #: パイプライン増減 compares the register this many days ago with today (at most 92:
    #: removed deals' values are kept 93 days)
    days: int = Field(default=7, ge=1, le=92)


class EnforceConfig(_Strict):
    #: `schema apply`: true = the sheet rejects invalid input; false = it accepts it with a
    #: warning (sheetsync still reports it)
    reject: bool = False
    #: protect the tabs sheetsync owns (Google: warning only; Excel: without a password)
    protect_tabs: bool = True


class ScheduleConfig(_Strict):
    #: a run holds the spreadsheet this long; another scheduled runner skips meanwhile
    lease_minutes: float = Field(default=10.0, ge=0, le=24 * 60)


#: the name of an environment variable (a secret is never written in the config itself)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
#: one mail address, bare (``sato@example.co.jp``): no display name, no spaces, no line breaks
_ADDRESS = re.compile(r"^[^@\s<>,;\"()]+@[^@\s<>,;\"()]+\.[^@\s<>,;\"()]+$")
#: config keys whose value may be a secret pasted by mistake: an error never repeats it
_SECRET_KEYS = ("password_env", "webhook_env")


def _env_name(value: str | None) -> str | None:
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError("must be the name of an environment variable (e.g. "
                         "SHEETSYNC_SLACK_WEBHOOK) that holds the secret, never the secret")
    return value


def _address(value: str) -> str:
    value = value.strip()
    if not _ADDRESS.match(value):
        raise ValueError("not a mail address (name@example.co.jp)")
    return value


MailAddress = Annotated[str, StringConstraints(max_length=254), AfterValidator(_address)]


class NotifyEmailConfig(_Strict):
    """SMTP: where `sheetsync notify` sends mail (unset ``host``: mail cannot be sent)."""

    host: str | None = None
    #: default by ``security``: 587 (starttls), 465 (ssl), 25 (none)
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    from_: str | None = Field(default=None, alias="from")

    @field_validator("password_env")
    @classmethod
    def _password_env(cls, value: str | None) -> str | None:
        return _env_name(value)

    @field_validator("from_")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and ("\n" in value or "\r" in value or "@" not in value):
            raise ValueError('must be one address, optionally with a name: '
                             '"sheetsync <sheetsync@example.co.jp>"')
        return value


class NotifyWebhookConfig(_Strict):
    """A Slack incoming webhook or a Google Chat webhook (its URL in an environment
    variable); ``mentions`` maps 担当者 → the member ID to mention in that rep's message."""

    webhook_env: str | None = None
    mentions: dict[OwnerName, Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=dict, max_length=10_000)

    @field_validator("webhook_env")
    @classmethod
    def _webhook_env(cls, value: str | None) -> str | None:
        return _env_name(value)


class NotifyRetryConfig(_Strict):
    #: tries per message, the first included (429 / 5xx / connection errors, transient SMTP)
    attempts: int = Field(default=4, ge=1, le=10)
    #: the wait before the second try; it doubles for each further one
    backoff_seconds: float = Field(default=2.0, ge=0, le=600)
    #: a Retry-After header is honoured up to this many seconds
    max_wait_seconds: float = Field(default=60.0, ge=0, le=3600)


class NotifyConfig(_Strict):
    """`sheetsync notify`: who gets which digest, through which channel."""

    top: int = Field(default=5, ge=1, le=100)
    owner_emails: dict[OwnerName, MailAddress] = Field(default_factory=dict, max_length=10_000)
    managers: list[MailAddress] = Field(default_factory=list, max_length=1_000)
    email: NotifyEmailConfig = Field(default_factory=NotifyEmailConfig)
    slack: NotifyWebhookConfig = Field(default_factory=NotifyWebhookConfig)
    google_chat: NotifyWebhookConfig = Field(default_factory=NotifyWebhookConfig)
    retry: NotifyRetryConfig = Field(default_factory=NotifyRetryConfig)
    #: one SMTP conversation or webhook request may take this long
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)

    @field_validator("owner_emails")
    @classmethod
    def _owner_names(cls, value: dict[str, str]) -> dict[str, str]:
        return {name.strip(): address for name, address in value.items()}


class TabsConfig(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)

    # `register` would shadow ABCMeta.register on a pydantic model, hence the alias
    register_tab: str | None = Field(default=None, alias="register")
    targets: str | None = None


class Config(_Strict):
    """A whole configuration; ``base`` is the directory relative paths start from."""

    spreadsheet: SpreadsheetConfig = Field(default_factory=SpreadsheetConfig)
    schema_: str | None = Field(default=None, alias="schema")
    language: Literal["ja", "en"] = "ja"
    timezone: str = "Asia/Tokyo"
    fiscal_year_start_month: int = Field(default=4, ge=1, le=12)
    owners: list[OwnerName] = Field(default_factory=list, max_length=10_000)
    forecast: ForecastConfig = Field(default_factory=ForecastConfig)
    stale: StaleConfig = Field(default_factory=StaleConfig)
    win_rate: WinRateConfig = Field(default_factory=WinRateConfig)
    tabs: TabsConfig = Field(default_factory=TabsConfig)
    history: HistoryConfig = Field(default_factory=HistoryConfig)
    pipeline_changes: PipelineChangesConfig = Field(default_factory=PipelineChangesConfig)
    forecast_accuracy: ForecastAccuracyConfig = Field(default_factory=ForecastAccuracyConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    enforce: EnforceConfig = Field(default_factory=EnforceConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    base: Path = Field(default=Path("."), exclude=True)
    source: str = Field(default="<config>", exclude=True)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Tokyo, UTC)") from None
        return value

    @field_validator("owners")
    @classmethod
    def _clean_owners(cls, value: list[str]) -> list[str]:
        return [o.strip() for o in value if o and o.strip()]

    # -- derived ---------------------------------------------------------------------------

    @property
    def workbook_path(self) -> Path:
        return self.base / (self.spreadsheet.path or "deals.xlsx")

    @property
    def schema_path(self) -> Path | None:
        return self.base / self.schema_ if self.schema_ else None

    @property
    def credentials_path(self) -> Path | None:
        creds = self.spreadsheet.credentials
        return self.base / creds if creds else None

    def today(self, now: dt.datetime | None = None) -> dt.date:
        """The business date in the configured time zone."""
        zone = zoneinfo.ZoneInfo(self.timezone)
        return (now or dt.datetime.now(dt.timezone.utc)).astimezone(zone).date()

    def now(self) -> dt.datetime:
        return dt.datetime.now(zoneinfo.ZoneInfo(self.timezone))


def read_text(path: Path, kind: str) -> str:
    """The text of a ``kind`` file (config, job …), at most 1 MB, or a one-line
    :class:`ConfigError`."""
    return read_bounded(path, kind)


def load_config(path: str | Path) -> Config:
    """Read and check ``path``; raises :class:`ConfigError` with a one-line message."""
    path = Path(path)
    return parse_config(read_text(path, "config"), path)


def parse_config(text: str, path: Path) -> Config:
    """Parse config YAML ``text`` as if read from ``path``."""
    data = load_yaml(text, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: must be a mapping of keys (see config.example.yaml)")
    try:
        return Config.model_validate(
            {**data, "base": path.parent.resolve(), "source": str(path)}
        )
    except ValidationError as exc:
        raise ConfigError(_first_error(path, exc, data)) from None


def _first_error(path: Path, exc: ValidationError, data: dict[str, Any]) -> str:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    key = ".".join(loc) or "(top)"
    if err["type"] == "extra_forbidden":
        parent_fields = _fields_at(loc[:-1])
        close = difflib.get_close_matches(loc[-1], parent_fields, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else (
            f"; known keys: {', '.join(parent_fields)}" if parent_fields else "")
        return f"{path}: {cut(key)}: unknown key{hint}"
    message = err["msg"].removeprefix("Value error, ")
    if loc and loc[-1] in _SECRET_KEYS:  # it may be the secret itself: never repeat it
        return f"{path}: {cut(key)}: {message}"
    return f"{path}: {cut(key)}: {message} (got {quote(err.get('input'))})"


def _fields_at(loc: list[str]) -> list[str]:
    model: Any = Config
    for part in loc:
        info = model.model_fields.get(part) or next(
            (f for f in model.model_fields.values() if f.alias == part), None)
        if info is None or not isinstance(info.annotation, type) or not issubclass(
                info.annotation, BaseModel):
            return []
        model = info.annotation
    return [f.alias or name for name, f in model.model_fields.items()
            if name not in ("base", "source")]
