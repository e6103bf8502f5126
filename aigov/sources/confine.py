"""Files a template makes aigov read: inside the scan root, regular, and bounded in size.

A pre-merge gate evaluates templates from an untrusted pull request on a
runner that holds secrets. Whatever a template names (Bicep
``loadTextContent``, ``module`` and ``import`` paths, a ``.bicepparam``
file's ``using``, an ARM ``templateLink.relativePath``) is read only through
:meth:`ScanRoot.read`, which refuses:

* a path that resolves (symbolic links followed) outside the scan root: the
  ``--repo-root`` directory, else the git work tree that holds the input,
  else the input's own directory;
* anything under ``/proc``, ``/sys`` or ``/dev``, even when the root holds it;
* anything that is not a regular file (a directory, FIFO, socket or device),
  checked on the opened descriptor so a FIFO never blocks the scan;
* a file larger than the caller's limit.

Each refusal is a :class:`FileRefused` whose message names the reference as
written; the caller adds its file and line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final

from aigov.display import excerpt
from aigov.errors import AigovError
from aigov.readfile import read_regular_file

_SYSTEM_TREES: Final = ("/proc", "/sys", "/dev")

TEMPLATE_LIMIT: Final = 4 * 1024 * 1024
"""Largest template or module file read: ARM's own limit for one template."""


class FileRefused(AigovError):
    """A file a template names may not be read; the message says why."""


class FileMissing(FileRefused):
    """The file a template names does not exist (inside the root)."""


@dataclass(frozen=True, slots=True)
class ScanRoot:
    """The directory tree one input's templates may read from."""

    path: str  # absolute, symbolic links resolved

    @classmethod
    def for_input(cls, input_path: str, repo_root: str | None = None) -> ScanRoot:
        """The root for ``input_path``: ``repo_root`` when given, else its git work tree, else its directory.

        Standard input (``-``) starts from the current directory.
        """
        if repo_root is not None:
            return cls(os.path.realpath(repo_root))
        start = os.getcwd() if input_path == "-" else os.path.realpath(input_path)
        if not os.path.isdir(start):
            start = os.path.dirname(start)
        return cls(_work_tree(start) or start)

    def resolve(self, reference: str, relative_to: str) -> str:
        """The real path of ``reference`` as written in a file in directory ``relative_to``.

        Raises :class:`FileRefused` when it lies outside the root or in a system tree.
        """
        if "\x00" in reference:
            raise FileRefused(f"'{excerpt(reference)}' is not a valid path")
        target = os.path.realpath(os.path.join(relative_to, reference))
        if _within(target, _SYSTEM_TREES):
            raise FileRefused(
                f"'{excerpt(reference)}' names a system file ({target}), which templates may not read"
            )
        if not _within(target, (self.path,)):
            raise FileRefused(
                f"'{excerpt(reference)}' resolves to {target}, outside the scan root {self.path} "
                "(a template reads only files of its own repository; --repo-root widens the root)"
            )
        return target

    def read(self, reference: str, relative_to: str, *, limit: int) -> tuple[str, bytes]:
        """The real path and bytes of the file ``reference`` names, at most ``limit`` bytes.

        Raises :class:`FileMissing` when it does not exist and
        :class:`FileRefused` for a path outside the root, a non-regular file
        (checked without blocking, :mod:`aigov.readfile`) or one larger than ``limit``.
        """
        target = self.resolve(reference, relative_to)
        shown = excerpt(reference)
        if not os.path.lexists(target):
            raise FileMissing(f"'{shown}' not found (looked for {target})")

        def refused(message: str, **_: object) -> FileRefused:
            return FileRefused(f"'{shown}' {message}")

        return target, read_regular_file(target, limit, refused)


def _work_tree(start: str) -> str | None:
    """The nearest directory at or above ``start`` that holds ``.git`` (a directory, or a worktree's file)."""
    current = start
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _within(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)
