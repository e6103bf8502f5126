from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aigov.config import load_config
from aigov.cost.usage import (
    COMPLETION_TOKENS_30D,
    PROMPT_TOKENS_30D,
    REQUESTS_30D,
    UsageBook,
    load_usage,
    observed_usage,
)
from aigov.errors import ConfigError
from aigov.model import Inventory, Origin, Resource

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "cost" / "usage.yaml"
DEPLOYMENT = "Microsoft.CognitiveServices/accounts/deployments"


def _res(key: str, name: str, parent: str | None = None, type_: str = DEPLOYMENT) -> Resource:
    return Resource(
        key=key, type=type_, name=name, body={}, origin=Origin("test", address=key), parent_key=parent
    )


def _usage_of(book: UsageBook, resource: Resource, *others: Resource) -> Any:
    return book.usage_for(resource, Inventory([resource, *others]))


def test_direct_volumes() -> None:
    usage = _usage_of(load_usage(FIXTURE), _res("azurerm_cognitive_deployment.chat", "chat"))
    assert (usage.input_tokens, usage.output_tokens, usage.cached_input_tokens) == (100e6, 20e6, 0)
    assert usage.requests == 50_000
    assert usage.source == "usage.yaml:3 '*chat*'"


def test_chat_formula() -> None:
    usage = _usage_of(load_usage(FIXTURE), _res("x.support-bot", "support-bot"))
    # 200,000 visitors x 0.05 x 1.5 conversations = 15,000 conversations
    assert usage.input_tokens == 15_000 * 1800
    assert usage.output_tokens == 15_000 * 400
    assert usage.requests == 15_000 * 4
    assert usage.derivations["input"] == (
        "200,000 visitors x 0.05 chat share x 1.5 conversations/visitor x 1,800 tokens/conversation"
    )


def test_no_match_is_none() -> None:
    assert _usage_of(load_usage(FIXTURE), _res("azurerm_cognitive_deployment.reports", "reports")) is None


def test_first_matching_entry_wins_and_literals_match_exactly(tmp_path: Path) -> None:
    path = tmp_path / "usage.yaml"
    path.write_text(
        "usage:\n  - {match: '*', monthly_input_tokens: 1}\n  - {match: 'chat', monthly_input_tokens: 2}\n",
        encoding="utf-8",
    )
    assert _usage_of(load_usage(path), _res("a.chat", "chat")).input_tokens == 1
    path.write_text(
        "usage:\n  - {match: 'CHAT', monthly_input_tokens: 2}\n  - {match: '*', monthly_input_tokens: 1}\n",
        encoding="utf-8",
    )
    assert _usage_of(load_usage(path), _res("a.chat", "chat")).input_tokens == 2
    assert _usage_of(load_usage(path), _res("a.chatter", "chatter")).input_tokens == 1


def test_matches_account_slash_deployment(tmp_path: Path) -> None:
    path = tmp_path / "usage.yaml"
    path.write_text("usage:\n  - {match: 'prod-acct/*', monthly_input_tokens: 7}\n", encoding="utf-8")
    account = _res("acct", "prod-acct", type_="Microsoft.CognitiveServices/accounts")
    deployment = _res("dep", "gpt", parent="acct")
    assert _usage_of(load_usage(path), deployment, account).input_tokens == 7


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        (
            "usage:\n  - match: a\n    monthly_input_tokens: 1\n    visitors_per_month: 2\n",
            "line 2: $.usage[0]",
            "give either monthly_input_tokens",
        ),
        (
            "usage:\n  - match: a\n    visitors_per_month: 1\n    chat_share: 1.5\n"
            "    conversations_per_visitor: 1\n    input_tokens_per_conversation: 1\n",
            "line 4: $.usage[0].chat_share",
            "1.5 is greater than the maximum of 1",
        ),
        ("usage:\n  - monthly_input_tokens: 1\n", "line 2: $.usage[0]", "'match' is a required property"),
        ("usage:\n  - {match: a, monthly_input_tokens: -1}\n", "$.usage[0].monthly_input_tokens", "minimum"),
        ("other: 1\n", "line 1: $", "'other' was unexpected"),
    ],
)
def test_invalid_usage_is_one_line_with_line_and_path(
    tmp_path: Path, text: str, where: str, what: str
) -> None:
    path = tmp_path / "usage.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_usage(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert where in message
    assert what in message
    assert "\n" not in message


def test_empty_usage_file(tmp_path: Path) -> None:
    path = tmp_path / "usage.yaml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="empty usage file"):
        load_usage(path)


def test_observed_run_rate_scales_30_days_to_730_hours() -> None:
    usage = observed_usage({PROMPT_TOKENS_30D: 7_200_000, COMPLETION_TOKENS_30D: 720_000, REQUESTS_30D: 7200})
    assert usage is not None
    assert usage.input_tokens == pytest.approx(7_300_000)
    assert usage.output_tokens == pytest.approx(730_000)
    assert usage.requests == pytest.approx(7300)
    assert usage.observed
    assert usage.derivations["input"] == "7,200,000 ProcessedPromptTokens in 30 days x 730/720"
    assert observed_usage({REQUESTS_30D: 5}) is None


def test_observed_usage_wins_over_an_assumption() -> None:
    book = load_usage(FIXTURE).with_observed({"a.chat": {PROMPT_TOKENS_30D: 720, COMPLETION_TOKENS_30D: 0}})
    assert _usage_of(book, _res("a.chat", "chat")).input_tokens == pytest.approx(730)
    assert _usage_of(book, _res("b.chat", "chat")).input_tokens == 100e6


def test_usage_section_of_aigov_yaml(tmp_path: Path) -> None:
    path = tmp_path / "aigov.yaml"
    path.write_text(
        "pricing:\n  discount_percent: 10\n  discounts: {openai_ptu: 5}\n"
        "  reservations:\n    - {deployment_type: GlobalProvisionedManaged, region: East US, ptu: 20}\n"
        "usage:\n  - {match: '*chat*', monthly_input_tokens: 5}\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert [e.match for e in config.usage] == ["*chat*"]
    assert config.usage[0].usage.source == "aigov.yaml:7 '*chat*'"
    assert config.pricing_terms.discount("openai_tokens") == 10
    assert config.pricing_terms.discount("openai_ptu") == 5
    assert config.pricing_terms.reservations[0].region == "eastus"


def test_invalid_usage_section_names_aigov_yaml(tmp_path: Path) -> None:
    path = tmp_path / "aigov.yaml"
    path.write_text("usage:\n  - {match: '*', chat_share: 0.5}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: line 2: $.usage[0]: give either")
