"""Mutated input of every kind ends in a result or one error line: no traceback, internal error or hang.

Each test mutates a real fixture (bytes inserted, deleted or replaced, with
fragments chosen to reach parsers' corners: YAML anchors and aliases, deep
nesting, NaN and huge numbers, backtracking regular expressions, impossible
dates) and runs the ``aigov`` command on it in-process. A case passes when the
exit code is 0, 1 or 2, and an exit 2 printed exactly one ``error:`` line
that is not an internal error, within :data:`CASE_SECONDS`.

With ``AIGOV_FUZZ_RECORD=FILE`` the tests assert nothing and append the
outcome of every case to FILE instead, to count cases, clean ends, internal
errors and hangs before and after a change.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigov.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
PLAN = FIXTURES / "terraform_plan" / "example.json"
CONFIG = FIXTURES / "terraform_plan" / "example.aigov.yaml"
CASE_SECONDS = 10
RECORD = os.environ.get("AIGOV_FUZZ_RECORD")


class Hang(BaseException):
    """A case ran past its time (a BaseException, so the CLI's own error handling cannot swallow it)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class Outcome:
    kind: str  # "clean", "internal", "noisy" (not one line), "bad-exit" or "hang"
    detail: str


def run_aigov(args: Sequence[str], stdin: bytes | None = None, *, report: bool = False) -> Outcome:
    """Run ``aigov ARGS`` in-process and classify how it ended.

    ``report`` is for ``rules validate`` and ``rules test``, whose exit 2 is a
    report of one line per problem rather than a single error line.
    """
    started = time.monotonic()
    try:
        with time_limit(CASE_SECONDS):
            result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=True)
    except Hang:
        return Outcome("hang", f"more than {CASE_SECONDS} s")
    elapsed = time.monotonic() - started
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return Outcome("noisy", f"{type(result.exception).__name__}: {result.exception}")
    if result.exit_code not in {0, 1, 2}:
        return Outcome("bad-exit", f"exit {result.exit_code}: {result.stderr[-300:]}")
    if report:
        output = result.stdout + result.stderr
        if "internal error" in output or "Traceback" in output:
            return Outcome("internal", output[-300:])
    elif result.exit_code == 2:
        lines = result.stderr.splitlines()
        if len(lines) != 1 or not lines[0].startswith("error: ") or "Traceback" in result.stderr:
            return Outcome("noisy", result.stderr[-300:])
        if "internal error" in lines[0]:
            return Outcome("internal", lines[0])
    return Outcome("clean", f"exit {result.exit_code} in {elapsed:.1f} s")


def settle(kind: str, outcome: Outcome) -> None:
    """Record the outcome (``AIGOV_FUZZ_RECORD``) or assert that it is clean."""
    if RECORD:
        with open(RECORD, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"kind": kind, "outcome": outcome.kind, "detail": outcome.detail}) + "\n")
        return
    assert outcome.kind == "clean", outcome.detail


FRAGMENTS = {
    "yaml": [
        "&a ",
        "*a",
        "&a [*a, *a]",
        "<<: *a\n",
        "- &b [1, 2]\n",
        "[" * 300,
        "{" * 300,
        "2026-02-30",
        "9999-99-99",
        ".nan",
        ".inf",
        "-.inf",
        "1e999",
        "9" * 5000,
        "-5",
        "'^([a-z0-9]+-?)+$'",
        "'(a+)+b'",
        "'(?<=x)y'",
        "'\\1'",
        "\t",
        ": ",
        "\n  ",
        "\n- ",
        "!!python/object:os.system ",
        "!!binary AAAA",
        "\x00",
        "\udcff",
        "é",
        "#",
        "'",
        '"',
        "~",
        "null",
        "true",
        "[]",
        "{}",
    ],
    "json": [
        "[" * 3000,
        '{"a":' * 3000,
        "NaN",
        "Infinity",
        "-Infinity",
        "1e999",
        "9" * 5000,
        "-1",
        "0.5",
        "null",
        "true",
        "[]",
        "{}",
        '""',
        "\"[concat('a')]\"",
        "\"[parameters('x')]\"",
        '"2026-02-30"',
        ",",
        ":",
        "}",
        "]",
        '"',
        "\\",
        "\\ud800",
        "/*",
        "//",
        "\x00",
        "é",
    ],
    "hcl": [
        "${",
        "%{",
        "}",
        "{",
        "[" * 300,
        "(" * 300,
        "<<EOT\n",
        "\nEOT\n",
        "var.",
        "local.",
        "each.",
        "for x in ",
        "if ",
        "? ",
        ": ",
        "= ",
        '"',
        "\n",
        "1e999",
        "9" * 5000,
        "NaN",
        "-1",
        "null",
        "true",
        "#",
        "/*",
        "\x00",
        "é",
        "'",
        "@",
        "!",
        "loadTextContent('x')",
        "range(0, 100000000)",
    ],
}


@st.composite
def mutated(draw: st.DrawFn, seed: str, flavour: str) -> str:
    """``seed`` with a few insertions, deletions or replacements at random places."""
    text = seed
    fragments = FRAGMENTS[flavour]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        piece = draw(st.one_of(st.sampled_from(fragments), st.text(max_size=8)))
        if action == "insert":
            text = text[:at] + piece + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(min_value=1, max_value=40)) :]
        elif action == "replace":
            text = text[:at] + piece + text[at + len(piece) :]
        else:
            text = text[:at]
    return text


FUZZ = settings(
    max_examples=int(os.environ.get("AIGOV_FUZZ_EXAMPLES", "8")),
    deadline=None,  # each case is bounded by time_limit; hypothesis's deadline would only flag slowness
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
    derandomize=True,  # the same cases on every run, so counts before and after a change compare
)


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path


RULE_SEED = (ROOT / "policies" / "tags" / "AIGOV-TAG-001.yaml").read_text(encoding="utf-8")
RULE_TEST_SEED = (ROOT / "policies" / "tags" / "AIGOV-TAG-001.test.yaml").read_text(encoding="utf-8")
REGEX_RULE = """\
id: FUZZ-REGEX-001
title: Names are lower-case words joined by dashes
category: tags
severity: low
resource: Microsoft.CognitiveServices/accounts
if:
  field: name
  notRegex: '^([a-z0-9]+-?)+$'
cost: resource
message: "{name} is not a dash-joined lower-case name"
remediation: Rename it.
"""


@FUZZ
@given(text=mutated(RULE_SEED, "yaml"))
def test_rules_yaml(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    directory = tmp_path_factory.mktemp("rules")
    _write(directory / "FUZZ-001.yaml", text)
    settle("rules", run_aigov(["rules", "validate", str(directory)], report=True))


@FUZZ
@given(text=mutated(REGEX_RULE, "yaml"))
def test_rules_with_regex_in_a_scan(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    directory = tmp_path_factory.mktemp("rules")
    _write(directory / "FUZZ-REGEX-001.yaml", text)
    settle("rules-scan", run_aigov(["scan", str(PLAN), "--policies", str(directory), "--format", "json"]))


@FUZZ
@given(text=mutated(RULE_TEST_SEED, "yaml"))
def test_rule_tests_yaml(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    directory = tmp_path_factory.mktemp("rules")
    _write(directory / "AIGOV-TAG-001.yaml", RULE_SEED)
    _write(directory / "AIGOV-TAG-001.test.yaml", text)
    settle("rule-tests", run_aigov(["rules", "test", str(directory)], report=True))


@FUZZ
@given(text=mutated(CONFIG.read_text(encoding="utf-8"), "yaml"))
def test_config_yaml(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    config = _write(tmp_path_factory.mktemp("config") / "aigov.yaml", text)
    settle("config", run_aigov(["scan", str(PLAN), "--config", str(config), "--format", "json"]))


@FUZZ
@given(text=mutated((FIXTURES / "cost" / "usage.yaml").read_text(encoding="utf-8"), "yaml"))
def test_usage_yaml(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    usage = _write(tmp_path_factory.mktemp("usage") / "usage.yaml", text)
    settle("usage", run_aigov(["estimate", str(PLAN), "--usage", str(usage), "--format", "json"]))


@FUZZ
@given(text=mutated(PLAN.read_text(encoding="utf-8"), "json"))
def test_plan_json(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    plan = _write(tmp_path_factory.mktemp("plan") / "plan.json", text)
    settle("plan", run_aigov(["scan", str(plan), "--format", "json"]))


@FUZZ
@given(text=mutated((FIXTURES / "arm" / "nested.json").read_text(encoding="utf-8"), "json"))
def test_arm_json(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    template = _write(tmp_path_factory.mktemp("arm") / "azuredeploy.json", text)
    settle("arm", run_aigov(["scan", str(template), "--format", "json"]))


@FUZZ
@given(text=mutated((FIXTURES / "arm_whatif" / "whatif.json").read_text(encoding="utf-8"), "json"))
def test_whatif_json(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    whatif = _write(tmp_path_factory.mktemp("whatif") / "whatif.json", text)
    settle("what-if", run_aigov(["scan", str(whatif), "--format", "json"]))


@FUZZ
@given(text=mutated((FIXTURES / "pipeline" / "base.json").read_text(encoding="utf-8"), "json"))
def test_baseline_json(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    baseline = _write(tmp_path_factory.mktemp("baseline") / "base.json", text)
    settle("baseline", run_aigov(["scan", str(PLAN), "--baseline", str(baseline), "--format", "json"]))


@FUZZ
@given(text=mutated((FIXTURES / "bicep" / "constructs" / "main.bicep").read_text(encoding="utf-8"), "hcl"))
def test_bicep_text(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    directory = tmp_path_factory.mktemp("bicep")
    source = FIXTURES / "bicep" / "constructs"
    _write(directory / "shared.bicep", (source / "shared.bicep").read_text(encoding="utf-8"))
    bicep = _write(directory / "main.bicep", text)
    settle("bicep", run_aigov(["scan", str(bicep), "--format", "json"]))


@FUZZ
@given(text=mutated((FIXTURES / "terraform_hcl" / "basic" / "terraform.tfvars").read_text("utf-8"), "hcl"))
def test_tfvars(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    var_file = _write(tmp_path_factory.mktemp("tfvars") / "fuzz.tfvars", text)
    config = FIXTURES / "terraform_hcl" / "basic"
    settle("tfvars", run_aigov(["scan", str(config), "--var-file", str(var_file), "--format", "json"]))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def retyped(draw: st.DrawFn, document: object) -> object:
    """``document`` with one value somewhere in it replaced by a JSON value of any type."""
    replacement = draw(JSON_VALUES)
    if not isinstance(document, dict | list) or draw(st.integers(min_value=0, max_value=5)) == 0:
        return replacement
    keys = list(document) if isinstance(document, dict) else list(range(len(document)))
    if not keys:
        return replacement
    key = draw(st.sampled_from(keys))
    copy: Any = dict(document) if isinstance(document, dict) else list(document)
    copy[key] = draw(retyped(copy[key]))
    return copy


PLAN_DOCUMENT = json.loads(PLAN.read_text(encoding="utf-8"))
ARM_DOCUMENT = json.loads((FIXTURES / "arm" / "foundry_compiled.json").read_text(encoding="utf-8"))


@FUZZ
@given(document=retyped(PLAN_DOCUMENT))
def test_plan_values_of_any_type(tmp_path_factory: pytest.TempPathFactory, document: object) -> None:
    plan = _write(tmp_path_factory.mktemp("plan") / "plan.json", json.dumps(document))
    settle("plan-types", run_aigov(["scan", str(plan), "--format", "json", "--repo-root", str(FIXTURES)]))


@FUZZ
@given(document=retyped(ARM_DOCUMENT))
def test_arm_values_of_any_type(tmp_path_factory: pytest.TempPathFactory, document: object) -> None:
    template = _write(tmp_path_factory.mktemp("arm") / "azuredeploy.json", json.dumps(document))
    settle("arm-types", run_aigov(["scan", str(template), "--format", "json"]))


# --------------------------------------------------------------------------- the attacks, each once

BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)
DEEP_JSON = "[" * 100_000 + "]" * 100_000
ARM_HEAD = '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",'
WHATIF_HEAD = '{"status": "Succeeded", "changes": [{"changeType": "Create", "after": '


def _attack_files(directory: Path) -> dict[str, list[str]]:
    """Each attack as the command line that delivers it; the files it names are written here."""

    def put(name: str, text: str | bytes) -> str:
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return str(path)

    regex_rules = directory / "regex-rules"
    put("regex-rules/FUZZ-REGEX-001.yaml", REGEX_RULE)
    bomb_rules = directory / "bomb-rules"
    put("bomb-rules/FUZZ-BOMB-001.yaml", RULE_SEED + "\n" + BOMB.replace("a:", "x-a:", 1))
    bomb_tests = directory / "bomb-tests"
    put("bomb-tests/AIGOV-TAG-001.yaml", RULE_SEED)
    put("bomb-tests/AIGOV-TAG-001.test.yaml", RULE_TEST_SEED + "\n" + BOMB)
    long_name = json.loads(PLAN.read_text(encoding="utf-8"))
    for change in long_name["resource_changes"]:
        if change["type"] == "azurerm_cognitive_account" and change["change"]["after"]:
            change["change"]["after"]["name"] = "a" * 40 + "!"
    plan = str(PLAN)
    return {
        "regex-backtracking": [
            "scan",
            put("long-name.json", json.dumps(long_name)),
            "--policies",
            str(regex_rules),
        ],
        "config-alias-bomb": ["scan", plan, "--config", put("bomb.aigov.yaml", BOMB)],
        "config-alias-cycle": ["scan", plan, "--config", put("cycle.aigov.yaml", "rules: &r\n  x: [*r]\n")],
        "usage-alias-bomb": ["estimate", plan, "--usage", put("bomb.usage.yaml", BOMB)],
        "catalog-alias-bomb": ["scan", plan, "--catalog", put("bomb.catalog.yaml", BOMB)],
        "rules-alias-bomb": ["rules", "validate", str(bomb_rules)],
        "rule-tests-alias-bomb": ["rules", "test", str(bomb_tests)],
        "config-deep-yaml": ["scan", plan, "--config", put("deep.aigov.yaml", "a: " + "[" * 5000)],
        "plan-deep-json": ["scan", put("deep-plan.json", '{"resource_changes": ' + DEEP_JSON + "}")],
        "arm-deep-json": ["scan", put("deep-arm.json", ARM_HEAD + '"resources": ' + DEEP_JSON + "}")],
        "whatif-deep-json": ["scan", put("deep-whatif.json", WHATIF_HEAD + DEEP_JSON + "}]}")],
        "baseline-deep-json": ["scan", plan, "--baseline", put("deep-base.json", DEEP_JSON)],
        "parameters-deep-json": [
            "scan",
            str(FIXTURES / "arm" / "foundry_compiled.json"),
            "--parameters",
            put("deep.parameters.json", '{"parameters": {"x": {"value": ' + DEEP_JSON + "}}}"),
        ],
        "plan-nan": ["scan", put("nan-plan.json", PLAN.read_text(encoding="utf-8").replace("30", "NaN", 1))],
        "plan-huge-number": [
            "scan",
            put("big-plan.json", PLAN.read_text(encoding="utf-8").replace("30", "1e999", 1)),
        ],
        "usage-nan": [
            "estimate",
            plan,
            "--usage",
            put("nan.usage.yaml", "usage:\n  - {match: '*', monthly_input_tokens: .nan}\n"),
        ],
        "usage-huge-int": [
            "estimate",
            plan,
            "--usage",
            put("big.usage.yaml", "usage:\n  - {match: '*', monthly_input_tokens: " + "9" * 400 + "}\n"),
        ],
        "usage-negative": [
            "estimate",
            plan,
            "--usage",
            put("neg.usage.yaml", "usage:\n  - {match: '*', monthly_input_tokens: -5}\n"),
        ],
        "catalog-not-utf8": [
            "scan",
            plan,
            "--catalog",
            put("latin1.catalog.yaml", b"prices: []\n# caf\xe9\n"),
        ],
        "config-impossible-date": [
            "scan",
            plan,
            "--config",
            put("date.aigov.yaml", CONFIG.read_text(encoding="utf-8").replace("2026-06-15", "2026-02-30")),
        ],
    }


ATTACKS = [
    "arm-deep-json",
    "baseline-deep-json",
    "catalog-alias-bomb",
    "catalog-not-utf8",
    "config-alias-bomb",
    "config-alias-cycle",
    "config-deep-yaml",
    "config-impossible-date",
    "parameters-deep-json",
    "plan-deep-json",
    "plan-huge-number",
    "plan-nan",
    "regex-backtracking",
    "rule-tests-alias-bomb",
    "rules-alias-bomb",
    "usage-alias-bomb",
    "usage-huge-int",
    "usage-nan",
    "usage-negative",
    "whatif-deep-json",
]


@pytest.mark.parametrize("name", ATTACKS)
def test_each_attack_ends_in_one_line_within_seconds(tmp_path: Path, name: str) -> None:
    args = _attack_files(tmp_path)[name]
    settle(f"attack:{name}", run_aigov(args, report=args[0] == "rules"))
