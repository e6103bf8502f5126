"""The modules ``terraform init`` installed: ``.terraform/modules/modules.json``.

``terraform init`` downloads every module whose source is not a local path
(registry, Git, HTTP archives) under ``.terraform/modules`` and records, per
module call path (``ai``, ``ai.network``: the call names, without instance
keys), the source it was installed from and the directory it went to,
relative to the root module. aigov reads those directories as Terraform
does, offline; a module not installed is reported as not read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from aigov.entries import entry_kind
from aigov.errors import SourceError

MANIFEST: Final = Path(".terraform") / "modules" / "modules.json"
MAX_MANIFEST_BYTES: Final = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class InstalledModule:
    source: str  # as recorded by terraform init (registry sources get their host prepended)
    directory: Path  # absolute, or relative to the working directory aigov runs in
    display: str  # the directory as shown to the user


def read_manifest(root: Path, root_display: str) -> Mapping[str, InstalledModule]:
    """The installed modules of the root module in ``root``, by call path; empty before ``terraform init``."""
    path = root / MANIFEST
    display = f"{root_display.rstrip('/')}/{MANIFEST.as_posix()}"
    try:
        path.lstat()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc), file=display) from None
    if entry_kind(path, display) != "file":
        raise SourceError("is a directory, not Terraform's module manifest", file=display)
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise SourceError(f"larger than {MAX_MANIFEST_BYTES} bytes; not read", file=display)
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc), file=display) from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise SourceError(f"not Terraform's module manifest: {exc}", file=display) from None
    entries = data.get("Modules") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SourceError("not Terraform's module manifest: no Modules array", file=display, where="Modules")
    installed: dict[str, InstalledModule] = {}
    for index, entry in enumerate(entries):
        key = entry.get("Key") if isinstance(entry, dict) else None
        source = entry.get("Source") if isinstance(entry, dict) else None
        directory = entry.get("Dir") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not isinstance(source, str) or not isinstance(directory, str):
            raise SourceError(
                "a module entry needs string Key, Source and Dir", file=display, where=f"Modules[{index}]"
            )
        if key:
            if not (root / directory).resolve().is_relative_to(root.resolve()):
                raise SourceError(
                    f"module {key}: directory {directory} is outside the configuration",
                    file=display,
                    where=f"Modules[{index}]",
                )
            shown = f"{root_display.rstrip('/')}/{directory}" if root_display not in ("", ".") else directory
            installed[key] = InstalledModule(source, root / directory, shown)
    return installed


def same_source(declared: str, installed: str) -> bool:
    """Whether the manifest's source is the one declared (registry sources are recorded with their host)."""
    return installed == declared or installed.endswith("/" + declared)
