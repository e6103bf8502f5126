"""What a directory entry aigov would read is: a file to read, a directory to skip, or an error.

Terraform reads every ``*.tf`` and ``*.auto.tfvars`` entry of a directory
and fails on one it cannot read; a rules directory is read the same way.
aigov must fail too: skipping a dangling symbolic link, a link loop or a
FIFO would evaluate a smaller configuration (or fewer rules) than the one
given and pass it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Literal

from aigov.errors import AigovError, SourceError
from aigov.readfile import refusal

EntryKind = Literal["file", "directory"]


def entry_kind(path: Path, display: str, error: type[AigovError] = SourceError) -> EntryKind:
    """``"file"`` for a regular file (through symbolic links), ``"directory"`` for a directory.

    Anything else raises ``error`` naming ``display``: a dangling symbolic
    link, a link loop, a FIFO, a socket or a device file.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise error(_stat_problem(path, exc), file=display) from None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "directory"
    raise error(refusal(mode), file=display)


def _stat_problem(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop; not read"
    if exc.errno == errno.ENOENT and path.is_symlink():
        return f"symbolic link to a missing file ({os.readlink(path)}); not read"
    return f"{exc.strerror or exc}; not read"
