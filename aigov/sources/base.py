"""The interface every input source implements.

A source turns one input (a Terraform plan, a template, a live subscription)
into an :class:`~aigov.model.Inventory` of resources in ARM shape. Sources
read only what they are given (a :class:`SourceInput`: a file, standard
input, or a directory and the files it holds): no environment variables, no
network. Problems with the input raise
:class:`~aigov.errors.SourceError` with the file and where in it, so the CLI
can print one line.
"""

from __future__ import annotations

import codecs
import os
import stat
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from aigov.errors import SourceError
from aigov.model import Inventory
from aigov.readfile import INPUT_LIMIT, check_regular_file, read_bounded, read_head, read_regular_file
from aigov.sources.confine import ScanRoot

STDIN_NAME = "<stdin>"
"""How ``-`` (standard input) is named in origins and error messages."""


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """Choices the user made on the command line that affect how an input is read."""

    subscription: str | None = None  # --subscription: overrides whatever the input says
    var_files: tuple[str, ...] = ()  # --var-file: Terraform variable files, in the order given
    variables: Mapping[str, str] = field(default_factory=dict)  # --var NAME=VALUE
    # The environment variables a source may read: TF_VAR_* and those named with --env (azd's
    # ${VAR} placeholders, Bicep's readEnvironmentVariable()); never the whole environment.
    environment: Mapping[str, str] = field(default_factory=dict)
    parameters_file: str | None = None  # --parameters: an ARM deploymentParameters.json file
    bicep_cache: str | None = None  # Bicep's module cache root (~/.bicep); bicepconfig.json may override it
    repo_root: str | None = None  # --repo-root: templates read files only in it (else the git work tree)

    def scan_root(self, input_path: str) -> ScanRoot:
        """Where the templates of ``input_path`` may read files (:mod:`aigov.sources.confine`)."""
        return ScanRoot.for_input(input_path, self.repo_root)


SNIFF_BYTES = 65536
"""How much of an input ``detect`` may look at."""

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
"""Windows PowerShell 5 writes ``terraform show -json > plan.json`` as UTF-16 with a byte-order mark."""


@dataclass(frozen=True)
class SourceInput:
    """One input as the user named it: a file, ``-`` (standard input), or a directory.

    Files are read when a source asks, not before, so a large plan's bytes are
    never held beside its parsed form. Standard input can be read once only,
    so its bytes are kept.
    """

    path: str
    _stdin: bytes | None = field(default=None, repr=False)

    @classmethod
    def open(cls, path: str) -> SourceInput:
        """The input named ``path``; ``-`` reads standard input now. A missing path is a SourceError."""
        if path == "-":
            return cls(path, read_bounded(sys.stdin.buffer, INPUT_LIMIT, STDIN_NAME, SourceError))
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            raise SourceError("no such file or directory", file=path) from None
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror or exc}", file=path) from None
        if not stat.S_ISDIR(mode):
            check_regular_file(path, SourceError)  # a FIFO or device is refused before any read
        return cls(path)

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> SourceInput:
        """An in-memory input (tests, or content already read) shown to the user as ``name``."""
        return cls(name, data)

    @property
    def name(self) -> str:
        """The input as shown to the user: the path as given, ``<stdin>`` for ``-``."""
        return display_name(self.path)

    @property
    def is_dir(self) -> bool:
        return self._stdin is None and Path(self.path).is_dir()

    def sniff(self, size: int = SNIFF_BYTES) -> bytes:
        """The first ``size`` bytes (empty for a directory), for cheap detection; UTF-16 as UTF-8."""
        if self._stdin is not None:
            head = self._stdin[:size]
        elif self.is_dir:
            return b""
        else:
            head = read_head(self.path, size, SourceError)
        if head.startswith(_UTF16_BOMS):
            # A cut in the middle of a character is dropped: the head is only looked at.
            return codecs.getincrementaldecoder("utf-16")(errors="replace").decode(head).encode()
        return head

    def read_bytes(self) -> bytes:
        """The whole content; UTF-16 with a byte-order mark (PowerShell's ``>``) comes as UTF-8."""
        if self._stdin is not None:
            data = self._stdin
        elif self.is_dir:
            raise SourceError("is a directory; this kind of input is a single file", file=self.path)
        else:
            data = read_regular_file(self.path, INPUT_LIMIT, SourceError)
        if not data.startswith(_UTF16_BOMS):
            return data
        try:
            return data.decode("utf-16").encode()
        except UnicodeDecodeError as exc:
            raise SourceError(f"not UTF-16 text (byte {exc.start + 1})", file=self.name) from None

    def read_text(self) -> str:
        """The whole content as text: UTF-8, a leading byte-order mark dropped."""
        data = self.read_bytes()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SourceError(f"not UTF-8 text (byte {exc.start + 1})", file=self.name) from None


class Source(ABC):
    """Reads one kind of input into an :class:`Inventory`."""

    name: ClassVar[str]  # registry key, also ``Origin.source`` of the resources it yields
    description: ClassVar[str]  # one line for ``--help`` and error messages

    @classmethod
    @abstractmethod
    def detect(cls, source_input: SourceInput) -> bool:
        """Whether the input looks like this source's. Cheap: its name and ``sniff()``, not a parse."""

    @abstractmethod
    def load(self, source_input: SourceInput, options: SourceOptions) -> Inventory:
        """Read the input into resources in ARM shape."""


def display_name(path: str) -> str:
    """The name of an input as shown to the user: the path as given, ``<stdin>`` for ``-``."""
    return STDIN_NAME if path == "-" else path
