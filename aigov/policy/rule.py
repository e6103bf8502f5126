"""Compiled rules: what the loader builds from a rule file and the engine runs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aigov.cost.spec import CostSpec
from aigov.model import Severity

if TYPE_CHECKING:
    from aigov.policy.conditions import CompiledCondition


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """A parameter a rule declares: its default, what it means, and optionally its JSON type."""

    name: str
    default: Any
    description: str | None = None
    type: str | None = None  # string | number | integer | boolean | array | object


@dataclass(frozen=True, slots=True)
class RuleOverride:
    """What ``aigov.yaml`` changes about one rule; ``file``/``line`` say where, for errors."""

    parameters: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity | None = None
    enabled: bool = True
    replaces_bundled: bool = False  # a team rule with this id replaces the bundled one
    file: str | None = None
    line: int | None = None  # of the rule's entry
    parameter_lines: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule, parameters resolved and condition compiled (once, at load)."""

    id: str
    title: str
    category: str
    severity: Severity
    resource_types: frozenset[str]  # lower-cased ARM types
    parameters: Mapping[str, Any]  # resolved: defaults, then overrides
    parameter_specs: Mapping[str, ParameterSpec]
    condition: CompiledCondition
    cost: CostSpec
    message: str
    remediation: str
    description: str | None = None
    references: tuple[str, ...] = ()
    file: str | None = None
    # The validated document, kept so a rule test can re-compile it with other parameters.
    document: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def applies_to(self, resource_type: str) -> bool:
        return resource_type.lower() in self.resource_types


class RuleSet:
    """Rules by id, in id order, indexed by lower-cased resource type. Immutable."""

    __slots__ = ("_by_id", "_by_type", "known_ids", "rules")

    def __init__(self, rules: Iterable[Rule] = (), known_ids: Iterable[str] = ()) -> None:
        self.rules: tuple[Rule, ...] = tuple(sorted(rules, key=lambda r: r.id))
        self._by_id: dict[str, Rule] = {r.id: r for r in self.rules}
        # Every id read, also of rules disabled, deselected or left out (--no-bundled): waivers may name them.
        self.known_ids: frozenset[str] = frozenset(known_ids) | self._by_id.keys()
        by_type: dict[str, list[Rule]] = {}
        for rule in self.rules:
            for resource_type in sorted(rule.resource_types):
                by_type.setdefault(resource_type, []).append(rule)
        self._by_type: dict[str, tuple[Rule, ...]] = {k: tuple(v) for k, v in by_type.items()}

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._by_id

    def get(self, rule_id: str) -> Rule | None:
        return self._by_id.get(rule_id)

    def for_type(self, resource_type: str) -> tuple[Rule, ...]:
        """Rules for an ARM type (any case), in id order."""
        return self._by_type.get(resource_type.lower(), ())

    @property
    def by_type(self) -> Mapping[str, tuple[Rule, ...]]:
        return self._by_type
