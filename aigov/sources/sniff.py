"""What kind of input a file is, from its name and first bytes only.

Each check is what one source's ``detect`` answers. They live here, apart
from the sources, so that telling a plan from a template imports no parser:
the registry in :mod:`aigov.sources` imports only the source that matches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aigov.sources.base import SourceInput

_BOM_AND_SPACE: Final = b"\xef\xbb\xbf \t\r\n"
BICEP_EXTENSIONS: Final = (".bicep", ".bicepparam")
_PLAN_MARKERS: Final = (
    b'"format_version"',
    b'"terraform_version"',
    b'"resource_changes"',
    b'"planned_values"',
)


def terraform_hcl(source_input: SourceInput) -> bool:
    """A directory holding ``.tf`` files, or a ``.tf`` file."""
    if source_input.is_dir:
        # Any entry but a directory: an unreadable .tf must fail the load, not the detection.
        return any(not p.is_dir() for p in Path(source_input.path).glob("*.tf"))
    return source_input.path.endswith(".tf") and source_input.path != "-"


def bicep(source_input: SourceInput) -> bool:
    """A ``.bicep`` or ``.bicepparam`` file."""
    return not source_input.is_dir and source_input.path.lower().endswith(BICEP_EXTENSIONS)


def arm_template(source_input: SourceInput) -> bool:
    """JSON (or JSON with a leading comment) naming an ARM deployment template or parameters schema."""
    head = source_input.sniff().lower()
    if not head.lstrip(_BOM_AND_SPACE).startswith((b"{", b"/")):
        return False
    schemas = (b"deploymenttemplate.json", b"deploymentparameters.json")
    return b'"$schema"' in head and any(schema in head for schema in schemas)


def arm_whatif(source_input: SourceInput) -> bool:
    """JSON with what-if changes (``changeType``, or ``changes`` and ``status`` of a what-if result)."""
    head = source_input.sniff()
    if not head.lstrip(_BOM_AND_SPACE).startswith(b"{"):
        return False
    if b'"changeType"' in head:
        return True
    return b'"changes"' in head and b'"status"' in head and b'"format_version"' not in head


def terraform_plan(source_input: SourceInput) -> bool:
    """JSON whose head names a member only a Terraform plan has."""
    # A byte search of the head, not a parse. Terraform writes
    # format_version first; `jq -S` sorts the keys, which still puts one
    # of these early unless the configuration before it is huge.
    head = source_input.sniff()
    if not head.lstrip(_BOM_AND_SPACE).startswith(b"{"):
        return False
    return any(marker in head for marker in _PLAN_MARKERS)
