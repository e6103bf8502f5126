"""The date functions ARM and Bicep share: ``dateTimeAdd``, ``dateTimeFromEpoch``, ``dateTimeToEpoch``.

Semantics follow the function reference
(https://learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-date):

* ``dateTimeAdd(base, duration, [format])`` adds an ISO 8601 duration
  (``P3Y``, ``-P9D``, ``PT1H``; years and months by the calendar, the day
  clamped to the month's last) to an ISO 8601 time. Without ``format`` the
  result has the base's own layout; a format is a .NET standard (``u``,
  ``s``) or custom (``yyyy-MM-dd``) format string.
* ``dateTimeFromEpoch(seconds)`` is ``yyyy-MM-ddTHH:mm:ssZ`` in UTC;
  ``dateTimeToEpoch(time)`` the whole seconds since 1970-01-01 UTC.

``utcNow()`` is none of these: its value exists only at deployment, so a
base made from it is UNKNOWN and so is the sum. A format aigov cannot render
(a .NET pattern letter it does not know) gives UNKNOWN rather than a guess.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from aigov.model import UNKNOWN
from aigov.sources.template_values import (
    Function,
    FunctionError,
    Site,
    any_undetermined,
    arity,
    need_int,
    need_str,
    opaque_result,
    show,
)

# The layouts a base time may have, each with the .NET custom format that writes it back.
_LAYOUTS: Final = (
    (re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z"), "yyyy-MM-ddTHH:mm:ssZ"),
    (re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?Z"), "yyyy-MM-dd HH:mm:ssZ"),
    (re.compile(r"(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)()Z"), "yyyyMMddTHHmmssZ"),
    (re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?"), "yyyy-MM-ddTHH:mm:ss"),
    (re.compile(r"(\d{4})-(\d\d)-(\d\d)()()()()"), "yyyy-MM-dd"),
)
_DURATION: Final = re.compile(
    r"(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?",
    re.IGNORECASE,
)
_STANDARD: Final = {"u": "yyyy-MM-dd HH:mm:ssZ", "s": "yyyy-MM-ddTHH:mm:ss"}
_TOKEN: Final = re.compile(r"yyyy|MM|dd|HH|mm|ss|'[^']*'|[A-Za-z]|.", re.DOTALL)
_STRFTIME: Final = {
    "yyyy": "%Y",
    "MM": "%m",
    "dd": "%d",
    "HH": "%H",
    "mm": "%M",
    "ss": "%S",
    "T": "T",
    "Z": "Z",
}


def _parse_time(site: Site, value: Any) -> tuple[datetime, str]:
    text = need_str(site, value).strip()
    for pattern, layout in _LAYOUTS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        year, month, day, hour, minute, second, fraction = match.groups()
        try:
            moment = datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                int(float(fraction) * 1_000_000) if fraction else 0,
                tzinfo=UTC,
            )
        except ValueError:
            break
        return moment, layout
    raise FunctionError(f"{site.name}(): {show(value)} is not an ISO 8601 date and time")


def _add_months(moment: datetime, months: int) -> datetime:
    total = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise FunctionError("dateTimeAdd(): the result is outside the years 1 to 9999")
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _render(moment: datetime, layout: str) -> str | None:
    """``moment`` in a .NET format; None when the format has a letter aigov does not render."""
    layout = _STANDARD.get(layout, layout)
    out: list[str] = []
    for token in _TOKEN.findall(layout):
        if token.startswith("'"):
            out.append(token[1:-1])
        elif token in _STRFTIME:
            out.append(moment.strftime(_STRFTIME[token]))
        elif token.isalpha():
            return None
        else:
            out.append(token)
    return "".join(out)


def _date_time_add(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2, 3)
    if any_undetermined(args):
        return opaque_result(site, args)
    moment, layout = _parse_time(site, args[0])
    duration = need_str(site, args[1]).strip()
    match = _DURATION.fullmatch(duration)
    if match is None or duration.upper().rstrip("T") in ("P", "-P"):
        raise FunctionError(f"dateTimeAdd(): {show(args[1])} is not an ISO 8601 duration")
    sign = -1 if match.group(1) else 1
    years, months, weeks, days, hours, minutes = (int(g or 0) for g in match.groups()[1:7])
    seconds = float(match.group(8) or 0)
    moment = _add_months(moment, sign * (years * 12 + months))
    try:
        moment += sign * timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        raise FunctionError("dateTimeAdd(): the result is outside the years 1 to 9999") from None
    rendered = _render(moment, need_str(site, args[2]) if len(args) > 2 else layout)
    return UNKNOWN if rendered is None else rendered


def _date_time_from_epoch(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    if any_undetermined(args):
        return opaque_result(site, args)
    seconds = need_int(site, args[0])
    try:
        moment = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise FunctionError(f"dateTimeFromEpoch(): {seconds} is outside the dates it can give") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _date_time_to_epoch(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    if any_undetermined(args):
        return UNKNOWN
    moment, _ = _parse_time(site, args[0])
    return calendar.timegm(moment.utctimetuple())


FUNCTIONS: Final[Mapping[str, Function]] = {
    "datetimeadd": _date_time_add,
    "datetimefromepoch": _date_time_from_epoch,
    "datetimetoepoch": _date_time_to_epoch,
}
"""The date functions by lower-case name."""
