"""The ``aigov`` command line.

Exit codes are decided in :mod:`aigov.gate`; this module only maps errors to
them: any :class:`~aigov.errors.AigovError` is one line on stderr and exit 2,
and so is an unexpected internal error (the gate fails closed: a crash must
never read as "no violations" or as "violations found").
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeVar

import click

from aigov import __version__
from aigov.config import find_config, load_config
from aigov.errors import AigovError
from aigov.gate import FAIL_ON_CHOICES, ExitCode, exit_code, parse_fail_on
from aigov.report import REPORTERS
from aigov.report.base import ReportOptions
from aigov.scan import STDIN, ScanOptions, run_scan

F = TypeVar("F", bound=Callable[..., object])


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)


def guarded(func: Callable[..., int]) -> Callable[..., None]:
    """Run a command body, turning errors into one line and exit 2."""

    def wrapper(*args: object, **kwargs: object) -> None:
        try:
            code = func(*args, **kwargs)
        except AigovError as exc:
            _fail(str(exc))
            code = ExitCode.ERROR
        except KeyboardInterrupt:
            _fail("interrupted")
            code = 130
        except Exception as exc:  # the gate fails closed on our own bugs too
            if os.environ.get("AIGOV_DEBUG"):
                traceback.print_exc()
            _fail(f"internal error: {type(exc).__name__}: {exc} (set AIGOV_DEBUG=1 for the traceback)")
            code = ExitCode.ERROR
        sys.exit(int(code))

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aigov")
def main() -> None:
    """FinOps guard-rails as code for Azure AI spend."""


def _write_output(path: str, text: str, inputs: Sequence[str]) -> None:
    """Write a report atomically; refuse to overwrite one of the scan's own inputs."""
    target = Path(path)
    if any(p != STDIN and Path(p).resolve() == target.resolve() for p in inputs):
        raise AigovError("refusing to overwrite an input of this scan", file=path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        raise AigovError(exc.strerror or str(exc), file=path) from None


@main.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
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
@click.option("--subscription", help="Subscription id to assume for every resource of the input.")
@click.option(
    "--policies",
    "policy_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Extra rule directory (repeatable).",
)
@click.option("--catalog", "catalog_path", type=click.Path(dir_okay=False), help="Price catalogue to use.")
@guarded
def scan(
    inputs: tuple[str, ...],
    config_path: str | None,
    formats: tuple[str, ...],
    outputs: tuple[str, ...],
    fail_on: str,
    on_unknown: Literal["fail", "warn"],
    subscription: str | None,
    policy_dirs: tuple[str, ...],
    catalog_path: str | None,
) -> int:
    """Evaluate the rules against INPUT (a `terraform show -json` plan; - for stdin).

    Exit 0: nothing at or above --fail-on; 1: violations; 2: the input, the
    configuration or the rules could not be read.
    """
    formats = formats or ("table",)
    if len(outputs) > len(formats):
        raise AigovError("more --output than --format options; pair each --output with a --format")
    targets = list(outputs) + [STDIN] * (len(formats) - len(outputs))
    if targets.count(STDIN) > 1:
        raise AigovError("only one report can go to stdout; give --output FILE for the others")

    config_file = Path(config_path) if config_path else find_config(Path.cwd())
    config = load_config(config_file)
    options = ScanOptions(
        subscription=subscription,
        policy_dirs=tuple(Path(d) for d in policy_dirs),
        catalog_path=Path(catalog_path) if catalog_path else None,
    )
    result = run_scan(inputs, config, now=datetime.now(UTC), options=options)

    threshold = parse_fail_on(fail_on)
    for fmt, target in zip(formats, targets, strict=True):
        stdout_tty = target == STDIN and sys.stdout.isatty()
        report_options = ReportOptions(color=stdout_tty, fail_on=threshold, on_unknown=on_unknown)
        text = REPORTERS[fmt]().render(result, report_options)
        if target == STDIN:
            click.echo(text, nl=not text.endswith("\n"))
        else:
            _write_output(target, text, inputs)
    return exit_code(result, fail_on=threshold, on_unknown=on_unknown)
