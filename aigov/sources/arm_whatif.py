"""ARM what-if output (``az deployment group what-if --no-pretty-print``) as an inventory.

Both shapes are read: the CLI's ``{"status": ..., "changes": [...]}`` and the
REST response's ``{"status": ..., "properties": {"changes": [...]}}``. Each
change names a ``resourceId`` and a ``changeType``:

=============  ===============================  ==========================
changeType     body                             action
=============  ===============================  ==========================
Create         ``after``                        create
Modify         ``after``                        update
Deploy         ``after`` (may change)           deploy
NoChange       ``after`` (else ``before``)      no-op: context only
Unsupported    none: what-if cannot predict it  deploy, body fields unknown
Delete         dropped: gone after deployment
Ignore         dropped: not touched by the deployment
=============  ===============================  ==========================

The key and address are the resource id; subscription, resource group, type
and name are parsed from it, and a child (a deployment) is linked to the
parent whose id its own id extends. What-if leaves a value it cannot
predict as the unevaluated expression (``"[reference(...).x]"``): such a
string is read as :data:`~aigov.model.UNKNOWN`. Only resource types aigov
evaluates (:data:`aigov.sources.azurerm.ARM_TYPES`) are kept. A what-if
whose ``status`` is ``Failed`` is an error carrying its message.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

from aigov.armtypes import ARM_TYPES
from aigov.errors import SourceError
from aigov.model import UNKNOWN, Action, Inventory, Origin, Resource
from aigov.sources import sniff
from aigov.sources.arm import load_located_json
from aigov.sources.arm_expressions import is_expression
from aigov.sources.azurerm import parse_arm_id
from aigov.sources.base import Source, SourceInput, SourceOptions

_ACTIONS: Final = {
    "create": Action.CREATE,
    "modify": Action.UPDATE,
    "deploy": Action.DEPLOY,
    "nochange": Action.NOOP,
    "unsupported": Action.DEPLOY,
}
_DROPPED: Final = frozenset({"delete", "ignore"})
_BODY_FIELDS: Final = ("location", "kind", "sku", "tags", "properties", "identity", "zones", "plan")


class ArmWhatIfSource(Source):
    """Reads the JSON output of an ARM what-if operation."""

    name = "arm_whatif"
    description = "ARM what-if JSON (az deployment group what-if --no-pretty-print)"

    @classmethod
    def detect(cls, source_input: SourceInput) -> bool:
        return sniff.arm_whatif(source_input)

    def load(self, source_input: SourceInput, options: SourceOptions) -> Inventory:
        file = source_input.name
        located = load_located_json(source_input.read_text(), file)
        document = located.value
        if not isinstance(document, dict):
            raise SourceError("not ARM what-if output: the JSON is not an object", file=file)
        status = document.get("status")
        if isinstance(status, str) and status.lower() == "failed":
            error = document.get("error")
            message = error.get("message") if isinstance(error, dict) else None
            raise SourceError(f"the what-if operation failed: {message or 'no message'}", file=file)
        changes_path: tuple[str | int, ...] = ("changes",)
        changes = document.get("changes")
        properties = document.get("properties")
        if changes is None and isinstance(properties, dict):
            changes_path = ("properties", "changes")
            changes = properties.get("changes")
        if not isinstance(changes, list):
            raise SourceError(
                "not ARM what-if output: no 'changes' array (expected az deployment group what-if "
                "--no-pretty-print)",
                file=file,
            )

        resources: list[Resource] = []
        warnings: list[str] = []
        for index, change in enumerate(changes):
            path: tuple[str | int, ...] = (*changes_path, index)
            line = located.line(path)
            where = f"line {line or 1}"
            if not isinstance(change, dict):
                raise SourceError("a change is not an object", file=file, where=where)
            resource_id = change.get("resourceId")
            kind = change.get("changeType")
            if not isinstance(resource_id, str) or not isinstance(kind, str):
                raise SourceError("a change has no resourceId or changeType", file=file, where=where)
            action = _ACTIONS.get(kind.lower())
            if action is None:
                if kind.lower() in _DROPPED:
                    continue
                raise SourceError(f"unknown changeType {kind!r}", file=file, where=where)
            parsed = parse_arm_id(resource_id)
            if parsed is None or parsed.type is None or parsed.name is None:
                raise SourceError(f"{resource_id!r} is not a resource id", file=file, where=where)
            arm_type = ARM_TYPES.get(parsed.type.lower())
            if arm_type is None:
                continue
            body = _body(change, kind.lower(), arm_type, parsed.name)
            if kind.lower() == "unsupported":
                reason = change.get("unsupportedReason") or "no reason given"
                warnings.append(
                    f"{file}:{line or 1}: what-if cannot predict {resource_id} ({reason}); "
                    "its values are unknown"
                )
            subscription: Any = parsed.subscription
            if options.subscription:
                subscription = options.subscription
            resources.append(
                Resource(
                    key=resource_id,
                    type=arm_type,
                    name=parsed.name,
                    body=body,
                    origin=Origin(self.name, file, line, resource_id),
                    action=action,
                    subscription_id=subscription,
                    resource_group=parsed.resource_group,
                    parent_key=None,
                    api_version=_api_version(change),
                )
            )
        return Inventory(_linked(resources), warnings=warnings)


def _body(change: dict[str, Any], kind: str, arm_type: str, name: str) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "type": arm_type}
    if kind == "unsupported":
        for key in ("location", "kind", "sku", "tags", "properties"):
            body[key] = UNKNOWN
        return body
    source = change.get("after")
    if not isinstance(source, dict) and kind == "nochange":
        source = change.get("before")
    if not isinstance(source, dict):
        for key in ("sku", "properties"):
            body[key] = UNKNOWN
        return body
    for key in _BODY_FIELDS:
        if key in source:
            body[key] = _unevaluated_unknown(source[key])
    return body


def _unevaluated_unknown(value: Any) -> Any:
    """``value`` with every unevaluated template expression (what-if could not predict it) as UNKNOWN."""
    if isinstance(value, str):
        return UNKNOWN if is_expression(value) else value
    if isinstance(value, dict):
        return {k: _unevaluated_unknown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unevaluated_unknown(v) for v in value]
    return value


def _api_version(change: dict[str, Any]) -> str | None:
    for side in ("after", "before"):
        value = change.get(side)
        if isinstance(value, dict) and isinstance(value.get("apiVersion"), str):
            return str(value["apiVersion"])
    return None


def _linked(resources: list[Resource]) -> list[Resource]:
    """The resources with each child's ``parent_key`` set to the resource whose id its own id extends."""
    by_id = {r.key.lower().rstrip("/"): r.key for r in resources}
    out: list[Resource] = []
    for original in resources:
        parts = original.key.rstrip("/").split("/")
        parent = by_id.get("/".join(parts[:-2]).lower()) if len(parts) > 2 else None
        resource = original
        if parent is not None and parent != original.key:
            resource = dataclasses.replace(original, parent_key=parent)
        out.append(resource)
    return out
