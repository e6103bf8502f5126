"""Every YAML document is bounded: alias bombs, cycles, odd characters and size are one-line errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from aigov.errors import ConfigError, RuleError
from aigov.policy import yamlio
from aigov.policy.testing import load_case_file

LAUGHS = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)  # nine aliases of nine aliases ...: 9**9 strings once expanded


def test_an_alias_bomb_is_refused_at_once_with_its_line() -> None:
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        yamlio.loads(LAUGHS, "aigov.yaml", ConfigError)
    assert time.monotonic() - started < 2
    assert caught.value.file == "aigov.yaml"
    assert caught.value.where is not None
    assert caught.value.where.startswith("line 6, column")
    assert caught.value.message == "invalid YAML: aliases expand to more than 100000 nodes"


def test_a_self_referencing_alias_is_an_error_at_the_alias() -> None:
    with pytest.raises(ConfigError) as caught:
        yamlio.loads("rules: &r\n  x:\n    - *r\n", "aigov.yaml", ConfigError)
    assert str(caught.value) == (
        "aigov.yaml: line 3, column 7: invalid YAML: alias *r is inside the node &r it names (a cycle)"
    )


def test_ordinary_anchors_and_merge_keys_still_load() -> None:
    text = "base: &base {sku: S0, tier: x}\none: {<<: *base, name: a}\ntwo: *base\n"
    data, _ = yamlio.loads(text, "usage.yaml", ConfigError)
    assert data["one"] == {"sku": "S0", "tier": "x", "name": "a"}
    assert data["two"] == {"sku": "S0", "tier": "x"}


def test_many_small_aliases_up_to_the_limit_load() -> None:
    count = yamlio.MAX_ALIAS_NODES // 2
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * count) + "]\n"
    data, _ = yamlio.loads(text, "usage.yaml", ConfigError)
    assert len(data["b"]) == count


def test_a_control_character_is_one_line_with_its_position() -> None:
    with pytest.raises(ConfigError) as caught:
        yamlio.loads("a: 1\nb: x\x03y\n", "aigov.yaml", ConfigError)
    assert str(caught.value) == (
        "aigov.yaml: line 2, column 5: invalid YAML: character #x0003 is not allowed "
        "(control characters are not allowed)"
    )


def test_the_pure_python_loader_reports_a_bad_character_in_one_line_too(tmp_path: Path) -> None:
    path = tmp_path / "AIGOV-X-001.test.yaml"
    path.write_text("rule: AIGOV-X-001\ncases: \x85\x8c\n", encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_case_file(path)
    assert "\n" not in str(caught.value)
    assert caught.value.where == "line 2, column 9"


def test_a_document_over_the_size_limit_is_not_parsed() -> None:
    with pytest.raises(ConfigError, match=r"larger than 16 MiB; not read"):
        yamlio.loads("#" * (yamlio.MAX_BYTES + 1), "usage.yaml", ConfigError)


def test_deep_nesting_is_an_error_not_a_recursion() -> None:
    with pytest.raises(ConfigError, match="nest"):
        yamlio.loads("a: " + "[" * 5000 + "]" * 5000, "aigov.yaml", ConfigError)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (".nan", "invalid YAML: .nan is not a finite number"),
        ("-.inf", "invalid YAML: -.inf is not a finite number"),
        ("9007199254740993", "invalid YAML: the integer 9007199254740993 is out of range (at most 2**53)"),
        ("9" * 5000, "invalid YAML: the integer 99999999999999999999... (5000 characters) is out of range"),
    ],
)
def test_numbers_no_cost_can_use_are_errors_at_their_line(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        yamlio.loads(f"usage:\n  - match: x\n    monthly_requests: {value}\n", "usage.yaml", ConfigError)
    assert caught.value.where == "line 3, column 23"
    assert caught.value.message.startswith(message)


def test_ordinary_numbers_load() -> None:
    data, _ = yamlio.loads("a: 9007199254740992\nb: -1.5e+3\nc: 0x1F\n", "usage.yaml", ConfigError)
    assert data == {"a": 2**53, "b": -1500.0, "c": 31}
