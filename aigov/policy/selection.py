"""Which rules a run evaluates: ``--check`` and ``--skip-check`` id patterns (globs, any case)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from aigov.errors import AigovError


@dataclass(frozen=True, slots=True)
class RuleSelection:
    """Rule id patterns: with ``check``, only matching rules run; ``skip`` removes matching ones."""

    check: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()

    @classmethod
    def parse(cls, check: Iterable[str], skip: Iterable[str]) -> RuleSelection:
        """Comma-separated, repeatable option values (``--check AIGOV-SKU-*,AIGOV-TAG-001``)."""
        return cls(_split(check), _split(skip))

    def selects(self, rule_id: str) -> bool:
        if self.check and not any(_matches(rule_id, p) for p in self.check):
            return False
        return not any(_matches(rule_id, p) for p in self.skip)

    def check_known(self, known: Iterable[str]) -> None:
        """A pattern that names no known rule is an error: a typo must not turn the gate off or on."""
        ids = sorted(set(known))
        for option, patterns in (("--check", self.check), ("--skip-check", self.skip)):
            for pattern in patterns:
                if not any(_matches(rule_id, pattern) for rule_id in ids):
                    raise AigovError(f"{option} {pattern!r} matches no rule (see `aigov rules list`)")


ALL_RULES = RuleSelection()


def _split(values: Iterable[str]) -> tuple[str, ...]:
    out = []
    for value in values:
        parts = [part.strip() for part in value.split(",")]
        if not all(parts):
            raise AigovError(f"empty rule id in {value!r}; give ID[,ID...]")
        out.extend(parts)
    return tuple(out)


def _matches(rule_id: str, pattern: str) -> bool:
    return fnmatchcase(rule_id.casefold(), pattern.casefold())
