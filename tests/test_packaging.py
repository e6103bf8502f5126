"""What `pip install .` (not editable) ships: every package and every data file of the source tree."""

from __future__ import annotations

import fnmatch
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
