"""Cron expression → systemd ``OnCalendar=`` values (``systemd.time(7)`` calendar events).

The conversion works on the *sets* of values :func:`sheetsync.cron.parse_cron` computed, so
it is exact for every expression the parser accepts (the parser already refuses, with a
reason, what neither side can express: ``L``, ``W``, ``#``, ``?``, wrap-around ranges,
``@reboot``). Each set is written back in the forms every systemd since v233 reads: ``*``
for "any", ``start/step`` when a step runs to the end of the field, ``a..b`` for runs of
three or more, comma lists otherwise; weekdays as ``Mon``…``Sun``, Monday first, so a range
never wraps. The config's time zone is appended (``… Asia/Tokyo``).

Day of month and day of week: systemd requires *both* to match, cron requires *either* when
both are restricted. That case becomes two ``OnCalendar=`` lines (a timer fires on the union
of its lines), one per day rule.

Documented table (also the test's expectations):

=====================  =========================================================
cron                   OnCalendar (time zone suffix omitted)
=====================  =========================================================
``0 8-20 * * 1-5``     ``Mon..Fri *-*-* 08..20:00:00``
``*/15 * * * *``       ``*-*-* *:00/15:00``
``30 2 * * *``         ``*-*-* 02:30:00``
``0 9 1 * *``          ``*-*-01 09:00:00``
``0 8-20/3 * * *``     ``*-*-* 08,11,14,17,20:00:00``
``0 0 * * sat,sun``    ``Sat,Sun *-*-* 00:00:00``
``0 12 * jan,jul *``   ``*-01,07-* 12:00:00``
``5,35 9-17 * * mon-fri``  ``Mon..Fri *-*-* 09..17:05,35:00``
``0 0 1,15 * 5``       ``*-*-01,15 00:00:00`` and ``Fri *-*-* 00:00:00``
``0 18 * * 0``         ``Sun *-*-* 18:00:00``
=====================  =========================================================

>>> to_oncalendar(parse_cron("0 8-20 * * 1-5"), "Asia/Tokyo")
['Mon..Fri *-*-* 08..20:00:00 Asia/Tokyo']
"""

from __future__ import annotations

from .cron import Cron, CronField, parse_cron, runs

__all__ = ["parse_cron", "to_oncalendar"]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def to_oncalendar(cron: Cron, timezone: str | None = None) -> list[str]:
    """``OnCalendar=`` values that fire exactly when ``cron`` does (in ``timezone``)."""
    time = f"{_component(cron.hour)}:{_component(cron.minute)}:00"
    month = _component(cron.month)
    zone = f" {timezone}" if timezone else ""
    if cron.either_day:
        return [f"*-{month}-{_component(cron.day)} {time}{zone}",
                f"{_weekdays(cron.weekday)} *-{month}-* {time}{zone}"]
    weekday = "" if cron.weekday.full else f"{_weekdays(cron.weekday)} "
    return [f"{weekday}*-{month}-{_component(cron.day)} {time}{zone}"]


def _component(field: CronField) -> str:
    if field.full:
        return "*"
    ordered = sorted(field.values)
    if len(ordered) >= 3:
        step = ordered[1] - ordered[0]
        if step > 1 and ordered == list(range(ordered[0], field.hi + 1, step)):
            return f"{ordered[0]:02d}/{step}"
    return ",".join(runs(ordered, "..", "{:02d}"))


def _weekdays(field: CronField) -> str:
    # cron 0 = Sunday; systemd lists Monday first, so Sunday becomes index 6
    monday_first = sorted((v - 1) % 7 for v in field.values)
    return ",".join("..".join(_WEEKDAYS[int(i)] for i in part.split(".."))
                    for part in runs(monday_first, ".."))
