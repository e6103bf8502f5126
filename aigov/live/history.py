"""Scan history in SQLite: what is new, what persists (since when), what was fixed.

Each live scan is stored (``scans``, ``scan_findings``). The findings still
open are kept in ``open_findings`` with the time each was first seen, so a
finding's age survives a night on which its subscription could not be read:

* **new**: open now, not open before this scan;
* **persisting**: open before and now, with the time it was first seen;
* **fixed**: open before, gone now, in a subscription this scan did read;
* **not re-checked**: open before, in a subscription or account this scan
  could not read; it stays open and is neither new nor fixed next time.

Findings are matched by :attr:`aigov.model.Finding.fingerprint` (rule and
resource id). The file is an aigov history or is refused: an existing SQLite
database of something else is never written to.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from aigov.errors import AigovError
from aigov.model import Finding, ScanResult, monthly_at_risk
from aigov.readfile import check_regular_file

SCHEMA_VERSION: Final = 1
TREND_SCANS: Final = 10
BUSY_SECONDS: Final = 60.0
"""How long a scan waits for another one writing the same history file."""

_SCHEMA: Final = """
CREATE TABLE scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    generated_at TEXT NOT NULL,
    findings INTEGER NOT NULL,
    monthly_at_risk_usd REAL NOT NULL,
    partial INTEGER NOT NULL
);
CREATE TABLE scan_findings (
    scan_id INTEGER NOT NULL REFERENCES scans(id),
    fingerprint TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    resource_key TEXT NOT NULL,
    address TEXT NOT NULL,
    subscription_id TEXT,
    severity TEXT NOT NULL,
    monthly_usd REAL,
    message TEXT NOT NULL,
    PRIMARY KEY (scan_id, fingerprint)
);
CREATE TABLE open_findings (
    fingerprint TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    resource_key TEXT NOT NULL,
    address TEXT NOT NULL,
    subscription_id TEXT,
    severity TEXT NOT NULL,
    monthly_usd REAL,
    message TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """A finding as a previous scan stored it."""

    fingerprint: str
    rule_id: str
    resource_key: str
    address: str
    subscription_id: str | None
    severity: str
    monthly_usd: float | None
    message: str
    first_seen: datetime


@dataclass(frozen=True, slots=True)
class ScanSummary:
    """One stored scan, for the cost-at-risk trend."""

    generated_at: datetime
    findings: int
    monthly_at_risk_usd: float
    partial: bool


@dataclass(frozen=True, slots=True)
class HistoryDiff:
    """This scan against the findings open before it."""

    previous_at: datetime | None  # the previous scan's time; None for the first scan
    new: tuple[Finding, ...]
    persisting: tuple[tuple[Finding, datetime], ...]  # with the time each was first seen
    fixed: tuple[StoredFinding, ...]
    not_rechecked: tuple[StoredFinding, ...]
    trend: tuple[ScanSummary, ...]  # the last scans, oldest first, this one included

    @property
    def fixed_monthly_usd(self) -> float:
        """What the fixed findings were costing per month (each resource once, at its largest figure)."""
        per_resource: dict[str, float] = {}
        for f in self.fixed:
            if f.monthly_usd is not None and f.monthly_usd > per_resource.get(f.resource_key, 0.0):
                per_resource[f.resource_key] = f.monthly_usd
        return round(sum(per_resource.values()), 2)


class History:
    """An open history database. Use as a context manager, or call :meth:`close`.

    Several scans may share one file: creating the schema and each
    :meth:`record` run in one write transaction (``BEGIN IMMEDIATE``), so a
    second scan waits for the first (up to :data:`BUSY_SECONDS`) and then
    sees what it stored.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.exists() or path.is_symlink():
            check_regular_file(path, name=str(path))  # a FIFO or device would block or be clobbered
        try:
            # Autocommit mode: transactions are begun and ended explicitly, below.
            self._db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
        except sqlite3.Error as exc:
            raise AigovError(f"cannot open the history database ({exc})", file=str(path)) from None
        try:
            self._prepare()
        except sqlite3.Error as exc:
            self._db.close()
            raise AigovError(f"not a usable aigov history database ({exc})", file=str(path)) from None
        except AigovError:
            self._db.close()
            raise

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One write transaction, taken before anything is read (two scans never interleave)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _prepare(self) -> None:
        with self._writing():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            tables = self._db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if version == SCHEMA_VERSION:
                return
            if version != 0 or tables:
                raise AigovError(
                    f"not an aigov history database (schema version {version}, {tables} tables); "
                    "give --history a new file",
                    file=str(self.path),
                )
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # ------------------------------------------------------------------ record

    def record(self, result: ScanResult, scanned_subscriptions: Iterable[str]) -> HistoryDiff:
        """Store ``result`` and compare it with what was open before it.

        ``scanned_subscriptions`` are the subscriptions this scan covered;
        an open finding elsewhere, or under a scope in ``result.not_scanned``,
        was not re-checked and stays open.
        """
        try:
            with self._writing():
                return self._record(result, {s.lower() for s in scanned_subscriptions})
        except sqlite3.Error as exc:
            raise AigovError(f"cannot record the scan in the history ({exc})", file=str(self.path)) from None

    def _record(self, result: ScanResult, scanned: set[str]) -> HistoryDiff:
        blind = [n.scope.lower() for n in result.not_scanned]
        now = result.generated_at
        previous_row = self._db.execute("SELECT generated_at FROM scans ORDER BY id DESC LIMIT 1").fetchone()
        previous_at = datetime.fromisoformat(previous_row[0]) if previous_row else None
        before = {f.fingerprint: f for f in self._open()}

        current: dict[str, Finding] = {}
        for finding in result.findings:
            current.setdefault(finding.fingerprint, finding)
        new = tuple(f for fp, f in current.items() if fp not in before)
        persisting = tuple((f, before[fp].first_seen) for fp, f in current.items() if fp in before)
        fixed: list[StoredFinding] = []
        unchecked: list[StoredFinding] = []
        for fp, stored in before.items():
            if fp in current:
                continue
            if _rechecked(stored, scanned, blind):
                fixed.append(stored)
            else:
                unchecked.append(stored)

        cursor = self._db.execute(
            "INSERT INTO scans (generated_at, findings, monthly_at_risk_usd, partial) VALUES (?, ?, ?, ?)",
            (now.isoformat(), len(current), monthly_at_risk(current.values()), int(result.partial)),
        )
        scan_id = cursor.lastrowid
        self._db.executemany(
            "INSERT INTO scan_findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(scan_id, fp, *_columns(f)) for fp, f in current.items()],
        )
        self._db.executemany(
            "DELETE FROM open_findings WHERE fingerprint = ?", [(f.fingerprint,) for f in fixed]
        )
        self._db.executemany(
            "INSERT INTO open_findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(f.fingerprint, now.isoformat(), *_columns(f)) for f in new],
        )
        # Persisting findings keep their first_seen; their latest figures replace the old ones.
        self._db.executemany(
            "UPDATE open_findings SET severity = ?, monthly_usd = ?, message = ? WHERE fingerprint = ?",
            [(f.severity.value, f.cost.monthly_usd, f.message, f.fingerprint) for f, _ in persisting],
        )
        return HistoryDiff(
            previous_at=previous_at,
            new=new,
            persisting=persisting,
            fixed=tuple(fixed),
            not_rechecked=tuple(unchecked),
            trend=self.trend(),
        )

    def trend(self, scans: int = TREND_SCANS) -> tuple[ScanSummary, ...]:
        """The last ``scans`` scans, oldest first."""
        rows = self._db.execute(
            "SELECT generated_at, findings, monthly_at_risk_usd, partial FROM scans ORDER BY id DESC LIMIT ?",
            (scans,),
        ).fetchall()
        return tuple(
            ScanSummary(datetime.fromisoformat(at), n, usd, bool(partial))
            for at, n, usd, partial in reversed(rows)
        )

    def _open(self) -> Sequence[StoredFinding]:
        rows = self._db.execute(
            "SELECT fingerprint, rule_id, resource_key, address, subscription_id, severity, monthly_usd, "
            "message, first_seen FROM open_findings"
        ).fetchall()
        return [
            StoredFinding(
                fingerprint=row[0],
                rule_id=row[1],
                resource_key=row[2],
                address=row[3],
                subscription_id=row[4],
                severity=row[5],
                monthly_usd=row[6],
                message=row[7],
                first_seen=datetime.fromisoformat(row[8]),
            )
            for row in rows
        ]


def _columns(f: Finding) -> tuple[object, ...]:
    sub = f.resource.subscription_id
    return (
        f.rule_id,
        f.resource.key,
        f.resource.address,
        sub.lower() if isinstance(sub, str) else None,
        f.severity.value,
        f.cost.monthly_usd,
        f.message,
    )


def _rechecked(stored: StoredFinding, scanned: set[str], blind: Sequence[str]) -> bool:
    if stored.subscription_id is None or stored.subscription_id.lower() not in scanned:
        return False
    key = stored.resource_key.lower()
    subscription_scope = f"/subscriptions/{stored.subscription_id.lower()}"
    for scope in blind:
        bare = scope if scope.startswith("/") else f"/subscriptions/{scope}"
        if key == bare or key.startswith(bare + "/") or bare == subscription_scope:
            return False
    return True
