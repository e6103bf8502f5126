"""Waivers: findings accepted on purpose, declared in ``aigov.yaml`` with a reason, an owner and an expiry.

.. code-block:: yaml

    waivers:
      - rule: AIGOV-SKU-001                       # a rule id, or a glob: AIGOV-TAG-*
        resource: module.ai.azurerm_cognitive_deployment.reports[*]
        reason: Reserved capacity bought for the Q4 reporting run (FIN-2290)
        owner: platform-finops@example.com
        expires: 2026-12-31

``rule`` and ``resource`` are globs (:mod:`aigov.globs`, the same as usage
entries): ``*`` matches any run of characters and ``?`` one character;
everything else is literal, so brackets in an address (``reports["ptu"]``,
``reports[*]``) mean themselves. Matching ignores case (Azure resource ids
are case-insensitive). ``resource`` is matched against the resource's
address, its key and its name. Every field is
required: a waiver without an expiry is how waivers rot.

A waiver applies up to and including its ``expires`` date (compared with the
scan's ``now``). After that it suppresses nothing: the finding fails the gate
again and the report says the waiver expired and when.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from aigov.errors import ConfigError
from aigov.globs import compile_glob
from aigov.model import Finding, Suppression
from aigov.policy import yamlio


@dataclass(frozen=True)
class Waiver:
    """One entry of ``aigov.yaml``'s ``waivers``."""

    rule: str  # rule id or glob
    resource: str  # glob over address, key or name
    reason: str
    owner: str
    expires: date
    origin: str  # where it is declared: "aigov.yaml:14"
    index: int = 0  # position in the list, for errors
    where: str = ""  # "line 14: $.waivers[0].rule", for errors

    @cached_property
    def _rule_pattern(self) -> re.Pattern[str]:
        return compile_glob(self.rule)

    @cached_property
    def _resource_pattern(self) -> re.Pattern[str]:
        return compile_glob(self.resource)

    def matches_rule(self, rule_id: str) -> bool:
        return self._rule_pattern.fullmatch(rule_id) is not None

    def matches(self, finding: Finding) -> bool:
        """Whether this waiver names the finding's rule and resource (expired or not)."""
        if not self.matches_rule(finding.rule_id):
            return False
        resource = finding.resource
        candidates = [resource.address, resource.key]
        if isinstance(resource.name, str):
            candidates.append(resource.name)
        return any(self._resource_pattern.fullmatch(c) for c in candidates)

    def expired_on(self, today: date) -> bool:
        return self.expires < today

    def suppression(self, today: date) -> Suppression:
        return Suppression(
            kind="waiver",
            reason=self.reason,
            owner=self.owner,
            expires_on=self.expires,
            origin=self.origin,
            expired=self.expired_on(today),
        )


def parse_waivers(items: Sequence[Mapping[str, Any]], root: yamlio.Root, file: str) -> tuple[Waiver, ...]:
    """Schema-valid ``waivers`` entries of ``file`` as values (dates checked, lines kept for errors)."""
    out = []
    for i, item in enumerate(items):
        line = yamlio.line_of(root, ["waivers", i])
        text = item["expires"]
        try:
            expires = date.fromisoformat(text)
        except ValueError:
            raise ConfigError(
                f"{text!r} is not a valid date",
                file=file,
                where=yamlio.where(root, ["waivers", i, "expires"]),
            ) from None
        out.append(
            Waiver(
                rule=item["rule"],
                resource=item["resource"],
                reason=item["reason"].strip(),
                owner=item["owner"].strip(),
                expires=expires,
                origin=f"{file}:{line}" if line is not None else file,
                index=i,
                where=yamlio.where(root, ["waivers", i, "rule"]),
            )
        )
    return tuple(out)


def check_rules(waivers: Iterable[Waiver], rule_ids: Iterable[str], file: str | None) -> None:
    """A waiver whose ``rule`` names (or, as a glob, matches) no known rule is a configuration error."""
    known = sorted(set(rule_ids))
    for waiver in waivers:
        if not any(waiver.matches_rule(rule_id) for rule_id in known):
            what = "matches no rule" if any(c in waiver.rule for c in "*?") else "is not a known rule"
            raise ConfigError(f"waiver rule {waiver.rule!r} {what}", file=file, where=waiver.where)


def waiver_for(finding: Finding, waivers: Sequence[Waiver], today: date) -> Suppression | None:
    """The suppression the waivers give ``finding``: the first active match, else the latest-expired match."""
    matching = [w for w in waivers if w.matches(finding)]
    if not matching:
        return None
    active = [w for w in matching if not w.expired_on(today)]
    if active:
        return active[0].suppression(today)
    return max(matching, key=lambda w: w.expires).suppression(today)
