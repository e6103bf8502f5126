"""The ``aigov`` command line.

Exit codes are decided in :mod:`aigov.gate`; this module only maps errors to
them: any :class:`~aigov.errors.AigovError` is one line on stderr and exit 2,
and so is an unexpected internal error (the gate fails closed: a crash must
never read as "no violations" or as "violations found").
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

import click

from aigov import __version__
from aigov.cli.common import check_outputs, guarded, terminal_width, write_output
from aigov.cli.targets import report_targets
from aigov.collector import collector_paused
from aigov.config import Config, find_config, load_config
from aigov.costdiff import summary_line
from aigov.errors import AigovError
from aigov.gate import FAIL_ON_CHOICES, exit_code, parse_fail_on, with_notifications
from aigov.lazy import import_object
from aigov.model import Severity
from aigov.paths import default_bicep_cache
from aigov.policy.loader import discover
from aigov.policy.selection import RuleSelection
from aigov.report import FORMAT_BY_EXTENSION, REPORTERS
from aigov.report.base import ReportOptions
from aigov.scan import STDIN, ScanOptions, run_scan

if TYPE_CHECKING:
    from aigov.live.command import AzureCommand
    from aigov.live.summary import LiveReport


class _Commands(click.Group):
    """The command group, with the commands of other modules imported only when they run.

    ``aigov scan`` never loads what ``rules``, ``estimate`` or ``prices``
    need (rich tables, rule testing, the price refresh's HTTP client).
    """

    lazy: ClassVar[dict[str, str]] = {
        "rules": "aigov.cli.rules:rules",
        "estimate": "aigov.cli.estimate:estimate",
        "prices": "aigov.cli.prices:prices",
        "comment": "aigov.cli.comment:comment",
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
    help="Output format; repeat with --output for several reports. Default: table, or the --output "
    "file's extension.",
)
@click.option(
    "-o",
    "--output",
    "outputs",
    multiple=True,
    metavar="FILE",
    help="Write the matching --format here (- = stdout); without one, the format follows the "
    "extension (.json, .sarif, .xml JUnit, .md Markdown, .csv, .html). A missing directory is created.",
)
@click.option(
    "--compact",
    is_flag=True,
    help="Table: one line per finding and the totals, no cost basis (pre-commit, CI logs).",
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
    "--metrics-endpoint",
    metavar="URL",
    help="`scan azure`: Azure Monitor batch metrics endpoint; {region} is the accounts' region. "
    "Default: https://{region}.metrics.monitor.azure.com.",
)
@click.option(
    "--history",
    "history_path",
    type=click.Path(),
    metavar="FILE|URL",
    help="`scan azure`: history, a SQLite file or a postgresql:// URL; the report shows new, "
    "persisting and fixed findings.",
)
@click.option(
    "--notify",
    "notify",
    multiple=True,
    metavar="URL",
    help="`scan azure`: post a digest to this Teams, Slack or JSON webhook (repeatable; prefix slack+, "
    "teams+ or json+ to choose the payload). Exit 4 when one fails.",
)
@click.option(
    "--keep-days",
    type=click.IntRange(min=1),
    help="`scan azure`: with --history, remove stored scans older than this many days.",
)
@click.option(
    "--carbon",
    is_flag=True,
    help="`scan azure`: read each AI resource's latest month of emissions (Azure Carbon Optimization).",
)
@click.option(
    "--reservations",
    "read_reservations",
    is_flag=True,
    help="`scan azure`: net the PTU reservations the credential can read (Reservations API) instead of "
    "aigov.yaml's pricing.reservations.",
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
    "--max-retry-after",
    "retry_after_max",
    type=click.FloatRange(min=0),
    help="`scan azure`: longest Retry-After (s) waited for; a longer one leaves the scope not scanned "
    "[default: 60].",
)
@click.option(
    "--timeout",
    "timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="`scan azure`: seconds a silent endpoint may cost a scope (not retried) [default: 60].",
)
@click.option(
    "--policies",
    "policy_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Extra rule directory (repeatable).",
)
@click.option(
    "--no-bundled",
    is_flag=True,
    help="Run only the rules under --policies, not the bundled ones.",
)
@click.option(
    "--check",
    "check_ids",
    multiple=True,
    metavar="ID[,ID]",
    help="Run only these rules (ids or globs such as AIGOV-SKU-*; repeatable).",
)
@click.option(
    "--skip-check",
    "skip_ids",
    multiple=True,
    metavar="ID[,ID]",
    help="Do not run these rules (ids or globs; repeatable).",
)
@click.option(
    "--prices",
    "--catalog",
    "catalog_path",
    type=click.Path(),
    metavar="FILE",
    help="Price catalogue to use (e.g. one written by aigov prices refresh); default: the bundled one.",
)
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
    "--env",
    "env_names",
    multiple=True,
    metavar="NAME",
    help=(
        "Pass the environment variable NAME to templates (azd's ${NAME} placeholders, Bicep's "
        "readEnvironmentVariable); others are unknown (repeatable)."
    ),
)
@click.option(
    "--parameters",
    "parameters_file",
    type=click.Path(),
    metavar="FILE",
    help="ARM template: a parameters file (azuredeploy.parameters.json).",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help=(
        "Evaluate as of this day (00:00 UTC) instead of now: model retirements, approvals, waivers "
        "and the age of prices and the retirement table are judged on it."
    ),
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
    metrics_endpoint: str | None = None,
    history_path: str | None = None,
    keep_days: int | None = None,
    notify: tuple[str, ...] = (),
    window_days: int | None = None,
    utilisation_threshold: float | None = None,
    carbon: bool = False,
    read_reservations: bool = False,
    var_files: tuple[str, ...] = (),
    tf_vars: tuple[str, ...] = (),
    parameters_file: str | None = None,
    env_names: tuple[str, ...] = (),
    retry_after_max: float | None = None,
    timeout: float | None = None,
    no_bundled: bool = False,
    check_ids: tuple[str, ...] = (),
    skip_ids: tuple[str, ...] = (),
    compact: bool = False,
    today: datetime | None = None,
) -> int:
    """Evaluate the rules against INPUT and report every violation with its monthly cost.

    INPUT is a `terraform show -json` plan (- for stdin), a Terraform
    directory or .tf file, a .bicep or .bicepparam file, an ARM template, ARM
    what-if output, or the word `azure` for the live subscriptions the
    credential can read. The kind is detected from the input.

    Exit 0: nothing at or above --fail-on; 1: violations; 2: the input, the
    configuration or the rules could not be read; 3: a live scan could not
    read everything it was asked to; 4: a --notify webhook failed.
    """
    pairs = report_targets(formats, outputs, FORMAT_BY_EXTENSION)
    formats = tuple(fmt for fmt, _ in pairs)
    targets = [target for _, target in pairs]

    if no_bundled and not policy_dirs:
        raise AigovError("--no-bundled needs --policies DIR: without the bundled rules there would be none")
    selection = RuleSelection.parse(check_ids, skip_ids)
    config_file = Path(config_path) if config_path else find_config(Path.cwd())
    config = load_config(config_file)
    now = today.replace(tzinfo=UTC) if today is not None else datetime.now(UTC)
    if inputs == ("azure",):
        return _scan_azure(
            config,
            now,
            formats,
            targets,
            parse_fail_on(fail_on),
            on_unknown,
            compact,
            subscriptions=subscriptions,
            management_groups=management_groups,
            arm_endpoint=arm_endpoint,
            metrics_endpoint=metrics_endpoint,
            usage_path=usage_path,
            history=history_path,
            keep_days=keep_days,
            notify=notify,
            window_days=window_days,
            utilisation_threshold=utilisation_threshold,
            carbon=carbon,
            reservations=read_reservations,
            retry_after_max=retry_after_max,
            timeout=timeout,
            policy_dirs=policy_dirs,
            catalog_path=catalog_path,
            use_bundled=not no_bundled,
            selection=selection,
        )
    if len(subscriptions) > 1:
        raise AigovError(
            "--subscription is given once for a plan or template; several are for `aigov scan azure`"
        )
    live_only = (
        management_groups,
        arm_endpoint,
        metrics_endpoint,
        history_path,
        window_days,
        notify,
        carbon,
        read_reservations,
    )
    if any(live_only) or {utilisation_threshold, retry_after_max, timeout, keep_days} != {None}:
        raise AigovError(
            "--management-group, --arm-endpoint, --metrics-endpoint, --history, --keep-days, --notify, "
            "--window-days, --carbon, --reservations, "
            "--utilisation-threshold, --max-retry-after and --timeout apply to `aigov scan azure` only"
        )
    subscription = subscriptions[0] if subscriptions else None
    options = ScanOptions(
        subscription=subscription,
        policy_dirs=tuple(Path(d) for d in policy_dirs),
        use_bundled=not no_bundled,
        selection=selection,
        catalog_path=Path(catalog_path) if catalog_path else None,
        usage_path=Path(usage_path) if usage_path else None,
        baseline=Path(baseline_path) if baseline_path else None,
        compare_to=Path(compare_to_path) if compare_to_path else None,
        repo_root=Path(repo_root) if repo_root else None,
        var_files=var_files,
        variables=_terraform_variables(tf_vars),
        environment={k: v for k, v in os.environ.items() if k.startswith("TF_VAR_") or k in env_names},
        parameters_file=parameters_file,
        bicep_cache=default_bicep_cache(),
    )
    result = run_scan(inputs, config, now=now, options=options)
    check_outputs(targets, result.read_files)

    threshold = parse_fail_on(fail_on)
    for fmt, target in zip(formats, targets, strict=True):
        report_options = _report_options(target, threshold, on_unknown, compact)
        reporter = REPORTERS[fmt]()
        with collector_paused():  # the text of a report holds no cycles; the scan's result is a large heap
            if target == STDIN:
                text = reporter.render(result, report_options)
                click.echo(text, nl=not text.endswith("\n"))
            else:
                write_output(target, functools.partial(reporter.write, result, report_options))
    if result.cost_change is not None and ("table", STDIN) not in zip(formats, targets, strict=True):
        # The table on stdout has a "Cost change" section; otherwise the CI log gets the one line.
        click.echo(summary_line(result.cost_change), err=True)
    return exit_code(result, fail_on=threshold, on_unknown=on_unknown)


def _report_options(
    target: str, threshold: Severity | None, on_unknown: Literal["fail", "warn"], compact: bool
) -> ReportOptions:
    """Colour and width for the report going to ``target``: the terminal's when it is stdout."""
    stdout = sys.stdout if target == STDIN else None
    return ReportOptions(
        color=stdout is not None and stdout.isatty(),
        width=terminal_width(os.environ, stdout),
        compact=compact,
        fail_on=threshold,
        on_unknown=on_unknown,
    )


LIVE_SCAN_MODULES: Final = frozenset({"azure", "requests", "msal"})
"""Top-level modules of the ``aigov[azure]`` extra: missing, they mean the extra is not installed."""


def _live_scan_commands() -> tuple[Callable[..., AzureCommand], Callable[..., LiveReport]]:
    """The live scan's entry points; the Azure SDKs are imported only here, for ``scan azure``."""
    try:
        from aigov.live.command import azure_command, run_azure  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in LIVE_SCAN_MODULES:
            raise
        raise AigovError(
            f'the live scan needs the Azure SDKs ({exc.name} is not installed): pip install "aigov[azure]"'
        ) from None
    if not os.environ.get("AIGOV_DEBUG"):
        # The credential chain logs every attempt as a warning; aigov says in one line what failed.
        logging.getLogger("azure").addHandler(logging.NullHandler())
    return azure_command, run_azure


def _scan_azure(
    config: Config,
    now: datetime,
    formats: Sequence[str],
    targets: Sequence[str],
    threshold: Severity | None,
    on_unknown: Literal["fail", "warn"],
    compact: bool,
    **given: Any,
) -> int:
    """`aigov scan azure`: scan live subscriptions, record the history, write the reports."""
    azure_command, run_azure = _live_scan_commands()

    history = given.get("history")
    local_history = history if history and "://" not in history else None  # a database URL is no file
    named = (config.file, local_history, given.get("catalog_path"), given.get("usage_path"))
    read = [str(p) for p in named if p]
    check_outputs(targets, [*read, *(str(p) for p in discover([Path(d) for d in given["policy_dirs"]]))])
    command = azure_command(config, **given)
    report = run_azure(config, command, now=now)
    for fmt, target in zip(formats, targets, strict=True):
        with collector_paused():  # as for a scan of files: the report's text holds no cycles
            text = report.render(fmt, _report_options(target, threshold, on_unknown, compact))
        if target == STDIN:
            click.echo(text, nl=not text.endswith("\n"))
        else:
            write_output(target, text)
    # After the reports, so a webhook that hangs or fails never costs the report.
    from aigov.live.command import send_notifications  # noqa: PLC0415 - loaded with the live scan

    deliveries = send_notifications(command, report)
    for delivery in deliveries:
        click.echo(delivery.line, err=True)
    if report.history_error is not None:
        raise report.history_error
    failed = sum(1 for d in deliveries if d.error is not None)
    return with_notifications(report.exit_code(threshold, on_unknown), failed)
