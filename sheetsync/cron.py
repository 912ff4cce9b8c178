"""Five-field cron expressions: parse strictly, enumerate fire times, shift to UTC.

Pure functions, no scheduler and no I/O: job files (:mod:`sheetsync.jobs`), the built-in
scheduler (:mod:`sheetsync.schedule`) and the manifest exporters (:mod:`sheetsync.export`)
all read an expression through :func:`parse_cron`, so they agree on what it means.

Accepted, per field: ``*``, a value, ``a-b``, ``*/n``, ``a-b/n`` and comma lists of those;
month names ``jan``–``dec`` and day names ``sun``–``sat`` (any case); day of week ``0``–``7``
with 0 and 7 both Sunday; the macros ``@hourly``, ``@daily``/``@midnight``, ``@weekly``,
``@monthly``, ``@yearly``/``@annually``. Refused with a reason: ``L``, ``W``, ``#``, ``?``,
``a/n`` (ambiguous between cron dialects: write ``a-HI/n``), wrap-around ranges such as
``fri-mon`` (write ``fri-sat,sun-mon``), ``@reboot``, an expression that never fires.

As in every Unix cron, when *both* day of month and day of week are restricted (neither
starts with ``*``) a day matches if *either* matches; otherwise both must.

>>> cron = parse_cron("0  8-20 * * 1-5")
>>> sorted(cron.weekday.values), cron.text
([1, 2, 3, 4, 5], '0 8-20 * * 1-5')
>>> to_utc(cron, dt.timedelta(hours=9))
['0 23 * * 0-4', '0 0-11 * * 1-5']
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
               "dec")
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


class CronError(ValueError):
    """An expression sheetsync does not accept; the message says which field and why."""


@dataclass(frozen=True)
class _Spec:
    name: str
    lo: int
    hi: int
    names: tuple[str, ...] = ()
    name_base: int = 0


_SPECS = (
    _Spec("minute", 0, 59),
    _Spec("hour", 0, 23),
    _Spec("day of month", 1, 31),
    _Spec("month", 1, 12, MONTH_NAMES, 1),
    _Spec("day of week", 0, 7, DAY_NAMES, 0),
)


@dataclass(frozen=True)
class CronField:
    """One field: its text as written and the set of values it matches."""

    name: str
    text: str
    values: frozenset[int]
    lo: int
    hi: int

    @property
    def star(self) -> bool:
        """Written with a leading ``*`` (decides the day-of-month/day-of-week rule)."""
        return self.text.startswith("*")

    @property
    def full(self) -> bool:
        """Matches every possible value."""
        return self.values == frozenset(range(self.lo, self.hi + 1))


@dataclass(frozen=True)
class Cron:
    """A parsed expression; ``text`` is the normalised form (single spaces, macros expanded)."""

    text: str
    minute: CronField
    hour: CronField
    day: CronField
    month: CronField
    weekday: CronField  # values 0 (Sunday) … 6 (Saturday); 7 is folded into 0

    @property
    def either_day(self) -> bool:
        """True when day of month and day of week are both restricted (either may match)."""
        return not (self.day.star or self.weekday.star)

    def matches_day(self, day: dt.date) -> bool:
        """Whether the expression fires on ``day`` (at its hours and minutes)."""
        if day.month not in self.month.values:
            return False
        dom = day.day in self.day.values
        dow = cron_weekday(day) in self.weekday.values
        return (dom or dow) if self.either_day else (dom and dow)

    def fire_times(self, after: dt.datetime, zone: dt.tzinfo) -> Iterator[dt.datetime]:
        """Fire times strictly after ``after``, as aware datetimes in ``zone``, in order.

        Wall-clock times in ``zone``; stops after about five years without a match.
        """
        start = after.astimezone(zone)
        day = start.date()
        for _ in range(366 * 5):
            if self.matches_day(day):
                for hour in sorted(self.hour.values):
                    for minute in sorted(self.minute.values):
                        when = dt.datetime(day.year, day.month, day.day, hour, minute,
                                           tzinfo=zone)
                        if when > start:
                            yield when
            day += dt.timedelta(days=1)


def cron_weekday(day: dt.date) -> int:
    """Cron's day-of-week number: 0 = Sunday … 6 = Saturday."""
    return (day.weekday() + 1) % 7


def parse_cron(text: str) -> Cron:
    """Parse ``text`` strictly; raises :class:`CronError` naming the field and the problem."""
    if not isinstance(text, str) or not text.strip():
        raise CronError("empty expression")
    stripped = text.strip()
    if stripped.startswith("@"):
        if stripped.lower() not in MACROS:
            known = ", ".join(MACROS)
            raise CronError(f"unknown macro {stripped!r} (known: {known})")
        stripped = MACROS[stripped.lower()]
    parts = stripped.split()
    if len(parts) != 5:
        raise CronError(f"expected 5 fields (minute hour day-of-month month day-of-week), "
                        f"got {len(parts)}")
    fields = [_parse_field(part, spec) for part, spec in zip(parts, _SPECS)]
    cron = Cron(" ".join(parts), *fields)
    _check_fires(cron)
    return cron


def _parse_field(text: str, spec: _Spec) -> CronField:
    values: set[int] = set()
    for item in text.split(","):
        values.update(_parse_item(item, spec, text))
    if spec.hi == 7:  # day of week: 7 is Sunday too
        values = {0 if v == 7 else v for v in values}
        return CronField(spec.name, text, frozenset(values), 0, 6)
    return CronField(spec.name, text, frozenset(values), spec.lo, spec.hi)


def _parse_item(item: str, spec: _Spec, whole: str) -> range:
    where = f"{spec.name}: {whole!r}"
    if not item:
        raise CronError(f"{where}: empty list item")
    for char, meaning in (("?", "'?'"), ("#", "'#' (nth weekday)")):
        if char in item:
            raise CronError(f"{where}: {meaning} is not supported")
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) < 1:
            raise CronError(f"{where}: step {step_text!r} must be a whole number ≥ 1")
        step = int(step_text)
    if base == "*":
        start, end = spec.lo, spec.hi
    elif "-" in base:
        first, _, last = base.partition("-")
        start, end = _value(first, spec, where), _value(last, spec, where)
        if start > end:
            raise CronError(f"{where}: range {base!r} goes backwards (wrap-around ranges "
                            f"are not supported; split it into two ranges)")
    else:
        start = end = _value(base, spec, where)
        if slash:
            raise CronError(f"{where}: {item!r} is ambiguous between cron dialects; "
                            f"write {base}-{spec.hi}/{step}")
    return range(start, end + 1, step)


def _value(token: str, spec: _Spec, where: str) -> int:
    if token.isdigit():
        value = int(token)
        if not spec.lo <= value <= spec.hi:
            raise CronError(f"{where}: {value} is out of range {spec.lo}-{spec.hi}")
        return value
    if token.lower() in spec.names:
        return spec.names.index(token.lower()) + spec.name_base
    upper = token.upper()
    if upper == "L" or (upper[:-1].isdigit() and upper[-1:] in ("L", "W")):
        raise CronError(f"{where}: 'L' (last) and 'W' (weekday) are not supported")
    names = f" or a name {spec.names[0]}-{spec.names[-1]}" if spec.names else ""
    raise CronError(f"{where}: {token!r} is not a number {spec.lo}-{spec.hi}{names}")


def _check_fires(cron: Cron) -> None:
    # Day 29-31 in short months (or with a weekday) can make a valid-looking expression
    # never fire; 28 years cover every combination of weekday, month and leap day.
    day = dt.date(2001, 1, 1)
    for _ in range(366 * 28):
        if cron.matches_day(day):
            return
        day += dt.timedelta(days=1)
    raise CronError(f"never fires: no day matches day of month {cron.day.text!r}, "
                    f"month {cron.month.text!r} and day of week {cron.weekday.text!r}")


# --------------------------------------------------------------------------- rendering


def render_field(values: frozenset[int] | set[int], lo: int, hi: int, *,
                 star_ok: bool = True) -> str:
    """Compact cron text for a set of values.

    ``star_ok=False`` never starts the text with ``*`` (a day field that must stay
    "restricted" for the day-of-month/day-of-week rule).

    >>> render_field({0, 15, 30, 45}, 0, 59), render_field({8, 9, 10, 12}, 0, 23)
    ('*/15', '8-10,12')
    >>> render_field(set(range(0, 7)), 0, 6, star_ok=False)
    '0-6'
    """
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    if ordered == list(range(lo, hi + 1)):
        return "*" if star_ok else f"{lo}-{hi}"
    if len(ordered) >= 3:
        step = ordered[1] - ordered[0]
        if step > 1 and ordered == list(range(ordered[0], ordered[-1] + 1, step)):
            if star_ok and ordered[0] == lo and ordered[-1] + step > hi:
                return f"*/{step}"
            return f"{ordered[0]}-{ordered[-1]}/{step}"
    return ",".join(_runs(ordered, "-"))


def _runs(ordered: list[int], dash: str, fmt: str = "{}") -> list[str]:
    """Consecutive runs of three or more as ``a<dash>b``, the rest as single values."""
    out: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        if j - i >= 2:
            out.append(f"{fmt.format(ordered[i])}{dash}{fmt.format(ordered[j])}")
        else:
            out.extend(fmt.format(v) for v in ordered[i:j + 1])
        i = j + 1
    return out


def runs(ordered: list[int], dash: str, fmt: str = "{}") -> list[str]:
    """Public alias of the run compressor (used by the systemd converter)."""
    return _runs(ordered, dash, fmt)


# ------------------------------------------------------------------------- UTC shifting


def fixed_utc_offset(zone: str, start: dt.date, days: int = 800) -> dt.timedelta | None:
    """The zone's UTC offset if it stays the same for ``days`` from ``start``, else None.

    >>> fixed_utc_offset("Asia/Tokyo", dt.date(2026, 1, 1))
    datetime.timedelta(seconds=32400)
    >>> fixed_utc_offset("Europe/London", dt.date(2026, 1, 1)) is None
    True
    """
    tz = zoneinfo.ZoneInfo(zone)
    offsets = {dt.datetime.combine(start + dt.timedelta(days=i), dt.time(12), tz).utcoffset()
               for i in range(days)}
    return offsets.pop() if len(offsets) == 1 else None


def to_utc(cron: Cron, offset: dt.timedelta) -> list[str]:
    """Expressions evaluated in UTC that fire exactly when ``cron`` fires at UTC+``offset``.

    Times that move to another day are split into their own expression with the day fields
    shifted; a result that would need "the last day of the previous month" (day of month 1
    moved back, 28–31 moved forward, or a restricted month with shifted days) is refused with
    :class:`CronError`, never approximated.

    >>> to_utc(parse_cron("30 9 * * *"), dt.timedelta(hours=5, minutes=30))
    ['0 4 * * *']
    """
    total = int(offset.total_seconds()) // 60
    if total * 60 != int(offset.total_seconds()):
        raise CronError("UTC offsets with seconds are not supported")
    # (dayshift) -> hour -> minutes
    groups: dict[int, dict[int, set[int]]] = {}
    for hour in cron.hour.values:
        for minute in cron.minute.values:
            shifted = hour * 60 + minute - total
            dayshift, rest = divmod(shifted, 24 * 60)
            groups.setdefault(dayshift, {}).setdefault(rest // 60, set()).add(rest % 60)
    # (minutes, day, month, weekday) -> hours: days that shift to the same texts merge
    entries: dict[tuple[frozenset[int], str, str, str], set[int]] = {}
    for dayshift in sorted(groups):
        days = _shift_days(cron, dayshift)
        by_minutes: dict[frozenset[int], set[int]] = {}
        for hour, minutes in groups[dayshift].items():
            by_minutes.setdefault(frozenset(minutes), set()).add(hour)
        for minutes, hours in sorted(by_minutes.items(), key=lambda kv: min(kv[1])):
            entries.setdefault((minutes, *days), set()).update(hours)
    out: list[str] = []
    for (minutes, day, month, weekday), hours in entries.items():
        minute_text = (cron.minute.text if minutes == cron.minute.values
                       else render_field(minutes, 0, 59))
        hour_text = cron.hour.text if total == 0 else render_field(hours, 0, 23)
        out.append(f"{minute_text} {hour_text} {day} {month} {weekday}")
    return out


def _shift_days(cron: Cron, dayshift: int) -> tuple[str, str, str]:
    """Day-of-month, month and day-of-week texts moved by ``dayshift`` days (-1, 0, +1)."""
    if dayshift == 0:
        return cron.day.text, cron.month.text, _portable_weekday(cron.weekday)
    when = "the previous day" if dayshift < 0 else "the next day"
    if not cron.month.full and (cron.day.star or not cron.weekday.star):
        raise CronError(f"in UTC some runs fall on {when}, which may be in another month "
                        f"than {cron.month.text!r}")
    day = cron.day
    if day.full and day.star:
        day_text = "*"
    elif day.star:
        raise CronError(f"day of month {day.text!r}: a step cannot be shifted to {when}")
    else:
        if dayshift < 0 and 1 in day.values:
            raise CronError(f"in UTC, day 1 moves to the last day of the previous month, "
                            f"which cron cannot express (day of month {day.text!r})")
        if dayshift > 0 and max(day.values) >= 28:
            raise CronError(f"in UTC, day {max(day.values)} may move to the 1st of the next "
                            f"month, which cron cannot express (day of month {day.text!r})")
        day_text = render_field({d + dayshift for d in day.values}, 1, 31, star_ok=False)
    weekday = cron.weekday
    if weekday.full and weekday.star:
        weekday_text = "*"
    elif weekday.star:
        raise CronError(f"day of week {weekday.text!r}: a step cannot be shifted to {when}")
    else:
        weekday_text = render_field({(d + dayshift) % 7 for d in weekday.values}, 0, 6,
                                    star_ok=False)
    return day_text, cron.month.text, weekday_text


def _portable_weekday(field: CronField) -> str:
    # Some schedulers (Kubernetes, GitHub) accept only 0-6: re-render a field that uses 7.
    if "7" not in field.text:
        return field.text
    return "*" if field.full and field.star else render_field(field.values, 0, 6,
                                                               star_ok=False)


def portable_text(cron: Cron) -> str:
    """``cron.text`` with day of week 7 rewritten as 0 (accepted by every scheduler)."""
    parts = cron.text.split()
    parts[4] = _portable_weekday(cron.weekday)
    return " ".join(parts)
