"""ISO 8601 durations for ``olderThan`` / ``newerThan``: ``P7D``, ``PT12H``, ``P1Y2M3W4DT5H6M7S``.

Calendar units are fixed lengths so a duration is one :class:`timedelta`: a
year is 365 days and a month 30 days (what a billing-period rule means by
"P1M"; the drift against real calendar months is at most a couple of days).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final

from aigov.errors import RuleError

DAYS_PER_YEAR: Final = 365
DAYS_PER_MONTH: Final = 30

_DURATION = re.compile(
    r"""
    ^P(?!$)
    (?:(?P<years>\d+)Y)?
    (?:(?P<months>\d+)M)?
    (?:(?P<weeks>\d+)W)?
    (?:(?P<days>\d+)D)?
    (?:T(?=\d)
        (?:(?P<hours>\d+)H)?
        (?:(?P<minutes>\d+)M)?
        (?:(?P<seconds>\d+(?:\.\d+)?)S)?
    )?$
    """,
    re.VERBOSE | re.IGNORECASE,
)


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration; raises :class:`RuleError` (no file) when malformed."""
    m = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise RuleError(f"{text!r} is not an ISO 8601 duration such as P7D or PT12H")
    parts = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
    return timedelta(
        days=parts["years"] * DAYS_PER_YEAR + parts["months"] * DAYS_PER_MONTH + parts["days"],
        weeks=parts["weeks"],
        hours=parts["hours"],
        minutes=parts["minutes"],
        seconds=parts["seconds"],
    )
