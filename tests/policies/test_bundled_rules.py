"""The bundled rules under ``policies/``: every case of their ``<ID>.test.yaml`` files, and their docs.

Each case runs through the same runner as ``aigov rules test``
(:mod:`aigov.policy.testing`), priced by the real cost model and the bundled
price catalogue, under its own pytest id (``AIGOV-SKU-001::regional_provisioned_fails``).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from aigov.cost.catalog import load_catalog
from aigov.cost.model import CostModel
from aigov.errors import RuleError
from aigov.paths import bundled_policies_dir
from aigov.policy import yamlio
from aigov.policy.loader import RULE_SCHEMA, TEST_SUFFIX, explain_schema_error, load_rules
from aigov.policy.rule import Rule, RuleSet
from aigov.policy.testing import RuleCase, discover_cases, missing_cases, run_case

POLICIES: Path = bundled_policies_dir()
FAMILIES: frozenset[str] = frozenset(
    {"sku", "environment", "idle", "tags", "rate", "lifecycle", "optimisation", "models", "sustainability"}
)

# The rules are loaded once at collection time (the case ids and the rule list
# parametrise the tests); a broken rule or case file fails collection with its
# file and line.
RULES: RuleSet = load_rules([POLICIES])
CASES: list[RuleCase] = discover_cases([POLICIES])


@cache
def cost_model() -> CostModel:
    return CostModel(load_catalog())


def _readme_rows() -> dict[str, list[str]]:
    """The rule table of ``policies/README.md``: rule id -> its cells."""
    rows: dict[str, list[str]] = {}
    for line in (POLICIES / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells and re.fullmatch(r"AIGOV-[A-Z]+-\d{3}", cells[0]):
            rows[cells[0]] = cells
    return rows


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: RuleCase) -> None:
    result = run_case(case, RULES, cost_model())
    assert result.passed, f"{case.where}: " + "; ".join(result.failures)


def test_bundled_rules_are_found() -> None:
    assert len(RULES) >= 12
    tested = {c.rule_id for c in CASES}
    assert tested == {r.id for r in RULES}, "every rule has a test file, and only rules do"


def test_every_rule_has_a_failing_and_a_passing_case() -> None:
    assert missing_cases(RULES, CASES) == []


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("rule", RULES.rules, ids=[r.id for r in RULES.rules])
class TestRuleDocumentation:
    def test_file_is_named_for_the_rule_in_its_family(self, rule: Rule) -> None:
        assert rule.file is not None
        path = Path(rule.file)
        assert path.name == f"{rule.id}.yaml"
        assert path.parent.name == rule.category
        assert rule.category in FAMILIES

    def test_has_a_description_with_examples(self, rule: Rule) -> None:
        assert rule.description is not None
        assert len(rule.description.split()) >= 30, "explain why the rule matters for cost"
        assert "Fails" in rule.description, "give a failing example"
        assert "Passes" in rule.description, "give a passing example"

    def test_has_a_remediation(self, rule: Rule) -> None:
        assert rule.remediation.strip()

    def test_parameters_have_descriptions_and_types(self, rule: Rule) -> None:
        for spec in rule.parameter_specs.values():
            assert spec.description, f"parameter {spec.name} needs a description"
            assert spec.type is not None, f"parameter {spec.name} needs a type"

    def test_message_placeholders_name_declared_parameters(self, rule: Rule) -> None:
        # A placeholder that is neither a parameter nor a body/context path would render "(none)" forever;
        # catch typos in parameter-like names (no dots, not a known word).
        known = {"name", "type", "kind", "location", "items", "address", *rule.parameters}
        for placeholder in re.findall(r"\{([^{}]+)\}", rule.message):
            if "." not in placeholder and "[" not in placeholder:
                assert placeholder in known, f"{placeholder!r} in the message is not a parameter or field"

    def test_is_listed_in_the_readme(self, rule: Rule) -> None:
        row = _readme_rows().get(rule.id)
        assert row is not None, f"add {rule.id} to policies/README.md"
        _, title, family, severity, *_ = row
        assert title == rule.title
        assert family == rule.category
        assert severity == rule.severity.value


def test_readme_lists_no_rule_that_does_not_exist() -> None:
    assert set(_readme_rows()) <= {r.id for r in RULES}


@pytest.mark.parametrize(
    "path",
    sorted(p for p in POLICIES.rglob("AIGOV-*.yaml") if not p.name.endswith(TEST_SUFFIX)),
    ids=lambda p: p.name,
)
def test_bundled_rule_files_are_schema_valid(path: Path) -> None:
    # A scan trusts the bundled rules without validating them again: this is where they are validated.
    data, root = yamlio.load(path, RuleError)
    yamlio.validate(RULE_SCHEMA, data, root, str(path), RuleError, explain=explain_schema_error)
