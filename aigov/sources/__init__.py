"""Input sources: each turns one kind of input into an inventory of ARM-shaped resources.

Built-in sources are listed in :data:`SOURCES`, an explicit registry the CLI
reads for its ``--format`` choices; a new source is added there.
"""

from __future__ import annotations

from aigov.errors import SourceError
from aigov.jsontext import nesting_message
from aigov.model import Inventory
from aigov.sources.arm import ArmTemplateSource
from aigov.sources.arm_whatif import ArmWhatIfSource
from aigov.sources.base import Source, SourceInput, SourceOptions
from aigov.sources.bicep.source import BicepSource
from aigov.sources.terraform_hcl import TerraformHclSource
from aigov.sources.terraform_plan import TerraformPlanSource

SOURCES: dict[str, type[Source]] = {
    TerraformHclSource.name: TerraformHclSource,
    BicepSource.name: BicepSource,
    ArmTemplateSource.name: ArmTemplateSource,
    ArmWhatIfSource.name: ArmWhatIfSource,
    TerraformPlanSource.name: TerraformPlanSource,
}
"""Every built-in source by registry name."""

__all__ = ["SOURCES", "Source", "SourceInput", "SourceOptions", "TerraformPlanSource", "detect", "load_input"]


def detect(source_input: SourceInput) -> type[Source]:
    """The source the input looks like, tried in registry order.

    Raises :class:`SourceError` naming the input when no source recognises it.
    """
    for source in SOURCES.values():
        if source.detect(source_input):
            return source
    expected = "; ".join(f"{s.description}" for s in SOURCES.values())
    empty = not source_input.is_dir and not source_input.sniff().strip()
    what = "the input is empty" if empty else "no source recognises this input"
    raise SourceError(f"not a recognised input: expected a {expected}; {what}", file=source_input.name)


def load_input(path: str, options: SourceOptions) -> tuple[SourceInput, Inventory]:
    """Open, detect and read one input (``-`` is standard input).

    A document nested deeper than Python can walk ends here as one line
    naming the input, whichever source's parser or mapping went too deep.
    """
    source_input = SourceInput.open(path)
    try:
        return source_input, detect(source_input)().load(source_input, options)
    except RecursionError:
        raise SourceError(nesting_message(), file=source_input.name) from None
