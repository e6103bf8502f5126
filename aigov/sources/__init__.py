"""Input sources: each turns one kind of input into an inventory of ARM-shaped resources.

Built-in sources are listed in :data:`SOURCES`, an explicit registry the CLI
reads for its ``--format`` choices; a new source is added there.
"""

from __future__ import annotations

from aigov.errors import SourceError
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

__all__ = ["SOURCES", "Source", "SourceInput", "SourceOptions", "TerraformPlanSource", "detect"]


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
