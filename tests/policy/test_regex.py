"""Rule patterns run on RE2: linear time on patterns that make a backtracking engine hang."""

from __future__ import annotations

import time

import pytest

from aigov.errors import RuleError
from aigov.policy import regex
from aigov.policy.conditions import compile_condition
from aigov.policy.regex import Pattern, PatternError, escape

from .helpers import scope

NAME = "a" * 40 + "!"  # 41 characters: Python's re takes hours on the pattern below


def test_a_nested_quantifier_on_a_41_character_name_finishes_at_once() -> None:
    condition = compile_condition({"field": "name", "notRegex": "^([a-z0-9]+-?)+$"}, {})
    started = time.monotonic()
    assert condition.test(scope({"name": NAME})) is True
    assert condition.test(scope({"name": "chat-prod-01"})) is False
    assert time.monotonic() - started < 1


def test_like_and_match_with_many_wildcards_finish_at_once() -> None:
    value = "a" * 4000
    like = compile_condition({"field": "name", "like": "*a*a*a*a*a*a*a*a*a*a*a*a*b"}, {})
    match = compile_condition({"field": "name", "match": "." * 200 + "#"}, {})
    started = time.monotonic()
    assert like.test(scope({"name": value})) is False
    assert match.test(scope({"name": value})) is False
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(?<=x)y", "look-around is not supported"),
        ("(?<!x)y", "look-around is not supported"),
        ("x(?=y)", "look-around is not supported"),
        ("x(?!y)", "look-around is not supported"),
        (r"(a)\1", "backreferences are not supported"),
        ("[", "missing ]"),
    ],
)
def test_patterns_re2_cannot_run_are_refused_with_the_syntax_url(pattern: str, reason: str) -> None:
    with pytest.raises(RuleError) as caught:
        compile_condition({"field": "name", "regex": pattern}, {})
    assert reason in caught.value.message
    assert "https://github.com/google/re2/wiki/Syntax" in caught.value.message


def test_refusal_prints_nothing_of_re2_s_own(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(PatternError):
        Pattern("(?<=x)y")
    assert capfd.readouterr().err == ""


def test_case_and_dot_options() -> None:
    assert Pattern("gpt-4o").search("my gpt-4o")
    assert not Pattern("GPT").search("gpt")
    assert Pattern("GPT", ignore_case=True).fullmatch("gpt")
    assert not Pattern("a.b").fullmatch("a\nb")
    assert Pattern("a.b", dot_all=True).fullmatch("a\nb")
    assert Pattern("é", ignore_case=True).fullmatch("É")


def test_escape_matches_the_text_exactly() -> None:
    for text in ["a b", "x.y*z", "(1)+[2]", "\\", "#?", "é€"]:
        assert Pattern(escape(text)).fullmatch(text)
        assert not Pattern(escape(text)).fullmatch(text + "x")


def test_a_value_with_a_lone_surrogate_is_matched_not_crashed_on() -> None:
    assert Pattern("ab").search("ab\ud800")
    assert Pattern("x").search("\ud800") is False


def test_a_pattern_with_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(PatternError, match="not valid Unicode"):
        Pattern("\ud800")


def test_results_kept_per_text_stay_those_of_the_engine_past_the_bound() -> None:
    pattern = Pattern("^gpt-4o(-mini)?$")
    texts = [
        f"gpt-4o{'-mini' if i % 3 == 0 else ''}{'' if i % 2 else '-x'}{i % 7 or ''}" for i in range(10000)
    ]
    expected = [(t in ("gpt-4o", "gpt-4o-mini")) for t in texts]
    for _ in range(2):  # the second pass reads kept results, or matches again after the bound cleared them
        assert [pattern.search(t) for t in texts] == expected
        assert [pattern.fullmatch(t) for t in texts] == expected
    long_text = "gpt-4o" + "-" * 1000
    assert pattern.search(long_text) is False
    assert pattern.search("gpt-4o") is True
    assert 0 < len(pattern._searched) <= regex._REMEMBERED  # bounded, whatever the scan's names
    assert long_text not in pattern._searched
