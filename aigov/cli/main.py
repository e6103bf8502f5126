"""The ``aigov`` command line.

Exit codes are decided in :mod:`aigov.gate`; this module only maps errors to
them: any :class:`~aigov.errors.AigovError` is one line on stderr and exit 2,
and so is an unexpected internal error (the gate fails closed: a crash must
never read as "no violations" or as "violations found").
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

import click

from aigov import __version__
from aigov.cli.common import check_outputs, guarded, write_output
from aigov.collector import collector_paused
from aigov.config import Config, find_config, load_config
from aigov.costdiff import summary_line
from aigov.errors import AigovError
from aigov.gate import FAIL_ON_CHOICES, exit_code, parse_fail_on
from aigov.lazy import import_object
from aigov.model import Severity
from aigov.policy.loader import discover
from aigov.report import REPORTERS
from aigov.report.base import ReportOptions
from aigov.scan import STDIN, ScanOptions, run_scan


class _Commands(click.Group):
    """The command group, with the commands of other modules imported only when they run.

    ``aigov scan`` never loads what ``rules``, ``estimate`` or ``prices``
    need (rich tables, rule testing, the price refresh's HTTP client).
    """

    lazy: ClassVar[dict[str, str]] = {
        "rules": "aigov.cli.rules:rules",
        "estimate": "aigov.cli.estimate:estimate",
        "prices": "aigov.cli.prices:prices",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            command: click.Command = import_object(self.lazy[cmd_name])
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aigov")
def main() -> None:
    """FinOps guard-rails as code for Azure AI spend."""


def _terraform_variables(pairs: Sequence[str]) -> dict[str, str]:
    """``--var NAME=VALUE`` options as a mapping (a later one for the same name wins, as in Terraform)."""
    variables: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise AigovError(f"--var {pair!r}: expected NAME=VALUE")
        variables[name.strip()] = value
    return variables


@main.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "--config",
    "config_path",
    type=click.Path(),
    metavar="FILE",
    help="aigov.yaml (default: ./aigov.yaml if present).",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(sorted(REPORTERS)),
    help="Output format; repeat with --output for several reports. Default: table.",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    metavar="FILE",
    help="Write the matching --format here (- = stdout).",
)
@click.option(
    "--fail-on",
    type=click.Choice(list(FAIL_ON_CHOICES)),
    default="low",
    show_default=True,
    help="Lowest severity that fails the gate ('info' notices never fail by default).",
)
@click.option(
    "--on-unknown",
    type=click.Choice(["fail", "warn"]),
    default="fail",
    show_default=True,
    help="Whether findings a rule could not decide (values known only after apply) fail the gate.",
)
@click.option(
    "--subscription",
    "subscriptions",
    multiple=True,
    help="Plan/template: the subscription id to assume for every resource (once). "
    "`scan azure`: a subscription to scan (repeatable; default: every one the credential can read).",
)
@click.option(
    "--management-group",
    "management_groups",
    multiple=True,
    help="`scan azure`: scan the subscriptions under this management group (repeatable).",
)
@click.option("--arm-endpoint", help="`scan azure`: ARM endpoint (sovereign clouds). Default: public Azure.")
@click.option(
    "--history",
    "history_path",
    type=click.Path(),
    metavar="FILE",
    help="`scan azure`: SQLite history file; the report shows new, persisting and fixed findings.",
)
@click.option(
    "--window-days",
    type=click.IntRange(min=1),
    help="`scan azure`: days without requests that make a fine-tuned deployment idle [default: 7].",
)
@click.option(
    "--utilisation-threshold",
    type=click.FloatRange(min=0, max=100),
    help="`scan azure`: provisioned utilisation (%) under which PTUs count as idle [default: 20].",
)
@click.option(
    "--policies",
    "policy_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Extra rule directory (repeatable).",
)
@click.option("--catalog", "catalog_path", type=click.Path(), metavar="FILE", help="Price catalogue to use.")
@click.option(
    "--usage",
    "usage_path",
    type=click.Path(),
    metavar="FILE",
    help="Usage assumptions (usage.yaml): price pay-per-token deployments in findings.",
)
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(),
    metavar="FILE",
    help="An earlier JSON report: its findings are reported as existing and only new ones fail the gate.",
)
@click.option(
    "--compare-to",
    "compare_to_path",
    type=click.Path(),
    metavar="FILE",
    help="The base branch's JSON report: report the monthly cost-at-risk change against it.",
)
@click.option(
    "--repo-root",
    "repo_root",
    type=click.Path(file_okay=False),
    help=(
        "The input's repository: plan resources are located in its .tf files (file and line; inline "
        "aigov:ignore comments), and templates may read files only inside it (default: the git work "
        "tree that holds the input, else the input's directory)."
    ),
)
@click.option(
    "--var-file",
    "var_files",
    multiple=True,
    metavar="FILE",
    help="Terraform configuration: a variables file (.tfvars or .tfvars.json; repeatable, later wins).",
)
@click.option(
    "--var",
    "tf_vars",
    multiple=True,
    metavar="NAME=VALUE",
    help="Terraform configuration: set a root variable (repeatable; wins over --var-file and TF_VAR_*).",
)
@click.option(
    "--parameters",
    "parameters_file",
    type=click.Path(),
    metavar="FILE",
    help="ARM template: a parameters file (azuredeploy.parameters.json).",
)
@guarded
def scan(
    inputs: tuple[str, ...],
    config_path: str | None,
    formats: tuple[str, ...],
    outputs: tuple[str, ...],
    fail_on: str,
    on_unknown: Literal["fail", "warn"],
    subscriptions: tuple[str, ...],
    policy_dirs: tuple[str, ...],
    catalog_path: str | None,
    usage_path: str | None = None,
    baseline_path: str | None = None,
    compare_to_path: str | None = None,
    repo_root: str | None = None,
    management_groups: tuple[str, ...] = (),
    arm_endpoint: str | None = None,
    history_path: str | None = None,
    window_days: int | None = None,
    utilisation_threshold: float | None = None,
    var_files: tuple[str, ...] = (),
    tf_vars: tuple[str, ...] = (),
    parameters_file: str | None = None,
) -> int:
    """Evaluate the rules against INPUT and report every violation with its monthly cost.

    INPUT is a `terraform show -json` plan (- for stdin), a Terraform
    directory or .tf file, a .bicep or .bicepparam file, an ARM template, ARM
    what-if output, or the word `azure` for the live subscriptions the
    credential can read. The kind is detected from the input.

    Exit 0: nothing at or above --fail-on; 1: violations; 2: the input, the
    configuration or the rules could not be read; 3: a live scan could not
    read everything it was asked to.
    """
    formats = formats or ("table",)
    if len(outputs) > len(formats):
        raise AigovError("more --output than --format options; pair each --output with a --format")
    targets = list(outputs) + [STDIN] * (len(formats) - len(outputs))
    if targets.count(STDIN) > 1:
        raise AigovError("only one report can go to stdout; give --output FILE for the others")

    config_file = Path(config_path) if config_path else find_config(Path.cwd())
    config = load_config(config_file)
    if inputs == ("azure",):
        return _scan_azure(
            config,
            formats,
            targets,
            parse_fail_on(fail_on),
            on_unknown,
            subscriptions=subscriptions,
            management_groups=management_groups,
            arm_endpoint=arm_endpoint,
            history=history_path,
            window_days=window_days,
            utilisation_threshold=utilisation_threshold,
            policy_dirs=policy_dirs,
            catalog_path=catalog_path,
        )
    if len(subscriptions) > 1:
        raise AigovError(
            "--subscription is given once for a plan or template; several are for `aigov scan azure`"
        )
    if management_groups or arm_endpoint or history_path or window_days or utilisation_threshold is not None:
        raise AigovError(
            "--management-group, --arm-endpoint, --history, --window-days and "
            "--utilisation-threshold apply to `aigov scan azure` only"
        )
    subscription = subscriptions[0] if subscriptions else None
    options = ScanOptions(
        subscription=subscription,
        policy_dirs=tuple(Path(d) for d in policy_dirs),
        catalog_path=Path(catalog_path) if catalog_path else None,
        usage_path=Path(usage_path) if usage_path else None,
        baseline=Path(baseline_path) if baseline_path else None,
        compare_to=Path(compare_to_path) if compare_to_path else None,
        repo_root=Path(repo_root) if repo_root else None,
        var_files=var_files,
        variables=_terraform_variables(tf_vars),
        environment={k: v for k, v in os.environ.items() if k.startswith("TF_VAR_")},
        parameters_file=parameters_file,
    )
    result = run_scan(inputs, config, now=datetime.now(UTC), options=options)
    check_outputs(targets, result.read_files)

    threshold = parse_fail_on(fail_on)
    for fmt, target in zip(formats, targets, strict=True):
        stdout_tty = target == STDIN and sys.stdout.isatty()
        report_options = ReportOptions(color=stdout_tty, fail_on=threshold, on_unknown=on_unknown)
        with collector_paused():  # the text of a report holds no cycles; the scan's result is a large heap
            text = REPORTERS[fmt]().render(result, report_options)
        if target == STDIN:
            click.echo(text, nl=not text.endswith("\n"))
        else:
            write_output(target, text)
    if result.cost_change is not None and ("table", STDIN) not in zip(formats, targets, strict=True):
        # The table on stdout has a "Cost change" section; otherwise the CI log gets the one line.
        click.echo(summary_line(result.cost_change), err=True)
    return exit_code(result, fail_on=threshold, on_unknown=on_unknown)


def _scan_azure(
    config: Config,
    formats: Sequence[str],
    targets: Sequence[str],
    threshold: Severity | None,
    on_unknown: Literal["fail", "warn"],
    **given: Any,
) -> int:
    """`aigov scan azure`: scan live subscriptions, record the history, write the reports."""
    # Imported here: the Azure SDKs are loaded only for live scans.
    from aigov.live.command import azure_command, run_azure  # noqa: PLC0415

    read = [str(p) for p in (config.file, given.get("history"), given.get("catalog_path")) if p]
    check_outputs(targets, [*read, *(str(p) for p in discover([Path(d) for d in given["policy_dirs"]]))])
    report = run_azure(config, azure_command(config, **given), now=datetime.now(UTC))
    for fmt, target in zip(formats, targets, strict=True):
        stdout_tty = target == STDIN and sys.stdout.isatty()
        text = report.render(fmt, ReportOptions(color=stdout_tty, fail_on=threshold, on_unknown=on_unknown))
        if target == STDIN:
            click.echo(text, nl=not text.endswith("\n"))
        else:
            write_output(target, text)
    return report.exit_code(threshold, on_unknown)
