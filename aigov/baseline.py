"""Baselines: an earlier aigov JSON report, so that only new findings fail the gate.

``aigov scan --baseline previous.json`` marks each finding ``existing`` when
its fingerprint (rule id and resource key, see
:attr:`aigov.model.Finding.fingerprint`) is in the baseline report and
``new`` otherwise; :mod:`aigov.gate` fails on new findings only. Fingerprints
leave out the file, the line, the message and the cost, so a finding stays
``existing`` when its block moves or its price changes.

The same reader serves ``--compare-to`` (:mod:`aigov.costdiff`). A report is
accepted when it says it is an aigov report of ``schema_version`` 1 or 2
and its findings carry fingerprints; only what is used is checked, so a
report written by an older or newer aigov of a version it knows is read.
(Version 2 moved prices to a top-level table; nothing here reads prices.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, TypeGuard

from aigov.errors import AigovError
from aigov.jsontext import decode
from aigov.model import BaselineState, Finding
from aigov.readfile import DOCUMENT_LIMIT, read_regular_text

SUPPORTED_SCHEMA_VERSIONS: Final = (1, 2)
_FINGERPRINT: Final = re.compile(r"^[0-9a-f]{32}$")


class BaselineError(AigovError):
    """A ``--baseline`` or ``--compare-to`` file is not an aigov JSON report this version reads."""


@dataclass(frozen=True, slots=True)
class ReportFinding:
    """What a previous report says about one finding."""

    fingerprint: str
    rule_id: str
    address: str
    monthly_usd: float | None


@dataclass(frozen=True, slots=True)
class PreviousReport:
    """The parts of an earlier aigov JSON report that baselines and cost diffs use."""

    file: str
    findings: tuple[ReportFinding, ...]
    monthly_cost_at_risk_usd: float
    # Monthly cost by billed resource address (the report's `cost.resources`);
    # None for a report written before aigov priced every resource.
    resource_costs: Mapping[str, float | None] | None = None

    @property
    def fingerprints(self) -> frozenset[str]:
        return frozenset(f.fingerprint for f in self.findings)


def load_report(path: str | Path) -> PreviousReport:
    """Read an aigov JSON report; anything else is a one-line :class:`BaselineError`."""
    file = str(path)
    text = read_regular_text(path, DOCUMENT_LIMIT, BaselineError)
    document = decode(text, file, _not_a_report)
    return parse_report(document, file)


def _not_a_report(message: str, **where: str | None) -> BaselineError:
    return BaselineError(f"not an aigov JSON report: {message}", **where)


def parse_report(document: Any, file: str) -> PreviousReport:
    """A parsed JSON document as a :class:`PreviousReport`, checking what is used."""
    expected = "expected the output of aigov scan --format json"
    if not isinstance(document, dict) or not isinstance(document.get("tool"), dict):
        raise BaselineError(f"not an aigov JSON report ({expected})", file=file)
    if document["tool"].get("name") != "aigov" or "schema_version" not in document:
        raise BaselineError(f"not an aigov JSON report ({expected})", file=file)
    version = document["schema_version"]
    if version not in SUPPORTED_SCHEMA_VERSIONS or isinstance(version, bool):
        raise BaselineError(
            f"unsupported report schema_version {version!r}: this aigov reads schema_version "
            f"{' or '.join(map(str, SUPPORTED_SCHEMA_VERSIONS))}; regenerate the report with this version",
            file=file,
            where="schema_version",
        )
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise BaselineError("findings is not an array", file=file, where="findings")
    summary = document.get("summary")
    total = summary.get("monthly_cost_at_risk_usd") if isinstance(summary, dict) else None
    if not _is_number(total):
        raise BaselineError("summary.monthly_cost_at_risk_usd is not a number", file=file, where="summary")
    return PreviousReport(
        file,
        tuple(_finding(f, i, file) for i, f in enumerate(findings)),
        float(total),
        _resource_costs(document.get("cost"), file),
    )


def _resource_costs(cost: Any, file: str) -> dict[str, float | None] | None:
    if cost is None:
        return None
    resources = cost.get("resources") if isinstance(cost, dict) else None
    if not isinstance(resources, list):
        raise BaselineError("cost.resources is not an array", file=file, where="cost")
    out: dict[str, float | None] = {}
    for i, item in enumerate(resources):
        where = f"cost.resources[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("address"), str):
            raise BaselineError("each resource needs an address string", file=file, where=where)
        value = item.get("monthly_usd")
        if value is not None and not _is_number(value):
            raise BaselineError("monthly_usd must be a number or null", file=file, where=where)
        out[item["address"]] = float(value) if value is not None else None
    return out


def _finding(item: Any, index: int, file: str) -> ReportFinding:
    where = f"findings[{index}]"
    if not isinstance(item, dict):
        raise BaselineError("not an object", file=file, where=where)
    fingerprint = item.get("fingerprint")
    if not isinstance(fingerprint, str) or not _FINGERPRINT.match(fingerprint):
        raise BaselineError("fingerprint is missing or not 32 hex digits", file=file, where=where)
    resource = item.get("resource")
    address = resource.get("address") if isinstance(resource, Mapping) else None
    cost = item.get("cost")
    monthly = cost.get("monthly_usd") if isinstance(cost, Mapping) else None
    return ReportFinding(
        fingerprint=fingerprint,
        rule_id=str(item.get("rule_id", "")),
        address=address if isinstance(address, str) else "",
        monthly_usd=float(monthly) if _is_number(monthly) else None,
    )


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def mark_baseline(findings: Iterable[Finding], fingerprints: frozenset[str]) -> list[Finding]:
    """Each finding marked ``existing`` (its fingerprint is in the baseline) or ``new``."""
    return [
        replace(f, baseline=BaselineState.EXISTING if f.fingerprint in fingerprints else BaselineState.NEW)
        for f in findings
    ]


def count_baseline(findings: Sequence[Finding]) -> dict[BaselineState, int]:
    """How many findings are new and existing (both zero when the scan had no baseline)."""
    counts = dict.fromkeys(BaselineState, 0)
    for finding in findings:
        if finding.baseline is not None:
            counts[finding.baseline] += 1
    return counts
