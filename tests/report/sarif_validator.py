"""Microsoft's SARIF validator (``@microsoft/sarif-multitool`` from npm), installed once per checkout.

``install`` puts a pinned version under ``tests/.cache/sarif-multitool``
(git-ignored) with ``npm install --prefix``; later runs reuse it without the
network. ``SarifValidator.validate`` runs ``sarif-multitool validate`` with
the SARIF rules and GitHub's code-scanning rules (``--rule-kind Gh;Sarif``)
and returns every error and warning it reports.

The platform binary is run directly rather than through ``npx``: the
package's ``bin.js`` starts it with ``shell: true``, so the ``;`` in
``Gh;Sarif`` would end the shell command there. Which binary to run is asked
of the package itself (``require('@microsoft/sarif-multitool')``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

PACKAGE: Final = "@microsoft/sarif-multitool"
VERSION: Final = "5.7.0"
CACHE_DIR: Final = Path(__file__).resolve().parents[1] / ".cache" / "sarif-multitool"
RULE_KINDS: Final = "Gh;Sarif"
_DIAGNOSTIC: Final = re.compile(r": (error|warning) ([A-Za-z]+[0-9]+): (.*)$")


class ValidatorUnavailable(RuntimeError):
    """The validator could not be installed or started; the SARIF tests fail, never skip."""


@dataclass(frozen=True)
class SarifValidator:
    binary: Path
    version: str

    def validate(self, sarif_file: Path) -> list[str]:
        """Every error and warning the validator reports for ``sarif_file`` (empty: valid)."""
        log_file = sarif_file.with_suffix(".validation.sarif")
        completed = subprocess.run(
            [
                str(self.binary),
                "validate",
                str(sarif_file),
                "--output",
                str(log_file),
                "--rule-kind",
                RULE_KINDS,
                "--log",
                "ForceOverwrite",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env=_environment(),
        )
        if completed.returncode != 0 or not log_file.exists():
            raise ValidatorUnavailable(
                f"sarif-multitool exited {completed.returncode}: {completed.stdout}{completed.stderr}"
            )
        # The console lines are readable; the log file is authoritative for what was found.
        console = [
            f"{m.group(1)} {m.group(2)}: {m.group(3)}"
            for line in completed.stdout.splitlines()
            if (m := _DIAGNOSTIC.search(line))
        ]
        log: dict[str, Any] = json.loads(log_file.read_text(encoding="utf-8-sig"))
        # A result without a level is a warning (SARIF 2.1.0, 3.27.10).
        found = [
            r
            for run in log.get("runs", [])
            for r in run.get("results", [])
            if r.get("level", "warning") in ("error", "warning")
        ]
        if len(found) != len(console):
            return console + [json.dumps(r) for r in found]
        return console

    def schema(self) -> dict[str, Any]:
        """The SARIF 2.1.0 JSON Schema the package ships (draft 2020-12)."""
        path = self.binary.parent / "sarif-2.1.0.json"
        schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8-sig"))
        return schema


def install(cache_dir: Path = CACHE_DIR) -> SarifValidator:
    """The validator, installed under ``cache_dir`` first if it is not there at the pinned version."""
    npm = shutil.which("npm")
    node = shutil.which("node")
    if npm is None or node is None:
        raise ValidatorUnavailable("node and npm are needed to install @microsoft/sarif-multitool")
    if _installed_version(cache_dir) != VERSION:
        cache_dir.mkdir(parents=True, exist_ok=True)
        completed = subprocess.run(
            [npm, "install", "--prefix", str(cache_dir), "--no-audit", "--no-fund", f"{PACKAGE}@{VERSION}"],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if completed.returncode != 0:
            raise ValidatorUnavailable(f"npm install {PACKAGE}@{VERSION} failed: {completed.stderr.strip()}")
    module = cache_dir / "node_modules" / PACKAGE
    located = subprocess.run(
        [node, "-e", "process.stdout.write(require(process.argv[1]))", str(module)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    binary = Path(located.stdout.strip())
    if located.returncode != 0 or not binary.is_file():
        raise ValidatorUnavailable(f"no sarif-multitool binary for this platform: {located.stderr.strip()}")
    # The platform package's postinstall only does this chmod; npm may have skipped install scripts.
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return SarifValidator(binary, VERSION)


def _installed_version(cache_dir: Path) -> str | None:
    manifest = cache_dir / "node_modules" / PACKAGE / "package.json"
    if not manifest.is_file():
        return None
    version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    return version if isinstance(version, str) else None


def _environment() -> dict[str, str]:
    # The .NET binary needs ICU unless told to use invariant globalization; the
    # validation does not depend on culture data, so no system ICU is required.
    return {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"}
