"""What every ``aigov`` command shares: one-line errors with exit 2, and safe report writing."""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

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


def write_output(path: str, text: str, inputs: Sequence[str]) -> None:
    """Write a report atomically; refuse to overwrite one of the scan's own inputs."""
    target = Path(path)
    if any(p != STDIN and Path(p).resolve() == target.resolve() for p in inputs):
        raise AigovError("refusing to overwrite an input of this scan", file=path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        raise AigovError(exc.strerror or str(exc), file=path) from None
