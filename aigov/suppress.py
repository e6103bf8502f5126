"""Suppressions: waivers from ``aigov.yaml`` and inline ``aigov:ignore`` comments, applied after evaluation.

An inline suppression is a comment in the IaC file, on the lines right above
a resource block or inside it::

    # aigov:ignore AIGOV-SKU-001 reserved capacity for the Q4 reporting run (FIN-2290)
    resource "azurerm_cognitive_deployment" "reports" {

``#``, ``//`` and ``/* ... */`` comments are recognised (Terraform, Bicep,
ARM JSON with comments). Several rule ids may be given, separated by commas;
the reason is the rest of the comment and is required: a directive without
one is not honoured and the scan warns about it. Directives count when they
are in the run of comment lines directly above the block's first line, or
between that line and the brace that closes the block.

This works for any finding whose resource has a file and a line
(:class:`~aigov.model.Origin`); Terraform plan resources get them from
``--repo-root`` (:mod:`aigov.sources.tf_locate`). The engine stays pure: this
module only replaces ``Finding.suppression`` on its results.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from aigov.errors import AigovError
from aigov.model import Finding, Suppression
from aigov.readfile import INPUT_LIMIT, read_regular_text
from aigov.waivers import Waiver, waiver_for

_RULE_ID: Final = r"[A-Za-z][A-Za-z0-9_.-]*"
_DIRECTIVE: Final = re.compile(
    rf"(?:#|//|/\*)\s*aigov:ignore\b[ \t:=]*(?P<rules>{_RULE_ID}(?:\s*,\s*{_RULE_ID})*)"
    r"(?P<reason>.*?)\s*(?:\*/\s*)?$"
)
_COMMENT_LINE: Final = re.compile(r"^\s*(?:#|//|/\*|\*)")
_REASON_LEAD: Final = " \t:-\u2013\u2014"  # separators people put between the ids and the reason


@dataclass(frozen=True, slots=True)
class InlineDirective:
    """One ``aigov:ignore`` comment."""

    rule_ids: tuple[str, ...]
    reason: str  # empty: not honoured
    file: str
    line: int

    @property
    def origin(self) -> str:
        return f"{self.file}:{self.line}"


def parse_directive(text: str, file: str, line: int) -> InlineDirective | None:
    """The directive in one source line, if it holds one."""
    match = _DIRECTIVE.search(text)
    if match is None:
        return None
    rules = tuple(r.strip() for r in match.group("rules").split(","))
    reason = match.group("reason").strip().lstrip(_REASON_LEAD).strip()
    return InlineDirective(rules, reason, file, line)


def block_end(lines: Sequence[str], start: int) -> int:
    """The 1-based line of the brace closing the block that opens on line ``start`` (or the last line).

    Braces inside strings and comments are skipped; a block that never opens
    within three lines of ``start`` is taken to be that line alone.
    """
    depth = 0
    opened = False
    in_block_comment = False
    for number in range(start, len(lines) + 1):
        text = lines[number - 1]
        i = 0
        quote: str | None = None
        while i < len(text):
            char = text[i]
            pair = text[i : i + 2]
            if in_block_comment:
                if pair == "*/":
                    in_block_comment = False
                    i += 1
            elif quote is not None:
                if char == "\\":
                    i += 1
                elif char == quote:
                    quote = None
            elif pair == "/*":
                in_block_comment = True
                i += 1
            elif char == "#" or pair == "//":
                break
            elif char in "\"'":
                quote = char
            elif char == "{":
                depth += 1
                opened = True
            elif char == "}":
                depth -= 1
                if opened and depth <= 0:
                    return number
            i += 1
        if not opened and number >= start + 2:
            return start
    return len(lines)


class InlineIndex:
    """Reads IaC files once each and answers which directives apply to the block at a line."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str] | None] = {}
        self.warnings: list[str] = []
        self._warned: set[tuple[str, int]] = set()

    def _read(self, file: str) -> list[str] | None:
        if file not in self._lines:
            try:
                self._lines[file] = read_regular_text(file, INPUT_LIMIT).splitlines()
            except AigovError:
                # An input that is not a readable text file (stdin, a plan the
                # source already reported on) simply has no comments to honour.
                self._lines[file] = None
        return self._lines[file]

    def directives(self, file: str, line: int) -> list[InlineDirective]:
        """Directives above and inside the block starting at ``line`` of ``file`` (1-based)."""
        lines = self._read(file)
        if lines is None or not 1 <= line <= len(lines):
            return []
        numbers: list[int] = []
        above = line - 1
        while above >= 1 and _COMMENT_LINE.match(lines[above - 1]):
            numbers.append(above)
            above -= 1
        numbers.extend(range(line, block_end(lines, line) + 1))
        found = []
        for number in sorted(numbers):
            directive = parse_directive(lines[number - 1], file, number)
            if directive is not None:
                found.append(directive)
        return found

    def suppression(self, finding: Finding) -> Suppression | None:
        """The inline suppression for ``finding``, if a directive with a reason names its rule."""
        origin = finding.resource.origin
        if origin.file is None or origin.line is None:
            return None
        for directive in self.directives(origin.file, origin.line):
            if finding.rule_id.lower() not in (r.lower() for r in directive.rule_ids):
                continue
            if not directive.reason:
                self._warn_no_reason(directive)
                continue
            return Suppression(kind="inline", reason=directive.reason, origin=directive.origin)
        return None

    def _warn_no_reason(self, directive: InlineDirective) -> None:
        key = (directive.file, directive.line)
        if key in self._warned:
            return
        self._warned.add(key)
        self.warnings.append(
            f"{directive.origin}: aigov:ignore {', '.join(directive.rule_ids)} has no reason, "
            "so it is not honoured; write the reason after the rule id"
        )


def apply_suppressions(
    findings: Iterable[Finding], waivers: Sequence[Waiver], today: date
) -> tuple[list[Finding], list[str]]:
    """Findings with their waiver or inline suppression set, and warnings about directives not honoured.

    An active waiver wins; else an inline directive; else an expired waiver,
    which suppresses nothing but makes the report say that it expired.
    """
    index = InlineIndex()
    out = []
    for finding in findings:
        waived = waiver_for(finding, waivers, today)
        chosen = waived
        if waived is None or waived.expired:
            chosen = index.suppression(finding) or waived
        out.append(finding if chosen is None else replace(finding, suppression=chosen))
    return out, index.warnings
