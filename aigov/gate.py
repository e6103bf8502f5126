"""The merge gate: the one place aigov decides its exit code.

* ``OK`` (0): no finding at or above the fail threshold. Notices and
  findings below the threshold may still be reported.
* ``VIOLATIONS`` (1): at least one finding fails the gate: a violation at or
  above the threshold, or an undetermined finding at or above it when
  ``on_unknown`` is ``"fail"`` (the default: the gate fails closed).
* ``ERROR`` (2): an input, the configuration, a rule or the price catalogue
  could not be read, so there is no scan result to judge. The CLI returns it
  for every :class:`aigov.errors.AigovError`: an unreadable plan never passes.
* ``PARTIAL`` (3): a live scan could not read everything it was asked to (a
  subscription forbidden, a throttled call given up on).
* ``NOTIFY_FAILED`` (4): a live scan's ``--notify`` webhook did not accept
  the digest (no answer, or not 2xx). The reports were written all the same.

Precedence, highest first: ERROR (2), NOTIFY_FAILED (4), PARTIAL (3),
VIOLATIONS (1), OK (0). A webhook that fails wins over findings for the
reason PARTIAL does: otherwise a team would stop hearing from the nightly
scan and nothing would say so.

PARTIAL wins over VIOLATIONS on purpose. A nightly scan of a real estate almost
always has violations; if they won, a subscription the scanner can no longer
read would never show in the exit code again, and the scan's blind spot would
grow silently. Both codes are non-zero, so a CI gate fails either way; the
report still lists every violation, and PARTIAL tells the operator that the
list is incomplete as well. ``fail_on=None`` (``--fail-on never``) silences
findings only: a partial scan is still reported as PARTIAL, because it says
nothing about findings and everything about how far to trust the result.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Final, Literal

from aigov.model import BaselineState, Finding, Outcome, ScanResult, Severity

OnUnknown = Literal["fail", "warn"]
"""What an undetermined finding at or above the threshold does: fail the gate, or only be reported."""

FAIL_ON_NEVER: Final = "never"
"""The ``--fail-on`` value that means findings never fail the gate."""

FAIL_ON_CHOICES: Final[tuple[str, ...]] = (FAIL_ON_NEVER, *(s.value for s in Severity))
"""Every accepted ``--fail-on`` value, for the CLI's choices."""


class ExitCode(enum.IntEnum):
    """aigov's exit codes; see the module documentation for their meaning and precedence."""

    OK = 0
    VIOLATIONS = 1
    ERROR = 2
    PARTIAL = 3
    NOTIFY_FAILED = 4


def parse_fail_on(value: str) -> Severity | None:
    """``"never"`` becomes ``None``; a severity name (any case) becomes that :class:`Severity`."""
    lowered = value.lower()
    if lowered == FAIL_ON_NEVER:
        return None
    try:
        return Severity(lowered)
    except ValueError:
        raise ValueError(f"--fail-on must be one of {', '.join(FAIL_ON_CHOICES)}, not {value!r}") from None


def fails_gate(finding: Finding, fail_on: Severity | None, on_unknown: OnUnknown = "fail") -> bool:
    """Whether ``finding`` alone makes the gate fail under this threshold and unknown policy."""
    if fail_on is None or finding.severity.rank < fail_on.rank:
        return False
    if finding.suppressed or finding.baseline is BaselineState.EXISTING:
        return False
    if finding.outcome is Outcome.UNDETERMINED:
        return on_unknown == "fail"
    return True


def failing_findings(
    findings: Iterable[Finding], fail_on: Severity | None, on_unknown: OnUnknown = "fail"
) -> tuple[Finding, ...]:
    """The findings that fail the gate, in their given order."""
    return tuple(f for f in findings if fails_gate(f, fail_on, on_unknown))


def exit_code(
    result: ScanResult,
    *,
    fail_on: Severity | None,
    on_unknown: OnUnknown = "fail",
    partial: bool | None = None,
) -> ExitCode:
    """The exit code for a completed scan (ERROR is for scans that produced no result).

    ``fail_on`` is the lowest failing severity (``None``: findings never fail);
    ``partial`` says a live scan could not read everything it was asked to
    (default: whether the result lists anything as not scanned).
    """
    if partial is None:
        partial = result.partial
    if partial:
        return ExitCode.PARTIAL
    if failing_findings(result.findings, fail_on, on_unknown):
        return ExitCode.VIOLATIONS
    return ExitCode.OK


def with_notifications(code: ExitCode, failed: int) -> ExitCode:
    """``code`` after ``failed`` webhooks could not be notified (NOTIFY_FAILED, unless ERROR)."""
    if failed and code is not ExitCode.ERROR:
        return ExitCode.NOTIFY_FAILED
    return code
