"""Plan enrichment: where each Terraform plan resource is written in the ``.tf`` files (``--repo-root``).

A plan says ``module.ai.azurerm_cognitive_deployment.tuned`` but not in which
file or on which line that block is. With ``--repo-root DIR`` each plan
resource's block is looked up, as Checkov's
``--repo-root-for-plan-enrichment`` does:

* the root module is ``DIR``; a module call is followed through the plan's
  ``configuration`` (``module_calls[NAME].source``) when the source is a local
  path (``./modules/ai``, ``../shared``). Registry and Git modules are not in
  the repository, so their resources keep no file;
* in the module's directory, the ``*.tf`` files (sorted by name) are searched
  for ``resource "TYPE" "NAME" {``; the first match gives the file and line.

Findings on located resources then carry the ``.tf`` file and line (SARIF and
annotations point at the code), and inline ``aigov:ignore`` comments in those
blocks apply (:mod:`aigov.suppress`). File paths are ``DIR`` joined with the
file's path inside it, as given, like every other input path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, Final

from aigov.errors import AigovError, SourceError
from aigov.jsontext import decode
from aigov.model import Finding, Origin, Resource
from aigov.readfile import DOCUMENT_LIMIT, INPUT_LIMIT, read_regular_file, read_regular_text
from aigov.sources.terraform_plan import TerraformPlanSource, module_path

_RESOURCE_ADDRESS: Final = re.compile(
    r'(?:^|\.)(?P<type>[A-Za-z][A-Za-z0-9_-]*)\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)(?:\[(?:\d+|"(?:[^"\\]|\\.)*")\])?$'
)
_BLOCK: Final = re.compile(
    r'^\s*resource\s+"?(?P<type>[A-Za-z][A-Za-z0-9_-]*)"?\s+"?(?P<name>[A-Za-z_][A-Za-z0-9_-]*)"?\s*\{'
)


@dataclass(frozen=True, slots=True)
class BlockLocation:
    file: str
    line: int


def _module_dirs(configuration: Any, root: Path) -> dict[tuple[str, ...], Path]:
    """Each module path whose source is a local directory, mapped to that directory."""
    dirs: dict[tuple[str, ...], Path] = {(): root}
    stack: list[tuple[tuple[str, ...], Any]] = []
    if isinstance(configuration, dict):
        stack.append(((), configuration.get("root_module")))
    while stack:
        path, module = stack.pop()
        calls = module.get("module_calls") if isinstance(module, dict) else None
        if not isinstance(calls, dict):
            continue
        for name, call in calls.items():
            if not isinstance(call, dict):
                continue
            source = call.get("source")
            if isinstance(source, str) and (source.startswith("./") or source.startswith("../")):
                child = (*path, name)
                dirs[child] = Path(dirs[path], *PurePosixPath(source).parts)
                stack.append((child, call.get("module")))
    return dirs


def _blocks_in(directory: Path) -> dict[tuple[str, str], BlockLocation]:
    blocks: dict[tuple[str, str], BlockLocation] = {}
    try:
        files = sorted(p for p in directory.glob("*.tf") if p.is_file())
    except OSError:
        return blocks
    for file in files:
        try:
            text = read_regular_text(file, DOCUMENT_LIMIT)
        except AigovError:  # locating is best effort: the block then keeps its plan address
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            match = _BLOCK.match(line)
            if match:
                blocks.setdefault((match["type"], match["name"]), BlockLocation(str(file), number))
    return blocks


class PlanLocator:
    """Finds the ``.tf`` block of each resource address of one plan under a repository root."""

    def __init__(self, configuration: Any, repo_root: Path) -> None:
        self._dirs = _module_dirs(configuration, repo_root)
        self._blocks: dict[Path, dict[tuple[str, str], BlockLocation]] = {}

    def locate(self, address: str) -> BlockLocation | None:
        """The block of ``address`` (``module.a["x"].azurerm_t.n[0]``), or None when it is not found."""
        match = _RESOURCE_ADDRESS.search(address)
        if match is None or address.startswith("data.") or ".data." in address:
            return None
        module_address = address[: match.start()].rstrip(".") if match.start() else ""
        directory = self._dirs.get(module_path(module_address))
        if directory is None:
            return None
        if directory not in self._blocks:
            self._blocks[directory] = _blocks_in(directory)
        return self._blocks[directory].get((match["type"], match["name"]))


def plan_configuration(data: bytes, file: str) -> Any:
    """The ``configuration`` object of a plan's JSON (None when it has none)."""
    document = decode(data.removeprefix(b"\xef\xbb\xbf"), file, SourceError)
    return document.get("configuration") if isinstance(document, dict) else None


def relocate(resource: Resource, locator: PlanLocator) -> Resource:
    """``resource`` with its origin pointing at its ``.tf`` block, when found."""
    found = locator.locate(resource.address)
    if found is None:
        return resource
    origin = Origin(resource.origin.source, found.file, found.line, resource.origin.address)
    return replace(resource, origin=origin)


def enrich_plan_origins(
    inputs: Sequence[str],
    resources: Sequence[Resource],
    findings: Sequence[Finding],
    repo_root: Path,
) -> tuple[list[Resource], list[Finding], list[str]]:
    """Resources and findings of the plan ``inputs`` with ``.tf`` files and lines; and warnings.

    A plan read from standard input is not read again (it cannot be), so its
    resources are not located; the warnings say so, and say how many plan
    resources were not found under ``repo_root``.
    """
    if not repo_root.is_dir():
        raise SourceError("--repo-root is not a directory", file=str(repo_root))
    source = TerraformPlanSource.name
    plan_files = {r.origin.file for r in resources if r.origin.source == source and r.origin.line is None}
    locators: dict[str, PlanLocator] = {}
    warnings: list[str] = []
    for path in inputs:
        if path == "-":
            if "<stdin>" in plan_files:
                warnings.append("--repo-root: a plan read from standard input is not located in .tf files")
            continue
        if path in plan_files:
            data = read_regular_file(path, INPUT_LIMIT, SourceError)
            locators[path] = PlanLocator(plan_configuration(data, path), repo_root)
    cache: dict[tuple[str | None, str], Resource] = {}

    def moved(resource: Resource) -> Resource:
        locator = locators.get(resource.origin.file or "")
        if locator is None or resource.origin.source != source:
            return resource
        key = (resource.origin.file, resource.key)
        if key not in cache:
            cache[key] = relocate(resource, locator)
        return cache[key]

    new_resources = [moved(r) for r in resources]
    pairs = zip(resources, new_resources, strict=True)
    in_plans = [(old, new) for old, new in pairs if old.origin.file in locators]
    missing = sum(1 for old, new in in_plans if old is new)
    if missing:
        warnings.append(
            f"--repo-root: {missing} of {len(in_plans)} plan resources not found in the .tf files "
            f"under {repo_root} (registry or Git modules, or another root)"
        )
    new_findings = [f if (r := moved(f.resource)) is f.resource else replace(f, resource=r) for f in findings]
    return new_resources, new_findings, warnings
