"""What a live scan adds to the standard reports: subscriptions, what was not scanned, history, API calls.

The reporters render a :class:`~aigov.model.ScanResult` and know nothing of
live scans. :class:`LiveReport` renders the standard report and adds:

* ``table``: a "Live scan" section after it (subscriptions by name and
  environment, what could not be read and why, new / persisting / fixed
  findings since the previous scan, the cost at risk over the last scans);
* ``json``: a top-level ``live`` object with the same facts (the report
  schema allows added top-level keys);
* ``html``: the cost at risk over the last scans (a line chart) and what was
  fixed since the previous scan;
* other formats: the standard report unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aigov.errors import AigovError
from aigov.gate import ExitCode, OnUnknown, exit_code
from aigov.jsontext import dumps_outline
from aigov.live.carbon import SOURCE_URL as CARBON_SOURCE
from aigov.live.history import HistoryDiff
from aigov.live.scan import LiveScan
from aigov.model import Severity
from aigov.report import REPORTERS
from aigov.report.base import ReportOptions, format_usd, plural
from aigov.report.html import render_html
from aigov.report.json_report import build_document


@dataclass(frozen=True, slots=True)
class LiveReport:
    """A live scan and, when ``--history`` was given, its comparison with the previous scans."""

    scan: LiveScan
    history: HistoryDiff | None = None
    history_error: AigovError | None = None  # the history could not be recorded; raised after the reports

    def exit_code(self, fail_on: Severity | None, on_unknown: OnUnknown) -> ExitCode:
        return exit_code(self.scan.result, fail_on=fail_on, on_unknown=on_unknown)

    def render(self, fmt: str, options: ReportOptions) -> str:
        if fmt == "json":
            document = build_document(self.scan.result, options)
            document["live"] = self.document()
            return dumps_outline(document) + "\n"
        if fmt == "html":
            return render_html(self.scan.result, options, history=self.history)
        text = REPORTERS[fmt]().render(self.scan.result, options)
        if fmt == "table":
            text = text.rstrip("\n") + "\n\n" + self.text()
        return text

    # ------------------------------------------------------------------ JSON

    def document(self) -> dict[str, Any]:
        """The ``live`` object of the JSON report."""
        scan = self.scan
        out: dict[str, Any] = {
            "subscriptions": [
                {"id": s.id, "name": s.name, "environment": s.environment} for s in scan.subscriptions
            ],
            "not_scanned": [{"scope": n.scope, "reason": n.reason} for n in scan.result.not_scanned],
            "api_calls": dict(sorted(scan.calls.calls.items())),
            "carbon": self._carbon(),
            "history": None,
        }
        diff = self.history
        if diff is not None:
            out["history"] = {
                "previous_scan_at": diff.previous_at.isoformat() if diff.previous_at else None,
                "new": [f.fingerprint for f in diff.new],
                "persisting": [
                    {"fingerprint": f.fingerprint, "since": since.isoformat()} for f, since in diff.persisting
                ],
                "fixed": [
                    {
                        "fingerprint": f.fingerprint,
                        "rule_id": f.rule_id,
                        "resource": f.address,
                        "monthly_usd": f.monthly_usd,
                        "first_seen": f.first_seen.isoformat(),
                    }
                    for f in diff.fixed
                ],
                "fixed_monthly_usd": diff.fixed_monthly_usd,
                "not_rechecked": [f.fingerprint for f in diff.not_rechecked],
                "trend": [
                    {
                        "generated_at": s.generated_at.isoformat(),
                        "findings": s.findings,
                        "monthly_at_risk_usd": s.monthly_at_risk_usd,
                        "partial": s.partial,
                    }
                    for s in diff.trend
                ],
            }
        return out

    def _carbon(self) -> dict[str, Any] | None:
        """``live.carbon``: the month's kgCO2e per AI resource (null without ``--carbon``)."""
        emissions = self.scan.emissions
        if emissions is None:
            return None
        by_key = {r.key: r for r in self.scan.result.resources}
        rows = [
            {
                "address": by_key[key].address if key in by_key else key,
                "monthly_kg": facts["monthly_kg"],
                "kg_per_1m_tokens": facts["kg_per_1m_tokens"],
            }
            for key, facts in sorted(self.scan.carbon.items(), key=lambda kv: -float(kv[1]["monthly_kg"]))
        ]
        return {
            "read": emissions.read,
            "error": emissions.error,
            "month": emissions.month,
            "unit": "kgCO2e (scopes 1-3)",
            "source": CARBON_SOURCE,
            "total_kg": round(sum(float(r["monthly_kg"]) for r in rows), 3),
            "resources": rows,
        }

    # ------------------------------------------------------------------ text

    def text(self) -> str:
        """The "Live scan" section of the table report."""
        scan = self.scan
        lines = ["Live scan", ""]
        lines.append(f"Subscriptions scanned: {len(scan.scanned_subscription_ids)}")
        for sub in scan.subscriptions:
            env = f", environment {sub.environment}" if sub.environment else ""
            lines.append(f"  {sub.name or '(no name)'} ({sub.id}{env})")
        if scan.result.not_scanned:
            lines.append("")
            lines.append(f"NOT SCANNED ({len(scan.result.not_scanned)}): this report is incomplete")
            lines.extend(f"  {n.scope}: {n.reason}" for n in scan.result.not_scanned)
        calls = ", ".join(f"{kind} {count}" for kind, count in sorted(scan.calls.calls.items()))
        lines.append("")
        lines.append(f"API calls: {calls or 'none'} (retries included)")
        carbon = self._carbon()
        if carbon is not None:
            lines.append("")
            lines.extend(_carbon_lines(carbon))
        if self.history is not None:
            lines.append("")
            lines.extend(_history_lines(self.history))
        return "\n".join(lines) + "\n"


def _carbon_lines(carbon: Mapping[str, Any]) -> list[str]:
    if not carbon["read"]:
        return [f"Carbon: emissions not read ({carbon['error']})"]
    rows = carbon["resources"]
    lines = [
        f"Carbon ({carbon['month']}, {carbon['unit']}, Azure Carbon Optimization): "
        f"{carbon['total_kg']:,.1f} kg from {len(rows)} AI resources"
    ]
    for row in rows[:5]:
        per = row["kg_per_1m_tokens"]
        served = f", {per} kg per 1M tokens" if per is not None else ""
        lines.append(f"  {row['address']}: {row['monthly_kg']:,.1f} kg{served}")
    if len(rows) > 5:
        lines.append(f"  ... and {len(rows) - 5} more (JSON: live.carbon)")
    return lines


def _history_lines(diff: HistoryDiff) -> Sequence[str]:
    if diff.previous_at is None:
        head = "History: first scan recorded; tomorrow's report will show what changed."
        return [head, *_trend(diff)]
    lines = [f"Since the previous scan ({diff.previous_at:%Y-%m-%d %H:%M} UTC):"]
    lines.append(f"  new: {len(diff.new)}")
    for f in diff.new:
        lines.append(f"    + {f.rule_id} {f.resource.address}")
    lines.append(f"  persisting: {len(diff.persisting)}")
    for f, since in diff.persisting:
        lines.append(f"    = {f.rule_id} {f.resource.address} (since {since:%Y-%m-%d})")
    lines.append(f"  fixed: {len(diff.fixed)} ({format_usd(diff.fixed_monthly_usd)}/month no longer at risk)")
    for stored in diff.fixed:
        lines.append(f"    - {stored.rule_id} {stored.address} (open since {stored.first_seen:%Y-%m-%d})")
    if diff.not_rechecked:
        lines.append(
            f"  not re-checked: {plural(len(diff.not_rechecked), 'finding')} "
            "in scopes this scan could not read"
        )
    return [*lines, *_trend(diff)]


def _trend(diff: HistoryDiff) -> list[str]:
    lines = ["", "Cost at risk over the last scans:"]
    for s in diff.trend:
        partial = " (partial)" if s.partial else ""
        lines.append(
            f"  {s.generated_at:%Y-%m-%d %H:%M}  {format_usd(s.monthly_at_risk_usd)}/month  "
            f"{plural(s.findings, 'finding')}{partial}"
        )
    return lines
