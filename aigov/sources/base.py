"""The interface every input source implements.

A source turns one input (a Terraform plan, a template, a live subscription)
into an :class:`~aigov.model.Inventory` of resources in ARM shape. Sources
read only what they are given: no environment variables, no network, no
files besides ``data``. Problems with the input raise
:class:`~aigov.errors.SourceError` with the file and where in it, so the CLI
can print one line.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from aigov.model import Inventory

STDIN_NAME = "<stdin>"
"""How ``-`` (standard input) is named in origins and error messages."""


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """Choices the user made on the command line that affect how an input is read."""

    subscription: str | None = None  # --subscription: overrides whatever the input says


class Source(ABC):
    """Reads one kind of input into an :class:`Inventory`."""

    name: ClassVar[str]  # registry key, also ``Origin.source`` of the resources it yields
    description: ClassVar[str]  # one line for ``--help`` and error messages

    @classmethod
    @abstractmethod
    def detect(cls, path: str, data: bytes) -> bool:
        """Whether ``data`` looks like this source's input. Cheap: a sniff, not a parse."""

    @abstractmethod
    def load(self, path: str, data: bytes, options: SourceOptions) -> Inventory:
        """Read ``data`` (the content of ``path``; ``-`` for stdin) into resources in ARM shape."""


def display_name(path: str) -> str:
    """The name of an input as shown to the user: the path as given, ``<stdin>`` for ``-``."""
    return STDIN_NAME if path == "-" else path
