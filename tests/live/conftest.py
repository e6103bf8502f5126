"""The fake ARM server for live-scan tests: HTTPS on 127.0.0.1 with a certificate made per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_arm import Estate, FakeArm, make_certificate
from pg_server import PgServer

from aigov.live.client import RetrySettings

TOKEN = "fake-arm-test-token"  # not a secret: the fake server's only accepted bearer token

# Small backoff and timeouts keep the retry tests quick; Retry-After from the server still rules.
FAST_RETRY = RetrySettings(
    total=4, backoff_factor=0.01, backoff_max=0.05, connection_timeout=5, read_timeout=1.0
)


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("fake-arm-tls"))


@pytest.fixture
def arm(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeArm]:
    """A running fake ARM with the fixture estate; the environment trusts it and holds its token."""
    cert, key = certificate
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("AZURE_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with FakeArm(Estate.from_fixtures(), cert, key, token=TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PgServer]:
    """A PostgreSQL server of its own for the session; fails (not skips) when it cannot start."""
    server = PgServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def history_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """The same history tests over a SQLite file and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "aigov.db"
    server: PgServer = request.getfixturevalue("postgres_server")
    return server.new_database()
