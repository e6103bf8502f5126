"""``aigov rules new``: a rule and its test cases that validate and pass as written.

The rule checks ``sku.name`` against an ``allowed`` parameter (the commonest
cost rule: a disallowed tier or deployment type), priced as the delta to the
cheapest allowed value. Its test file has one failing and one passing case.
Both files are checked with the loader and the test-file reader before
anything is written, and neither may exist yet: a scaffold never overwrites.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from aigov.errors import RuleError
from aigov.paths import package_data
from aigov.policy import yamlio
from aigov.policy.loader import RULE_SCHEMA, TEST_SUFFIX, compile_rule, explain_schema_error
from aigov.policy.testing import TEST_SCHEMA

ALLOWED_EXAMPLE: Final = ("Standard", "GlobalStandard")
FAILING_SKU: Final = "ProvisionedManaged"


@dataclass(frozen=True, slots=True)
class Scaffold:
    rule_path: Path
    test_path: Path
    rule_text: str
    test_text: str


@cache
def families() -> tuple[str, ...]:
    """The rule families (``category`` values) the rule schema accepts."""
    schema = json.loads(package_data("policy", RULE_SCHEMA).read_text(encoding="utf-8"))
    return tuple(schema["properties"]["category"]["enum"])


@cache
def _schema_pattern(*keys: str) -> re.Pattern[str]:
    node = json.loads(package_data("policy", RULE_SCHEMA).read_text(encoding="utf-8"))
    for key in keys:
        node = node[key]
    return re.compile(node["pattern"])


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML), so ids like ``yes`` stay strings."""
    return json.dumps(text)


def render(rule_id: str, family: str, resource_type: str, directory: Path) -> Scaffold:
    """The two files for a new rule under ``directory/<family>/``; raises RuleError on bad arguments."""
    if not _schema_pattern("properties", "id").fullmatch(rule_id):
        raise RuleError(f"invalid rule id {rule_id!r}: a letter, then 1-63 letters, digits, '_', '.' or '-'")
    if family not in families():
        raise RuleError(f"unknown family {family!r} (one of: {', '.join(families())})")
    if not _schema_pattern("$defs", "armType").fullmatch(resource_type):
        raise RuleError(f"invalid resource type {resource_type!r}: expected Provider/type")
    allowed = "[" + ", ".join(ALLOWED_EXAMPLE) + "]"
    rule_text = f"""\
id: {_q(rule_id)}
title: {_q(f"{resource_type} uses an approved SKU")}
description: |
  TODO: say why this matters for cost: what the disallowed SKUs bill, and when.

  Fails: a resource with `sku.name: {FAILING_SKU}`.
  Passes: a resource with `sku.name: {ALLOWED_EXAMPLE[0]}`.
category: {family}
severity: medium
resource: {resource_type}
parameters:
  allowed:
    type: array
    description: SKU names (sku.name) allowed without approval; matched case-insensitively.
    default: {allowed}
if:
  field: sku.name
  notIn: {{parameter: allowed}}
cost:
  delta: {{field: sku.name, to: {{parameter: allowed}}}}
message: "{{name}} uses SKU {{sku.name}}; allowed: {{allowed}}"
remediation: Use an allowed SKU, or add this one to the rule's `allowed` parameter in aigov.yaml after review.
"""
    test_text = f"""\
rule: {_q(rule_id)}
cases:
  - name: disallowed_sku_fails
    resources:
      - type: {resource_type}
        name: example
        location: eastus
        sku: {{name: {FAILING_SKU}}}
    expect: {{findings: 1, outcome: violation}}

  - name: allowed_sku_passes
    resources:
      - type: {resource_type}
        name: example
        location: eastus
        sku: {{name: {ALLOWED_EXAMPLE[0]}}}
    expect: {{findings: 0}}
"""
    folder = directory / family
    scaffold = Scaffold(folder / f"{rule_id}.yaml", folder / f"{rule_id}{TEST_SUFFIX}", rule_text, test_text)
    _check(scaffold)
    return scaffold


def _check(scaffold: Scaffold) -> None:
    """Both files load and validate exactly as ``aigov rules validate`` would read them."""
    rule_file, test_file = str(scaffold.rule_path), str(scaffold.test_path)
    data, root = yamlio.loads(scaffold.rule_text, rule_file, RuleError)
    yamlio.validate(RULE_SCHEMA, data, root, rule_file, RuleError, explain=explain_schema_error)
    compile_rule(data, rule_file, root)
    tests, test_root = yamlio.loads(scaffold.test_text, test_file, RuleError)
    yamlio.validate(TEST_SCHEMA, tests, test_root, test_file, RuleError)


def write(scaffold: Scaffold) -> None:
    """Create both files; refuses (RuleError naming the file) if either exists."""
    for path in (scaffold.rule_path, scaffold.test_path):
        if path.exists():
            raise RuleError("already exists; not overwriting it", file=str(path))
    created: list[Path] = []
    try:
        scaffold.rule_path.parent.mkdir(parents=True, exist_ok=True)
        files = ((scaffold.rule_path, scaffold.rule_text), (scaffold.test_path, scaffold.test_text))
        for path, text in files:
            # "x": fail rather than overwrite a file created since the check above.
            with path.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            created.append(path)
    except FileExistsError as exc:
        for path in created:
            path.unlink()
        raise RuleError("already exists; not overwriting it", file=str(exc.filename)) from None
    except OSError as exc:
        raise RuleError(exc.strerror or str(exc), file=str(exc.filename or scaffold.rule_path)) from None
