"""The rule test runner: building cases, running them, reporting failures, file errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aigov.errors import RuleError
from aigov.model import UNKNOWN, Action, Outcome
from aigov.policy.loader import load_rules
from aigov.policy.testing import DEFAULT_NOW, discover_cases, missing_cases, run_case

from .helpers import COSTS

RULE = """\
id: T-ENV-001
title: Prod needs an approval
category: environment
severity: high
resource: Microsoft.CognitiveServices/accounts/deployments
parameters:
  dev: {default: [dev]}
if:
  allOf:
    - context: subscription.environment
      notIn: {parameter: dev}
    - context: poc.approved
      equals: false
    - field: sku.capacity
      greater: 0
cost: resource
message: "{name} of {context.workload} in {context.subscription.environment}"
remediation: Get an approval.
"""

CASES = """\
rule: T-ENV-001
cases:
  - name: prod_without_approval_fails
    resources:
      - {type: Microsoft.CognitiveServices/accounts, name: acct, tags: {workload: chat}}
      - type: Microsoft.CognitiveServices/accounts/deployments
        name: dep
        parent: acct
        sku: {name: Standard, capacity: 3}
    subject: dep
    context:
      now: "2026-11-27T00:00:00Z"
      subscription: {id: sub-1, environment: prod}
    expect:
      {findings: 1, outcome: violation, monthly_usd: 300, confidence: exact, message_contains: "dep of chat"}
  - name: approved_passes
    resources:
      - type: Microsoft.CognitiveServices/accounts/deployments
        name: dep
        sku: {capacity: 3}
        tags: {workload: chat}
    context:
      now: "2026-11-27T00:00:00Z"
      subscription: {id: sub-1, environment: prod}
      approvals: {poc: [{workload: chat, approved_on: 2026-09-01, reference: FIN-1}]}
    expect: {findings: 0}
  - name: test_allowed_by_parameter_passes
    resources:
      - {type: Microsoft.CognitiveServices/accounts/deployments, name: dep, sku: {capacity: 3}}
    context: {subscription: {id: sub-1, environment: test}}
    parameters: {dev: [dev, test]}
    expect: {findings: 0}
  - name: unknown_capacity_is_undetermined
    live: true
    resources:
      - {type: Microsoft.CognitiveServices/accounts/deployments, name: dep, sku: {capacity: !unknown }}
    context: {subscription: {id: sub-1, environment: prod}}
    expect: {findings: 1, outcome: undetermined}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    write(tmp_path, "T-ENV-001.yaml", RULE)
    write(tmp_path, "T-ENV-001.test.yaml", CASES)
    return tmp_path


def test_cases_are_built_from_the_file(rules_dir: Path) -> None:
    cases = discover_cases([rules_dir])
    assert [c.id for c in cases] == [
        "T-ENV-001::prod_without_approval_fails",
        "T-ENV-001::approved_passes",
        "T-ENV-001::test_allowed_by_parameter_passes",
        "T-ENV-001::unknown_capacity_is_undetermined",
    ]
    first = cases[0]
    dep = first.inventory.get(first.subject_key)
    assert dep is not None
    assert first.subject_key == "Microsoft.CognitiveServices/accounts/deployments/dep"
    assert dep.parent_key == "Microsoft.CognitiveServices/accounts/acct"
    assert dep.origin.source == "test"
    assert dep.action is Action.DEPLOY
    assert dep.subscription_id == "sub-1"
    assert first.line == 3
    assert cases[1].context.poc_approvals[0].reference == "FIN-1"
    assert cases[2].context.now == DEFAULT_NOW
    live = cases[3].inventory.resources[0]
    assert live.action is Action.LIVE
    assert live.origin.source == "azure"
    assert live.body["sku"]["capacity"] is UNKNOWN


def test_every_case_passes(rules_dir: Path) -> None:
    rules = load_rules([rules_dir])
    results = [run_case(c, rules, COSTS) for c in discover_cases([rules_dir])]
    assert [r.failures for r in results] == [(), (), (), ()]
    assert results[3].findings[0].outcome is Outcome.UNDETERMINED
    assert missing_cases(rules, discover_cases([rules_dir])) == []


def test_failures_are_reported_readably(rules_dir: Path) -> None:
    wrong = CASES.replace("monthly_usd: 300, confidence: exact", "monthly_usd: 301, confidence: estimate")
    write(
        rules_dir, "T-ENV-001.test.yaml", wrong.replace("expect: {findings: 0}", "expect: {findings: 1}", 1)
    )
    rules = load_rules([rules_dir])
    first, second, *_ = [run_case(c, rules, COSTS) for c in discover_cases([rules_dir])]
    assert not first.passed
    assert first.failures == (
        "expected monthly_usd 301, got 300.0 (3 x 100)",
        "expected confidence estimate, got exact",
    )
    assert not second.passed
    assert second.failures[0].startswith("expected 1 finding(s) on Microsoft.CognitiveServices")


def test_unknown_rule_is_an_error(rules_dir: Path) -> None:
    (rules_dir / "T-ENV-001.yaml").unlink()
    write(rules_dir, "other.yaml", RULE.replace("T-ENV-001", "T-OTHER"))
    [case, *_] = discover_cases([rules_dir])
    with pytest.raises(RuleError, match="no rule T-ENV-001"):
        run_case(case, load_rules([rules_dir]), COSTS)


@pytest.mark.parametrize(
    ("old", "new", "where", "fragment"),
    [
        ("name: approved_passes", "nam: approved_passes", "line 16: $.cases[1]", "'nam' was unexpected"),
        (
            "expect: {findings: 0}",
            "expect: {findings: none}",
            "line 26: $.cases[1].expect.findings",
            "integer",
        ),
        ("parent: acct", "parent: nothing", "line 8: $.cases[0].resources[1].parent", "no resource"),
        ("subject: dep", "subject: other", "line 10: $.cases[0].subject", "names no resource"),
        ('now: "2026-11-27T00:00:00Z"', "now: yesterday-ish", "line 12: $.cases[0].context.now", "ISO 8601"),
        ("approved_on: 2026-09-01", "approved_on: 2026-02-30", "approved_on", "not a valid date"),
        ("rule: T-ENV-001", "rule: T-ENV-002", "line 1: $.rule", "file is named for T-ENV-001"),
    ],
)
def test_case_file_errors_name_file_and_line(
    rules_dir: Path, old: str, new: str, where: str, fragment: str
) -> None:
    assert old in CASES
    path = write(rules_dir, "T-ENV-001.test.yaml", CASES.replace(old, new, 1))
    with pytest.raises(RuleError) as err:
        discover_cases([rules_dir])
    assert err.value.file == str(path)
    assert err.value.where is not None
    assert where in err.value.where
    assert fragment in err.value.message


def test_unsafe_yaml_in_a_case_file_is_refused(rules_dir: Path) -> None:
    write(rules_dir, "T-ENV-001.test.yaml", "rule: !!python/name:os.system\ncases: []\n")
    with pytest.raises(RuleError, match="invalid YAML"):
        discover_cases([rules_dir])


def test_usage_by_resource_name_or_for_the_subject(rules_dir: Path) -> None:
    text = CASES.replace(
        "    context: {subscription: {id: sub-1, environment: test}}",
        "    context: {subscription: {id: sub-1, environment: test}, usage: {requests: 0}}",
    ).replace(
        "      approvals: {poc:",
        "      usage: {dep: {requests: 5}}\n      approvals: {poc:",
    )
    write(rules_dir, "T-ENV-001.test.yaml", text)
    cases = discover_cases([rules_dir])
    assert cases[2].context.usage == {cases[2].subject_key: {"requests": 0}}
    assert cases[1].context.usage == {cases[1].subject_key: {"requests": 5}}
