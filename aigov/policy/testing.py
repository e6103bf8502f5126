"""Rule tests: ``<ID>.test.yaml`` beside each rule, run by pytest and ``aigov rules test`` alike.

A case lists ARM bodies (the first is the resource under test unless
``subject`` names another), optionally a context, parameter overrides and
``live: true``, and what the rule must find::

    rule: AIGOV-SKU-001
    cases:
      - name: regional_provisioned_fails
        resources:
          - {type: Microsoft.CognitiveServices/accounts, name: acct, location: eastus}
          - type: Microsoft.CognitiveServices/accounts/deployments
            name: reports
            parent: acct                  # links to the resource named acct
            sku: {name: ProvisionedManaged, capacity: 30}
        subject: reports
        context:
          now: "2026-11-27T00:00:00Z"     # default: DEFAULT_NOW, so cases are reproducible
          subscription: {id: sub-1, name: corp-ai-prod, environment: prod}
          approvals: {poc: [{workload: chat, approved_on: 2026-09-01, reference: FIN-1}]}
          usage: {requests: 0}            # the subject's metrics, or {<resource name>: {metric: value}}
          carbon: {monthly_kg: 120.5}     # the same two forms; absent: the scan read no emissions
        parameters: {allowed: [Standard]}
        expect: {findings: 1, outcome: violation, monthly_usd: 43800.0, confidence: exact}

Resources get the key ``<type>/<name>``, origin source ``test`` and action
``deploy``; with ``live: true`` they are live resources (source ``azure``).
Every resource is in the context's subscription (when one is given). A value
known only after apply is written ``!unknown``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from aigov.config import poc_approvals
from aigov.cost.modelfacts import default_model_facts
from aigov.cost.spec import CostEstimator
from aigov.cost.usage import UsageBook, parse_entries
from aigov.errors import RuleError
from aigov.model import (
    UNKNOWN,
    Action,
    Confidence,
    Context,
    Finding,
    Inventory,
    Origin,
    Outcome,
    Resource,
    Subscription,
)
from aigov.policy import yamlio
from aigov.policy.engine import evaluate
from aigov.policy.loader import TEST_SUFFIX, compile_rule
from aigov.policy.rule import RuleOverride, RuleSet

TEST_SCHEMA: Final = "rule_test.schema.json"
DEFAULT_NOW: Final = datetime(2026, 1, 1, tzinfo=UTC)
"""The clock of a case that does not set ``context.now``: fixed, so results never depend on the day."""


class _TestLoader(yamlio.SafeLoader):
    """SafeLoader plus ``!unknown`` for values known only after apply."""


_TestLoader.add_constructor("!unknown", lambda loader, node: UNKNOWN)


@dataclass(frozen=True, slots=True)
class Expectation:
    findings: int
    outcome: Outcome | None = None
    monthly_usd: float | None = None
    check_monthly_usd: bool = False  # monthly_usd: null expects an unknown figure
    confidence: Confidence | None = None
    message_contains: str | None = None


@dataclass(frozen=True, slots=True)
class RuleCase:
    """One test case, its inventory and context already built."""

    rule_id: str
    name: str
    file: Path
    line: int | None
    inventory: Inventory
    subject_key: str
    context: Context
    expect: Expectation
    parameters: Mapping[str, Any] | None = None

    @property
    def id(self) -> str:
        """``AIGOV-SKU-001::regional_provisioned_fails``: a test id."""
        return f"{self.rule_id}::{self.name}"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else str(self.file)


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: RuleCase
    passed: bool
    failures: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = field(default=(), repr=False)


def discover_cases(dirs: Sequence[Path]) -> list[RuleCase]:
    """Every case in ``*.test.yaml`` under ``dirs`` (directories searched recursively), in file order."""
    files: list[Path] = []
    for d in dirs:
        if d.is_file():
            files.append(d)
        elif d.is_dir():
            files.extend(p for p in sorted(d.rglob(f"*{TEST_SUFFIX}")) if not p.is_dir())
        else:
            raise RuleError("no such rules directory", file=str(d))
    cases: list[RuleCase] = []
    for path in files:
        cases.extend(load_case_file(path))
    return cases


def load_case_file(path: Path) -> list[RuleCase]:
    """The cases of one test file; shape errors name the file and line."""
    data, root = yamlio.load(path, RuleError, loader=_TestLoader)
    file = str(path)
    if data is None:
        raise RuleError("empty rule test file", file=file)
    yamlio.validate(TEST_SCHEMA, data, root, file, RuleError)
    rule_id = data["rule"]
    if path.name.endswith(TEST_SUFFIX) and path.name.removesuffix(TEST_SUFFIX) != rule_id:
        raise RuleError(
            f"tests rule {rule_id} but the file is named for {path.name.removesuffix(TEST_SUFFIX)}",
            file=file,
            where=yamlio.where(root, ["rule"]),
        )
    cases = []
    seen: set[str] = set()
    for i, raw in enumerate(data["cases"]):
        if raw["name"] in seen:
            raise RuleError(
                f"duplicate case name {raw['name']!r}",
                file=file,
                where=yamlio.where(root, ["cases", i, "name"]),
            )
        seen.add(raw["name"])
        cases.append(_case(rule_id, raw, path, root, ["cases", i]))
    return cases


def _case(
    rule_id: str, raw: Mapping[str, Any], path: Path, root: yamlio.Root, at: list[str | int]
) -> RuleCase:
    file = str(path)

    def fail(message: str, *sub: str | int) -> RuleError:
        return RuleError(message, file=file, where=yamlio.where(root, [*at, *sub]))

    context_raw: Mapping[str, Any] = raw.get("context", {})
    live = bool(raw.get("live", False))
    subscription_raw = context_raw.get("subscription")
    subscription_id = subscription_raw["id"] if subscription_raw else None

    resources: list[Resource] = []
    by_name: dict[str, list[str]] = {}
    for i, body in enumerate(raw["resources"]):
        key = f"{body['type']}/{body['name']}"
        if any(r.key == key for r in resources):
            raise fail(f"two resources are both {key}", "resources", i)
        by_name.setdefault(body["name"], []).append(key)
    for i, body in enumerate(raw["resources"]):
        parent_key = None
        if "parent" in body:
            candidates = by_name.get(body["parent"], [])
            if len(candidates) != 1:
                problem = "no resource" if not candidates else "more than one resource"
                raise fail(f"parent {body['parent']!r}: {problem} has that name", "resources", i, "parent")
            parent_key = candidates[0]
        key = f"{body['type']}/{body['name']}"
        resources.append(
            Resource(
                key=key,
                type=body["type"],
                name=body["name"],
                body={k: v for k, v in body.items() if k != "parent"},
                origin=Origin(
                    source="azure" if live else "test",
                    file=file,
                    line=yamlio.line_of(root, [*at, "resources", i]),
                    address=key,
                ),
                action=Action.LIVE if live else Action.DEPLOY,
                subscription_id=subscription_id,
                parent_key=parent_key,
            )
        )

    subject_name = raw.get("subject", raw["resources"][0]["name"])
    subject = by_name.get(subject_name, [])
    if len(subject) != 1:
        raise fail(
            f"subject {subject_name!r} names {'no' if not subject else 'more than one'} resource", "subject"
        )

    now = DEFAULT_NOW
    if "now" in context_raw:
        try:
            now = datetime.fromisoformat(context_raw["now"])
        except ValueError:
            raise fail(f"{context_raw['now']!r} is not an ISO 8601 date-time", "context", "now") from None
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)

    approvals_raw = context_raw.get("approvals", [])
    approvals_at: list[str | int] = [*at, "context", "approvals"]
    if isinstance(approvals_raw, Mapping):
        approvals_raw = approvals_raw.get("poc", [])
        approvals_at.append("poc")

    subscriptions = {}
    if subscription_raw:
        subscriptions[subscription_raw["id"].lower()] = Subscription(
            id=subscription_raw["id"],
            name=subscription_raw.get("name"),
            environment=subscription_raw.get("environment"),
            tags=dict(subscription_raw.get("tags", {})),
        )
    context = Context(
        now=now,
        subscriptions=subscriptions,
        poc_approvals=poc_approvals(approvals_raw, root, file, approvals_at, RuleError),
        workload_tag=context_raw.get("workload_tag", "workload"),
        usage=_usage(context_raw.get("usage", {}), by_name, subject[0]),
        models=default_model_facts(),
        assumed=_assumptions(context_raw, root, file, at),
        carbon=_usage(context_raw["carbon"], by_name, subject[0]) if "carbon" in context_raw else None,
    )

    expect_raw = raw["expect"]
    expect = Expectation(
        findings=expect_raw["findings"],
        outcome=Outcome(expect_raw["outcome"]) if "outcome" in expect_raw else None,
        monthly_usd=expect_raw.get("monthly_usd"),
        check_monthly_usd="monthly_usd" in expect_raw,
        confidence=Confidence(expect_raw["confidence"]) if "confidence" in expect_raw else None,
        message_contains=expect_raw.get("message_contains"),
    )
    return RuleCase(
        rule_id=rule_id,
        name=raw["name"],
        file=path,
        line=yamlio.line_of(root, at),
        inventory=Inventory(resources),
        subject_key=subject[0],
        context=context,
        expect=expect,
        parameters=raw.get("parameters"),
    )


def _assumptions(
    context_raw: Mapping[str, Any], root: yamlio.Root, file: str, at: Sequence[str | int]
) -> UsageBook | None:
    """``context.assumptions``: usage entries as a usage file writes them, for ``context: assumed.*``."""
    if "assumptions" not in context_raw:
        return None
    try:
        entries = parse_entries({"usage": context_raw["assumptions"]}, root, file, RuleError)
    except RuleError as exc:
        where = yamlio.where(root, [*at, "context", "assumptions"])
        raise RuleError(exc.message, file=file, where=where) from None
    # Sources quote the case's own assumption, not a line of a usage file.
    named = [
        dataclasses.replace(e, usage=dataclasses.replace(e.usage, source=f"case assumption '{e.match}'"))
        for e in entries
    ]
    return UsageBook(named)


def _usage(
    raw: Mapping[str, Any], by_name: Mapping[str, list[str]], subject_key: str
) -> dict[str, Mapping[str, Any]]:
    """``{<resource name>: {metric: value}}`` when every key names a resource, else the subject's metrics."""
    if not raw:
        return {}
    per_resource = all(name in by_name and isinstance(metrics, Mapping) for name, metrics in raw.items())
    if per_resource:
        return {by_name[name][0]: metrics for name, metrics in raw.items()}
    return {subject_key: raw}


def run_case(case: RuleCase, rules: RuleSet, costs: CostEstimator) -> CaseResult:
    """Run one case; raises :class:`RuleError` if it names a rule ``rules`` does not have."""
    rule = rules.get(case.rule_id)
    if rule is None:
        raise RuleError(f"no rule {case.rule_id} to test", file=str(case.file), where=f"line {case.line}")
    if case.parameters:
        override = RuleOverride(
            parameters={**rule.parameters, **case.parameters},
            severity=rule.severity,
            file=str(case.file),
            line=case.line,
        )
        rule = compile_rule(rule.document, rule.file or "", None, override, parameter_error=RuleError)
    findings = tuple(evaluate(case.inventory, [rule], case.context, costs))
    mine = [f for f in findings if f.resource.key == case.subject_key]
    failures = _check(case, mine)
    return CaseResult(case, not failures, tuple(failures), findings)


def _check(case: RuleCase, findings: list[Finding]) -> list[str]:
    expect = case.expect
    subject = case.subject_key
    if len(findings) != expect.findings:
        got = "; ".join(f"{f.outcome}: {f.message}" for f in findings) or "none"
        return [f"expected {expect.findings} finding(s) on {subject}, got {len(findings)} ({got})"]
    failures: list[str] = []
    for f in findings:
        if expect.outcome is not None and f.outcome is not expect.outcome:
            failures.append(
                f"expected outcome {expect.outcome}, got {f.outcome} (unknown: {f.unknown_fields})"
            )
        if expect.check_monthly_usd:
            actual = f.cost.monthly_usd
            wanted = expect.monthly_usd
            if (actual is None) != (wanted is None) or (
                actual is not None and wanted is not None and round(actual, 2) != round(wanted, 2)
            ):
                failures.append(f"expected monthly_usd {wanted}, got {actual} ({f.cost.basis})")
        if expect.confidence is not None and f.cost.confidence is not expect.confidence:
            failures.append(f"expected confidence {expect.confidence}, got {f.cost.confidence}")
        if expect.message_contains is not None and expect.message_contains not in f.message:
            failures.append(f"expected the message to contain {expect.message_contains!r}, got {f.message!r}")
    return failures


def missing_cases(rules: RuleSet, cases: Sequence[RuleCase]) -> list[str]:
    """Rules without both a failing case (findings > 0) and a passing one (findings == 0)."""
    problems = []
    for rule in rules:
        mine = [c for c in cases if c.rule_id == rule.id]
        if not any(c.expect.findings > 0 for c in mine):
            problems.append(f"{rule.id} has no failing case")
        if not any(c.expect.findings == 0 for c in mine):
            problems.append(f"{rule.id} has no passing case")
    return problems
