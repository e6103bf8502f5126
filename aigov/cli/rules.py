"""``aigov rules``: list, explain, validate, scaffold, test and export rules.

Every subcommand reads rules through :mod:`aigov.policy.loader` and runs
cases through :mod:`aigov.policy.testing`, the runner pytest uses, so what
these commands say is what a scan and the test suite see. Errors follow the
CLI's convention (one line, exit 2); ``rules test`` exits 1 when a case fails.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from io import StringIO
from pathlib import Path
from typing import Any, Final

import click
import yaml
from rich import box
from rich.console import Console
from rich.table import Table

from aigov.cli.common import guarded
from aigov.config import Config, find_config, load_config
from aigov.cost.catalog import load_catalog
from aigov.cost.model import CostModel
from aigov.errors import AigovError, RuleError
from aigov.gate import ExitCode
from aigov.paths import bundled_policies_dir
from aigov.policy import scaffold
from aigov.policy.export import ExportResult, export_rules
from aigov.policy.loader import TEST_SUFFIX, compile_rule, discover, load_rules, read_rule_document
from aigov.policy.rule import Rule, RuleSet
from aigov.policy.testing import RuleCase, discover_cases, load_case_file, missing_cases, run_case
from aigov.readfile import DOCUMENT_LIMIT, read_regular_text

EXPORT_FORMATS: Final[Mapping[str, Callable[[RuleSet], ExportResult]]] = {
    "azure-policy": export_rules,
}
NOT_EXPORTED_FILE: Final = "not-exported.txt"
_NOT_EXPORTED_HEADER: Final = "# aigov rules export: rules with no Azure Policy equivalent, and why\n"

COST_BASIS_BY_TYPE: Final[Mapping[str, str]] = {
    # A summary of docs/design.md §3 (what CostModel.monthly_cost prices), for `rules explain`.
    "microsoft.cognitiveservices/accounts/deployments": (
        "provisioned types: sku.capacity PTU x $/PTU/h x 730 h (exact); fine-tuned models: "
        "hosting $/h x 730 h (exact); other pay-as-you-go types: usage-based (unknown)"
    ),
    "microsoft.cognitiveservices/accounts": (
        "the sum of its deployments (the account SKU bills nothing itself)"
    ),
    "microsoft.search/searchservices": "$/search unit/h x replicas x partitions x 730 h (exact; free is 0)",
    "microsoft.machinelearningservices/workspaces": (
        "the sum of its computes, online deployments and serverless endpoints"
    ),
    "microsoft.machinelearningservices/workspaces/serverlessendpoints": (
        "unknown: billed per token at the model's Azure Marketplace price, not in the catalogue"
    ),
    "microsoft.machinelearningservices/workspaces/onlineendpoints/deployments": (
        "managed: instances (sku.capacity) x the instance type's Linux VM $/h x 730 h (estimate)"
    ),
    "microsoft.capacity/reservationorders/reservations": (
        "PTU x the reservation's $/PTU/month (exact); a 1-year term at its yearly price / 12"
    ),
    "microsoft.machinelearningservices/workspaces/computes": (
        "cluster: $/VM/h x minNodeCount x 730 h (exact), or x maxNodeCount when it scales to zero "
        "(an upper-bound estimate); instance: $/VM/h x 730 h (estimate)"
    ),
}


@click.group()
def rules() -> None:
    """Write, test, explain and export rules."""


def _policies_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--policies",
        "policy_dirs",
        multiple=True,
        type=click.Path(exists=True, file_okay=False),
        help="Extra rule directory, after the bundled rules (repeatable).",
    )(func)


def _config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(),
        metavar="FILE",
        help="aigov.yaml with per-rule overrides (default: ./aigov.yaml if present).",
    )(func)


def _load_all(policy_dirs: Sequence[str], config_path: str | None) -> tuple[RuleSet, Config]:
    """Bundled and extra rules with aigov.yaml's overrides, disabled ones included (they are listed)."""
    config = load_config(Path(config_path) if config_path else find_config(Path.cwd()))
    overrides = {k: dataclasses.replace(v, enabled=True) for k, v in config.rule_overrides.items()}
    ruleset = load_rules([Path(d) for d in policy_dirs], overrides, bundled=[bundled_policies_dir()])
    return ruleset, config


def _enabled(rule: Rule, config: Config) -> bool:
    override = config.rule_overrides.get(rule.id)
    return override is None or override.enabled


def _resource_types(rule: Rule) -> list[str]:
    declared = rule.document.get("resource", sorted(rule.resource_types))
    return list(declared) if isinstance(declared, list) else [declared]


def _console(buffer: StringIO) -> Console:
    color = sys.stdout.isatty()
    width = shutil.get_terminal_size((120, 24)).columns if color else 120
    return Console(
        file=buffer,
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,
    )


# ---------------------------------------------------------------------------------------------- list


@rules.command("list")
@_policies_option
@_config_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@guarded
def list_rules(policy_dirs: tuple[str, ...], config_path: str | None, fmt: str) -> int:
    """List the rules: id, family, severity, resource types and whether aigov.yaml enables them.

    `--format json` adds each rule's title and file.
    """
    ruleset, config = _load_all(policy_dirs, config_path)
    if fmt == "json":
        rows = [
            {
                "id": r.id,
                "title": r.title,
                "family": r.category,
                "severity": r.severity.value,
                "resource_types": _resource_types(r),
                "enabled": _enabled(r, config),
                "file": r.file,
            }
            for r in ruleset
        ]
        click.echo(json.dumps(rows, indent=2))
        return ExitCode.OK
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("id", "family", "severity", "resource types", "enabled"):
        # The long ARM types (online deployments, reservations) fold rather than squeeze the other columns.
        if column == "resource types":
            table.add_column(column, overflow="fold")
        else:
            table.add_column(column, no_wrap=True)
    for r in ruleset:
        table.add_row(
            r.id,
            r.category,
            r.severity.value,
            "\n".join(_resource_types(r)),
            "yes" if _enabled(r, config) else "no",
        )
    buffer = StringIO()
    console = _console(buffer)
    console.print(table)
    console.print(f"{len(ruleset)} rules, {sum(_enabled(r, config) for r in ruleset)} enabled")
    click.echo("\n".join(line.rstrip() for line in buffer.getvalue().splitlines()))
    return ExitCode.OK


# ------------------------------------------------------------------------------------------- explain


def _yaml(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line.strip() else "" for line in text.rstrip().splitlines())


def _inline(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def explain_cost(rule: Rule) -> str:
    """How a violation of ``rule`` is priced, in words."""
    spec = rule.document.get("cost")
    if spec == "none":
        return "none: the rule has no cost of its own; a finding's figure is 0 (exact)."
    if spec == "resource":
        return "resource: a finding costs the resource's own monthly cost, from the price catalogue."
    if isinstance(spec, Mapping) and ("delta" in spec or "change" in spec):
        kind = "delta" if "delta" in spec else "change"
        delta = spec[kind]
        to = delta["to"]
        values = rule.cost.to
        listed = ", ".join(map(str, values))
        if isinstance(to, Mapping) and "context" in to:
            choices = f"the value of context {to['context']} for the resource"
        elif isinstance(to, Mapping):
            choices = f"the parameter {to['parameter']!r} ({listed})"
        else:
            choices = listed
        if kind == "change":
            return (
                f"change on {delta['field']}: a finding costs what the resource would cost more each month "
                f"with {delta['field']} set to {choices}, at the same usage (0 when it would cost less)."
            )
        return (
            f"delta on {delta['field']}: a finding costs the resource's monthly cost as it is, minus its "
            f"cost with {delta['field']} set to the cheapest of {choices} "
            "(what complying would save each month)."
        )
    return f"{_inline(spec)}: see docs/design.md §3."


def _case_source(case: RuleCase, next_line: int | None) -> str:
    """The case as its author wrote it, comments included."""
    lines = read_regular_text(case.file, DOCUMENT_LIMIT, RuleError, encoding="utf-8").splitlines()
    start = (case.line or 1) - 1
    end = (next_line - 1) if next_line is not None else len(lines)
    block = lines[start:end]
    while block and not block[-1].strip():
        block.pop()
    # Turn "  - name: x" into "name: x" with its body dedented to match.
    width = len(block[0]) - len(block[0].lstrip("- ")) if block else 0
    return "\n".join(line[width:] if len(line) >= width else line.strip() for line in block)


def _examples(rule: Rule) -> tuple[str | None, str | None]:
    """A failing and a passing case from the rule's test file, as written."""
    if rule.file is None:
        return None, None
    path = Path(rule.file).with_name(f"{rule.id}{TEST_SUFFIX}")
    if not path.is_file():
        return None, None
    cases = load_case_file(path)
    next_lines = {c.name: n.line for c, n in itertools.pairwise(cases)}
    failing = [c for c in cases if c.expect.findings > 0]
    failing.sort(key=lambda c: c.expect.outcome is not None and c.expect.outcome.value != "violation")
    passing = [c for c in cases if c.expect.findings == 0]

    def shown(found: list[RuleCase]) -> str | None:
        if not found:
            return None
        case = found[0]
        return f"{case.id} ({case.where})\n" + _indent(_case_source(case, next_lines.get(case.name)))

    return shown(failing), shown(passing)


@rules.command("explain")
@click.argument("rule_id", metavar="ID")
@_policies_option
@_config_option
@guarded
def explain(rule_id: str, policy_dirs: tuple[str, ...], config_path: str | None) -> int:
    """Explain rule ID: what it checks, its parameters, how its cost is computed, and examples."""
    ruleset, config = _load_all(policy_dirs, config_path)
    rule = ruleset.get(rule_id) or next((r for r in ruleset if r.id.lower() == rule_id.lower()), None)
    if rule is None:
        raise RuleError(f"no rule {rule_id} (aigov rules list shows them)")
    out: list[str] = [
        f"{rule.id}: {rule.title}",
        f"family: {rule.category}   severity: {rule.severity.value}   "
        f"enabled: {'yes' if _enabled(rule, config) else 'no (aigov.yaml)'}",
        f"resource types: {', '.join(_resource_types(rule))}",
        f"file: {rule.file}",
    ]
    if rule.description:
        out += ["", "Description", _indent(rule.description)]
    out += ["", "Parameters"]
    if not rule.parameter_specs:
        out.append("  (none)")
    for name, spec in rule.parameter_specs.items():
        kind = f" ({spec.type})" if spec.type else ""
        out.append(f"  {name}{kind}: {' '.join((spec.description or '').split())}".rstrip(": "))
        out.append(f"    default: {_inline(spec.default)}")
        if rule.parameters[name] != spec.default:
            out.append(f"    effective: {_inline(rule.parameters[name])} (from {config.file})")
    condition: dict[str, Any] = {}
    if "forEach" in rule.document:
        condition["forEach"] = rule.document["forEach"]
    condition["if"] = rule.document["if"]
    out += ["", "Condition (fails when true)", _indent(_yaml(condition))]
    if "forEach" in condition:
        name = condition["forEach"]["parameter"]
        out.append(f"  (evaluated once per item of {name!r} as {{item}}; fails if any item fails)")
    out += ["", "Cost", _indent(explain_cost(rule))]
    if rule.cost.kind.value != "none":
        for t in _resource_types(rule):
            basis = COST_BASIS_BY_TYPE.get(t.lower(), "not priced by aigov's catalogue (unknown)")
            out.append(f"  {t}: {basis}")
        info = load_catalog().info
        out.append(f"  prices: the {info.name} catalogue as of {info.as_of.isoformat()}, {info.currency}")
    out += ["", "Message", _indent(rule.message)]
    out += ["", "Remediation", _indent(" ".join(rule.remediation.split()))]
    failing, passing = _examples(rule)
    out += ["", "Failing example", _indent(failing or "(none: add a failing case to the rule's test file)")]
    out += ["", "Passing example", _indent(passing or "(none: add a passing case to the rule's test file)")]
    if rule.references:
        out += ["", "References", *(f"  {ref}" for ref in rule.references)]
    click.echo("\n".join(out))
    return ExitCode.OK


# ------------------------------------------------------------------------------------------ validate


@dataclasses.dataclass
class _Validation:
    errors: list[str] = dataclasses.field(default_factory=list)
    rules: int = 0
    test_files: int = 0
    cases: int = 0


def _rule_files_in(directory: Path) -> list[Path]:
    """The rule files under ``directory``; none is an error, as checking nothing must not read as a pass."""
    found = discover([directory])
    if not found:
        raise RuleError(
            f"no rule files (*.yaml other than *{TEST_SUFFIX}) in this directory", file=str(directory)
        )
    return found


def _split(paths: Sequence[Path], errors: list[str]) -> tuple[list[Path], list[Path]]:
    """Rule files and test files under ``paths`` (files given directly are taken by their name).

    A directory without rule files, or with an entry that cannot be read, adds an error to ``errors``.
    """
    rule_files: list[Path] = []
    test_files: list[Path] = []
    for p in paths:
        if p.is_file():
            (test_files if p.name.endswith(TEST_SUFFIX) else rule_files).append(p)
        else:
            try:
                rule_files.extend(_rule_files_in(p))
            except RuleError as exc:
                errors.append(str(exc))
            try:
                test_files.extend(f for f in sorted(p.rglob(f"*{TEST_SUFFIX}")) if not f.is_dir())
            except RuleError as exc:
                errors.append(str(exc))
    return rule_files, test_files


def validate_paths(paths: Sequence[Path]) -> _Validation:
    """Every rule and test file checked; every error collected, one line each, in file order."""
    result = _Validation()
    rule_files, test_files = _split(paths, result.errors)
    seen: dict[str, Path] = {}
    for path in rule_files:
        try:
            data, root = read_rule_document(path)
            if data["id"] in seen:
                raise RuleError(
                    f"duplicate rule id {data['id']} (also in {seen[data['id']]})",
                    file=str(path),
                )
            seen[data["id"]] = path
            compile_rule(data, str(path), root, parameter_error=RuleError)
            result.rules += 1
        except RuleError as exc:
            result.errors.append(str(exc))
    stems = {p.name.removesuffix(".yaml") for p in rule_files}
    for path in test_files:
        try:
            cases = load_case_file(path)
        except RuleError as exc:
            result.errors.append(str(exc))
            continue
        result.test_files += 1
        result.cases += len(cases)
        rule_id = cases[0].rule_id if cases else None
        if rule_id is not None and rule_id not in seen and rule_id not in stems:
            result.errors.append(f"{path}: tests rule {rule_id}, which is not among the rules validated")
    return result


@rules.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True), metavar="DIR...")
@guarded
def validate(paths: tuple[str, ...]) -> int:
    """Check every rule and test file under DIR; print each error as `file: line N: $.path: message`."""
    result = validate_paths([Path(p) for p in paths])
    for error in result.errors:
        click.echo(error)
    if result.errors:
        click.echo(f"{len(result.errors)} invalid file(s)", err=True)
        return ExitCode.ERROR
    click.echo(
        f"OK: {result.rules} rule(s), {result.test_files} test file(s) with {result.cases} case(s) valid"
    )
    return ExitCode.OK


# ----------------------------------------------------------------------------------------------- new


@rules.command("new")
@click.argument("rule_id", metavar="ID")
@click.option("--family", required=True, type=click.Choice(scaffold.families()), help="The rule's category.")
@click.option("--resource", "resource_type", required=True, metavar="TYPE", help="ARM type the rule checks.")
@click.option(
    "--dir",
    "directory",
    default="policies",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Rule directory; files go to DIR/<family>/.",
)
@guarded
def new(rule_id: str, family: str, resource_type: str, directory: str) -> int:
    """Scaffold DIR/<family>/ID.yaml and ID.test.yaml (a sku.name rule whose tests pass as written)."""
    root = Path(directory)
    bundled = load_rules([bundled_policies_dir()])
    clash = bundled.get(rule_id)
    if clash is not None:
        raise RuleError(f"rule id {rule_id} is already a bundled rule ({clash.file}); choose another id")
    if root.is_dir():
        existing = next((p for p in discover([root]) if p.name == f"{rule_id}.yaml"), None)
        if existing is not None:
            raise RuleError("already exists; not overwriting it", file=str(existing))
    files = scaffold.render(rule_id, family, resource_type, root)
    scaffold.write(files)
    click.echo(f"created {files.rule_path}")
    click.echo(f"created {files.test_path}")
    click.echo(f"next: edit both, then run: aigov rules test {root}")
    return ExitCode.OK


# ---------------------------------------------------------------------------------------------- test


@rules.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True), metavar="[DIR]...")
@click.option("-v", "--verbose", is_flag=True, help="Print every case, not only the failing ones.")
@guarded
def test(paths: tuple[str, ...], verbose: bool) -> int:
    """Run the rules' test cases (default: the bundled rules); ends with `N passed, N failed`.

    Exit 0: every case passed; 1: a case failed; 2: a rule or test file is invalid, or a DIR holds
    no rule or no test case.
    """
    dirs = [Path(p) for p in paths] or [bundled_policies_dir()]
    for d in dirs:
        if d.is_dir():
            _rule_files_in(d)
    ruleset = load_rules(dirs)
    cases = discover_cases(dirs)
    if not cases:
        where = dirs[0] if len(dirs) == 1 else None
        raise RuleError(f"no test cases (*{TEST_SUFFIX}) to run", file=str(where) if where else None)
    costs = CostModel(load_catalog())
    passed = failed = 0
    for case in cases:
        result = run_case(case, ruleset, costs)
        if result.passed:
            passed += 1
            if verbose:
                click.echo(f"PASS {case.id}")
        else:
            failed += 1
            click.echo(f"FAIL {case.id} ({case.where}): {'; '.join(result.failures)}")
    gaps = missing_cases(ruleset, cases)
    if gaps:
        click.echo(f"coverage: {len(gaps)} gap(s): {'; '.join(gaps)}")
    else:
        click.echo(f"coverage: all {len(ruleset)} rule(s) have a failing and a passing case")
    click.echo(f"{passed} passed, {failed} failed")
    return ExitCode.VIOLATIONS if failed else ExitCode.OK


# -------------------------------------------------------------------------------------------- export


def _check_replaceable(path: Path, rule_id: str | None) -> None:
    """Refuse to replace a file this command did not write (nothing a user wrote is overwritten)."""
    if not path.exists():
        return
    try:
        text = path.read_text(encoding="utf-8")
        if rule_id is None:
            ours = text.startswith(_NOT_EXPORTED_HEADER)
        else:
            ours = json.loads(text)["properties"]["metadata"]["aigov"]["rule"] == rule_id
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        ours = False
    if not ours:
        raise AigovError(
            "exists and was not written by aigov rules export; not overwriting it", file=str(path)
        )


@rules.command("export")
@click.option(
    "--format", "fmt", required=True, type=click.Choice(sorted(EXPORT_FORMATS)), help="Target policy engine."
)
@click.argument("paths", nargs=-1, type=click.Path(exists=True), metavar="[DIR]...")
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    help="Write one <ID>.json per rule and not-exported.txt here (default: a JSON object on stdout).",
)
@guarded
def export(fmt: str, paths: tuple[str, ...], output_dir: str | None) -> int:
    """Export the rules under DIR (default: the bundled rules) as policy definitions.

    Rules that cannot be expressed are listed on stderr with the reason.
    """
    dirs = [Path(p) for p in paths] or [bundled_policies_dir()]
    result = EXPORT_FORMATS[fmt](load_rules(dirs))
    if output_dir is None:
        definitions = {e.rule_id: e.definition for e in result.exported}
        click.echo(json.dumps(definitions, indent=2, ensure_ascii=False))
    else:
        out = Path(output_dir)
        targets: list[tuple[Path, str | None, str]] = [
            (out / f"{e.rule_id}.json", e.rule_id, e.to_json()) for e in result.exported
        ]
        targets.append((out / NOT_EXPORTED_FILE, None, _NOT_EXPORTED_HEADER + result.not_exported_text()))
        for path, rule_id, _ in targets:
            _check_replaceable(path, rule_id)
        try:
            out.mkdir(parents=True, exist_ok=True)
            for path, _, text in targets:
                path.write_text(text, encoding="utf-8", newline="\n")
        except OSError as exc:
            raise AigovError(exc.strerror or str(exc), file=str(exc.filename or out)) from None
        click.echo(f"wrote {len(result.exported)} definition(s) to {out}")
    for skipped in result.not_exported:
        click.echo(f"not exported: {skipped.rule_id}: {skipped.reason}", err=True)
    click.echo(
        f"{len(result.exported)} exported, {len(result.not_exported)} not expressible in {fmt}", err=True
    )
    return ExitCode.OK
