"""The history's schema versions, and the PostgreSQL store: migration, foreign data, secrets kept out."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from fake_arm import FakeArm
from pg_server import PgServer

from aigov.cli.main import main
from aigov.errors import AigovError
from aigov.live.history import SCHEMA_VERSION, History, redact_url
from aigov.model import ScanResult

NOW = datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
V1 = """
CREATE TABLE scans (id INTEGER PRIMARY KEY AUTOINCREMENT, generated_at TEXT NOT NULL,
    findings INTEGER NOT NULL, monthly_at_risk_usd REAL NOT NULL, partial INTEGER NOT NULL);
CREATE TABLE scan_findings (scan_id INTEGER NOT NULL REFERENCES scans(id), fingerprint TEXT NOT NULL,
    rule_id TEXT NOT NULL, resource_key TEXT NOT NULL, address TEXT NOT NULL, subscription_id TEXT,
    severity TEXT NOT NULL, monthly_usd REAL, message TEXT NOT NULL, PRIMARY KEY (scan_id, fingerprint));
CREATE TABLE open_findings (fingerprint TEXT PRIMARY KEY, first_seen TEXT NOT NULL, rule_id TEXT NOT NULL,
    resource_key TEXT NOT NULL, address TEXT NOT NULL, subscription_id TEXT, severity TEXT NOT NULL,
    monthly_usd REAL, message TEXT NOT NULL);
INSERT INTO scans (generated_at, findings, monthly_at_risk_usd, partial)
    VALUES ('2026-06-01T06:00:00+00:00', 0, 0.0, 0);
PRAGMA user_version = 1;
"""


def test_a_version_1_sqlite_history_is_migrated_in_place(tmp_path: Path, arm: FakeArm) -> None:
    db = tmp_path / "aigov.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(V1)
    args = [
        "scan",
        "azure",
        "--arm-endpoint",
        arm.url,
        "--metrics-endpoint",
        arm.metrics_url,
        "--format",
        "json",
        "--history",
        str(db),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (1, 3), result.stderr
    document = json.loads(result.stdout)
    assert document["live"]["history"]["previous_scan_at"] == "2026-06-01T06:00:00+00:00"
    # The migrated history has no deployments to compare with yet, and says so.
    assert any("judged from the next scan on" in w for w in document["warnings"])
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM deployments").fetchone()[0] >= 6
        assert conn.execute("SELECT count(*) FROM scans").fetchone()[0] == 2


def test_a_history_from_a_newer_aigov_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "aigov.db"
    History(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(AigovError, match="schema version 99, written by a newer aigov"):
        History(db)


def test_postgres_schema_and_version_table_are_created(postgres_server: PgServer) -> None:
    url = postgres_server.new_database()
    History(url).close()
    History(url).close()  # opening again changes nothing
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version FROM aigov.schema_version").fetchall() == [(SCHEMA_VERSION,)]
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'aigov'"
            )
        }
    assert tables == {"schema_version", "scans", "scan_findings", "open_findings", "deployments"}


def test_a_foreign_aigov_schema_in_postgres_is_refused_and_left_alone(postgres_server: PgServer) -> None:
    url = postgres_server.new_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA aigov")
        conn.execute("CREATE TABLE aigov.mine (x integer)")
    with pytest.raises(AigovError, match="not an aigov history"):
        History(url)
    with psycopg.connect(url) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'aigov'"
            )
        }
    assert tables == {"mine"}


def test_the_password_never_appears_in_an_error(postgres_server: PgServer, arm: FakeArm) -> None:
    wrong = postgres_server.url("postgres").replace(postgres_server.password, "not-the-password-s3cret")
    with pytest.raises(AigovError) as caught:
        History(wrong + "?sslmode=disable")
    assert "s3cret" not in str(caught.value)
    assert "sslmode" not in str(caught.value)
    assert str(caught.value).startswith(f"postgresql://aigov@127.0.0.1:{postgres_server.port}/postgres: ")
    assert "cannot connect to the history database" in str(caught.value)
    args = [
        "scan",
        "azure",
        "--arm-endpoint",
        arm.url,
        "--metrics-endpoint",
        arm.metrics_url,
        "--format",
        "json",
        "--history",
        wrong,
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "s3cret" not in result.stderr
    assert "s3cret" not in result.stdout
    assert result.stderr.strip().splitlines()[-1].startswith("error: postgresql://aigov@127.0.0.1:")


def test_the_command_keeps_its_history_in_postgres(postgres_server: PgServer, arm: FakeArm) -> None:
    url = postgres_server.new_database()
    args = [
        "scan",
        "azure",
        "--arm-endpoint",
        arm.url,
        "--metrics-endpoint",
        arm.metrics_url,
        "--format",
        "json",
        "--history",
        url,
        "--keep-days",
        "30",
    ]
    first = CliRunner().invoke(main, args)
    second = CliRunner().invoke(main, args)
    assert first.exit_code == second.exit_code == 1, second.stderr
    history = json.loads(second.stdout)["live"]["history"]
    assert history["previous_scan_at"] is not None
    assert len(history["trend"]) == 2
    assert history["new"] == []
    assert postgres_server.password not in second.stdout + second.stderr


def test_redacted_urls() -> None:
    assert redact_url("postgresql://u:p@db.example:5432/aigov?sslmode=require&password=x") == (
        "postgresql://u@db.example:5432/aigov"
    )
    assert redact_url("postgres://db/aigov") == "postgres://db/aigov"


def test_keep_days_needs_a_history() -> None:
    result = CliRunner().invoke(main, ["scan", "azure", "--keep-days", "3"])
    assert result.exit_code == 2
    assert "--keep-days needs --history" in result.stderr


def test_a_trend_older_than_keep_days_is_pruned_in_sqlite_too(tmp_path: Path) -> None:
    db = tmp_path / "aigov.db"
    with History(db) as history:
        for day in range(5):
            empty = ScanResult(
                inputs=("azure",),
                resources=(),
                findings=(),
                catalog=None,
                generated_at=NOW + timedelta(days=day),
            )  # type: ignore[arg-type]
            diff = history.record(empty, (), keep_days=1)
        assert [s.generated_at for s in diff.trend] == [NOW + timedelta(days=3), NOW + timedelta(days=4)]
