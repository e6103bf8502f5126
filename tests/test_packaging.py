"""What `pip install .` (not editable) ships: every package and every data file of the source tree."""

from __future__ import annotations

import ast
import fnmatch
import functools
import importlib.metadata
import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_in_the_tree_is_listed() -> None:
    in_tree = {
        ".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "aigov").rglob("__init__.py")
    }
    listed = set(SETUPTOOLS["packages"])
    assert in_tree <= listed, f"add to [tool.setuptools] packages: {sorted(in_tree - listed)}"
    assert "aigov.bundled_policies" in listed
    assert SETUPTOOLS["package-dir"]["aigov.bundled_policies"] == "policies"


def test_every_data_file_is_package_data() -> None:
    patterns: dict[str, list[str]] = SETUPTOOLS["package-data"]
    for path in (ROOT / "aigov").rglob("*"):
        if not path.is_file() or path.suffix in {".py", ".pyc"} or "__pycache__" in path.parts:
            continue
        package = ".".join(path.parent.relative_to(ROOT).parts)
        globs = patterns.get(package, [])
        assert any(fnmatch.fnmatch(path.name, g) for g in globs), (
            f"{path.relative_to(ROOT)} is not package data"
        )


def test_bundled_rules_are_package_data() -> None:
    globs = SETUPTOOLS["package-data"]["aigov.bundled_policies"]
    rules = list((ROOT / "policies").rglob("*.yaml"))
    assert rules
    assert all(any(fnmatch.fnmatch(str(r.relative_to(ROOT / "policies")), g) for g in globs) for r in rules)


# ------------------------------------------------------------- declared dependencies (issue 11, item 4)

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _distribution_name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imports(files: list[Path]) -> set[str]:
    """Absolute imports of third-party modules (full dotted names) in ``files``."""
    names: set[str] = set()
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    return {n for n in names if n.partition(".")[0] not in sys.stdlib_module_names | {"aigov"}}


@functools.cache
def _installed_files() -> dict[Path, str]:
    """Every installed file and the distribution that ships it."""
    owners: dict[Path, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"].lower().replace("_", "-")
        for file in dist.files or ():
            if file.suffix == ".py":
                owners[Path(str(dist.locate_file(file))).resolve()] = name
    return owners


def _owner(module: str) -> str:
    """The installed distribution that ships ``module``."""
    spec = importlib.util.find_spec(module)
    assert spec is not None, f"{module} is not installed"
    assert spec.origin, f"{module} is a namespace package"
    origin = Path(spec.origin).resolve()
    owner = _installed_files().get(origin)
    assert owner is not None, f"no installed distribution ships {module} ({origin})"
    return owner


def test_every_imported_package_is_declared_and_the_azure_sdks_are_an_extra() -> None:
    core = {_distribution_name(r) for r in PROJECT["dependencies"]}
    azure = {_distribution_name(r) for r in PROJECT["optional-dependencies"]["azure"]}
    postgres = {_distribution_name(r) for r in PROJECT["optional-dependencies"]["postgres"]}
    package = ROOT / "aigov"
    live = sorted((package / "live").rglob("*.py"))
    rest = sorted(p for p in package.rglob("*.py") if p not in live)
    for module in sorted(_imports(rest)):
        assert _owner(module) in core, f"{module} ({_owner(module)}) is imported but not in dependencies"
    for module in sorted(_imports(live)):
        owner = _owner(module)
        assert owner in core | azure | postgres, f"{module} ({owner}) is not in the azure or postgres extra"
    assert not any(name.startswith("azure") for name in core), "the plan gate must install without Azure SDKs"
    assert "aigov[azure]" in PROJECT["optional-dependencies"]["test"], "the tests run the live scan"


BLOCK_AZURE = """
import sys
class NoAzure:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {"azure", "msal"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, NoAzure())
from aigov.cli.main import main
sys.argv = ["aigov", *sys.argv[1:]]
main()
"""


def _without_azure(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_AZURE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def test_plans_scan_without_the_azure_sdks_and_the_live_scan_says_what_to_install() -> None:
    plan = _without_azure(
        "scan",
        "fixtures/terraform_plan/example.json",
        "--config",
        "fixtures/terraform_plan/example.aigov.yaml",
        "--format",
        "json",
    )
    assert plan.returncode == 1, plan.stderr
    assert "AIGOV-SKU-001" in plan.stdout
    live = _without_azure("scan", "azure")
    assert live.returncode == 2
    assert live.stdout == ""
    assert live.stderr.count("\n") == 1, live.stderr
    assert live.stderr.startswith("error: the live scan needs the Azure SDKs")
    assert live.stderr.rstrip().endswith('pip install "aigov[azure]"')
