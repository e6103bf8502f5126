"""Progress lines of a live scan whose stderr is not a terminal (CI logs)."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from conftest import FAST_RETRY
from fake_arm import FakeArm, Fault

from aigov.cli.main import main
from aigov.config import Config
from aigov.live.progress import ProgressLines
from aigov.live.scan import LiveOptions, scan_live

NOW = datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
LINE = re.compile(
    r"^aigov: reading accounts, workspaces and policy states: "
    r"(\d+)/(\d+) subscriptions, (\d+)/(\d+) accounts done \((\d+) s\)$"
)


def test_a_slow_scan_prints_a_line_every_interval(arm: FakeArm, capsys: pytest.CaptureFixture[str]) -> None:
    # Every deployments answer takes 1.2 s; with 4 accounts on 1 worker the phase lasts over 4 s.
    arm.faults.append(Fault("/deployments", delay=1.2, times=10))
    options = LiveOptions(
        arm_endpoint=arm.url,
        metrics_endpoint=arm.metrics_url,
        retry=dataclasses.replace(FAST_RETRY, read_timeout=5.0),
        workers=1,
        progress_interval=0.5,
    )
    scan_live(Config(), now=NOW, options=options)
    lines = capsys.readouterr().err.strip().splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    counts = [tuple(int(g) for g in m.groups()[:4]) for m in parsed if m]
    subs_total, accounts_total = counts[0][1], counts[0][3]
    assert accounts_total >= 3
    assert counts[0] == (0, subs_total, 0, accounts_total)
    assert counts[-1] == (subs_total, subs_total, accounts_total, accounts_total)
    # Lines came while the phase ran, not only at its start and end.
    assert len(lines) >= 5
    done = [c[2] for c in counts]
    assert done == sorted(done)


def test_no_lines_when_progress_is_off(arm: FakeArm, capsys: pytest.CaptureFixture[str]) -> None:
    scan_live(
        Config(),
        now=NOW,
        options=LiveOptions(
            arm_endpoint=arm.url, metrics_endpoint=arm.metrics_url, retry=FAST_RETRY, progress=False
        ),
    )
    assert capsys.readouterr().err == ""


def test_the_command_line_prints_progress_to_stderr_only(arm: FakeArm) -> None:
    result = CliRunner().invoke(
        main,
        [
            "scan",
            "azure",
            "--arm-endpoint",
            arm.url,
            "--metrics-endpoint",
            arm.metrics_url,
            "--format",
            "json",
        ],
    )
    assert result.exit_code in (0, 1, 3), result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines
    assert all(LINE.match(line) for line in lines), lines
    assert "aigov:" not in result.stdout


def test_elapsed_time_and_counts_with_an_injected_clock() -> None:
    now = [100.0]
    stream = io.StringIO()
    progress = ProgressLines(
        stream, "reading", ["sub-a", "sub-a", "sub-b"], 2, interval=3600, clock=lambda: now[0]
    )
    with progress:
        now[0] = 112.4
        progress.done("sub-a", account=True)
        assert progress.line() == "aigov: reading: 0/2 subscriptions, 1/2 accounts done (12 s)"
        progress.done("sub-a", account=False)
        progress.done("sub-b", account=True)
        now[0] = 130.0
    assert stream.getvalue().splitlines() == [
        "aigov: reading: 0/2 subscriptions, 0/2 accounts done (0 s)",
        "aigov: reading: 2/2 subscriptions, 2/2 accounts done (30 s)",
    ]


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ProgressLines(io.StringIO(), "x", [], 0, interval=0)
