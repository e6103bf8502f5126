"""bench/corpus.py: finds every kind of input, classifies how each run ended, compares compiled pairs."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fixtures" / "corpus"
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def _search(sku: str, replicas: int) -> dict[str, object]:
    """The ARM resource of the search service the pair tests compare."""
    return {
        "type": "Microsoft.Search/searchServices",
        "apiVersion": "2023-11-01",
        "name": "srch-pair",
        "location": "eastus",
        "sku": {"name": sku},
        "properties": {"replicaCount": replicas, "partitionCount": 1},
    }


def _template(*resources: object) -> str:
    return json.dumps({"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": list(resources)})


def _load_runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_runner", ROOT / "bench" / "corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


corpus = _load_runner()


def test_discovers_bicep_arm_templates_and_terraform_directories() -> None:
    found = [(i.kind, i.path.relative_to(CORPUS).as_posix()) for i in corpus.discover(CORPUS)]
    assert found == [
        ("bicep", "baseline/main.bicep"),
        ("bicep", "bicep/broken.bicep"),
        ("bicep", "bicep/good.bicep"),
        ("arm", "arm/azuredeploy.json"),
        ("arm", "baseline/main.json"),
        ("terraform", "terraform"),
    ]
    assert [i.kind for i in corpus.discover(CORPUS, only=("terraform",))] == ["terraform"]


def _done(code: int, stderr: str) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(["aigov"], code, "", stderr)


@pytest.mark.parametrize(
    ("done", "outcome"),
    [
        (_done(0, ""), "result"),
        (_done(1, "warning: a registry module\n"), "result"),
        (_done(2, "warning: w\nerror: f.bicep: line 1, column 1: bad\n"), "clean error"),
        (_done(2, "Traceback (most recent call last):\n  ...\nKeyError: 'x'\n"), "noisy"),
        (_done(2, "error: one\nerror: two\n"), "noisy"),
        (_done(3, "error: partial\n"), "noisy"),
        (None, "hang"),
    ],
)
def test_classifies_how_a_run_ended(done: subprocess.CompletedProcess[str] | None, outcome: str) -> None:
    item = corpus.Input("bicep", Path("x.bicep"))
    assert corpus.classify(item, done).outcome == outcome


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("error: /a/b.bicep: line 3, column 1: unexpected character '#'", "unexpected character '#'"),
        ("error: /a/b.bicep: line 9, column 2: unknown function 'nameof'", "unknown function '…'"),
        (
            "error: c/main.bicep: line 6, column 16: expected a new line, ',' or '}', found ']'",
            "expected a new line, ',' or '}', found ']'",
        ),
        ("error: t.json: $.resources[0].name: index 12 is outside", "index N is outside"),
    ],
)
def test_error_messages_group_without_file_position_or_names(line: str, kind: str) -> None:
    assert corpus.message_kind(line) == kind


def test_runs_aigov_over_a_corpus_and_prints_counts_errors_and_pairs() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "corpus.py"), str(CORPUS), "--details", "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0] == f"corpus: {CORPUS} (6 inputs, timeout 60 s)"
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:6]}
    assert rows == {
        "bicep": ["3", "2", "1", "0", "0"],
        "arm": ["2", "2", "0", "0", "0"],
        "terraform": ["1", "1", "0", "0", "0"],
        "total": ["6", "5", "1", "0", "0"],
    }
    assert "      1  expected a new line, ',' or '}', found ']'" in lines
    assert "Bicep files with a compiled main.json beside them: 1" in lines
    assert "  same             1" in lines
    assert any(line.startswith("  [clean error] ") and "broken.bicep" in line for line in lines)


def test_a_pair_whose_registry_modules_are_not_restored_is_counted_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # an empty module cache
    search = _search("basic", 1)
    module = {
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2022-09-01",
        "name": "search",
        "properties": {
            "expressionEvaluationOptions": {"scope": "inner"},
            "mode": "Incremental",
            "template": {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": [search]},
        },
    }
    (tmp_path / "main.bicep").write_text(
        "module search 'br:contoso.azurecr.io/search:1' = {\n  name: 'search'\n}\n"
    )
    (tmp_path / "main.json").write_text(_template(module))
    assert (
        corpus.compare(tmp_path / "main.bicep", tmp_path / "main.json", 60, str(tmp_path)) == "not restored"
    )
    # The same pair with the module inline on both sides compares as usual.
    (tmp_path / "main.bicep").write_text(
        "resource s 'Microsoft.Search/searchServices@2023-11-01' = {\n  name: 'srch-pair'\n"
        "  location: 'eastus'\n  sku: { name: 'basic' }\n"
        "  properties: { replicaCount: 1, partitionCount: 1 }\n}\n"
    )
    assert corpus.compare(tmp_path / "main.bicep", tmp_path / "main.json", 60, str(tmp_path)) == "same"


def test_a_template_spec_unread_on_both_sides_does_not_hide_an_unrestored_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Bicep repository's Registry sample: template specs stay links, registry modules go inline.
    monkeypatch.setenv("HOME", str(tmp_path))
    spec = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Resources/templateSpecs/s/versions/1"
    linked = {
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2022-09-01",
        "name": "fromSpec",
        "properties": {"mode": "Incremental", "templateLink": {"id": spec}},
    }
    inline = {
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2022-09-01",
        "name": "plan",
        "properties": {
            "expressionEvaluationOptions": {"scope": "inner"},
            "mode": "Incremental",
            "template": {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": []},
        },
    }
    (tmp_path / "main.bicep").write_text(
        "module fromSpec 'ts:0000/rg/s:1' = {\n  name: 'fromSpec'\n}\n"
        "module plan 'br:contoso.azurecr.io/plan:1' = {\n  name: 'plan'\n}\n"
    )
    (tmp_path / "main.json").write_text(_template(linked, inline))
    assert (
        corpus.compare(tmp_path / "main.bicep", tmp_path / "main.json", 60, str(tmp_path)) == "not restored"
    )


def test_a_pair_that_resolves_a_value_differently_is_counted_apart(tmp_path: Path) -> None:
    (tmp_path / "main.json").write_text(_template(_search("standard", 2)))
    bicep = (
        "resource s 'Microsoft.Search/searchServices@2023-11-01' = {\n  name: 'srch-pair'\n"
        "  location: 'eastus'\n  sku: { name: 'standard' }\n"
        "  properties: { replicaCount: REPLICAS, partitionCount: 1 }\n}\n"
    )
    (tmp_path / "main.bicep").write_text(bicep.replace("REPLICAS", "2"))
    assert corpus.compare(tmp_path / "main.bicep", tmp_path / "main.json", 60, str(tmp_path)) == "same"
    # One replica more on the Bicep side: the same types, another monthly cost.
    (tmp_path / "main.bicep").write_text(bicep.replace("REPLICAS", "3"))
    verdict = corpus.compare(tmp_path / "main.bicep", tmp_path / "main.json", 60, str(tmp_path))
    assert verdict == "values differ"
