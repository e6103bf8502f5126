"""GitHub Actions workflow commands: one annotation per finding, and the step summary text.

Each finding becomes one line that the runner turns into an annotation on
the pull request's files and the run's summary::

    ::error file=plan.json,line=40,title=AIGOV-SKU-001%3A $43%2C800.00/month::ptu uses ...

* ``::error`` for a finding that fails the gate, ``::warning`` for one that
  is only reported (below ``--fail-on``, or undetermined under
  ``--on-unknown warn``), ``::notice`` for an ``info`` notice and for a
  waived, inline-suppressed or baseline (existing) finding.
* ``file=`` is the input's path relative to the checkout; ``line=`` only
  when the source knows it (a Terraform plan does not). A finding without a
  file (a live resource, stdin) is still annotated, without ``file=``.
* The runner reads ``%25``, ``%0D``, ``%0A`` back as ``%``, CR and LF in the
  message, and also ``%3A`` and ``%2C`` as ``:`` and ``,`` in properties,
  where they would otherwise end a value.

GitHub shows only the first few annotations of each level per step, so the
failing findings come first, most severe and costly first.

The step summary is the Markdown report (:func:`step_summary`); the reporter
itself never touches ``$GITHUB_STEP_SUMMARY``. Write it with ``--format
markdown --output "$GITHUB_STEP_SUMMARY"``.
"""

from __future__ import annotations

from typing import ClassVar

from aigov.model import Finding, ScanResult
from aigov.report.base import DEFAULT_OPTIONS, Reporter, ReportOptions
from aigov.report.markdown import render_markdown
from aigov.report.standing import (
    Standing,
    cost_summary,
    failing_first,
    finding_details,
    is_notice,
    log_totals,
    repo_path,
    standing,
    undetermined_prefix,
)


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as :func:`escape_data`, and ``:`` and ``,`` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation_level(finding: Finding, options: ReportOptions) -> str:
    """``error`` (fails the gate), ``warning`` (reported only) or ``notice`` (info, waived, existing)."""
    state = standing(finding, options)
    if state is Standing.FAILS:
        return "error"
    if state.reported_only or is_notice(finding):
        return "notice"
    return "warning"


class GithubReporter(Reporter):
    """Findings as GitHub Actions annotations (``::error file=...::``), failing findings first."""

    name: ClassVar[str] = "github"
    description: ClassVar[str] = "GitHub Actions annotations (::error file=...::); step summary via markdown"

    def render(self, result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS) -> str:
        findings = failing_first(result.findings, options)
        lines = [annotation(f, options) for f in findings]
        # A plain log line (not a command): the totals, for whoever reads the raw log.
        lines.append(log_totals(result, findings, options))
        return "\n".join(lines) + "\n"

    def step_summary(self, result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS) -> str:
        """The Markdown for ``$GITHUB_STEP_SUMMARY``: the pull-request comment's text."""
        return step_summary(result, options)


def step_summary(result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS) -> str:
    """The Markdown for ``$GITHUB_STEP_SUMMARY`` (the same text as the ``markdown`` format)."""
    return render_markdown(result, options)


def annotation(finding: Finding, options: ReportOptions) -> str:
    """One workflow command line for ``finding``."""
    properties: list[tuple[str, str]] = []
    path = repo_path(finding.resource.origin.file)
    if path is not None:
        properties.append(("file", path))
        line = finding.resource.origin.line
        if line is not None and line >= 1:
            properties.append(("line", str(line)))
    properties.append(("title", f"{finding.rule_id}: {cost_summary(finding.cost)}"))
    parameters = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{annotation_level(finding, options)} {parameters}::{escape_data(_message(finding))}"


def _message(finding: Finding) -> str:
    head = f"{undetermined_prefix(finding)}{finding.message}"
    return "\n".join([head, *finding_details(finding)])
