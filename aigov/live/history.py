"""Scan history, in SQLite or PostgreSQL: what is new, what persists (since when), what was fixed.

Each live scan is stored (``scans``, ``scan_findings``). The findings still
open are kept in ``open_findings`` with the time each was first seen, so a
finding's age survives a night on which its subscription could not be read:

* **new**: open now, not open before this scan;
* **persisting**: open before and now, with the time it was first seen;
* **fixed**: open before, gone now, in a subscription this scan did read;
* **not re-checked**: open before, in a subscription or account this scan
  could not read; it stays open and is neither new nor fixed next time.

Findings are matched by :attr:`aigov.model.Finding.fingerprint` (rule and
resource id). Anomalies (category ``anomaly``) are judged afresh by every
scan and are not tracked here. ``deployments`` keeps the latest snapshot of
every deployment, for the change anomalies of :mod:`aigov.live.anomaly`.

The target is a SQLite file (the default), or a ``postgresql://`` URL: the
same tables in the ``aigov`` schema of that database, through psycopg 3, so a
nightly scan in a fresh CI agent keeps its history elsewhere. aigov creates
and migrates the schema (SQLite: ``PRAGMA user_version``; PostgreSQL: the
``aigov.schema_version`` table). A SQLite file is an aigov history or is
refused: a database of something else is never written to. Several scans may
share one history: every write is one transaction that first takes the
history's write lock (SQLite ``BEGIN IMMEDIATE``; PostgreSQL a transaction
advisory lock), so a second scan waits for the first and sees what it stored.
"""

from __future__ import annotations

import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from aigov.errors import AigovError
from aigov.live.anomaly import CATEGORY as ANOMALY
from aigov.live.anomaly import DeploymentSnapshot
from aigov.model import Finding, ScanResult, monthly_at_risk
from aigov.readfile import check_regular_file

SCHEMA_VERSION: Final = 2
TREND_SCANS: Final = 10
BUSY_SECONDS: Final = 60.0
"""How long a scan waits for another one writing the same history."""
POSTGRES_SCHEMES: Final = ("postgresql://", "postgres://")
POSTGRES_SCHEMA: Final = "aigov"
POSTGRES_LOCK: Final = 0x616967_6F76  # the advisory lock every aigov writer of one database takes ("aigov")
CONNECT_SECONDS: Final = 10

# Each version's statements, in order; `{id}` and `{real}` are the dialect's key and float types.
_MIGRATIONS: Final[Mapping[int, tuple[str, ...]]] = {
    1: (
        """CREATE TABLE scans (
            id {id},
            generated_at TEXT NOT NULL,
            findings INTEGER NOT NULL,
            monthly_at_risk_usd {real} NOT NULL,
            partial INTEGER NOT NULL
        )""",
        """CREATE TABLE scan_findings (
            scan_id INTEGER NOT NULL REFERENCES scans(id),
            fingerprint TEXT NOT NULL,
            rule_id TEXT NOT NULL,
            resource_key TEXT NOT NULL,
            address TEXT NOT NULL,
            subscription_id TEXT,
            severity TEXT NOT NULL,
            monthly_usd {real},
            message TEXT NOT NULL,
            PRIMARY KEY (scan_id, fingerprint)
        )""",
        """CREATE TABLE open_findings (
            fingerprint TEXT PRIMARY KEY,
            first_seen TEXT NOT NULL,
            rule_id TEXT NOT NULL,
            resource_key TEXT NOT NULL,
            address TEXT NOT NULL,
            subscription_id TEXT,
            severity TEXT NOT NULL,
            monthly_usd {real},
            message TEXT NOT NULL
        )""",
    ),
    2: (
        # Whether a scan stored its deployments: a history migrated from version 1 has none to compare.
        "ALTER TABLE scans ADD COLUMN deployments INTEGER NOT NULL DEFAULT 0",
        """CREATE TABLE deployments (
            key TEXT PRIMARY KEY,
            address TEXT NOT NULL,
            subscription_id TEXT,
            sku TEXT,
            capacity {real},
            model TEXT,
            monthly_usd {real},
            seen_at TEXT NOT NULL
        )""",
        "CREATE INDEX scans_generated_at ON scans (generated_at)",
    ),
}


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
    # The deployments as the previous scan stored them (by key); None when it stored none.
    previous_deployments: Mapping[str, DeploymentSnapshot] | None = None
    pruned: int = 0  # scans removed by --keep-days

    @property
    def fixed_monthly_usd(self) -> float:
        """What the fixed findings were costing per month (each resource once, at its largest figure)."""
        per_resource: dict[str, float] = {}
        for f in self.fixed:
            if f.monthly_usd is not None and f.monthly_usd > per_resource.get(f.resource_key, 0.0):
                per_resource[f.resource_key] = f.monthly_usd
        return round(sum(per_resource.values()), 2)


def is_database_url(target: str) -> bool:
    """Whether ``--history`` names a PostgreSQL database rather than a SQLite file."""
    return target.lower().startswith(POSTGRES_SCHEMES)


def redact_url(url: str) -> str:
    """``url`` without its password or query (which may hold one), for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = (f"{parts.username}@" if parts.username else "") + host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class _Backend(ABC):
    """One database engine: connection, write lock, schema version, placeholders."""

    name: str  # the file, or the redacted URL, for messages
    errors: tuple[type[BaseException], ...]
    id_type: str
    real_type: str

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    @abstractmethod
    def writing(self) -> Any:
        """A context manager: one write transaction, the history's write lock taken first."""

    @abstractmethod
    def version(self) -> int:
        """The schema version; 0 for an empty database. Raises AigovError for a foreign one."""

    @abstractmethod
    def set_version(self, version: int) -> None: ...

    @abstractmethod
    def close(self) -> None: ...


class _Sqlite(_Backend):
    id_type = "INTEGER PRIMARY KEY AUTOINCREMENT"
    real_type = "REAL"
    errors = (sqlite3.Error,)

    def __init__(self, path: Path) -> None:
        self.name = str(path)
        if path.exists() or path.is_symlink():
            check_regular_file(path, name=str(path))  # a FIFO or device would block or be clobbered
        try:
            # Autocommit mode: transactions are begun and ended explicitly, in `writing`.
            self._db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
        except sqlite3.Error as exc:
            raise AigovError(f"cannot open the history database ({exc})", file=self.name) from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)

    @contextmanager
    def writing(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def version(self) -> int:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        tables = self._db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if version == 0 and tables:
            raise AigovError(
                f"not an aigov history database (schema version 0, {tables} tables); "
                "give --history a new file",
                file=self.name,
            )
        return version

    def set_version(self, version: int) -> None:
        self._db.execute(f"PRAGMA user_version = {int(version)}")

    def close(self) -> None:
        self._db.close()


class _Postgres(_Backend):
    id_type = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    real_type = "DOUBLE PRECISION"

    def __init__(self, url: str) -> None:
        self.name = redact_url(url)
        try:
            import psycopg  # noqa: PLC0415 - only a PostgreSQL history needs the driver
        except ModuleNotFoundError:
            raise AigovError(
                'a PostgreSQL history needs psycopg 3: pip install "aigov[postgres]"', file=self.name
            ) from None
        self._psycopg = psycopg
        self.errors = (psycopg.Error,)
        try:
            # Autocommit: every write is an explicit transaction (`writing`), reads see the latest commit.
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_SECONDS)
        except psycopg.Error as exc:
            raise AigovError(
                f"cannot connect to the history database ({_pg_reason(exc)})", file=self.name
            ) from None
        self._db.execute(f"SET lock_timeout = '{int(BUSY_SECONDS)}s'")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._db.execute(_pg(sql), params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._db.cursor() as cursor:
            cursor.executemany(_pg(sql), list(rows))

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (POSTGRES_LOCK,))
            self._db.execute(f"CREATE SCHEMA IF NOT EXISTS {POSTGRES_SCHEMA}")
            self._db.execute(f"SET LOCAL search_path TO {POSTGRES_SCHEMA}")
            yield

    def version(self) -> int:
        found = self._db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (POSTGRES_SCHEMA,)
        ).fetchall()
        tables = {row[0] for row in found}
        if "schema_version" not in tables:
            if tables:
                raise AigovError(
                    f"schema {POSTGRES_SCHEMA} holds {len(tables)} tables but no schema_version: "
                    "not an aigov history; give --history another database",
                    file=self.name,
                )
            self._db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
            self._db.execute("INSERT INTO schema_version VALUES (0)")
            return 0
        row = self._db.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row is not None and row[0] is not None else 0

    def set_version(self, version: int) -> None:
        self._db.execute("UPDATE schema_version SET version = %s", (version,))

    def close(self) -> None:
        self._db.close()


def _pg(sql: str) -> str:
    """SQLite's ``?`` placeholders as psycopg's ``%s`` (no query here holds a literal ``?`` or ``%``)."""
    return sql.replace("?", "%s")


def _pg_reason(exc: BaseException) -> str:
    """The driver's message, first line, with anything that looks like a password removed."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return re.sub(r"(password=)\S+", r"\1***", text)


class History:
    """An open history, a SQLite file or a PostgreSQL database; a context manager, or call :meth:`close`.

    Creating or migrating the schema and each :meth:`record` run in one
    write transaction, so a second scan waits for the first (up to
    :data:`BUSY_SECONDS`) and then sees what it stored.
    """

    def __init__(self, target: Path | str) -> None:
        if isinstance(target, str) and is_database_url(target):
            self._backend: _Backend = _Postgres(target)
        else:
            self._backend = _Sqlite(Path(target))
        self.name = self._backend.name
        self._db = self._backend
        try:
            self._prepare()
        except self._backend.errors as exc:
            self._backend.close()
            raise AigovError(
                f"not a usable aigov history database ({_reason(exc)})", file=self.name
            ) from None
        except AigovError:
            self._backend.close()
            raise

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._backend.close()

    def _writing(self) -> Any:
        return self._backend.writing()

    def _prepare(self) -> None:
        backend = self._backend
        with backend.writing():
            version = backend.version()
            if version == SCHEMA_VERSION:
                return
            if version > SCHEMA_VERSION:
                raise AigovError(
                    f"the history has schema version {version}, written by a newer aigov "
                    f"(this one knows {SCHEMA_VERSION}); upgrade aigov",
                    file=self.name,
                )
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[step]:
                    backend.execute(statement.format(id=backend.id_type, real=backend.real_type))
            backend.set_version(SCHEMA_VERSION)

    # ------------------------------------------------------------------ record

    def record(
        self,
        result: ScanResult,
        scanned_subscriptions: Iterable[str],
        deployments: Iterable[DeploymentSnapshot] | None = None,
        *,
        keep_days: int | None = None,
    ) -> HistoryDiff:
        """Store ``result`` and compare it with what was open before it.

        ``scanned_subscriptions`` are the subscriptions this scan covered;
        an open finding elsewhere, or under a scope in ``result.not_scanned``,
        was not re-checked and stays open. ``deployments`` (the scan's
        deployments) replace the stored snapshot; the previous one is in the
        diff. With ``keep_days``, scans older than that many days before this
        one are removed (open findings and their first-seen dates stay).
        """
        try:
            with self._writing():
                return self._record(
                    result,
                    {s.lower() for s in scanned_subscriptions},
                    None if deployments is None else tuple(deployments),
                    keep_days,
                )
        except self._backend.errors as exc:
            raise AigovError(
                f"cannot record the scan in the history ({_reason(exc)})", file=self.name
            ) from None

    def _record(
        self,
        result: ScanResult,
        scanned: set[str],
        deployments: tuple[DeploymentSnapshot, ...] | None,
        keep_days: int | None,
    ) -> HistoryDiff:
        blind = [n.scope.lower() for n in result.not_scanned]
        now = result.generated_at
        previous_row = self._db.execute(
            "SELECT generated_at, deployments FROM scans ORDER BY id DESC LIMIT 1"
        ).fetchone()
        previous_at = datetime.fromisoformat(previous_row[0]) if previous_row else None
        previous_deployments = self._deployments() if previous_row and previous_row[1] else None
        before = {f.fingerprint: f for f in self._open()}

        current: dict[str, Finding] = {}
        for finding in result.findings:
            if finding.category != ANOMALY:
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

        scan_id = self._db.execute(
            "INSERT INTO scans (generated_at, findings, monthly_at_risk_usd, partial, deployments) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (
                now.isoformat(),
                len(current),
                monthly_at_risk(current.values()),
                int(result.partial),
                int(deployments is not None),
            ),
        ).fetchone()[0]
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
        if deployments is not None:
            self._store_deployments(deployments, now, scanned, blind)
        pruned = self._prune(now - timedelta(days=keep_days)) if keep_days is not None else 0
        return HistoryDiff(
            previous_at=previous_at,
            new=new,
            persisting=persisting,
            fixed=tuple(fixed),
            not_rechecked=tuple(unchecked),
            trend=self.trend(),
            previous_deployments=previous_deployments,
            pruned=pruned,
        )

    def _store_deployments(
        self,
        deployments: tuple[DeploymentSnapshot, ...],
        now: datetime,
        scanned: set[str],
        blind: Sequence[str],
    ) -> None:
        """Replace the snapshot: this scan's deployments, and the stored ones it could not re-check."""
        keys = {d.key for d in deployments}
        gone = [
            (key,)
            for key, sub in self._db.execute("SELECT key, subscription_id FROM deployments").fetchall()
            if key not in keys and _rechecked_key(key, sub, scanned, blind)
        ]
        self._db.executemany("DELETE FROM deployments WHERE key = ?", gone)
        self._db.executemany("DELETE FROM deployments WHERE key = ?", [(d.key,) for d in deployments])
        self._db.executemany(
            "INSERT INTO deployments VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    d.key,
                    d.address,
                    d.subscription_id,
                    d.sku,
                    d.capacity,
                    d.model,
                    d.monthly_usd,
                    now.isoformat(),
                )
                for d in deployments
            ],
        )

    def _deployments(self) -> dict[str, DeploymentSnapshot]:
        rows = self._db.execute(
            "SELECT key, address, subscription_id, sku, capacity, model, monthly_usd FROM deployments"
        ).fetchall()
        return {row[0]: DeploymentSnapshot(*row) for row in rows}

    def _prune(self, cutoff: datetime) -> int:
        """Remove the scans before ``cutoff`` and their findings; how many scans went."""
        old = [
            (row[0],)
            for row in self._db.execute(
                "SELECT id FROM scans WHERE generated_at < ?", (cutoff.isoformat(),)
            ).fetchall()
        ]
        self._db.executemany("DELETE FROM scan_findings WHERE scan_id = ?", old)
        self._db.executemany("DELETE FROM scans WHERE id = ?", old)
        return len(old)

    def scan_count(self) -> int:
        """How many scans the history holds."""
        return int(self._db.execute("SELECT count(*) FROM scans").fetchone()[0])

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

    def open_findings(self) -> Sequence[StoredFinding]:
        """The findings open after the last scan."""
        return self._open()

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
    return _rechecked_key(stored.resource_key, stored.subscription_id, scanned, blind)


def _rechecked_key(
    resource_key: str, subscription_id: str | None, scanned: set[str], blind: Sequence[str]
) -> bool:
    """Whether this scan read the resource's scope in full (its absence then means it is gone)."""
    if subscription_id is None or subscription_id.lower() not in scanned:
        return False
    key = resource_key.lower()
    subscription_scope = f"/subscriptions/{subscription_id.lower()}"
    for scope in blind:
        bare = scope if scope.startswith("/") else f"/subscriptions/{scope}"
        if key == bare or key.startswith(bare + "/") or bare == subscription_scope:
            return False
    return True


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return _pg_reason(exc) if text and "\n" in text else (text or type(exc).__name__)
