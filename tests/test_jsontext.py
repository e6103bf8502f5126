"""Untrusted JSON: finite numbers only, nesting bounded, every failure one line."""

from __future__ import annotations

import io
import json

import pytest

from aigov.errors import SourceError
from aigov.jsontext import decode, dumps_outline, write_outline


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": NaN}', "invalid JSON: NaN is not a JSON number"),
        ('{"a": -Infinity}', "invalid JSON: -Infinity is not a JSON number"),
        ('{"a": 1e999}', "invalid JSON: 1e999 is too large a number"),
        ('{"a": ' + "9" * 5000 + "}", "invalid JSON: Exceeds the limit (4300 digits)"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a": 1', "invalid JSON: Expecting ',' delimiter"),
        (b'{"a": "\xff"}', "not UTF-8 text"),
    ],
)
def test_invalid_json_is_one_line(text: str | bytes, message: str) -> None:
    with pytest.raises(SourceError) as caught:
        decode(text, "plan.json", SourceError)
    assert caught.value.file == "plan.json"
    assert message in caught.value.message
    assert "\n" not in str(caught.value)


def test_valid_json_decodes() -> None:
    assert decode('{"a": [1, 2.5, -3e2, null, true]}', "x.json", SourceError) == {
        "a": [1, 2.5, -300.0, None, True]
    }


def test_outline_indents_two_levels_and_writes_each_element_on_one_line() -> None:
    document = {"tool": {"name": "aigov"}, "findings": [{"id": 1, "prices": [1.5]}, {"id": 2}], "none": []}
    text = dumps_outline(document)
    assert text.splitlines() == [
        "{",
        '  "tool": {',
        '    "name": "aigov"',
        "  },",
        '  "findings": [',
        '    {"id": 1, "prices": [1.5]},',
        '    {"id": 2}',
        "  ],",
        '  "none": []',
        "}",
    ]
    assert json.loads(text) == document


def test_outline_is_ascii_and_refuses_nan() -> None:
    assert dumps_outline({"name": "café\n"}) == '{\n  "name": "caf\\u00e9\\n"\n}'
    with pytest.raises(ValueError, match="not JSON compliant"):
        dumps_outline({"cost": [float("nan")]})


@pytest.mark.parametrize("levels", [0, 1, 2, 4])
def test_written_outline_is_the_same_text_as_the_string_one(levels: int) -> None:
    document = {
        "a": [{"b": [1, {"c": []}], "d": {}}, [], [[2, 3]]],
        "e": {"f": {"g": [None, True, "x"]}},
        "h": "é",
    }
    out = io.StringIO()
    write_outline(document, out, levels)
    assert out.getvalue() == dumps_outline(document, levels)
    assert json.loads(out.getvalue()) == document
