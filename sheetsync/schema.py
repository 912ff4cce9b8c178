"""Schema files: what a register's columns are, in data, not code.

A schema is a YAML file (format: ``schemas/README.md``); the default one,
``schemas/deal_register.yaml``, ships inside the package. :func:`load_schema` turns a file
into a frozen :class:`Schema` or raises :class:`~sheetsync.errors.SchemaError` naming the
file and the key path (``fields[4].choices[2].probability``).

>>> schema = load_schema()
>>> schema.field("stage").choice("受注").value
'won'
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import ConfigError, SchemaError
from .textnorm import match_key
from .yamlfile import load_yaml, read_bounded

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

FieldType = Literal["string", "text", "enum", "money", "percent", "date", "number", "integer"]
FIELD_TYPES: tuple[str, ...] = (
    "string", "text", "enum", "money", "percent", "date", "number", "integer",
)
Language = Literal["ja", "en"]
LANGUAGES: tuple[str, ...] = ("ja", "en")

DEFAULT_SCHEMA = "deal_register.yaml"

#: ``required_when`` values of the stage field that follow the stage list: ``open`` (not
#: closed — hold stages included), ``closed``, ``won``/``lost`` (closed, by outcome) and
#: ``hold`` (``hold: true``). A shorthand wins over a choice spelled the same.
STAGE_SHORTHANDS: tuple[str, ...] = ("open", "closed", "won", "lost", "hold")

# Fields the metrics rely on, with the types they need. A team may relabel them, add aliases
# or add fields of its own, but not drop or retype these.
CORE_FIELDS: dict[str, tuple[str, ...]] = {
    "deal_id": ("string",),
    "deal_name": ("string", "text"),
    "client": ("string", "text"),
    "owner": ("string", "enum"),
    "stage": ("enum",),
    "rank": ("enum",),
    "probability": ("percent",),
    "amount": ("money",),
    "expected_close": ("date",),
    "closed_on": ("date",),
    "lead_source": ("enum",),
    "created_on": ("date",),
    "last_activity": ("date",),
    "next_action": ("string", "text"),
    "next_action_date": ("date",),
    "loss_reason": ("string", "text"),
}


@dataclass(frozen=True)
class Label:
    """A text in both languages."""

    ja: str
    en: str

    def __call__(self, language: str) -> str:
        return self.en if language == "en" else self.ja


@dataclass(frozen=True)
class Choice:
    """One allowed value of an enum field."""

    value: str
    label: Label
    aliases: tuple[str, ...] = ()
    probability: float | None = None
    closed: bool = False
    outcome: Literal["won", "lost"] | None = None
    description: Label | None = None
    # A parked stage (保留): open, but out of every forecast and follow-up rule. Only stage
    # choices may be hold; a hold choice is never closed and has no probability.
    hold: bool = False

    def keys(self) -> tuple[str, ...]:
        """Every spelling that selects this choice, as match keys."""
        return tuple(
            dict.fromkeys(match_key(t) for t in (self.value, self.label.ja, self.label.en,
                                                 *self.aliases))
        )


@dataclass(frozen=True)
class RequiredWhen:
    """``field`` must be filled when ``on`` (another field) holds one of ``values``."""

    on: str
    values: frozenset[str]
    spec: str  # as written in the schema, for messages ("stage: closed")


@dataclass(frozen=True)
class Field:
    """One column of the register."""

    name: str
    label: Label
    type: FieldType
    aliases: tuple[str, ...] = ()
    required: bool = False
    required_when: tuple[RequiredWhen, ...] = ()
    unique: bool = False
    min: float | None = None
    max: float | None = None
    choices: tuple[Choice, ...] = ()
    roster: bool = False
    description: Label | None = None
    example: str | None = None

    def keys(self) -> tuple[str, ...]:
        """Every header spelling that selects this column, as match keys."""
        return tuple(
            dict.fromkeys(match_key(t) for t in (self.name, self.label.ja, self.label.en,
                                                 *self.aliases))
        )

    def choice(self, text: str) -> Choice:
        """The choice ``text`` selects (value, label or alias); ``KeyError`` if none."""
        key = match_key(text)
        for choice in self.choices:
            if key in choice.keys():
                return choice
        raise KeyError(text)

    @property
    def conditionally_required(self) -> bool:
        return bool(self.required_when)


@dataclass(frozen=True)
class Schema:
    """A whole register schema."""

    name: str
    title: Label
    fields: tuple[Field, ...]
    source: str = "<default>"
    key: str = "deal_id"
    description: Label | None = None
    _by_name: Mapping[str, Field] = field(default_factory=dict, repr=False, compare=False)

    def field(self, name: str) -> Field:
        return self._by_name[name]

    def has_field(self, name: str) -> bool:
        return name in self._by_name

    @property
    def stage_field(self) -> Field:
        return self._by_name["stage"]

    def closed_stages(self) -> frozenset[str]:
        return frozenset(c.value for c in self.stage_field.choices if c.closed)

    def open_stages(self) -> frozenset[str]:
        """Stages that are not closed — hold stages included (a parked deal is still open)."""
        return frozenset(c.value for c in self.stage_field.choices if not c.closed)

    def hold_stages(self) -> frozenset[str]:
        """Open stages that park a deal (``hold: true``, e.g. 保留); may be empty.

        >>> sorted(load_schema().hold_stages())
        ['on_hold']
        """
        return frozenset(c.value for c in self.stage_field.choices if c.hold)


# ------------------------------------------------------------------------------- loading


def packaged_schemas() -> Traversable:
    """The folder of schema files that ships with sheetsync.

    An installed sheetsync has it as the package ``sheetsync._schemas`` (pyproject.toml maps
    the repository's top-level ``schemas/`` there). A source checkout has no such package:
    when ``sheetsync`` is imported from the repository itself — ``python -m sheetsync`` run at
    its root puts the root first on ``sys.path``, shadowing any installed copy — the folder is
    the ``schemas/`` next to the package. Every reader of packaged schema files goes through
    here, so both layouts behave the same.

    >>> packaged_schemas().joinpath(DEFAULT_SCHEMA).is_file()
    True
    """
    try:
        return importlib.resources.files("sheetsync._schemas")
    except ModuleNotFoundError as exc:
        if exc.name != "sheetsync._schemas":
            raise
    checkout = Path(__file__).resolve().parent.parent / "schemas"
    if not (checkout / DEFAULT_SCHEMA).is_file():
        raise SchemaError(f"<packaged {DEFAULT_SCHEMA}>", "",
                          "not found: sheetsync is neither installed with its schemas nor "
                          f"run from a source checkout ({checkout} is missing); reinstall "
                          "it with `python -m pip install .`")
    return checkout


def default_schema_text() -> str:
    """The YAML text of the packaged default schema."""
    return packaged_schemas().joinpath(DEFAULT_SCHEMA).read_text(encoding="utf-8")


def load_schema(path: str | Path | None = None) -> Schema:
    """Load and check a schema file (the packaged default when ``path`` is ``None``)."""
    if path is None:
        return parse_schema(default_schema_text(), f"<packaged {DEFAULT_SCHEMA}>")
    path = Path(path)
    try:
        text = read_bounded(path, "schema")  # `schema: /dev/zero` is refused, not read
    except ConfigError as exc:
        raise SchemaError(str(path), "", str(exc).removeprefix(f"{path}: ")) from None
    return parse_schema(text, str(path))


def parse_schema(text: str, source: str = "<string>") -> Schema:
    """Parse schema YAML text; ``source`` names it in errors."""
    try:
        data = load_yaml(text, source)  # bounded: size, aliases, nesting
    except ConfigError as exc:
        raise SchemaError(source, "", str(exc).removeprefix(f"{source}:").strip()) from None
    return _Reader(source).schema(data)


class _Reader:
    """Walks the YAML tree, checking each key and remembering where it is for errors."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> SchemaError:
        return SchemaError(self.source, key, problem)

    def mapping(self, value: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a mapping, got {_kind(value)}")
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise self.fail(
                f"{key}.{unknown[0]}" if key else unknown[0],
                f"unknown key (allowed: {', '.join(sorted(allowed))})",
            )
        return value

    def text(self, value: Any, key: str) -> str:
        if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
            raise self.fail(key, f"must be text, got {_kind(value)}")
        text = str(value).strip()
        if not text:
            raise self.fail(key, "must not be empty")
        return text

    def label(self, value: Any, key: str) -> Label:
        if isinstance(value, str):
            text = self.text(value, key)
            return Label(text, text)
        data = self.mapping(value, key, {"ja", "en"})
        if "ja" not in data and "en" not in data:
            raise self.fail(key, "needs ja and/or en")
        ja = self.text(data.get("ja", data.get("en")), f"{key}.ja")
        en = self.text(data.get("en", data.get("ja")), f"{key}.en")
        return Label(ja, en)

    def texts(self, value: Any, key: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            return (self.text(value, key),)
        if not isinstance(value, list):
            raise self.fail(key, f"must be a list of texts, got {_kind(value)}")
        return tuple(self.text(v, f"{key}[{i}]") for i, v in enumerate(value))

    def flag(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, got {value!r}")
        return value

    def number(self, value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, f"must be a number, got {value!r}")
        return float(value)

    # -- schema ---------------------------------------------------------------------------

    def schema(self, data: Any) -> Schema:
        top = self.mapping(data, "", {"name", "version", "title", "key", "description", "fields"})
        name = self.text(top.get("name", "register"), "name")
        if "title" not in top:
            raise self.fail("title", "missing (the register tab's name, "
                                     "e.g. {ja: 案件一覧, en: Deals})")
        title = self.label(top["title"], "title")
        raw_fields = top.get("fields")
        if not isinstance(raw_fields, list) or not raw_fields:
            raise self.fail("fields", "must be a non-empty list of fields")
        fields = [self.field(f, f"fields[{i}]") for i, f in enumerate(raw_fields)]
        by_name: dict[str, Field] = {}
        for i, fld in enumerate(fields):
            if fld.name in by_name:
                raise self.fail(f"fields[{i}].name", f"duplicate field name {fld.name!r}")
            by_name[fld.name] = fld
        self.check_header_keys(fields)
        key = self.text(top.get("key", "deal_id"), "key")
        if key not in by_name:
            raise self.fail("key", f"names no field ({key!r})")
        self.check_core(fields)
        self.check_required_when(fields, by_name)
        description = (self.label(top["description"], "description")
                       if "description" in top else None)
        return Schema(
            name=name, title=title, fields=tuple(fields), source=self.source, key=key,
            description=description, _by_name=by_name,
        )

    def field(self, value: Any, key: str) -> Field:
        data = self.mapping(
            value, key,
            {"name", "label", "aliases", "type", "required", "required_when", "unique", "min",
             "max", "choices", "roster", "description", "example"},
        )
        if "name" not in data:
            raise self.fail(f"{key}.name", "missing")
        name = self.text(data["name"], f"{key}.name")
        if not name.isidentifier():
            raise self.fail(f"{key}.name", f"{name!r} must be a snake_case identifier")
        ftype = data.get("type", "string")
        if ftype not in FIELD_TYPES:
            raise self.fail(f"{key}.type", f"{ftype!r} is not one of {', '.join(FIELD_TYPES)}")
        label = self.label(data["label"], f"{key}.label") if "label" in data else Label(name, name)
        choices: tuple[Choice, ...] = ()
        if ftype == "enum":
            raw = data.get("choices")
            if not isinstance(raw, list) or not raw:
                raise self.fail(f"{key}.choices", "an enum field needs a non-empty list of choices")
            choices = tuple(self.choice(c, f"{key}.choices[{i}]") for i, c in enumerate(raw))
            self.distinct_keys([(c.value, c.keys()) for c in choices], f"{key}.choices",
                               "{k!r} would select both {a!r} and {b!r}")
            for j, c in enumerate(choices):
                if c.hold and name != "stage":
                    # the metrics only read hold on stages; elsewhere it would be ignored
                    raise self.fail(f"{key}.choices[{j}].hold",
                                    f"only the stage field's choices can be hold stages "
                                    f"(this field is {name!r})")
        elif "choices" in data:
            raise self.fail(f"{key}.choices", f"only enum fields have choices (type is {ftype})")
        bounds = {b: self.number(data[b], f"{key}.{b}") for b in ("min", "max") if b in data}
        if bounds and ftype not in ("money", "percent", "number", "integer"):
            raise self.fail(f"{key}.{next(iter(bounds))}", f"min/max apply to numbers, not {ftype}")
        required_when = data.get("required_when")
        rules: tuple[RequiredWhen, ...] = ()
        if required_when is not None:
            rules = self.required_when(required_when, f"{key}.required_when")
        return Field(
            name=name,
            label=label,
            type=ftype,
            aliases=self.texts(data.get("aliases"), f"{key}.aliases"),
            required=self.flag(data.get("required", False), f"{key}.required"),
            required_when=rules,
            unique=self.flag(data.get("unique", False), f"{key}.unique"),
            min=bounds.get("min"),
            max=bounds.get("max"),
            choices=choices,
            roster=self.flag(data.get("roster", False), f"{key}.roster"),
            description=self.label(data["description"], f"{key}.description")
            if "description" in data else None,
            example=self.text(data["example"], f"{key}.example") if "example" in data else None,
        )

    def choice(self, value: Any, key: str) -> Choice:
        if isinstance(value, str):
            value = {"value": value}
        data = self.mapping(
            value, key,
            {"value", "ja", "en", "aliases", "probability", "closed", "outcome", "description",
             "hold"},
        )
        if "value" not in data:
            raise self.fail(f"{key}.value", "missing")
        val = self.text(data["value"], f"{key}.value")
        ja = self.text(data.get("ja", val), f"{key}.ja")
        en = self.text(data.get("en", val), f"{key}.en")
        probability = None
        if "probability" in data:
            probability = self.number(data["probability"], f"{key}.probability")
            if not 0 <= probability <= 100:
                raise self.fail(f"{key}.probability", f"must be within 0–100, got {probability:g}")
        closed = self.flag(data.get("closed", False), f"{key}.closed")
        hold = self.flag(data.get("hold", False), f"{key}.hold")
        if hold and closed:
            raise self.fail(f"{key}.hold", "a hold stage is open (parked, not over); "
                                           "remove closed: true or hold: true")
        if hold and data.get("outcome") is not None:
            raise self.fail(f"{key}.outcome", "a hold stage has no outcome (it is open)")
        if hold:
            # A parked deal is out of every forecast, so its probability is never read; the
            # number is still checked above (a typo stays an error) but not kept, so no
            # consumer can use it by mistake.
            probability = None
        outcome = data.get("outcome")
        if outcome is not None and outcome not in ("won", "lost"):
            raise self.fail(f"{key}.outcome", f"must be won or lost, got {outcome!r}")
        if outcome is not None and not closed:
            raise self.fail(f"{key}.outcome", "only closed choices have an outcome")
        if closed and outcome is None:
            # A closed stage's outcome follows its probability: 100 → won, anything else → lost.
            outcome = "won" if probability == 100 else "lost"
        return Choice(
            value=val,
            label=Label(ja, en),
            aliases=self.texts(data.get("aliases"), f"{key}.aliases"),
            probability=probability,
            closed=closed,
            outcome=outcome,
            description=self.label(data["description"], f"{key}.description")
            if "description" in data else None,
            hold=hold,
        )

    def required_when(self, value: Any, key: str) -> tuple[RequiredWhen, ...]:
        data = self.mapping(value, key, set(value) if isinstance(value, dict) else set())
        rules = []
        for on, spec in data.items():
            if isinstance(spec, str):
                values: tuple[str, ...] = (spec,)
            else:
                values = self.texts(spec, f"{key}.{on}")
            written = f"{on}: {', '.join(values)}"
            rules.append(RequiredWhen(on=str(on), values=frozenset(values), spec=written))
        if not rules:
            raise self.fail(key, "must name at least one field, e.g. {stage: [won, lost]}")
        return tuple(rules)

    def check_header_keys(self, fields: list[Field]) -> None:
        self.distinct_keys([(f.name, f.keys()) for f in fields], "fields",
                           "header {k!r} would match both {a!r} and {b!r}")

    def distinct_keys(self, items: list[tuple[str, tuple[str, ...]]], key: str,
                      problem: str) -> None:
        """No spelling may select two different items (choices, or columns)."""
        seen: dict[str, str] = {}
        for i, (name, keys) in enumerate(items):
            for k in keys:
                if k in seen and seen[k] != name:
                    raise self.fail(f"{key}[{i}]", problem.format(k=k, a=seen[k], b=name))
                seen[k] = name

    def check_core(self, fields: list[Field]) -> None:
        by_name = {f.name: f for f in fields}
        for name, types in CORE_FIELDS.items():
            if name not in by_name:
                raise self.fail("fields", f"missing the core field {name!r} (sheetsync's "
                                          "metrics need it; relabel it instead of removing it)")
            fld = by_name[name]
            if fld.type not in types:
                i = fields.index(fld)
                raise self.fail(f"fields[{i}].type", f"{name!r} must be {' or '.join(types)}")
        stage = by_name["stage"]
        i = fields.index(stage)
        if not any(c.closed and c.outcome == "won" for c in stage.choices):
            raise self.fail(f"fields[{i}].choices", "needs a closed stage with outcome won")
        if not any(c.closed and c.outcome == "lost" for c in stage.choices):
            raise self.fail(f"fields[{i}].choices", "needs a closed stage with outcome lost")
        for j, choice in enumerate(stage.choices):
            if choice.probability is None and not choice.hold:
                raise self.fail(f"fields[{i}].choices[{j}].probability",
                                "every stage needs a default probability "
                                "(except a hold stage)")
        rank = by_name["rank"]
        for j, choice in enumerate(rank.choices):
            if choice.probability is None:
                raise self.fail(f"fields[{fields.index(rank)}].choices[{j}].probability",
                                "every rank needs a probability")

    def check_required_when(self, fields: list[Field], by_name: dict[str, Field]) -> None:
        """Resolve the stage shorthands (:data:`STAGE_SHORTHANDS`) and check values exist."""
        for i, fld in enumerate(fields):
            resolved = []
            for rule in fld.required_when:
                key = f"fields[{i}].required_when.{rule.on}"
                other = by_name.get(rule.on)
                if other is None:
                    raise self.fail(key, f"names no field ({rule.on!r})")
                if other.type != "enum":
                    raise self.fail(key, f"{rule.on!r} must be an enum field")
                values: set[str] = set()
                for spec in sorted(rule.values):  # sorted: the same error on every run
                    if rule.on == "stage" and spec in STAGE_SHORTHANDS:
                        matched = _shorthand_stages(other, spec)
                        if spec == "hold" and not matched:
                            # A schema written before `hold:` existed may have a stage spelled
                            # "hold": with no hold stage declared, that is what it meant.
                            if not _has_choice(other, spec):
                                raise self.fail(
                                    key, "'hold' stands for the hold stages, and no stage has "
                                         "hold: true (mark the parked stage, e.g. "
                                         "{value: on_hold, ja: 保留, hold: true})")
                            matched = {other.choice(spec).value}
                        values |= matched
                        continue
                    try:
                        values.add(other.choice(spec).value)
                    except KeyError:
                        allowed = ", ".join(c.value for c in other.choices)
                        shorthands = ", ".join(STAGE_SHORTHANDS)
                        raise self.fail(
                            key, f"{spec!r} is not a choice of {rule.on!r} (choices: {allowed}"
                                 + (f"; or {shorthands}" if rule.on == "stage" else "")
                                 + ")"
                        ) from None
                resolved.append(RequiredWhen(rule.on, frozenset(values), rule.spec))
            if resolved:
                object.__setattr__(fld, "required_when", tuple(resolved))


def _shorthand_stages(stage: Field, spec: str) -> set[str]:
    """The stage values a ``required_when`` shorthand stands for (may be empty)."""
    return {
        c.value for c in stage.choices
        if (spec == "open" and not c.closed)
        or (spec == "closed" and c.closed)
        or (spec in ("won", "lost") and c.closed and c.outcome == spec)
        or (spec == "hold" and c.hold)
    }


def _has_choice(fld: Field, text: str) -> bool:
    try:
        fld.choice(text)
    except KeyError:
        return False
    return True


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )
