"""Usage: the monthly token volumes that price pay-per-token deployments.

Two kinds of usage feed the cost model through one interface,
:class:`UsageProvider`:

* **assumptions** written by people before deployment: ``usage.yaml`` (or the
  ``usage:`` section of ``aigov.yaml``), validated by ``usage.schema.json``.
  Each entry has a ``match`` glob (:mod:`aigov.globs`, the same as waivers)
  tried against a resource's address, key, name and ``account/deployment``
  name (case-insensitive; the first matching entry wins) and either direct
  monthly volumes or the chat planning formula
  ``visitors x chat_share x conversations_per_visitor x tokens_per_conversation``;
* **observations** from a live scan: per resource key, the metrics
  :data:`PROMPT_TOKENS_30D`, :data:`COMPLETION_TOKENS_30D` and (optionally)
  :data:`REQUESTS_30D`, the 30-day totals of Azure Monitor's
  ``ProcessedPromptTokens``, ``GeneratedTokens`` and ``AzureOpenAIRequests``
  for the deployment. They are scaled to a 730-hour month and win over an
  assumption for the same resource.

Every volume keeps the formula that produced it, so a cost figure can show
``27,000,000 input tokens (200,000 visitors x 0.05 chat share x ...)``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from aigov import armtypes
from aigov.errors import ConfigError
from aigov.globs import compile_glob, is_glob, literal_runs
from aigov.model import HOURS_PER_MONTH, Inventory, Resource
from aigov.paths import package_data
from aigov.policy import yamlio
from aigov.policy.yamlio import ErrorFactory, PathElem, Root

_DEPLOYMENT: Final = armtypes.DEPLOYMENT.casefold()

if TYPE_CHECKING:  # jsonschema is imported when a usage list is validated
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

PROMPT_TOKENS_30D: Final = "prompt_tokens_30d"
"""Context.usage metric: ProcessedPromptTokens summed over the last 30 days."""
COMPLETION_TOKENS_30D: Final = "completion_tokens_30d"
"""Context.usage metric: GeneratedTokens summed over the last 30 days."""
REQUESTS_30D: Final = "requests_30d"
"""Context.usage metric: AzureOpenAIRequests summed over the last 30 days (optional)."""
CACHED_PROMPT_TOKENS_30D: Final = "cached_prompt_tokens_30d"
"""Context.usage metric: cached prompt tokens over the last 30 days (optional; else 0)."""

OBSERVED_HOURS: Final = 30 * 24  # the live scan's window
DIRECTIONS: Final = ("input", "cached_input", "output")


@dataclass(frozen=True, slots=True)
class Usage:
    """A resource's monthly token volumes, with how each was reached."""

    input_tokens: float
    output_tokens: float
    cached_input_tokens: float = 0.0
    requests: float | None = None  # monthly requests, when known (unit economics)
    source: str = ""  # "usage.yaml:3 '*chat*'" or "observed over 30 days"
    derivations: Mapping[str, str] = field(default_factory=dict)  # direction/"requests" -> formula
    observed: bool = False
    batch: bool = False  # the entry says the traffic can wait for Batch's turnaround (AIGOV-OPT-002)

    def volume(self, direction: str) -> float:
        """The monthly volume of ``direction`` (``input``, ``cached_input`` or ``output``)."""
        return {
            "input": self.input_tokens,
            "cached_input": self.cached_input_tokens,
            "output": self.output_tokens,
        }[direction]


class UsageProvider(Protocol):
    """What the cost model asks for: a resource's monthly usage, or None when unknown."""

    def usage_for(self, resource: Resource, inventory: Inventory) -> Usage | None:
        """The usage of ``resource`` (a deployment), or None when nothing is known."""
        ...


@dataclass(frozen=True, slots=True)
class UsageEntry:
    """One assumption as written: the glob and the usage it gives every resource it matches."""

    match: str
    usage: Usage
    line: int | None = None


class UsageBook:
    """Assumed usage entries plus observed usage; implements :class:`UsageProvider`.

    Literal patterns are looked up in a dict and globs through a
    :class:`_GlobIndex`, so matching stays cheap for large inventories and
    long usage files; the entry found for a set of names is remembered, since
    the cost model, the estimate and the list price each ask for the same
    resource.
    """

    def __init__(
        self,
        entries: Sequence[UsageEntry] = (),
        observed: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.entries: tuple[UsageEntry, ...] = tuple(entries)
        self.observed: Mapping[str, Mapping[str, Any]] = observed or {}
        self._literal: dict[str, int] = {}
        self._literal_all: dict[str, list[int]] = {}
        globs: list[tuple[int, str]] = []
        for i, entry in enumerate(self.entries):
            pattern = entry.match.casefold()
            if is_glob(pattern):
                globs.append((i, pattern))
            else:
                self._literal.setdefault(pattern, i)
                self._literal_all.setdefault(pattern, []).append(i)
        self._globs = _GlobIndex(globs)
        self._found: dict[tuple[str, ...], int | None] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def with_observed(self, observed: Mapping[str, Mapping[str, Any]]) -> UsageBook:
        """The same assumptions, with observed usage (by resource key) taking precedence."""
        return UsageBook(self.entries, {**self.observed, **observed})

    def usage_for(self, resource: Resource, inventory: Inventory) -> Usage | None:
        metrics = self.observed.get(resource.key)
        if metrics:
            found = observed_usage(metrics)
            if found is not None:
                return found
        if not self.entries:
            return None
        targets = _targets(resource, inventory)
        if targets in self._found:
            best = self._found[targets]
        else:
            best = self._found[targets] = self._first_entry(targets)
        return None if best is None else self.entries[best].usage

    def matched(self, inventory: Inventory) -> set[int]:
        """The indexes of the entries that match an Azure OpenAI deployment of ``inventory``."""
        found: set[int] = set()
        for resource in inventory:
            if len(found) == len(self.entries):
                break
            if resource.type.casefold() != _DEPLOYMENT:
                continue
            for target in _targets(resource, inventory):
                found.update(self._literal_all.get(target, ()))
                found.update(self._globs.matching(target))
        return found

    def unmatched(self, matched: Iterable[int]) -> tuple[UsageEntry, ...]:
        """The entries not in ``matched`` (see :meth:`matched`): their usage prices nothing.

        A typo in a ``match`` glob would otherwise leave a deployment unpriced
        (or priced by a later, wider entry) without a word.
        """
        used = set(matched)
        return tuple(entry for i, entry in enumerate(self.entries) if i not in used)

    def _first_entry(self, targets: tuple[str, ...]) -> int | None:
        """The index of the first entry whose pattern matches any of ``targets``."""
        best: int | None = None
        for target in targets:
            hit = self._literal.get(target)
            if hit is not None and (best is None or hit < best):
                best = hit
        for target in targets:
            hit = self._globs.first(target, best)
            if hit is not None:
                best = hit
        return best


class _GlobIndex:
    """Globs indexed by a trigram each must contain, to try only the few that can match a name.

    A glob matches a name only if each of its literal runs (the text between
    ``*`` and ``?``) occurs in the name. Each glob is filed under the rarest
    trigram of its runs, so a name need only try the globs filed under its
    own trigrams; globs without a three-character run are tried for every name.
    """

    def __init__(self, globs: Sequence[tuple[int, str]]) -> None:
        self._regex: dict[int, re.Pattern[str]] = {i: compile_glob(p) for i, p in globs}
        grams: dict[int, set[str]] = {i: _trigrams(p) for i, p in globs}
        frequency: dict[str, int] = {}
        for found in grams.values():
            for gram in found:
                frequency[gram] = frequency.get(gram, 0) + 1
        self._always: list[int] = []
        self._by_gram: dict[str, list[int]] = {}
        for i, _ in globs:
            if grams[i]:
                rarest = min(grams[i], key=lambda g: (frequency[g], g))
                self._by_gram.setdefault(rarest, []).append(i)
            else:
                self._always.append(i)

    def _candidates(self, name: str) -> list[int]:
        candidates = list(self._always)
        by_gram = self._by_gram
        for gram in {name[k : k + 3] for k in range(len(name) - 2)}:
            filed = by_gram.get(gram)
            if filed is not None:
                candidates.extend(filed)
        return candidates

    def matching(self, name: str) -> set[int]:
        """The index of every glob matching ``name``."""
        return {i for i in self._candidates(name) if self._regex[i].fullmatch(name)}

    def first(self, name: str, before: int | None = None) -> int | None:
        """The lowest index of a glob matching ``name``, if lower than ``before``."""
        for i in sorted(self._candidates(name)):
            if before is not None and i >= before:
                return None
            if self._regex[i].fullmatch(name):
                return i
        return None


def _trigrams(pattern: str) -> set[str]:
    """The trigrams of a glob's literal runs; empty when no run has three characters."""
    return {run[k : k + 3] for run in literal_runs(pattern) for k in range(len(run) - 2)}


def _targets(resource: Resource, inventory: Inventory) -> tuple[str, ...]:
    names = {resource.address.casefold(), resource.key.casefold()}
    if isinstance(resource.name, str):
        names.add(resource.name.casefold())
        parent = inventory.parent(resource)
        if parent is not None and isinstance(parent.name, str):
            names.add(f"{parent.name}/{resource.name}".casefold())
    return tuple(sorted(names))


def unmatched_warning(entry: UsageEntry) -> str:
    """The warning for a usage entry no deployment of the inputs matches."""
    return (
        f"usage entry {entry.usage.source} matches no Azure OpenAI deployment in the inputs "
        "(address, key, name or account/deployment): its usage prices nothing"
    )


def observed_usage(metrics: Mapping[str, Any]) -> Usage | None:
    """Monthly run-rate from a live scan's 30-day metrics; None without prompt or completion tokens."""
    prompt = _number(metrics.get(PROMPT_TOKENS_30D))
    completion = _number(metrics.get(COMPLETION_TOKENS_30D))
    if prompt is None and completion is None:
        return None
    scale = HOURS_PER_MONTH / OBSERVED_HOURS
    derivations: dict[str, str] = {}
    values: dict[str, float] = {}
    for direction, metric, value in (
        ("input", _label(metrics, PROMPT_TOKENS_30D, "ProcessedPromptTokens"), prompt),
        ("output", _label(metrics, COMPLETION_TOKENS_30D, "GeneratedTokens"), completion),
        ("cached_input", "cached prompt tokens", _number(metrics.get(CACHED_PROMPT_TOKENS_30D))),
    ):
        if value is None:
            continue
        values[direction] = value * scale
        derivations[direction] = f"{count(value)} {metric} in 30 days x {HOURS_PER_MONTH}/{OBSERVED_HOURS}"
    requests = _number(metrics.get(REQUESTS_30D))
    if requests is not None:
        scaled = f"{HOURS_PER_MONTH}/{OBSERVED_HOURS}"
        derivations["requests"] = f"{count(requests)} requests in 30 days x {scaled}"
    return Usage(
        input_tokens=values.get("input", 0.0),
        output_tokens=values.get("output", 0.0),
        cached_input_tokens=values.get("cached_input", 0.0),
        requests=requests * scale if requests is not None else None,
        source="observed run-rate, last 30 days",
        derivations=derivations,
        observed=True,
    )


def _label(metrics: Mapping[str, Any], key: str, default: str) -> str:
    """The metric name a volume was read from (``<key>_metric``, set by the live scan), for the formula."""
    name = metrics.get(f"{key}_metric")
    return name if isinstance(name, str) and name else default


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def count(value: float) -> str:
    """A volume for a formula: ``100,000,000``; fractions keep up to two decimals."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------- loading


@cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # noqa: PLC0415

    schema = json.loads(package_data("cost", "usage.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _explain(error: ValidationError) -> str:
    if error.validator == "oneOf":
        return (
            "give either monthly_input_tokens (direct volumes) or visitors_per_month, chat_share, "
            "conversations_per_visitor and input_tokens_per_conversation (the chat formula), not both"
        )
    return error.message


def load_usage(path: Path) -> UsageBook:
    """Read and validate a usage file (``{usage: [...]}``); errors are one line with file and line."""
    # libyaml also composes the node tree (line numbers of every entry), several times faster.
    data, root = yamlio.load(path, ConfigError, loader=yamlio.FastSafeLoader)
    if data is None:
        raise ConfigError("empty usage file; expected a `usage:` list", file=str(path))
    return UsageBook(parse_entries(data, root, str(path), ConfigError))


def parse_entries(
    document: Mapping[str, Any], root: Root, file: str, error: ErrorFactory = ConfigError
) -> tuple[UsageEntry, ...]:
    """Validate a mapping holding a ``usage`` list (a usage file, or aigov.yaml) and build its entries.

    Only the ``usage`` key of ``document`` is looked at, so ``aigov.yaml`` can
    pass itself; error paths are those of ``document`` (``$.usage[2].chat_share``).
    """
    items = document.get("usage") if isinstance(document, Mapping) else None
    wrapper = {"usage": items} if isinstance(document, Mapping) and "usage" in document else document
    from jsonschema.exceptions import best_match  # noqa: PLC0415

    found = best_match(_validator().iter_errors(wrapper))
    if found is not None:
        path: list[PathElem] = list(found.absolute_path)
        raise error(_explain(found), file=file, where=yamlio.where(root, path))
    name = Path(file).name
    entries = []
    for i, item in enumerate(items or []):
        line = yamlio.line_of(root, ["usage", i])
        where = f"{name}:{line}" if line is not None else name
        usage = _entry_usage(item, f"{where} '{item['match']}'")
        if item.get("batch"):
            usage = dataclasses.replace(usage, batch=True)
        entries.append(UsageEntry(item["match"], usage, line))
    return tuple(entries)


def _entry_usage(item: Mapping[str, Any], source: str) -> Usage:
    if "monthly_input_tokens" in item:
        requests = item.get("monthly_requests")
        return Usage(
            input_tokens=float(item["monthly_input_tokens"]),
            output_tokens=float(item.get("monthly_output_tokens", 0)),
            cached_input_tokens=float(item.get("monthly_cached_input_tokens", 0)),
            requests=float(requests) if requests is not None else None,
            source=source,
        )
    visitors = float(item["visitors_per_month"])
    share = float(item["chat_share"])
    per_visitor = float(item["conversations_per_visitor"])
    conversations = visitors * share * per_visitor
    head = f"{count(visitors)} visitors x {share:g} chat share x {per_visitor:g} conversations/visitor"
    derivations: dict[str, str] = {}
    volumes: dict[str, float] = {}
    for direction, key in (
        ("input", "input_tokens_per_conversation"),
        ("output", "output_tokens_per_conversation"),
        ("cached_input", "cached_input_tokens_per_conversation"),
    ):
        per = float(item.get(key, 0))
        volumes[direction] = conversations * per
        if key in item:
            derivations[direction] = f"{head} x {count(per)} tokens/conversation"
    monthly_requests: float | None = None
    if "requests_per_conversation" in item:
        per = float(item["requests_per_conversation"])
        monthly_requests = conversations * per
        derivations["requests"] = f"{head} x {count(per)} requests/conversation"
    return Usage(
        input_tokens=volumes["input"],
        output_tokens=volumes["output"],
        cached_input_tokens=volumes["cached_input"],
        requests=monthly_requests,
        source=source,
        derivations=derivations,
    )
