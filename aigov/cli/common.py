"""What every ``aigov`` command shares: one-line errors with exit 2, and safe report writing."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TextIO

import click

from aigov.errors import AigovError
from aigov.gate import ExitCode
from aigov.scan import STDIN


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)


def guarded(func: Callable[..., int]) -> Callable[..., None]:
    """Run a command body, turning errors into one line and exit 2."""

    def wrapper(*args: object, **kwargs: object) -> None:
        try:
            code = func(*args, **kwargs)
        except AigovError as exc:
            fail(str(exc))
            code = ExitCode.ERROR
        except KeyboardInterrupt:
            fail("interrupted")
            code = 130
        except Exception as exc:  # the gate fails closed on our own bugs too
            if os.environ.get("AIGOV_DEBUG"):
                traceback.print_exc()
            fail(f"internal error: {type(exc).__name__}: {exc} (set AIGOV_DEBUG=1 for the traceback)")
            code = ExitCode.ERROR
        sys.exit(int(code))

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


DEFAULT_WIDTH = 80
MIN_WIDTH = 40


def terminal_width(environ: Mapping[str, str], stream: TextIO | None) -> int:
    """Columns for the table: ``COLUMNS``, else ``stream``'s terminal width, else 80 (at least 40)."""
    columns = environ.get("COLUMNS", "").strip()
    width: int | None = int(columns) if columns.isdigit() and int(columns) > 0 else None
    if width is None and stream is not None:
        try:
            if stream.isatty():
                width = os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError):  # no terminal behind it after all, or a closed stream
            width = None
    return max(width or DEFAULT_WIDTH, MIN_WIDTH)


INFRASTRUCTURE_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tfvars.json", ".bicep", ".bicepparam")
"""Files no report is ever written to: the scan reads them (``--repo-root`` locates plan lines in them)."""


def check_outputs(targets: Sequence[str], read: Iterable[str]) -> None:
    """Refuse report targets that name one file twice, or a file the scan read or will read.

    Files are compared by identity (device and inode) where they exist, so a
    symbolic or hard link to an input is refused as the input itself is.
    """
    protected = {_identity(p) for p in read if p != STDIN}
    protected.discard(None)
    seen: dict[object, str] = {}
    for target in targets:
        if target == STDIN:
            continue
        if target.lower().endswith(INFRASTRUCTURE_SUFFIXES):
            raise AigovError("refusing to write a report over an infrastructure file", file=target)
        identity = _identity(target)
        if identity is None:
            continue
        if identity in protected:
            raise AigovError("refusing to overwrite a file this scan reads", file=target)
        if identity in seen:
            raise AigovError(f"two reports name one file (also {seen[identity]})", file=target)
        seen[identity] = target


def _identity(path: str) -> object:
    """What names one file: (device, inode) when it exists, else its absolute real path."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return os.path.realpath(path)
    except OSError:
        return None
    if stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode):
        return None  # /dev/null, /dev/stdout, a pipe: never "a file the scan read"
    return (info.st_dev, info.st_ino)


def write_output(path: str, text: str | Callable[[TextIO], None]) -> None:
    """Write a report to ``path`` without ever destroying what is there.

    ``text`` is the report, or a function that writes it to the stream it is
    given (a large report is then never one string in memory).

    A regular file (or a new one) is written through a temporary file in its
    directory and renamed over it, keeping its mode; a symbolic link is
    followed, so the file it names is written and the link stays. A device
    or FIFO (``/dev/null``, ``/dev/stdout``) is opened and written, never
    replaced. A missing directory is created. Anything else (a directory, a socket) is refused. The temporary
    file is removed on any failure.
    """
    real = os.path.realpath(path)
    try:
        info: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise AigovError(exc.strerror or str(exc), file=path) from None
    if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        try:
            with open(real, "w", encoding="utf-8", newline="") as handle:
                _write(handle, text)
        except OSError as exc:
            raise AigovError(exc.strerror or str(exc), file=path) from None
        return
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise AigovError("not a regular file; a report is written to a file, a device or a FIFO", file=path)
    directory = os.path.dirname(real) or "."
    try:
        os.makedirs(directory, exist_ok=True)  # CI writes reports/aigov.sarif before reports/ exists
    except OSError as exc:
        raise AigovError(f"cannot create the directory: {exc.strerror or exc}", file=path) from None
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(real)}.", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            _write(handle, text)
        os.chmod(tmp, mode)
        os.replace(tmp, real)
        tmp = None
    except OSError as exc:
        raise AigovError(exc.strerror or str(exc), file=path) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _write(handle: TextIO, text: str | Callable[[TextIO], None]) -> None:
    if isinstance(text, str):
        handle.write(text)
    else:
        text(handle)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
