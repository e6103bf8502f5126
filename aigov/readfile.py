"""Reading a file aigov was given, only when it is a regular file of bounded size.

Every input, rule, configuration, usage, catalogue, parameters, variable or
baseline file goes through :func:`read_regular_file`. A FIFO would block the
gate forever, ``/dev/zero`` or ``/dev/urandom`` would fill memory, and a
directory cannot be read as one document; each is refused with one line
before anything is read. The path is checked with ``stat`` before it is
opened, opened without blocking (a FIFO swapped in between cannot stall the
``open``), and checked again on the open descriptor, so what is read is the
regular file that was checked. Reads stop one byte past the limit, so a file
that grows while read, or a ``/proc`` entry that reports size 0, still cannot
exceed it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Final

from aigov.errors import AigovError

ErrorFactory = Callable[..., AigovError]

MiB: Final = 1024 * 1024

INPUT_LIMIT: Final = 1024 * MiB
"""Largest plan, template or what-if document read (plans of large estates run to hundreds of MiB)."""

DOCUMENT_LIMIT: Final = 64 * MiB
"""Largest rule, configuration, usage, catalogue, parameters, variables or baseline file read."""

_CHUNK: Final = 4 * MiB


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def refusal(mode: int) -> str:
    """Why a file of this mode is not read: `is a FIFO (named pipe), not a regular file`."""
    kind = _kind(mode)
    return f"is {kind}, not a regular file" if kind != "not a regular file" else "is not a regular file"


def _size_text(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit >= MiB else f"{limit} bytes"


def _strerror(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_regular_file(
    path: str | Path, error: ErrorFactory = AigovError, *, name: str | None = None
) -> os.stat_result:
    """``stat`` of ``path`` (symlinks followed) when it is a regular file, else ``error`` in one line.

    Errors name the file ``name`` when given (the path as the user sees it), else ``path``.
    """
    shown = name or str(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise error(f"cannot read: {_strerror(exc)}", file=shown) from None
    if not stat.S_ISREG(info.st_mode):
        raise error(refusal(info.st_mode), file=shown)
    return info


def _open_regular(path: str | Path, error: ErrorFactory, shown: str) -> tuple[int, os.stat_result]:
    """A descriptor open on ``path`` that is known to be a regular file, and its ``fstat``."""
    check_regular_file(path, error, name=shown)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise error(f"cannot read: {_strerror(exc)}", file=shown) from None
    try:
        info = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise error(f"cannot read: {_strerror(exc)}", file=shown) from None
    if not stat.S_ISREG(info.st_mode):  # replaced between the stat and the open
        os.close(fd)
        raise error(refusal(info.st_mode), file=shown)
    return fd, info


def read_regular_file(
    path: str | Path, limit: int, error: ErrorFactory = AigovError, *, name: str | None = None
) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Anything else (missing, unreadable, a directory, FIFO, device or socket,
    or larger than ``limit``) raises ``error(message, file=path)``: one line,
    and never a wait on a FIFO or an endless read of a device.
    """
    shown = name or str(path)
    fd, info = _open_regular(path, error, shown)
    try:
        if info.st_size > limit:
            raise error(f"file is larger than {_size_text(limit)}; not read", file=shown)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return read_bounded(handle, limit, shown, error, first=info.st_size + 1)
    except OSError as exc:
        raise error(f"cannot read: {_strerror(exc)}", file=shown) from None
    finally:
        os.close(fd)


def read_head(
    path: str | Path, size: int, error: ErrorFactory = AigovError, *, name: str | None = None
) -> bytes:
    """The first ``size`` bytes of the regular file ``path`` (for detecting what kind of input it is)."""
    shown = name or str(path)
    fd, _ = _open_regular(path, error, shown)
    try:
        return os.read(fd, size)
    except OSError as exc:
        raise error(f"cannot read: {_strerror(exc)}", file=shown) from None
    finally:
        os.close(fd)


def read_bounded(
    stream: BinaryIO, limit: int, shown: str, error: ErrorFactory = AigovError, *, first: int = _CHUNK
) -> bytes:
    """All of ``stream`` (a file, or standard input) when it holds at most ``limit`` bytes, else ``error``.

    ``first`` sizes the first read: a regular file's size plus one reads it
    in one call into one buffer (no join copies it again), and a file that
    grew meanwhile is still read to its end within ``limit``.
    """
    chunks: list[bytes] = []
    total = 0
    size = first
    while True:
        chunk = stream.read(min(size, limit + 1 - total))
        size = _CHUNK
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise error(f"input is larger than {_size_text(limit)}; not read", file=shown)
    return b"".join(chunks)


def read_regular_text(
    path: str | Path,
    limit: int,
    error: ErrorFactory = AigovError,
    *,
    name: str | None = None,
    encoding: str = "utf-8-sig",
) -> str:
    """:func:`read_regular_file` decoded (UTF-8, a leading byte-order mark dropped by default)."""
    data = read_regular_file(path, limit, error, name=name)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 text (byte {exc.start + 1})", file=name or str(path)) from None
