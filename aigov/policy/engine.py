"""The engine: rules x resources -> findings. Pure: no I/O, no clock (``now`` is in the context).

Each resource is evaluated against the rules for its type only (an index
built once per rule set); unchanged plan resources (``no-op``) are context
for others and are not evaluated. A true condition is a violation; an
unknown one is an *undetermined* finding naming the unknown fields, never a
silent pass. Findings come in inventory order, then rule id, then one
undetermined finding per input the source could not read
(:mod:`aigov.policy.unread`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aigov import armpath
from aigov.cost.spec import CostEstimator, CostSpec
from aigov.model import Context, Finding, Inventory, Outcome
from aigov.policy.conditions import Evaluation
from aigov.policy.context import Scope, context_getter
from aigov.policy.messages import compile_message, render_parts
from aigov.policy.rule import Rule, RuleSet
from aigov.policy.unread import unread_findings

_VIOLATION = Evaluation(True)


def evaluate(
    inventory: Inventory,
    rules: RuleSet | Sequence[Rule],
    context: Context,
    costs: CostEstimator,
) -> list[Finding]:
    """Every violation (and undetermined result) of ``rules`` in ``inventory``."""
    rule_set = rules if isinstance(rules, RuleSet) else RuleSet(rules)
    by_type: Mapping[str, tuple[Rule, ...]] = rule_set.by_type
    findings: list[Finding] = []
    messages = {rule.id: compile_message(rule.message, frozenset(rule.parameters)) for rule in rule_set}
    targets = {
        rule.id: context_getter(armpath.parse(rule.cost.to_context))
        for rule in rule_set
        if rule.cost.to_context is not None
    }
    lowered: dict[str, str] = {}  # resource types repeat: lower-case each once
    for resource in inventory.resources:
        if not resource.action.evaluated:
            continue
        rtype = resource.type
        key = lowered.get(rtype)
        if key is None:
            key = lowered[rtype] = rtype.lower()
        applicable = by_type.get(key)
        if not applicable:
            continue
        scope = Scope(resource, inventory, context)
        for rule in applicable:
            condition = rule.condition
            result = condition.test(scope)
            if result is False:
                continue
            # A plain violation has nothing more to explain: skip the second pass.
            verdict = _VIOLATION if result is True and condition.items is None else condition.evaluate(scope)
            spec = _cost_spec(rule.cost, targets.get(rule.id), scope)
            findings.append(
                Finding(
                    rule_id=rule.id,
                    title=rule.title,
                    category=rule.category,
                    severity=rule.severity,
                    outcome=Outcome.VIOLATION if verdict.result is True else Outcome.UNDETERMINED,
                    message=render_parts(messages[rule.id], scope, rule.parameters, verdict.items),
                    remediation=rule.remediation,
                    resource=resource,
                    cost=costs.impact(spec, resource, inventory),
                    unknown_fields=verdict.unknown_fields,
                    description=rule.description,
                    references=rule.references,
                )
            )
    findings.extend(unread_findings(inventory))
    return findings


def _cost_spec(spec: CostSpec, target: Callable[[Scope], Any] | None, scope: Scope) -> CostSpec:
    """``spec`` with its ``to: {context: PATH}`` alternatives read for this resource (none if not known)."""
    if target is None:
        return spec
    value = target(scope)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return dataclasses.replace(spec, to=(value,))
    if isinstance(value, list | tuple):
        return dataclasses.replace(spec, to=tuple(v for v in value if isinstance(v, str)))
    return dataclasses.replace(spec, to=())
