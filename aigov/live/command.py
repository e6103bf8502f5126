"""``aigov scan azure``: the live scan as the CLI runs it (scan, record history, render)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aigov.config import Config
from aigov.errors import AigovError
from aigov.live.client import RetrySettings
from aigov.live.history import History
from aigov.live.scan import DEFAULT_WINDOW_DAYS, LiveOptions, scan_live
from aigov.live.summary import LiveReport
from aigov.policy.selection import ALL_RULES, RuleSelection
from aigov.scan import ScanOptions

AZURE_INPUT = "azure"
"""The INPUT word that makes ``aigov scan`` read live Azure instead of files."""


@dataclass(frozen=True, slots=True)
class AzureCommand:
    """The CLI's live-scan options, as given."""

    options: LiveOptions
    history: Path | None = None


def run_azure(config: Config, command: AzureCommand, *, now: datetime) -> LiveReport:
    """Scan, then record the scan in the history file when one is given.

    A history that cannot be opened or written does not lose the scan: the
    report carries the error, so the reports are written before it is raised.
    """
    scan = scan_live(config, now=now, options=command.options)
    if command.history is None:
        return LiveReport(scan)
    try:
        with History(command.history) as history:
            diff = history.record(scan.result, scan.scanned_subscription_ids)
    except AigovError as exc:
        return LiveReport(scan, history_error=exc)
    return LiveReport(scan, diff)


def azure_command(
    config: Config,
    *,
    subscriptions: tuple[str, ...],
    management_groups: tuple[str, ...],
    arm_endpoint: str | None,
    history: str | None,
    window_days: int | None,
    utilisation_threshold: float | None,
    policy_dirs: tuple[str, ...],
    catalog_path: str | None,
    retry_after_max: float | None = None,
    timeout: float | None = None,
    metrics_endpoint: str | None = None,
    usage_path: str | None = None,
    use_bundled: bool = True,
    selection: RuleSelection = ALL_RULES,
) -> AzureCommand:
    """The command line's options as an :class:`AzureCommand`."""
    if subscriptions and management_groups:
        raise AigovError("give --subscription or --management-group, not both")
    retry = RetrySettings()
    if retry_after_max is not None:
        retry = dataclasses.replace(retry, retry_after_max=retry_after_max)
    if timeout is not None:
        # Either the connection or the read times out, never both: one timeout bounds a silent endpoint.
        retry = dataclasses.replace(
            retry, read_timeout=timeout, connection_timeout=min(retry.connection_timeout, timeout)
        )
    options = LiveOptions(
        subscriptions=subscriptions,
        management_groups=management_groups,
        arm_endpoint=arm_endpoint,
        metrics_endpoint=metrics_endpoint,
        window_days=window_days if window_days is not None else DEFAULT_WINDOW_DAYS,
        utilisation_threshold=utilisation_threshold,
        environment_tag=config.live_environment_tag,
        retry=retry,
        scan=ScanOptions(
            policy_dirs=tuple(Path(d) for d in policy_dirs),
            catalog_path=Path(catalog_path) if catalog_path else None,
            usage_path=Path(usage_path) if usage_path else None,
            use_bundled=use_bundled,
            selection=selection,
        ),
    )
    return AzureCommand(options, Path(history) if history else None)
