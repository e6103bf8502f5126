"""The history file under stress: concurrent scans, special files, writes that fail, reports kept."""

from __future__ import annotations

import multiprocessing
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fake_arm import FakeArm

from aigov.cli.main import main
from aigov.config import load_config
from aigov.errors import AigovError
from aigov.live.history import History
from aigov.model import ScanResult
from aigov.scan import run_scan

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "fixtures" / "terraform_plan" / "example.json"
CONFIG = ROOT / "fixtures" / "terraform_plan" / "example.aigov.yaml"
NOW = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def result() -> ScanResult:
    found = run_scan([str(PLAN)], load_config(CONFIG), now=NOW)
    assert found.findings
    return found


def _subscriptions(result: ScanResult) -> set[str]:
    return {str(f.resource.subscription_id) for f in result.findings}


def _record_once(db: Path | str, result: ScanResult, start: Any, outcomes: Any) -> None:
    try:
        start.wait()
        with History(db) as history:
            history.record(result, _subscriptions(result))
        outcomes.put("ok")
    except BaseException as exc:
        outcomes.put(f"{type(exc).__name__}: {exc}")


def test_concurrent_scans_on_one_new_history_all_record(
    tmp_path: Path, result: ScanResult, request: pytest.FixtureRequest, backend: str
) -> None:
    # Separate processes, as separate CI jobs would be; several rounds, as the race is one of timing.
    context = multiprocessing.get_context("fork")
    scans, rounds = 6, 3
    for round_ in range(rounds):
        db: Path | str = tmp_path / f"history-{round_}.db"
        if backend == "postgresql":
            db = request.getfixturevalue("postgres_server").new_database()
        start, outcomes = context.Barrier(scans), context.Queue()
        workers = [
            context.Process(target=_record_once, args=(db, result, start, outcomes)) for _ in range(scans)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        assert [outcomes.get(timeout=5) for _ in workers] == ["ok"] * scans
        with History(db) as history:
            assert history.scan_count() == scans
            open_findings = len(history.open_findings())
        assert open_findings == len({f.fingerprint for f in result.findings})


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_history_that_is_not_a_regular_file_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    db = tmp_path / "history.db"
    if kind == "fifo":
        os.mkfifo(db)
    else:
        db.mkdir()
    with pytest.raises(AigovError, match=r"history\.db: is a (FIFO|directory)"):
        History(db)


def test_dev_null_as_history_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AigovError, match="is a character device"):
        History(Path("/dev/null"))


def test_a_history_that_cannot_be_written_is_one_error(tmp_path: Path, result: ScanResult) -> None:
    db = tmp_path / "history.db"
    with History(db) as history:
        (tmp_path / "history.db-journal").mkdir()  # SQLite cannot create its journal: every write fails
        with pytest.raises(AigovError) as caught:
            history.record(result, _subscriptions(result))
    assert str(caught.value) == f"{db}: cannot record the scan in the history (disk I/O error)"
    with pytest.raises(AigovError, match=r"not a usable aigov history database \(disk I/O error\)$"):
        History(db)


def test_reports_are_written_when_the_history_cannot_be(arm: FakeArm, tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    db.mkdir()
    report = tmp_path / "report.json"
    args = [
        "scan",
        "azure",
        "--arm-endpoint",
        arm.url,
        "--metrics-endpoint",
        arm.metrics_url,
        "--history",
        str(db),
    ]
    result = CliRunner().invoke(main, [*args, "--format", "json", "--output", str(report)])
    assert result.exit_code == 2
    *progress, error = result.stderr.strip().splitlines()
    assert error == f"error: {db}: is a directory, not a regular file"
    assert all(line.startswith("aigov: reading accounts") for line in progress)
    assert '"findings"' in report.read_text(encoding="utf-8")
