"""A throw-away PostgreSQL cluster for the history tests: initdb into a temporary directory, pg_ctl start.

Debian's ``postgresql`` package puts the server under ``/usr/lib/postgresql/<version>/bin``.
The server refuses to run as root, so when the tests run as root the cluster is made and run
by the ``postgres`` user through ``runuser``. It listens on 127.0.0.1 only, on a free port,
with password (SCRAM) authentication, so the tests can check that the password never shows.
A server that cannot start is an error, never a skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

USER = "aigov"
RUN_AS = "postgres"  # the Debian package's system user, for a test run as root


def server_bin() -> Path:
    """The newest installed server's bin directory."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL is not installed (no initdb): apt-get install -y postgresql")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    root: Path
    port: int
    password: str
    as_root: bool
    bin: Path
    databases: list[str] = field(default_factory=list)

    @staticmethod
    def start() -> PgServer:
        bin_dir = server_bin()
        as_root = os.geteuid() == 0
        root = Path(tempfile.mkdtemp(prefix="aigov-pg-"))
        password = secrets.token_urlsafe(18)
        (root / "pw").write_text(password + "\n", encoding="utf-8")
        if as_root:
            owner = pwd.getpwnam(RUN_AS)
            for path in (root, root / "pw"):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        server = PgServer(root, _free_port(), password, as_root, bin_dir)
        server._run(
            "initdb", "-D", str(root / "data"), "-U", USER, f"--pwfile={root / 'pw'}",
            "--auth=scram-sha-256", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {server.port} -k {root} -c fsync=off"
        server._run(
            "pg_ctl",
            "-D",
            str(root / "data"),
            "-l",
            str(root / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )
        return server

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", RUN_AS, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            log = (self.root / "log").read_text(encoding="utf-8") if (self.root / "log").exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()} {log[-2000:]}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database's URL."""
        import psycopg  # noqa: PLC0415

        name = f"t{len(self.databases)}_{secrets.token_hex(4)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        self.databases.append(name)
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
