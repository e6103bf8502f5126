"""The ready-made integrations: they parse, and the aigov commands they run work on the example plan.

The scan steps of the GitHub action and the Azure Pipelines template are run
as written (bash, with their inputs or parameters substituted the way the
runner would), against an ``aigov`` on PATH that is this checkout. Steps that
need the hosted services (setup-python, pip install, SARIF upload, test
publishing) are checked for their shape only.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from aigov.cli.main import main
from aigov.report.sarif import PLAN_AUTOMATION_ID
from tests.pipeline.conftest import CONFIG, PIPELINE, PLAN, ROOT

ACTION = ROOT / "action.yml"
AZURE = ROOT / "ci" / "azure-pipelines" / "aigov.yml"
PRE_COMMIT = ROOT / ".pre-commit-hooks.yaml"
_EXPRESSION = re.compile(r"\$\{\{\s*(inputs|parameters)\.([A-Za-z0-9_-]+)\s*\}\}")


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture
def aigov_on_path(tmp_path: Path) -> dict[str, str]:
    """An environment whose ``aigov`` is this checkout's, run by this interpreter."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "aigov"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m aigov "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}


def _substitute(value: str, values: dict[str, str]) -> str:
    return _EXPRESSION.sub(lambda m: values[m.group(2)], value)


def _run_step(step: dict[str, Any], values: dict[str, str], env: dict[str, str], cwd: Path) -> int:
    script = step.get("run") or step.get("bash")
    assert isinstance(script, str)
    step_env = {k: _substitute(str(v), values) for k, v in (step.get("env") or {}).items()}
    completed = subprocess.run(
        ["bash", "-e", "-c", script],
        env={**env, **step_env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in completed.stderr
    assert "No such option" not in completed.stderr, completed.stderr
    return completed.returncode


def test_all_three_files_parse() -> None:
    assert isinstance(_load(PRE_COMMIT), list)
    assert _load(ACTION)["runs"]["using"] == "composite"
    assert isinstance(_load(AZURE)["steps"], list)


# --------------------------------------------------------------------------- pre-commit


def test_pre_commit_hook_has_the_required_keys_and_matches_plan_json_files() -> None:
    [hook] = _load(PRE_COMMIT)
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    files = re.compile(hook["files"])
    assert files.search("infra/prod.tfplan.json")
    assert files.search("tfplan.json")
    assert not files.search("package.json")
    assert not files.search("infra/tfplan.json.bak")


def test_pre_commit_entry_runs_on_a_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [hook] = _load(PRE_COMMIT)
    command = [*shlex.split(hook["entry"]), *hook["args"]]
    assert command[0] == "aigov"
    monkeypatch.chdir(tmp_path)  # pre-commit runs in the repository root; no aigov.yaml there
    result = CliRunner().invoke(main, [*command[1:], str(PLAN)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "AIGOV-SKU-001" in result.stdout


# --------------------------------------------------------------------------- GitHub action


def _action_values(tmp_path: Path, **overrides: str) -> dict[str, str]:
    inputs = _load(ACTION)["inputs"]
    values = {name: str(spec.get("default", "")) for name, spec in inputs.items()}
    values.update(
        {"plan": str(PLAN), "sarif": str(tmp_path / "out.sarif"), "markdown": str(tmp_path / "out.md")},
        **overrides,
    )
    return values


def test_action_expressions_name_declared_inputs_and_steps() -> None:
    action = _load(ACTION)
    text = ACTION.read_text(encoding="utf-8")
    used = {m.group(2) for m in _EXPRESSION.finditer(text)}
    assert used <= set(action["inputs"])
    uses = [s.get("uses", "") for s in action["runs"]["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    upload = next(s for s in action["runs"]["steps"] if s.get("uses", "").startswith("github/codeql-action"))
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif }}"
    install = next(s for s in action["runs"]["steps"] if s.get("name") == "Install aigov")
    assert "$GITHUB_ACTION_PATH" in install["run"]


@pytest.mark.parametrize("extra", ["defaults", "everything"])
def test_action_scan_step_writes_sarif_markdown_and_the_exit_code(
    tmp_path: Path, aigov_on_path: dict[str, str], extra: str
) -> None:
    overrides = {"config": str(CONFIG)}
    if extra == "everything":
        overrides.update(
            {
                "baseline": str(PIPELINE / "base.json"),
                "compare-to": str(PIPELINE / "base.json"),
                "repo-root": str(PIPELINE / "repo"),
                "fail-on": "high",
            }
        )
    values = _action_values(tmp_path, **overrides)
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    env = {**aigov_on_path, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
    scan = next(s for s in _load(ACTION)["runs"]["steps"] if s.get("id") == "scan")
    assert _run_step(scan, values, env, tmp_path) == 0  # the step records the code; the Gate step fails
    assert output.read_text(encoding="utf-8") == "exit-code=1\n"
    sarif = json.loads(Path(values["sarif"]).read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"]
    assert summary.read_text(encoding="utf-8") == Path(values["markdown"]).read_text(encoding="utf-8")

    gate = next(s for s in _load(ACTION)["runs"]["steps"] if s.get("name") == "Gate")
    gate_env = {**env, "AIGOV_EXIT": "1"}
    assert _run_step({**gate, "env": {}}, values, gate_env, tmp_path) == 1
    assert _run_step({**gate, "env": {}}, values, {**env, "AIGOV_EXIT": "0"}, tmp_path) == 0


def test_action_scan_step_records_exit_2_for_an_unreadable_plan(
    tmp_path: Path, aigov_on_path: dict[str, str]
) -> None:
    values = _action_values(tmp_path, plan=str(tmp_path / "missing.json"))
    output = tmp_path / "github_output"
    env = {**aigov_on_path, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}
    scan = next(s for s in _load(ACTION)["runs"]["steps"] if s.get("id") == "scan")
    assert _run_step(scan, values, env, tmp_path) == 0
    assert output.read_text(encoding="utf-8") == "exit-code=2\n"


# --------------------------------------------------------------------------- Azure Pipelines


def _azure_values(tmp_path: Path, **overrides: str) -> dict[str, str]:
    values = {p["name"]: str(p.get("default", "")) for p in _load(AZURE)["parameters"]}
    values.update(
        {
            "plan": str(PLAN),
            "junit": str(tmp_path / "results" / "aigov-junit.xml"),
            "markdown": str(tmp_path / "summary" / "aigov.md"),
        },
        **overrides,
    )
    return values


def test_azure_template_publishes_the_junit_file_the_scan_writes() -> None:
    template = _load(AZURE)
    names = {p["name"] for p in template["parameters"]}
    assert {m.group(2) for m in _EXPRESSION.finditer(AZURE.read_text(encoding="utf-8"))} <= names
    publish = next(s for s in template["steps"] if s.get("task") == "PublishTestResults@2")
    assert publish["inputs"]["testResultsFormat"] == "JUnit"
    assert publish["inputs"]["testResultsFiles"] == "${{ parameters.junit }}"
    assert publish["condition"] == "succeededOrFailed()"
    scan = next(s for s in template["steps"] if "aigov scan" in s.get("bash", ""))
    assert scan["env"]["AIGOV_JUNIT"] == "${{ parameters.junit }}"


@pytest.mark.parametrize(("fail_on", "expected"), [("low", 1), ("never", 0)])
def test_azure_scan_step_writes_junit_and_fails_on_violations(
    tmp_path: Path, aigov_on_path: dict[str, str], fail_on: str, expected: int
) -> None:
    values = _azure_values(tmp_path, config=str(CONFIG), failOn=fail_on, repoRoot=str(PIPELINE / "repo"))
    scan = next(s for s in _load(AZURE)["steps"] if "aigov scan" in s.get("bash", ""))
    assert _run_step(scan, values, aigov_on_path, tmp_path) == expected
    suites = ET.parse(values["junit"]).getroot()
    assert suites.tag in {"testsuites", "testsuite"}
    assert len(list(suites.iter("testcase"))) > 0


# ------------------------------------------------------------- the action fits CI conventions (issue 11)


def _step(name: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = _load(ACTION)["runs"]["steps"]
    return next(s for s in steps if s.get("name") == name or s.get("id") == name)


def test_action_uploads_with_codeql_v4_under_the_sarif_logs_own_category() -> None:
    upload = _step("Upload SARIF")
    assert upload["uses"] == "github/codeql-action/upload-sarif@v4"
    assert upload["continue-on-error"] is True  # a fork's read-only token must not fail the gate
    assert f"{upload['with']['category']}/" == PLAN_AUTOMATION_ID
    setup = _step("Set up Python")
    assert setup["with"]["cache"] == "pip"
    assert {"policies", "usage", "on-unknown", "subscription", "args", "comment"} <= set(
        _load(ACTION)["inputs"]
    )
    comment = _step("Comment on the pull request")
    assert comment["continue-on-error"] is True
    assert comment["run"] == 'aigov comment github --body-file "$AIGOV_MARKDOWN"'


def test_action_scan_step_passes_policies_usage_subscription_and_free_args(
    tmp_path: Path, aigov_on_path: dict[str, str]
) -> None:
    pack = ROOT / "fixtures" / "rules" / "pack"
    values = _action_values(
        tmp_path,
        config=str(CONFIG),
        policies=f"{pack}\n\n",
        usage=str(ROOT / "fixtures" / "cost" / "usage.yaml"),
        subscription="9c4e1a7b-2f3d-4b8e-a1c6-5d7e9f0b3a28",
        **{"on-unknown": "warn", "args": "--no-bundled --skip-check 'ACME-*' --compact"},
    )
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    env = {**aigov_on_path, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
    assert _run_step(_step("scan"), values, env, tmp_path) == 0
    # Only the pack ran (--no-bundled), and its one rule was skipped: a clean scan.
    assert output.read_text(encoding="utf-8") == "exit-code=0\n"
    sarif = json.loads(Path(values["sarif"]).read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"] == []
    assert sarif["runs"][0]["automationDetails"]["id"] == PLAN_AUTOMATION_ID
    assert sarif["runs"][0]["properties"]["onUnknown"] == "warn"


def test_action_scan_step_passes_args_with_quotes_as_single_words(
    tmp_path: Path, aigov_on_path: dict[str, str]
) -> None:
    values = _action_values(
        tmp_path, config=str(CONFIG), args="--check 'AIGOV-SKU-001' --check \"AIGOV-TAG-*\""
    )
    output = tmp_path / "github_output"
    env = {**aigov_on_path, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}
    assert _run_step(_step("scan"), values, env, tmp_path) == 0
    assert output.read_text(encoding="utf-8") == "exit-code=1\n"
    sarif = json.loads(Path(values["sarif"]).read_text(encoding="utf-8"))
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"AIGOV-SKU-001", "AIGOV-TAG-001"}


def test_action_scan_step_refuses_unbalanced_args_without_running_them(
    tmp_path: Path, aigov_on_path: dict[str, str]
) -> None:
    marker = tmp_path / "pwned"
    values = _action_values(tmp_path, args=f"--check 'AIGOV-SKU-001 $(touch {marker})")
    env = {
        **aigov_on_path,
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "s"),
    }
    assert _run_step(_step("scan"), values, env, tmp_path) != 0
    assert not marker.exists()


def test_azure_template_runs_the_same_on_linux_and_windows_agents() -> None:
    steps = _load(AZURE)["steps"]
    for step in steps:
        # `script:` is cmd.exe on Windows, where "$VAR" is not expanded: every shell step is bash.
        assert "script" not in step, step
    scan = next(s for s in steps if "bash" in s and "aigov scan" in s["bash"])
    assert "mkdir" not in scan["bash"]
    assert "dirname" not in scan["bash"]


def test_azure_scan_step_publishes_the_markdown_to_the_build_summary(
    tmp_path: Path, aigov_on_path: dict[str, str]
) -> None:
    values = _azure_values(tmp_path, config=str(CONFIG))
    scan = next(s for s in _load(AZURE)["steps"] if "bash" in s and "aigov scan" in s["bash"])
    step_env = {k: _substitute(str(v), values) for k, v in scan["env"].items()}
    # As the Bash task runs it: no -e, the exit code is the script's.
    completed = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", scan["bash"]],
        env={**aigov_on_path, **step_env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    markdown = Path(values["markdown"])
    assert markdown.read_text(encoding="utf-8").startswith("<!-- aigov-report -->")
    assert f"##vso[task.uploadsummary]{markdown}" in completed.stdout.splitlines()
    assert Path(values["junit"]).is_file()
