"""What a rule sees of one resource: its body, and the ``context:`` facts that are not in it.

A :class:`Scope` is made once per evaluated resource. The ``context:`` view
is computed lazily, section by section, because most rules never ask for it.

=====================================  ==================================================
path                                   value
=====================================  ==================================================
``subscription.id``                    the resource's subscription id; ``UNKNOWN`` when not known
``subscription.name`` / ``.environment``  from ``aigov.yaml`` (environment: else the subscription's
                                       ``environment`` tag); missing for a subscription it does not list
``subscription.tags.<name>``           from ``aigov.yaml`` (a live scan adds the subscription's own tags)
``workload``                           the workload tag (name configurable), else the nearest ancestor's
``poc.approved``                       an approval for the workload exists, approved on or before ``now``,
                                       not expired; ``UNKNOWN`` when the workload is unknown
``poc.reference`` / ``poc.approvedOn``   of that approval (``approvedOn`` as an ISO date)
``resource.live``                      ``true`` for a resource read from a live subscription
``resource.action``                    the plan action (``create``, ``update``, ``deploy``, ``live``, ...)
``usage.<metric>``                     observed usage for the resource; ``UNKNOWN`` when not observed
``lifecycle.<field>``                  a pinned model version's retirement (see ``model_sections``)
``equivalent.<field>``                 listed equivalent models and the cheaper ones (same module)
``hosted.publisher`` / ``.model``      who publishes the model a resource serves (``hosted_section``)
``assumed.batch`` / ``.batch_type``    what a deployment's usage entry says of its traffic
=====================================  ==================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from aigov import armpath
from aigov.armpath import MISSING, ArmPath
from aigov.errors import RuleError
from aigov.model import UNKNOWN, Action, Context, Inventory, PocApproval, Resource
from aigov.policy.hosted_section import hosted_section
from aigov.policy.model_sections import assumed_section, equivalent_section, lifecycle_section

SECTIONS: Final = {
    "subscription": frozenset({"id", "name", "environment", "tags"}),
    "workload": frozenset(),
    "poc": frozenset({"approved", "reference", "approvedon"}),
    "resource": frozenset({"live", "action"}),
    "usage": None,  # any metric name
    "lifecycle": frozenset(
        {"retires_on", "days_left", "retired", "retires", "when", "after", "successor", "source", "read"}
    ),
    "equivalent": frozenset({"listed", "cheaper", "prices"}),
    "hosted": frozenset({"publisher", "model"}),
    "assumed": frozenset({"batch", "batch_type", "source"}),
    "carbon": frozenset({"monthly_kg", "kg_per_1m_tokens", "month"}),
}


def check_context_path(path: ArmPath) -> None:
    """Raise :class:`RuleError` (no file) for a ``context:`` path no resource could ever have."""
    head = path.steps[0]
    if not isinstance(head, str) or head.lower() not in SECTIONS:
        raise RuleError(f"unknown context path {path.text!r}: it starts with one of {', '.join(SECTIONS)}")
    allowed = SECTIONS[head.lower()]
    if allowed is None:
        if len(path.steps) < 2:
            raise RuleError(f"context path {path.text!r} needs a metric name: usage.<metric>")
        return
    if not allowed:
        if len(path.steps) > 1:
            raise RuleError(f"context path {path.text!r}: {head} has no fields")
        return
    if len(path.steps) < 2 or not isinstance(path.steps[1], str) or path.steps[1].lower() not in allowed:
        raise RuleError(f"unknown context path {path.text!r}: {head} has {', '.join(sorted(allowed))}")


def context_getter(path: ArmPath) -> Callable[[Scope], Any]:
    """A getter for a ``context:`` path, resolved once: ``UNKNOWN``, ``MISSING`` or a value."""
    head = str(path.steps[0]).lower()
    if len(path.steps) == 1:
        return lambda scope: scope.section(head)
    rest = ArmPath(path.text, path.steps[1:])
    key = rest.steps[0] if len(rest.steps) == 1 else None
    # A metric the scan did not observe is not known to be absent.
    absent = UNKNOWN if head == "usage" else MISSING

    def getter(scope: Scope) -> Any:
        section = scope.section(head)
        if section is UNKNOWN or section is MISSING:
            return section
        if type(section) is dict and key is not None and key in section:
            value = section[key]  # the sections' own keys, spelled as documented
        else:
            value = armpath.get(section, rest)
        return absent if value is None or value is MISSING else value

    return getter


def _tag(tags: Any, name: str) -> Any:
    """A tag's value (case-insensitive name), ``UNKNOWN`` or ``MISSING``."""
    if tags is UNKNOWN:
        return UNKNOWN
    if not isinstance(tags, Mapping):
        return MISSING
    value = armpath.get(tags, ArmPath(name, (name,)))
    return MISSING if value is None else value


class Scope:
    """One resource under evaluation, with its inventory and the run's context."""

    __slots__ = ("_sections", "body", "context", "inventory", "resource")

    def __init__(self, resource: Resource, inventory: Inventory, context: Context) -> None:
        self.resource = resource
        self.body = resource.body
        self.inventory = inventory
        self.context = context
        self._sections: dict[str, Any] | None = None

    # ------------------------------------------------------------------ context view

    def context_value(self, path: ArmPath) -> Any:
        """The value of a ``context:`` path (``UNKNOWN``, ``MISSING`` or a value)."""
        return context_getter(path)(self)

    def section(self, head: str) -> Any:
        """One top-level part of the context view (``subscription``, ``poc``, ...), built once."""
        if self._sections is None:
            self._sections = {}
        elif head in self._sections:
            return self._sections[head]
        # Sections are built on first use: most rules never look at the context.
        builder = _BUILDERS.get(head)
        value = MISSING if builder is None else builder(self)
        self._sections[head] = value
        return value

    def workload(self) -> Any:
        """The workload tag of the resource, else of its nearest ancestor: a value, UNKNOWN or MISSING."""
        name = self.context.workload_tag
        for candidate in (self.resource, *self.inventory.ancestors(self.resource)):
            value = _tag(candidate.body.get("tags", MISSING), name)
            if value is not MISSING:
                return value
        return MISSING


def _subscription(scope: Scope) -> Any:
    sub_id = scope.resource.subscription_id
    if sub_id is None or sub_id is UNKNOWN:
        return UNKNOWN
    assert isinstance(sub_id, str)
    known = scope.context.subscriptions.get(sub_id.lower())
    if known is None:
        return {"id": sub_id}
    section: dict[str, Any] = {"id": sub_id, "tags": dict(known.tags)}
    if known.name is not None:
        section["name"] = known.name
    # A live subscription may say its environment in a tag when aigov.yaml does not.
    environment = known.environment if known.environment is not None else _tag(known.tags, "environment")
    if environment is not MISSING:
        section["environment"] = environment
    return section


def _approval(scope: Scope, workload: str) -> PocApproval | None:
    today = scope.context.now.date()
    folded = workload.casefold()
    valid = [
        a
        for a in scope.context.poc_approvals
        if a.workload.casefold() == folded
        and a.approved_on <= today
        and (a.expires_on is None or today <= a.expires_on)
    ]
    # Several valid approvals: the most recent one is the one to quote.
    return max(valid, key=lambda a: a.approved_on, default=None)


def _poc(scope: Scope) -> Any:
    workload = scope.section("workload")
    if workload is UNKNOWN:
        return UNKNOWN
    if workload is MISSING or not isinstance(workload, str):
        return {"approved": False}
    approval = _approval(scope, workload)
    if approval is None:
        return {"approved": False}
    section: dict[str, Any] = {"approved": True, "approvedOn": approval.approved_on.isoformat()}
    if approval.reference is not None:
        section["reference"] = approval.reference
    return section


def _resource(scope: Scope) -> Any:
    r = scope.resource
    return {"live": r.action is Action.LIVE or r.origin.live, "action": r.action.value}


def _usage(scope: Scope) -> Any:
    observed = scope.context.usage.get(scope.resource.key)
    if observed is None:
        return UNKNOWN
    return observed


def _carbon(scope: Scope) -> Any:
    """The resource's monthly emissions; MISSING when the scan read none, UNKNOWN when the report lacks it."""
    carbon = scope.context.carbon
    if carbon is None:
        return MISSING
    return carbon.get(scope.resource.key, UNKNOWN)


_BUILDERS: Final = {
    "subscription": _subscription,
    "workload": Scope.workload,
    "poc": _poc,
    "resource": _resource,
    "usage": _usage,
    "lifecycle": lifecycle_section,
    "equivalent": equivalent_section,
    "hosted": hosted_section,
    "assumed": assumed_section,
    "carbon": _carbon,
}
