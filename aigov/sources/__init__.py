"""Input sources: each turns one kind of input into an inventory of ARM-shaped resources.

Built-in sources are listed in :data:`SOURCES`, an explicit registry the CLI
reads for its ``--format`` choices; a new source is added there. The
registry tells inputs apart with the byte checks of :mod:`aigov.sources.sniff`
and imports a source's module only when it is used, so a plan scan never
loads the HCL, Bicep or ARM expression parsers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from aigov.errors import SourceError
from aigov.jsontext import nesting_message
from aigov.lazy import LazyClasses
from aigov.model import Inventory
from aigov.sources import sniff
from aigov.sources.base import Source, SourceInput, SourceOptions


@dataclass(frozen=True, slots=True)
class SourceKind:
    """A built-in source: how to recognise its inputs, and where its class is (``module:Class``)."""

    name: str
    detect: Callable[[SourceInput], bool]
    where: str


KINDS: Final = (
    SourceKind("terraform_hcl", sniff.terraform_hcl, "aigov.sources.terraform_hcl:TerraformHclSource"),
    SourceKind("bicep", sniff.bicep, "aigov.sources.bicep.source:BicepSource"),
    SourceKind("arm", sniff.arm_template, "aigov.sources.arm:ArmTemplateSource"),
    SourceKind("arm_whatif", sniff.arm_whatif, "aigov.sources.arm_whatif:ArmWhatIfSource"),
    SourceKind("terraform_plan", sniff.terraform_plan, "aigov.sources.terraform_plan:TerraformPlanSource"),
)
"""Every built-in source, in the order inputs are tried."""

SOURCES: Final[Mapping[str, type[Source]]] = LazyClasses({k.name: k.where for k in KINDS})
"""Every built-in source by registry name."""

__all__ = [
    "KINDS",
    "SOURCES",
    "Source",
    "SourceInput",
    "SourceOptions",
    "check_locations",
    "detect",
    "load_input",
]


def detect(source_input: SourceInput) -> type[Source]:
    """The source the input looks like, tried in registry order.

    Raises :class:`SourceError` naming the input when no source recognises it.
    """
    for kind in KINDS:
        if kind.detect(source_input):
            return SOURCES[kind.name]
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
        inventory = detect(source_input)().load(source_input, options)
    except RecursionError:
        raise SourceError(nesting_message(), file=source_input.name) from None
    check_locations(inventory, source_input.name)
    return source_input, inventory


def check_locations(inventory: Inventory, input_name: str) -> None:
    """Raise :class:`SourceError` for the first resource whose location is no Azure region.

    A typo (``east-us``, from a ``--var`` or a parameter) would otherwise be
    priced at the catalogue's default region, or not at all, and look
    plausible. A real region without a catalogue price is no error.
    """
    from aigov.cost.regions import region_problem  # noqa: PLC0415  (data read only when an input is)

    for resource in inventory:
        location = resource.location
        if not isinstance(location, str) or not location.strip():
            continue
        problem = region_problem(location)
        if problem is None:
            continue
        origin = resource.origin
        where = ", ".join(p for p in (f"line {origin.line}" if origin.line else None, resource.address) if p)
        raise SourceError(f"location {problem}", file=origin.file or input_name, where=where or None)
