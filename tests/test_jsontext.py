"""Untrusted JSON: finite numbers only, nesting bounded, every failure one line."""

from __future__ import annotations

import pytest

from aigov.errors import SourceError
from aigov.jsontext import decode


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
