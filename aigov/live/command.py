"""``aigov scan azure``: the live scan as the CLI runs it (scan, record history, render)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aigov.config import Config
from aigov.errors import AigovError
from aigov.live import anomaly
from aigov.live.client import RetrySettings
from aigov.live.history import History, HistoryDiff, is_database_url
from aigov.live.notify import Delivery, Webhook, build_digest, notify_all
from aigov.live.scan import DEFAULT_WINDOW_DAYS, LiveOptions, LiveScan, scan_live
from aigov.live.summary import LiveReport
from aigov.model import Inventory
from aigov.policy.selection import ALL_RULES, RuleSelection
from aigov.scan import ScanOptions

AZURE_INPUT = "azure"
"""The INPUT word that makes ``aigov scan`` read live Azure instead of files."""


@dataclass(frozen=True, slots=True)
class AzureCommand:
    """The CLI's live-scan options, as given."""

    options: LiveOptions
    history: Path | str | None = None  # a SQLite file, or a postgresql:// URL
    keep_days: int | None = None  # history retention: scans older than this are removed
    notify: tuple[Webhook, ...] = ()  # --notify: where the digest goes after the scan


def run_azure(config: Config, command: AzureCommand, *, now: datetime) -> LiveReport:
    """Scan, then record the scan in the history when one is given and judge what changed since.

    A history that cannot be opened or written does not lose the scan: the
    report carries the error, so the reports are written before it is raised.
    """
    scan = scan_live(config, now=now, options=command.options)
    if command.history is None:
        return LiveReport(scan)
    try:
        with History(command.history) as history:
            diff = history.record(
                scan.result, scan.scanned_subscription_ids, scan.deployments, keep_days=command.keep_days
            )
    except AigovError as exc:
        return LiveReport(scan, history_error=exc)
    return LiveReport(_with_changes(config, scan, diff), diff)


def _with_changes(config: Config, scan: LiveScan, diff: HistoryDiff) -> LiveScan:
    """The scan with the change anomalies (new, changed, fine-tune hosting started) since the last one."""
    if not config.anomalies.enabled:
        return scan
    result = scan.result
    if diff.previous_at is None or diff.previous_deployments is None:
        note = (
            "anomalies: the history holds no previous scan with its deployments; new and changed "
            "deployments are judged from the next scan on"
        )
        return dataclasses.replace(
            scan, result=dataclasses.replace(result, warnings=(*result.warnings, note))
        )
    found = anomaly.changes(
        diff.previous_deployments,
        scan.deployments,
        Inventory(list(result.resources)),
        previous_at=diff.previous_at,
        scanned_subscriptions=scan.scanned_subscription_ids,
        settings=config.anomalies,
    )
    if not found:
        return scan
    return dataclasses.replace(scan, result=dataclasses.replace(result, findings=(*result.findings, *found)))


def azure_command(
    config: Config,
    *,
    subscriptions: tuple[str, ...],
    management_groups: tuple[str, ...],
    arm_endpoint: str | None,
    history: str | None,
    window_days: int | None,
    keep_days: int | None = None,
    notify: tuple[str, ...] = (),
    utilisation_threshold: float | None,
    policy_dirs: tuple[str, ...],
    carbon: bool = False,
    reservations: bool = False,
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
        carbon=carbon,
        reservations=reservations,
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
    if keep_days is not None and history is None:
        raise AigovError("--keep-days needs --history")
    target: Path | str | None = None
    if history:
        target = history if is_database_url(history) else Path(history)
    webhooks = tuple(Webhook.parse(url) for url in notify)
    return AzureCommand(options, target, keep_days, webhooks)


def send_notifications(command: AzureCommand, report: LiveReport) -> tuple[Delivery, ...]:
    """Post the scan's digest to every ``--notify`` webhook; what became of each."""
    if not command.notify:
        return ()
    return notify_all(command.notify, build_digest(report.scan.result, report.history))
