"""Bicep syntax that real teams commit: one case per construct, each a fixture under fixtures/bicep/syntax/.

Each case evaluates its fixture as ``aigov scan`` does and checks the values
the construct gives, so a construct that parses but reads wrongly fails too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aigov.errors import SourceError
from aigov.model import UNKNOWN
from aigov.sources.base import SourceInput, SourceOptions
from aigov.sources.bicep.evaluate import Instance
from aigov.sources.bicep.lexer import tokenize
from aigov.sources.bicep.parser import parse
from aigov.sources.bicep.source import evaluate_input

SYNTAX = Path(__file__).resolve().parents[2] / "fixtures" / "bicep" / "syntax"


def instances(name: str) -> dict[str, Instance]:
    """The fixture's evaluated resources by key."""
    evaluation = evaluate_input(SourceInput.open(str(SYNTAX / name)), SourceOptions())
    return {instance.key: instance for instance in evaluation.instances}


def body(name: str, key: str) -> dict[str, Any]:
    return instances(name)[key].body


# --------------------------------------------------------------------------- linter directives


def test_linter_directives_are_trivia() -> None:
    account = body("directives.bicep", "account")
    assert account["name"] == "oai-directives"
    assert account["sku"] == {"name": "S0"}
    assert account["properties"] == {"customSubDomainName": "oai-directives"}


def test_directive_keeps_its_line_and_the_tokens_after_it() -> None:
    tokens = tokenize("#disable-next-line r1 r2\nvar x = 1 /* c */\n", "t.bicep")
    assert [(t.kind, t.line) for t in tokens[:3]] == [("nl", 1), ("ident", 2), ("ident", 2)]


@pytest.mark.parametrize("text", ["#region x\n", "var x = 1 # 2\n", "#disable-next-lines r\n"])
def test_other_hash_is_still_an_error(text: str) -> None:
    with pytest.raises(SourceError, match="unexpected character '#'"):
        parse(text, "t.bicep")
