"""Azure Pipelines logging commands: one ``##vso[task.logissue]`` line per finding.

::

    ##vso[task.logissue type=error;sourcepath=plan.json;code=AIGOV-SKU-001]ptu uses ... $43,800.00/month ...

* ``type=error`` for a finding that fails the gate; ``type=warning`` for
  every other finding (Azure DevOps has no notice level): the message of a
  waived, inline-suppressed or existing finding starts with ``[waived]``,
  ``[suppressed]`` or ``[existing]`` and says why, that of an ``info`` notice
  with ``[notice]``.
* ``sourcepath`` is the input's path relative to the checkout and
  ``linenumber`` is given only when the source knows the line; a finding
  without a file (a live resource, stdin) has neither.
* Escaping follows the Azure Pipelines task library: in property values
  ``%`` ``\\r`` ``\\n`` ``]`` ``;`` become ``%AZP25`` ``%0D`` ``%0A`` ``%5D``
  ``%3B``; in the message ``%`` ``\\r`` ``\\n``. The agent reads one command per
  line, so user text can neither end the command early nor start another.

Failing findings come first. The last line is a plain summary with no
user text in it.
"""

from __future__ import annotations

from typing import ClassVar

from aigov.model import Finding, ScanResult
from aigov.report.base import DEFAULT_OPTIONS, Reporter, ReportOptions, budget_text
from aigov.report.standing import (
    Standing,
    failing_first,
    finding_details,
    is_notice,
    log_totals,
    repo_path,
    standing,
    undetermined_prefix,
)


def escape_data(text: str) -> str:
    """A logging command's message: ``%``, CR and LF encoded as the agent expects."""
    return text.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A logging command's property value: as :func:`escape_data`, and ``]`` and ``;`` too."""
    return escape_data(text).replace("]", "%5D").replace(";", "%3B")


class AzureDevopsReporter(Reporter):
    """Findings as Azure Pipelines ``##vso[task.logissue]`` errors and warnings, failing findings first."""

    name: ClassVar[str] = "azure-devops"
    description: ClassVar[str] = "Azure Pipelines logging commands (##vso[task.logissue]), one per finding"

    def render(self, result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS) -> str:
        findings = failing_first(result.findings, options)
        lines = [logissue(f, options) for f in findings]
        lines.extend(f"Budget {budget_text(b)}" for b in result.budgets)  # plain log lines, not issues
        lines.append(log_totals(result, findings, options))
        return "\n".join(lines) + "\n"


def logissue(finding: Finding, options: ReportOptions) -> str:
    """One ``##vso[task.logissue ...]`` line for ``finding``."""
    state = standing(finding, options)
    properties = [("type", "error" if state is Standing.FAILS else "warning")]
    path = repo_path(finding.resource.origin.file)
    if path is not None:
        properties.append(("sourcepath", path))
        line = finding.resource.origin.line
        if line is not None and line >= 1:
            properties.append(("linenumber", str(line)))
    properties.append(("code", finding.rule_id))
    parameters = ";".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"##vso[task.logissue {parameters}]{escape_data(_message(finding, state))}"


def _message(finding: Finding, state: Standing) -> str:
    if state.reported_only:
        tag = f"[{state}] "
    elif state is Standing.WARNS and is_notice(finding):
        tag = "[notice] "
    else:
        tag = ""
    head = f"{tag}{finding.rule_id}: {undetermined_prefix(finding)}{finding.message}"
    return "\n".join([head, *finding_details(finding)])
