"""Benchmark: ``aigov scan azure`` against the fake ARM server, with API calls by kind.

    python bench/live_scan.py            # 200 subscriptions, 2,000 accounts, 10,000 deployments
    python bench/live_scan.py --quick    # 20 subscriptions, 200 accounts, 1,000 deployments

A deterministic estate (:mod:`live_estate`) is served over HTTPS on 127.0.0.1
by the test suite's fake ARM (``tests/live/fake_arm.py``, a thread of this
process, with a self-signed certificate made at start), in Resource Graph
pages of 1,000 rows. The real CLI runs in a subprocess, trusting the
certificate through ``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE`` and signing with
``AZURE_ACCESS_TOKEN``. The same accounts and deployments are then scanned
again spread over a tenth of the subscriptions, to show that discovery calls
follow Resource Graph pages, not subscriptions.

The fake also serves the batch metrics endpoint (``--metrics-endpoint
https://127.0.0.1:PORT/{region}``: each region a path prefix it checks).

Targets (issue 12): batch metrics calls at the floor, the sum over
subscription-regions of ceil(accounts with deployments / 50), and one metric
definitions call per account kind; discovery calls the same whatever the
number of subscriptions; the whole scan under 20 s. The baseline, measured in
the same run against the same server: the same HTTPS requests the scan made,
replayed by a bare ``requests`` session on as many threads as the scan's
workers (what the calls alone cost; the rest is aigov). Exit 0 when every
target is met, 1 otherwise. Nothing leaves 127.0.0.1 and the server stops
when the script ends.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(ROOT / "tests" / "live"))
sys.path.insert(0, str(HERE))

import requests  # noqa: E402
from fake_arm import FakeArm, Logged, make_certificate  # noqa: E402
from live_estate import EstateFacts, generate  # noqa: E402

from aigov.live.client import call_kind  # noqa: E402

PAGE_SIZE = 1000  # Resource Graph's maximum $top; the fake serves subscriptions in pages this size too
TOKEN = "fake-arm-bench-token"  # not a secret: the only bearer token the fake server accepts
TARGET_S = 20.0
WORKERS = 8  # aigov.live.scan.DEFAULT_WORKERS: the replay's threads
KINDS = (
    "subscriptions",
    "resource_graph",
    "deployments",
    "metric_definitions",
    "metrics_batch",
    "policy_states",
)
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@dataclass(frozen=True)
class Run:
    """One CLI scan and what it took."""

    facts: EstateFacts
    wall_s: float
    exit_code: int
    calls: dict[str, int]  # as the scan counted them (retries included)
    served: dict[str, int]  # as the server logged them
    statuses: dict[int, int]
    resources: int
    findings: dict[str, int]  # rule id -> count
    not_scanned: int
    replay_s: float  # the baseline: the same requests from a bare HTTPS session
    priced_from_usage: int  # pay-per-token deployments priced from observed tokens

    @property
    def discovery(self) -> int:
        return self.calls.get("subscriptions", 0) + self.calls.get("resource_graph", 0)


def scan(facts: EstateFacts, estate: Any, cert: Path, key: Path, workdir: Path) -> Run:
    """Serve ``estate`` and run ``aigov scan azure`` against it in a subprocess."""
    report = workdir / f"report-{facts.subscriptions}.json"
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env.update(
        REQUESTS_CA_BUNDLE=str(cert),
        SSL_CERT_FILE=str(cert),
        AZURE_ACCESS_TOKEN=TOKEN,
        NO_PROXY="127.0.0.1,localhost",
    )
    with FakeArm(estate, cert, key, page_size=PAGE_SIZE, token=TOKEN) as arm:
        command = [sys.executable, "-m", "aigov", "scan", "azure", "--arm-endpoint", arm.url]
        command += ["--metrics-endpoint", arm.metrics_url]
        command += ["--format", "json", "--output", str(report)]
        start = time.perf_counter()
        # cwd: an empty directory, so no aigov.yaml from the checkout changes the rules.
        done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        served: dict[str, int] = {}
        statuses: dict[int, int] = {}
        for entry in arm.log:
            kind = call_kind(entry.path)
            served[kind] = served.get(kind, 0) + 1
            statuses[entry.status] = statuses.get(entry.status, 0) + 1
        replay_s = replay(list(arm.log), arm.url, cert)
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"aigov scan azure failed with exit code {done.returncode}:\n{done.stderr}")
    document = json.loads(report.read_text(encoding="utf-8"))
    findings: dict[str, int] = {}
    for finding in document["findings"]:
        findings[finding["rule_id"]] = findings.get(finding["rule_id"], 0) + 1
    return Run(
        facts=facts,
        wall_s=wall,
        exit_code=done.returncode,
        calls=dict(document["live"]["api_calls"]),
        served=served,
        statuses=statuses,
        resources=int(document["summary"]["resources"]),
        findings=findings,
        not_scanned=len(document["live"]["not_scanned"]),
        replay_s=replay_s,
        priced_from_usage=sum(
            1
            for r in document["cost"]["resources"]
            if "/deployments/chat-" in r["address"] and r["monthly_usd"] is not None
        ),
    )


def replay(log: list[Logged], url: str, cert: Path) -> float:
    """Seconds to send the logged requests again from a bare session on ``WORKERS`` threads."""
    session = requests.Session()
    session.mount("https://", requests.adapters.HTTPAdapter(pool_maxsize=2 * WORKERS))
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def send(entry: Logged) -> int:
        response = session.request(
            entry.method,
            url + entry.path,
            params=entry.query,
            json=entry.body,
            headers=headers,
            verify=str(cert),
            timeout=60,
        )
        response.content  # noqa: B018 - read the body, as the scan does
        return response.status_code

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(send, log))
    elapsed = time.perf_counter() - start
    session.close()
    return elapsed


def _pages(items: int) -> int:
    return max(1, math.ceil(items / PAGE_SIZE))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a small estate (a tenth of the full one)")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    sizes = {"subscriptions": 200 // scale, "accounts": 2000 // scale, "deployments": 10_000 // scale}
    small_subscriptions = max(1, sizes["subscriptions"] // 10)
    OUT.mkdir(exist_ok=True)

    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="aigov-live-bench-") as tmp:
        workdir = Path(tmp)
        cert, key = make_certificate(workdir)
        for subscriptions in (sizes["subscriptions"], small_subscriptions):
            start = time.perf_counter()
            estate, facts = generate(**{**sizes, "subscriptions": subscriptions})
            generated = time.perf_counter() - start
            print(
                f"estate: {facts.subscriptions} subscriptions, {facts.accounts} accounts "
                f"({facts.accounts_listed} OpenAI/AI Services, {facts.accounts_with_deployments} with "
                f"deployments), {facts.deployments} deployments ({facts.fine_tuned} fine-tuned, "
                f"{facts.fine_tuned_idle} idle; {facts.provisioned} provisioned, {facts.provisioned_low} "
                f"under 20 %), {facts.graph_rows} Resource Graph rows [generated in {generated:.1f} s]",
                flush=True,
            )
            runs.append(scan(facts, estate, cert, key, workdir))
            _print_run(runs[-1])
    full, small = runs
    ok = _print_checks(full, small)
    results = [
        {
            "subscriptions": r.facts.subscriptions,
            "accounts": r.facts.accounts,
            "deployments": r.facts.deployments,
            "wall_s": round(r.wall_s, 2),
            "exit_code": r.exit_code,
            "replay_s": round(r.replay_s, 2),
            "calls": r.calls,
            "metrics_floor": r.facts.metrics_floor,
            "resources": r.resources,
            "findings": r.findings,
        }
        for r in runs
    ]
    name = "live_scan_quick.json" if args.quick else "live_scan.json"
    (OUT / name).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0 if ok else 1


def _print_run(run: Run) -> None:
    calls = ", ".join(f"{kind} {run.calls.get(kind, 0)}" for kind in KINDS)
    other = {k: v for k, v in run.calls.items() if k not in KINDS}
    findings = sum(run.findings.values())
    by_rule = ", ".join(f"{rule} {count}" for rule, count in sorted(run.findings.items()))
    print(f"  wall time (CLI process, start-up included): {run.wall_s:.1f} s, exit code {run.exit_code}")
    print(
        f"  baseline: the same {sum(run.served.values())} requests from a bare HTTPS session on "
        f"{WORKERS} threads: {run.replay_s:.1f} s ({run.wall_s / max(run.replay_s, 1e-9):.1f}x)"
    )
    print(f"  API calls: {calls}; total {sum(run.calls.values())}{f', other {other}' if other else ''}")
    statuses = dict(sorted(run.statuses.items()))
    print(f"  served by the fake ARM: {sum(run.served.values())}, statuses {statuses}")
    print(f"  resources: {run.resources}; findings: {findings} ({by_rule}); not scanned: {run.not_scanned}")
    print(flush=True)


def _print_checks(full: Run, small: Run) -> bool:
    facts = full.facts
    metrics = full.calls.get("metrics_batch", 0)
    definitions = full.calls.get("metric_definitions", 0)
    graph_pages = _pages(facts.graph_rows)
    # The subscription list, the resources query, and Resource Graph's list of the subscriptions it reads.
    expected_discovery = 2 * _pages(facts.subscriptions) + graph_pages
    checks = [
        (
            f"batch metrics calls {metrics} == floor {facts.metrics_floor} (ceil(accounts with "
            f"deployments per subscription-region / 50); accounts with deployments "
            f"{facts.accounts_with_deployments}, deployments {facts.deployments})",
            metrics == facts.metrics_floor,
        ),
        (
            f"metric definitions calls {definitions} == account kinds {facts.kinds_with_deployments}",
            definitions == facts.kinds_with_deployments,
        ),
        (
            f"pay-per-token deployments priced from observed tokens: {full.priced_from_usage} (> 0)",
            full.priced_from_usage > 0,
        ),
        (
            f"discovery calls {full.discovery} == subscription pages {_pages(facts.subscriptions)} "
            f"+ Resource Graph pages {graph_pages} ({facts.graph_rows} rows / {PAGE_SIZE}) "
            f"+ subscriptions-check pages {_pages(facts.subscriptions)}",
            full.discovery == expected_discovery,
        ),
        (
            f"discovery calls with {facts.subscriptions} subscriptions {full.discovery} == with "
            f"{small.facts.subscriptions} subscriptions {small.discovery} (same accounts)",
            full.discovery == small.discovery,
        ),
        (f"whole scan {full.wall_s:.1f} s < {TARGET_S:.0f} s", full.wall_s < TARGET_S),
        (
            "every call answered; nothing listed as not scanned",
            full.not_scanned == 0 and small.not_scanned == 0,
        ),
        (
            f"calls the scan counted {sum(full.calls.values())} == requests the server logged "
            f"{sum(full.served.values())}",
            full.calls == full.served,
        ),
    ]
    print("Targets")
    for text, passed in checks:
        print(f"  [{'ok' if passed else 'MISSED'}] {text}")
    print(
        f"  reference: one metrics call per account would be {facts.accounts_with_deployments} calls, "
        f"one per deployment (Cloud Custodian's way) {facts.deployments}; aigov: {metrics} "
        f"({facts.accounts_with_deployments / max(1, metrics):.1f}x fewer than per account)"
    )
    print(
        f"  policy states: one call per subscription holding AI resources "
        f"({full.calls.get('policy_states', 0)} with {facts.subscriptions} subscriptions, "
        f"{small.calls.get('policy_states', 0)} with {small.facts.subscriptions})"
    )
    return all(passed for _, passed in checks)


if __name__ == "__main__":
    sys.exit(main())
