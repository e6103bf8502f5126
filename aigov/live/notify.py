"""``--notify URL``: a short digest of the nightly scan, posted to Teams, Slack or any JSON webhook.

The digest (:func:`build_digest`, pure) says what changed since the previous
scan, grouped by the resources' ``owner`` tag (a deployment takes its
account's), so each team sees its own: new findings, fixed ones and what
they were costing, anomalies with their monthly impact, and the cost at risk
with its change since the previous scan. Without ``--history`` nothing can be
new or fixed; the digest then lists the findings and anomalies as they are.
The budgets of ``aigov.yaml`` that are over, near their limit, undetermined
or match nothing have a section of their own, the worst first.

The payload follows the webhook's kind, chosen by an explicit prefix or by
the URL's host:

==================  ===========================================  =========================================
prefix              host                                         payload
==================  ===========================================  =========================================
``slack+``          ``hooks.slack.com``                          Slack incoming webhook: ``text`` + blocks
``teams+``          ``*.webhook.office.com``, ``*.logic.azure.com``,  Teams (Workflows): an Adaptive Card
                    ``*.powerplatform.com``                      message
``json+``           any other                                    the digest as JSON (``aigov-digest/1``)
==================  ===========================================  =========================================

Webhook URLs carry their secret in the path or query, so a URL is shown
only as ``scheme://host/***`` in every message. A URL must be https, or
http to a loopback address (a local relay, the tests' receiver).
"""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from aigov.budgets import BUDGET_RULE_ID
from aigov.errors import AigovError
from aigov.live.anomaly import CATEGORY as ANOMALY
from aigov.live.history import HistoryDiff, StoredFinding
from aigov.model import BudgetState, BudgetStatus, Finding, Inventory, ScanResult, monthly_at_risk
from aigov.report.base import budget_text, format_usd
from aigov.report.json_report import budget_record

KINDS: Final = ("slack", "teams", "json")
OWNER_TAG: Final = "owner"
NO_OWNER: Final = "(no owner tag)"
TIMEOUT_SECONDS: Final = 15.0
TOP: Final = 5  # findings listed per owner and section at most; the rest are counted
DIGEST_SCHEMA: Final = "aigov-digest/1"
_TEAMS_HOSTS: Final = ("webhook.office.com", "logic.azure.com", "powerplatform.com", "powerautomate.com")
_SLACK_HOSTS: Final = ("hooks.slack.com",)


@dataclass(frozen=True, slots=True)
class Webhook:
    """One ``--notify`` target: where to post and in which shape."""

    url: str  # without the kind prefix
    kind: str  # slack | teams | json

    @property
    def shown(self) -> str:
        """The URL without its secret (path and query), for messages."""
        return redact(self.url)

    @staticmethod
    def parse(text: str) -> Webhook:
        """``[slack+|teams+|json+]URL``; an unusable URL is an :class:`AigovError` that hides its secret."""
        kind = None
        prefix, plus, rest = text.partition("+")
        if plus and prefix.lower() in KINDS and "://" in rest:
            kind, text = prefix.lower(), rest
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        shown = redact(text)
        if parts.scheme not in ("https", "http") or not host:
            raise AigovError(f"--notify {shown}: not an http(s) URL")
        if parts.scheme == "http" and not _loopback(host):
            raise AigovError(
                f"--notify {shown}: a webhook URL must be https (http only to a loopback address)"
            )
        if kind is None:
            kind = _kind_of(host)
        return Webhook(text, kind)


def redact(url: str) -> str:
    """``scheme://host[:port]/***``: a webhook's secret is its path and query."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if _port(url) is not None else ""
    return f"{parts.scheme or '?'}://{host}{port}/***"


def _port(url: str) -> int | None:
    try:
        return urlsplit(url).port
    except ValueError:
        return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _kind_of(host: str) -> str:
    if any(host == h or host.endswith("." + h) for h in _SLACK_HOSTS):
        return "slack"
    if any(host == h or host.endswith("." + h) for h in _TEAMS_HOSTS):
        return "teams"
    return "json"


# --------------------------------------------------------------------------- the digest


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One line of the digest: a finding, fixed or open."""

    rule_id: str
    resource: str
    monthly_usd: float | None
    message: str


@dataclass(frozen=True, slots=True)
class OwnerDigest:
    """What one owner's resources did since the previous scan."""

    owner: str
    at_risk_usd: float
    new: tuple[DigestItem, ...]
    fixed: tuple[DigestItem, ...]
    fixed_usd: float
    anomalies: tuple[DigestItem, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    """The nightly digest: totals, and one section per owner with something to say."""

    generated_at: datetime
    findings: int
    at_risk_usd: float
    previous_at_risk_usd: float | None  # None without a previous scan in the history
    compared: bool  # a history was given and held a previous scan
    not_scanned: int
    owners: tuple[OwnerDigest, ...]
    budgets: tuple[BudgetStatus, ...] = ()  # aigov.yaml's budgets that are not plainly within their limits

    @property
    def change_usd(self) -> float | None:
        if self.previous_at_risk_usd is None:
            return None
        return round(self.at_risk_usd - self.previous_at_risk_usd, 2)

    @property
    def headline(self) -> str:
        change = self.change_usd
        delta = ""
        if change is not None:
            delta = f" ({'+' if change >= 0 else ''}{format_usd(change)} since the previous scan)"
        counts = [
            f"{self.findings} findings",
            f"{sum(len(o.new) for o in self.owners)} new" if self.compared else "no previous scan to compare",
        ]
        if self.compared:
            counts.append(f"{sum(len(o.fixed) for o in self.owners)} fixed")
        counts.append(f"{sum(len(o.anomalies) for o in self.owners)} anomalies")
        over = sum(1 for b in self.budgets if b.state is BudgetState.OVER)
        if over:
            counts.append(f"{over} budget{'s' if over != 1 else ''} over")
        partial = f"; {self.not_scanned} scopes NOT SCANNED" if self.not_scanned else ""
        return (
            f"aigov nightly scan {self.generated_at:%Y-%m-%d %H:%M} UTC: "
            f"{format_usd(self.at_risk_usd)}/month at risk{delta}; {', '.join(counts)}{partial}"
        )


def build_digest(result: ScanResult, diff: HistoryDiff | None) -> Digest:
    """The digest of ``result`` against the history's comparison ``diff`` (None without ``--history``)."""
    inventory = Inventory(list(result.resources))
    findings = [f for f in result.findings if f.category != ANOMALY]
    anomalies = [f for f in result.findings if f.category == ANOMALY]
    compared = diff is not None and diff.previous_at is not None
    # A budget is no resource's: it has a section of its own, not an owner's line.
    new = [f for f in diff.new if f.rule_id != BUDGET_RULE_ID] if diff is not None and compared else []
    fixed = [s for s in diff.fixed if s.rule_id != BUDGET_RULE_ID] if diff is not None and compared else []

    groups: dict[str, dict[str, list[Any]]] = {}

    def group(owner: str) -> dict[str, list[Any]]:
        return groups.setdefault(owner, {"open": [], "new": [], "fixed": [], "anomalies": []})

    for f in findings:
        if f.rule_id != BUDGET_RULE_ID:
            group(_owner(f.resource.key, inventory))["open"].append(f)
    for f in new:
        group(_owner(f.resource.key, inventory))["new"].append(f)
    for stored in fixed:
        group(_owner(stored.resource_key, inventory))["fixed"].append(stored)
    for f in anomalies:
        group(_owner(f.resource.key, inventory))["anomalies"].append(f)

    owners = []
    for owner in sorted(groups, key=lambda o: (o == NO_OWNER, o.lower())):
        g = groups[owner]
        if not (g["new"] or g["fixed"] or g["anomalies"] or (not compared and g["open"])):
            continue
        shown_new = g["new"] if compared else g["open"]
        owners.append(
            OwnerDigest(
                owner=owner,
                at_risk_usd=monthly_at_risk(g["open"]),
                new=tuple(_item(f) for f in _costliest(shown_new)),
                fixed=tuple(_stored_item(s) for s in _costliest_stored(g["fixed"])),
                fixed_usd=_fixed_usd(g["fixed"]),
                anomalies=tuple(_item(f) for f in _costliest(g["anomalies"])),
            )
        )
    previous = None
    if diff is not None and compared and len(diff.trend) >= 2:
        previous = diff.trend[-2].monthly_at_risk_usd
    return Digest(
        generated_at=result.generated_at,
        findings=len(findings),
        at_risk_usd=monthly_at_risk(findings),
        previous_at_risk_usd=previous,
        compared=compared,
        not_scanned=len(result.not_scanned),
        owners=tuple(owners),
        budgets=_worst_first(result.budgets),
    )


_DIGEST_BUDGET_KEYS: Final = frozenset(
    {"name", "state", "limit_usd", "forecast_usd", "over_usd", "unknown_resources"}
)
_BUDGET_ORDER: Final = (BudgetState.OVER, BudgetState.WARNING, BudgetState.UNDETERMINED, BudgetState.EMPTY)


def _worst_first(budgets: Iterable[BudgetStatus]) -> tuple[BudgetStatus, ...]:
    """Budgets not plainly within their limits: over (largest overspend first), near, undetermined, empty."""
    shown = [b for b in budgets if b.state in _BUDGET_ORDER]
    return tuple(sorted(shown, key=lambda b: (_BUDGET_ORDER.index(b.state), -b.over_usd, b.name.lower())))


def _owner(key: str, inventory: Inventory) -> str:
    """The ``owner`` tag of the resource or its nearest ancestor that has one (a deployment: its account)."""
    resource = inventory.get(key)
    if resource is None and "/deployments/" in key:
        resource = inventory.get(key.rsplit("/deployments/", 1)[0])
    while resource is not None:
        tags = resource.body.get("tags")
        if isinstance(tags, Mapping):
            for name, value in tags.items():
                if str(name).lower() == OWNER_TAG and isinstance(value, str) and value.strip():
                    return value.strip()
        resource = inventory.parent(resource)
    return NO_OWNER


def _costliest(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-(f.cost.monthly_usd or 0.0), f.rule_id, f.resource.key))


def _costliest_stored(stored: Sequence[StoredFinding]) -> list[StoredFinding]:
    return sorted(stored, key=lambda s: (-(s.monthly_usd or 0.0), s.rule_id, s.resource_key))


def _fixed_usd(stored: Iterable[StoredFinding]) -> float:
    per_resource: dict[str, float] = {}
    for s in stored:
        if s.monthly_usd is not None and s.monthly_usd > per_resource.get(s.resource_key, 0.0):
            per_resource[s.resource_key] = s.monthly_usd
    return round(sum(per_resource.values()), 2)


def _item(f: Finding) -> DigestItem:
    return DigestItem(f.rule_id, f.resource.address.rsplit("/", 1)[-1], f.cost.monthly_usd, f.message)


def _stored_item(s: StoredFinding) -> DigestItem:
    return DigestItem(s.rule_id, s.address.rsplit("/", 1)[-1], s.monthly_usd, s.message)


# --------------------------------------------------------------------------- payloads


def _money(value: float | None) -> str:
    return "cost unknown" if value is None else f"{format_usd(value)}/month"


def _lines(owner: OwnerDigest, compared: bool) -> list[str]:
    """The owner's section as plain lines (each section's first TOP items, the rest counted)."""
    out: list[str] = [f"{owner.owner}: {format_usd(owner.at_risk_usd)}/month at risk"]
    sections = (
        ("new" if compared else "open", owner.new, ""),
        ("fixed", owner.fixed, f", {format_usd(owner.fixed_usd)}/month no longer at risk"),
        ("anomalies", owner.anomalies, ""),
    )
    for title, items, extra in sections:
        if not items:
            continue
        out.append(f"  {title}: {len(items)}{extra}")
        out.extend(f"    {i.rule_id} {i.resource} ({_money(i.monthly_usd)})" for i in items[:TOP])
        if len(items) > TOP:
            out.append(f"    ... and {len(items) - TOP} more")
    return out


def _sections(digest: Digest) -> list[list[str]]:
    """The digest's sections as plain lines: the budgets (see :func:`_worst_first`), then each owner's."""
    budgets = [["budgets:", *(f"  {budget_text(b)}" for b in digest.budgets)]] if digest.budgets else []
    return budgets + [_lines(owner, digest.compared) for owner in digest.owners]


def payload(digest: Digest, kind: str) -> dict[str, Any]:
    """The JSON body posted to a webhook of ``kind``."""
    if kind == "slack":
        return _slack(digest)
    if kind == "teams":
        return _teams(digest)
    return _json(digest)


def _slack(digest: Digest) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{digest.headline}*"}}
    ]
    for lines in _sections(digest):
        text = "\n".join(lines)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"```{text[:2900]}```"}})
    return {"text": digest.headline, "blocks": blocks[:50]}


def _teams(digest: Digest) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": digest.headline, "weight": "Bolder", "wrap": True, "size": "Medium"}
    ]
    for lines in _sections(digest):
        head, *rest = lines
        body.append({"type": "TextBlock", "text": head, "weight": "Bolder", "wrap": True, "separator": True})
        body.extend(
            {"type": "TextBlock", "text": line.strip(), "wrap": True, "spacing": "None"} for line in rest
        )
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def _json(digest: Digest) -> dict[str, Any]:
    def items(values: Sequence[DigestItem]) -> list[dict[str, Any]]:
        return [
            {"rule_id": i.rule_id, "resource": i.resource, "monthly_usd": i.monthly_usd, "message": i.message}
            for i in values
        ]

    return {
        "schema": DIGEST_SCHEMA,
        "summary": digest.headline,
        "generated_at": digest.generated_at.isoformat(),
        "findings": digest.findings,
        "monthly_at_risk_usd": digest.at_risk_usd,
        "monthly_at_risk_change_usd": digest.change_usd,
        "compared_with_previous_scan": digest.compared,
        "not_scanned": digest.not_scanned,
        # The report's budget records without their resource lists, which a chat message does not need.
        "budgets": [
            {
                **{k: v for k, v in budget_record(b).items() if k in _DIGEST_BUDGET_KEYS},
                "text": budget_text(b),
            }
            for b in digest.budgets
        ],
        "owners": [
            {
                "owner": o.owner,
                "monthly_at_risk_usd": o.at_risk_usd,
                "new" if digest.compared else "open": items(o.new),
                "fixed": items(o.fixed),
                "fixed_monthly_usd": o.fixed_usd,
                "anomalies": items(o.anomalies),
            }
            for o in digest.owners
        ],
    }


# --------------------------------------------------------------------------- delivery


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one webhook: ``error`` is None when it accepted the digest."""

    webhook: Webhook
    error: str | None

    @property
    def line(self) -> str:
        if self.error is None:
            return f"aigov: notified {self.webhook.kind} webhook {self.webhook.shown}"
        return f"aigov: notification to {self.webhook.kind} webhook {self.webhook.shown} failed: {self.error}"


def send(webhook: Webhook, body: Mapping[str, Any], timeout: float = TIMEOUT_SECONDS) -> Delivery:
    """POST ``body`` as JSON; any answer but 2xx, or none, is a failed delivery (never an exception)."""
    data = json.dumps(body, ensure_ascii=True, allow_nan=False).encode()
    request = urllib.request.Request(
        webhook.url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "aigov"},
    )
    try:
        # The scheme was checked when the URL was parsed: https, or http to a loopback address.
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status = answer.status
    except urllib.error.HTTPError as exc:
        return Delivery(webhook, f"HTTP {exc.code} {exc.reason}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return Delivery(webhook, f"no answer ({type(reason).__name__}: {_no_url(str(reason), webhook)})")
    if not 200 <= status < 300:
        return Delivery(webhook, f"HTTP {status}")
    return Delivery(webhook, None)


def _no_url(text: str, webhook: Webhook) -> str:
    """``text`` with the webhook's URL, path or query replaced (an error may quote them)."""
    parts = urlsplit(webhook.url)
    for secret in (webhook.url, parts.path, parts.query):
        if secret and secret != "/":
            text = text.replace(secret, "/***")
    return text


def notify_all(webhooks: Sequence[Webhook], digest: Digest) -> tuple[Delivery, ...]:
    """Post the digest to every webhook, each in its own shape."""
    return tuple(send(w, payload(digest, w.kind)) for w in webhooks)
