"""A live scan without credentials is aigov's one line, not the credential chain's log (issue 11, item 5)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_no_credential_is_one_line_naming_the_ways_to_sign_in(tmp_path: Path) -> None:
    # Only the interpreter's directory on PATH (no `az`, `azd`, `pwsh`), an empty HOME (no token
    # caches), and managed identity pointed at a closed local port instead of the instance metadata service.
    env = {
        "PATH": str(Path(sys.executable).parent),
        "HOME": str(tmp_path),
        "IDENTITY_ENDPOINT": f"http://127.0.0.1:{_closed_port()}/token",
        "IDENTITY_HEADER": "test",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "aigov",
            "scan",
            "azure",
            "--subscription",
            "00000000-0000-0000-0000-000000000001",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: azure: authentication failed: ")
    assert "az login" in result.stderr
    assert "AZURE_ACCESS_TOKEN" in result.stderr
