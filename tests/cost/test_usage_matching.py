"""Usage entries matched through the literal dict and the trigram-indexed globs: the first entry wins."""

from __future__ import annotations

import re
from datetime import date

import pytest

from aigov.cost.usage import Usage, UsageBook, UsageEntry
from aigov.model import Inventory, Origin, Resource
from aigov.waivers import Waiver

DEPLOYMENT = "Microsoft.CognitiveServices/accounts/deployments"
ACCOUNT = "Microsoft.CognitiveServices/accounts"

# Patterns chosen to exercise each path: literals, globs filed under a trigram
# (from the first or a later run), globs too short to file, and brackets (literal, as in waivers).
PATTERNS = [
    "oai-t12-abc/gpt-4o-1",  # literal account/deployment
    'module.team?"t0012"?.*',  # runs "module.team" and '"t0012"': filed under the rarer
    "oai-t3-*",  # filed under a trigram of its only run
    "*-[0-9]",  # brackets are literal: matches a name ending in "-[0-9]" only
    "gpt-4.1-0",  # literal deployment name
    "a*b",  # runs too short to file
    "*mini*",
    "*",  # catch-all
]
NAMES = [
    # (account, deployment, address)
    ("oai-t12-abc", "gpt-4o-1", 'module.team["t0099"].azurerm_cognitive_deployment.models["d1"]'),
    ("oai-t13-abc", "gpt-4o-1", 'module.team["t0012"].azurerm_cognitive_deployment.models["d1"]'),
    ("oai-t3-fff", "gpt-4.1-0", 'module.team["t0003"].azurerm_cognitive_deployment.models["d0"]'),
    ("OAI-T4-fff", "gpt-4.1-0", "x.dep"),
    ("acct", "gpt-4.1-x", "x.dep"),
    ("acct", "alpha-b", "x.dep"),
    ("acct", "o3-mini-x", "x.dep"),
    ("acct", "plain", "x.dep"),
]


def _book(patterns: list[str]) -> UsageBook:
    return UsageBook(
        [UsageEntry(p, Usage(input_tokens=float(i), output_tokens=0.0)) for i, p in enumerate(patterns)]
    )


def _resources(account: str, deployment: str, address: str) -> tuple[Resource, Inventory]:
    parent = Resource(key="acct-key", type=ACCOUNT, name=account, body={}, origin=Origin("test", address="a"))
    child = Resource(
        key=address,
        type=DEPLOYMENT,
        name=deployment,
        body={},
        origin=Origin("test", address=address),
        parent_key="acct-key",
    )
    return child, Inventory([parent, child])


def _plain_match(pattern: str, name: str) -> bool:
    """``*`` any run, ``?`` one character, the rest literal, whole name, ignoring case: written out anew."""
    regex = "".join({"*": ".*", "?": "."}.get(c, re.escape(c)) for c in pattern.casefold())
    return re.fullmatch(regex, name.casefold(), re.DOTALL) is not None


def _reference(patterns: list[str], names: set[str]) -> int | None:
    """The plain reading of the rule: the first pattern matching any of the names."""
    for i, pattern in enumerate(patterns):
        if any(_plain_match(pattern, n) for n in names):
            return i
    return None


@pytest.mark.parametrize(("account", "deployment", "address"), NAMES)
@pytest.mark.parametrize("drop", [None, 7, 6, 3])
def test_first_matching_entry_is_the_reference_one(
    account: str, deployment: str, address: str, drop: int | None
) -> None:
    patterns = [p for i, p in enumerate(PATTERNS) if i != drop]
    resource, inventory = _resources(account, deployment, address)
    expected = _reference(patterns, {address, deployment, f"{account}/{deployment}"})
    found = _book(patterns).usage_for(resource, inventory)
    assert (None if found is None else int(found.input_tokens)) == expected


@pytest.mark.parametrize(
    ("patterns", "deployment", "expected"),
    [
        (["*team*", "gpt-*"], "gpt-4o", 1),  # the filed glob must still match the whole name
        (["gpt-4o", "gpt-*"], "gpt-4o", 0),  # an earlier literal beats a later glob
        (["gpt-*", "gpt-4o"], "gpt-4o", 0),  # an earlier glob beats a later literal
        (["*4?", "*o"], "gpt-4o", 0),  # a run shorter than three characters
        (["gpt-[45]o", "*"], "gpt-4o", 1),  # brackets are literal, as in waivers
        (["gpt-[!4]o", "*"], "gpt-4o", 1),
        (["gpt-[45]o", "*"], "gpt-[45]o", 0),
        (["*-mini", "zz*"], "gpt-4o", None),
    ],
)
def test_order_and_pattern_kinds(patterns: list[str], deployment: str, expected: int | None) -> None:
    resource, inventory = _resources("acct", deployment, "x.dep")
    found = _book(patterns).usage_for(resource, inventory)
    assert (None if found is None else int(found.input_tokens)) == expected


def test_an_address_with_a_key_matches_itself_in_usage_and_in_waivers() -> None:
    address = 'module.ai.azurerm_cognitive_deployment.chat["gpt4o"]'
    resource, inventory = _resources("acct", "chat-gpt4o", address)
    assert _book(["nothing", address]).usage_for(resource, inventory) is not None
    assert _book(['module.ai.azurerm_cognitive_deployment.chat["gpt*"]']).usage_for(resource, inventory)
    waiver = Waiver("AIGOV-SKU-001", address, "r", "o", date(2026, 12, 31), "aigov.yaml:1")
    assert waiver._resource_pattern.fullmatch(address)


def test_entries_that_match_no_deployment_are_named() -> None:
    book = _book(["gpt-4o-1", "oai-t12-abc/*", "gtp-4o-1", "acct-key"])
    _, inventory = _resources("oai-t12-abc", "gpt-4o-1", "x.dep")
    # acct-key names the account, which usage does not price: no deployment matches it.
    assert [e.match for e in book.unmatched(book.matched(inventory))] == ["gtp-4o-1", "acct-key"]


def test_the_same_resource_asked_twice_gets_the_same_entry() -> None:
    book = _book(["*-1", "*"])
    resource, inventory = _resources("acct", "gpt-4o-1", "x.dep")
    assert book.usage_for(resource, inventory) is book.usage_for(resource, inventory) is book.entries[0].usage
