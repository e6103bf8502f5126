"""Which report goes where: ``--format`` and ``--output`` paired, formats inferred from extensions."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from aigov.errors import AigovError
from aigov.scan import STDIN

DEFAULT_FORMAT = "table"

NO_REPORTER: Mapping[str, str] = {".pdf": "there is no PDF report; write .html and print it to PDF"}
"""Extensions a user may reasonably expect, with what to use instead."""


def report_targets(
    formats: Sequence[str], outputs: Sequence[str], by_extension: Mapping[str, str]
) -> list[tuple[str, str]]:
    """(format, target) pairs for a scan; a target is a path or ``-`` for stdout.

    The i-th ``--output`` gets the i-th ``--format``; an ``--output`` without
    one takes the format its extension names (``report.json`` is JSON), and
    one whose extension names another format than the one given is refused, so
    a table never lands in ``report.json``. A ``--format`` without an
    ``--output`` goes to stdout; with neither, the table does.
    """
    pairs: list[tuple[str, str]] = []
    for i, target in enumerate(outputs):
        implied = _implied_format(target, by_extension)
        if i < len(formats):
            given = formats[i]
            if implied is not None and implied != given:
                raise AigovError(
                    f"--format {given} does not match the file's extension, which names {implied}; "
                    "give a matching --format or another file name",
                    file=target,
                )
            pairs.append((given, target))
        elif target == STDIN:
            pairs.append((DEFAULT_FORMAT, target))
        elif implied is None:
            raise AigovError(_no_format(target, by_extension), file=target)
        else:
            pairs.append((implied, target))
    pairs.extend((fmt, STDIN) for fmt in formats[len(outputs) :])
    if not pairs:
        pairs.append((DEFAULT_FORMAT, STDIN))
    if [t for _, t in pairs].count(STDIN) > 1:
        raise AigovError("only one report can go to stdout; give --output FILE for the others")
    return pairs


def _extension(target: str) -> str:
    return os.path.splitext(target)[1].lower()


def _implied_format(target: str, by_extension: Mapping[str, str]) -> str | None:
    if target == STDIN:
        return None
    return by_extension.get(_extension(target))


def _no_format(target: str, by_extension: Mapping[str, str]) -> str:
    extension = _extension(target)
    known = ", ".join(f"{ext} ({fmt})" for ext, fmt in by_extension.items())
    if extension in NO_REPORTER:
        return f"cannot write {extension}: {NO_REPORTER[extension]}"
    what = f"the extension {extension!r}" if extension else "a file name without an extension"
    return f"cannot tell the report format from {what}; give --format, or name the file {known}"
