"""Input sources: each turns one kind of input into an inventory of ARM-shaped resources.

Built-in sources are listed in :data:`SOURCES`, an explicit registry the CLI
reads for its ``--format`` choices; a new source is added there.
"""

from __future__ import annotations

from aigov.errors import SourceError
from aigov.sources.base import Source, SourceOptions, display_name
from aigov.sources.terraform_plan import TerraformPlanSource

SOURCES: dict[str, type[Source]] = {
    TerraformPlanSource.name: TerraformPlanSource,
}
"""Every built-in source by registry name."""

__all__ = ["SOURCES", "Source", "SourceOptions", "TerraformPlanSource", "detect"]


def detect(path: str, data: bytes) -> type[Source]:
    """The source whose input ``data`` looks like, tried in registry order.

    Raises :class:`SourceError` naming ``path`` when no source recognises it.
    """
    for source in SOURCES.values():
        if source.detect(path, data):
            return source
    expected = "; ".join(f"{s.description}" for s in SOURCES.values())
    what = "the input is empty" if not data.strip() else "no source recognises this input"
    raise SourceError(f"not a recognised input: expected a {expected}; {what}", file=display_name(path))
