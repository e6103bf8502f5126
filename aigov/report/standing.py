"""Where a finding stands beyond its outcome, and where it is, for the pipeline formats.

SARIF, JUnit, Markdown, GitHub annotations and Azure DevOps logging commands
all need the same few answers: does this finding fail the gate, or is it
waived, suppressed inline, already in the baseline, or only a warning; what
does its suppression say; which repository path does it point at. They are
answered here once, from :mod:`aigov.gate` and the finding's own fields.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Final

from aigov.model import (
    UNKNOWN,
    BaselineState,
    CostImpact,
    Finding,
    Outcome,
    ScanResult,
    Severity,
    Suppression,
)
from aigov.report.base import ReportOptions, format_cost, format_usd, ordered_findings, plural

STDIN_NAMES: Final = frozenset({"-", "<stdin>"})
"""What an input read from stdin is called: it has no path in the repository."""


class Standing(enum.StrEnum):
    """How a reported finding weighs on the gate."""

    FAILS = "fail"  # fails the gate
    WARNS = "warn"  # reported only: below the threshold, an undetermined finding under warn, or never
    WAIVED = "waived"  # an active waiver in aigov.yaml
    SUPPRESSED = "suppressed"  # an active inline comment beside the resource
    EXISTING = "existing"  # in the baseline report: known debt, not introduced by this change

    @property
    def reported_only(self) -> bool:
        """Waived, suppressed or existing: accepted on purpose, not a warning to act on now."""
        return self in (Standing.WAIVED, Standing.SUPPRESSED, Standing.EXISTING)


def standing(finding: Finding, options: ReportOptions) -> Standing:
    """The finding's standing under the gate ``options`` describe (suppression first, then baseline)."""
    suppression = finding.suppression
    if suppression is not None and suppression.active:
        return Standing.SUPPRESSED if suppression.kind == "inline" else Standing.WAIVED
    if finding.baseline is BaselineState.EXISTING:
        return Standing.EXISTING
    return Standing.FAILS if options.fails_gate(finding) else Standing.WARNS


def is_notice(finding: Finding) -> bool:
    """An ``info`` finding: a notice, the mildest annotation level."""
    return finding.severity is Severity.INFO


def suppression_text(suppression: Suppression) -> str:
    """One line saying what suppresses a finding (or no longer does), who owns it and until when."""
    details: list[str] = []
    if suppression.owner:
        details.append(f"owner {suppression.owner}")
    if suppression.expires_on is not None and not suppression.expired:
        details.append(f"expires {suppression.expires_on.isoformat()}")
    if suppression.origin:
        details.append(suppression.origin)
    where = f" ({', '.join(details)})" if details else ""
    if suppression.expired:
        on = f" on {suppression.expires_on.isoformat()}" if suppression.expires_on is not None else ""
        return f"waiver expired{on}{where}, so this is a finding again: {suppression.reason}"
    label = "suppressed inline" if suppression.kind == "inline" else "waived"
    return f"{label}{where}: {suppression.reason}"


def standing_notes(finding: Finding) -> list[str]:
    """What a reader must know besides the message: suppression (or its expiry), baseline state."""
    notes: list[str] = []
    if finding.suppression is not None:
        notes.append(suppression_text(finding.suppression))
    if finding.baseline is BaselineState.EXISTING:
        notes.append("existing: already in the baseline report")
    elif finding.baseline is BaselineState.NEW:
        notes.append("new: not in the baseline report")
    return notes


def undetermined_reason(finding: Finding) -> str:
    """``sku.capacity known after apply``: why a finding is undetermined, with the option that helps."""
    if not finding.unknown_fields:
        return ""
    why = f"{', '.join(finding.unknown_fields)} known after apply"
    subscription_unknown = (
        finding.resource.subscription_id is UNKNOWN or finding.resource.subscription_id is None
    )
    if subscription_unknown and any(f.startswith("context.subscription") for f in finding.unknown_fields):
        # A template or plan rarely states its subscription; the gate can be told it.
        why += " (give the subscription with --subscription ID)"
    return why


def undetermined_prefix(finding: Finding) -> str:
    """``undetermined: sku.capacity known after apply. `` for an undetermined finding, else ``""``."""
    if finding.outcome is not Outcome.UNDETERMINED:
        return ""
    why = undetermined_reason(finding)
    return f"undetermined: {why}. " if why else "undetermined. "


def cost_summary(cost: CostImpact) -> str:
    """``$43,800.00/month (exact)``, ``~$245.28/month (estimate)`` or ``cost unknown``."""
    if cost.monthly_usd is None:
        return "cost unknown"
    figure = format_cost(cost.monthly_usd, cost.confidence, partial=cost.partial)
    return f"{figure}/month ({cost.confidence})"


def cost_with_basis(cost: CostImpact) -> str:
    """The monthly figure and the formula it comes from, prices, region and date included."""
    figure = "unknown" if cost.monthly_usd is None else cost_summary(cost)
    return f"{figure}: {cost.basis}"


def repo_path(file: str | None, cwd: Path | None = None) -> str | None:
    """The path of an input as a CI service expects it: relative to the checkout, forward slashes.

    The path is taken as given on the command line (that is how a pipeline
    names files relative to its checkout), with backslashes turned into
    forward slashes and a leading ``./`` removed. An absolute path under
    ``cwd`` (default: the current directory) is made relative to it; one
    elsewhere stays absolute. stdin and a missing file give ``None``.
    """
    if file is None or file in STDIN_NAMES or not file.strip():
        return None
    windows = PureWindowsPath(file)
    if Path(file).is_absolute() or (windows.drive and windows.root):
        base = (cwd or Path.cwd()).resolve()
        try:
            return Path(file).resolve().relative_to(base).as_posix()
        except ValueError:
            return Path(file).as_posix() if Path(file).is_absolute() else windows.as_posix()
    text = file.replace("\\", "/")
    while text.startswith("./"):
        text = text[2:].lstrip("/")
    return PurePosixPath(text).as_posix() if text else None


_LOG_ORDER: Final = {Standing.FAILS: 0, Standing.WARNS: 1}


def failing_first(findings: Iterable[Finding], options: ReportOptions) -> list[Finding]:
    """Findings in report order with those that fail the gate first, as CI logs show them."""
    return sorted(ordered_findings(findings), key=lambda f: _LOG_ORDER.get(standing(f, options), 2))


def log_totals(result: ScanResult, findings: list[Finding], options: ReportOptions) -> str:
    """The plain closing line of a CI log format: findings, failing, spend in violation, savings, prices."""
    failing = sum(1 for f in findings if standing(f, options) is Standing.FAILS)
    summary = result.cost_summary
    savings = summary.savings
    bound = (
        f" (+ up to {format_usd(savings.upper_bound_usd)} more as upper bounds, not added)"
        if savings.upper_bound_usd
        else ""
    )
    return (
        f"aigov: {plural(len(findings), 'finding')}, {failing} failing the gate; "
        f"{format_usd(summary.spend.monthly_usd)}/month spend in violation, "
        f"{format_usd(savings.firm_usd)}/month possible savings{bound} (each resource counted once); "
        f"prices: {result.catalog.label}"
    )


def finding_details(finding: Finding) -> list[str]:
    """The lines a CI log message gives after the finding's own: resource, cost, fix, standing notes."""
    lines = [f"Resource: {finding.resource.address}", f"Cost: {cost_with_basis(finding.cost)}"]
    if finding.remediation:
        lines.append(f"Fix: {finding.remediation}")
    lines.extend(note[:1].upper() + note[1:] for note in standing_notes(finding))
    return lines
