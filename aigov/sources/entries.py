"""What a directory entry that names an input file is: a file to read, a directory to skip, or an error.

Terraform reads every ``*.tf`` and ``*.auto.tfvars`` entry of a directory
and fails on one it cannot read. aigov must fail the same way: skipping a
dangling symbolic link, a link loop or a FIFO would evaluate a smaller
configuration than the one deployed and pass it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Literal

from aigov.errors import SourceError
from aigov.readfile import refusal

EntryKind = Literal["file", "directory"]


def entry_kind(path: Path, display: str) -> EntryKind:
    """``"file"`` for a regular file (through symbolic links), ``"directory"`` for a directory.

    Anything else raises :class:`SourceError` naming ``display``: a dangling
    symbolic link, a link loop, a FIFO, a socket or a device file.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise SourceError(_stat_problem(path, exc), file=display) from None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "directory"
    raise SourceError(refusal(mode), file=display)


def _stat_problem(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop; not read"
    if exc.errno == errno.ENOENT and path.is_symlink():
        return f"symbolic link to a missing file ({os.readlink(path)}); not read"
    return f"{exc.strerror or exc}; not read"
