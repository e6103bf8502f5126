from __future__ import annotations

import json

import pytest

from aigov.jsontext import NotFinite
from aigov.sources.json_sections import NotAnObject, load_members


@pytest.mark.parametrize("encode", [False, True], ids=["text", "bytes"])
def test_keeps_only_wanted_members_and_names_the_noted_ones_present(encode: bool) -> None:
    text = json.dumps(
        {"a": [1, {"x": 2}], "skip": {"big": list(range(100))}, "b": "s", "c": None, "d": [3]}, indent=2
    )
    data = text.encode() if encode else text
    members, names = load_members(data, {"a", "c", "missing"}, noted={"skip", "gone"})
    assert members == {"a": [1, {"x": 2}], "c": None}
    assert names == {"a", "c", "skip"}


@pytest.mark.parametrize("text", ["{}", " { } ", '{"a": 1}', '\n{"a":1,"b":[true,false]}\n'])
def test_matches_json_loads_on_valid_objects(text: str) -> None:
    members, names = load_members(text, {"a", "b"})
    assert members == json.loads(text)
    assert names == set(json.loads(text))
    assert load_members(text.encode(), {"a", "b"}) == (members, names)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": "\\ud800 alone", "n": 1}',  # a lone surrogate escape: Python's json takes it, msgspec does not
        '{"a": %s, "n": 1}' % ("9" * 400),  # an integer wider than msgspec decodes
        '\ufeff{"a": [1.5, -0, "\\u00e9"], "n": 1}',  # a byte-order mark
        '{"a": 1, "a": [2], "n": 1}',  # a repeated member: the last one counts, as in json.loads
    ],
)
def test_takes_what_python_json_takes(text: str) -> None:
    expected = json.loads(text.removeprefix("\ufeff"))
    for data in (text, text.encode()):
        members, names = load_members(data, {"a"}, noted={"n"})
        assert members == {"a": expected["a"]}
        assert names == {"a", "n"}


@pytest.mark.parametrize("member", ["NaN", "Infinity", "1e999", "[1, -1e400]"])
def test_numbers_beyond_a_float_are_refused_in_the_members_read(member: str) -> None:
    with pytest.raises(NotFinite):
        load_members(f'{{"a": {member}}}'.encode(), {"a"})


def test_bytes_that_are_not_utf8_say_where() -> None:
    with pytest.raises(UnicodeDecodeError) as caught:
        load_members(b'{"a": "caf\xe9"}', {"a"})
    assert caught.value.start == 10


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("", 1, 1),
        ('{"a": 1', 1, 8),
        ('{"a" 1}', 1, 6),
        ('{"a": 1,\n "b": }', 2, 7),
        ('{"a": 1} x', 1, 10),
        ("{a: 1}", 1, 2),
        ('{"a": [1, 2}', 1, 12),
    ],
)
def test_invalid_json_reports_line_and_column(text: str, line: int, column: int) -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        load_members(text, {"a"})
    assert (caught.value.lineno, caught.value.colno) == (line, column)


@pytest.mark.parametrize(
    ("text", "kind"), [("[1]", "array"), ('"s"', "string"), ("3", "number"), ("null", "null")]
)
def test_other_top_level_values_are_named(text: str, kind: str) -> None:
    with pytest.raises(NotAnObject) as caught:
        load_members(text, {"a"})
    assert caught.value.kind == kind


def test_filtered_members_keep_only_passing_elements() -> None:
    text = json.dumps({"rc": [{"t": "a"}, {"t": "b"}, 3, {"t": "a", "x": [1]}], "other": [1, 2]})
    members, _ = load_members(
        text, {"rc", "other"}, keep={"rc": lambda e: isinstance(e, dict) and e["t"] == "a"}
    )
    assert members == {"rc": [{"t": "a"}, {"t": "a", "x": [1]}], "other": [1, 2]}
    assert load_members('{"rc": [ ]}', {"rc"}, keep={"rc": bool})[0] == {"rc": []}
    assert load_members('{"rc": {"k": 1}}', {"rc"}, keep={"rc": bool})[0] == {"rc": {"k": 1}}


@pytest.mark.parametrize(
    ("text", "column"), [('{"rc": [1, 2', 13), ('{"rc": [1 2]}', 11), ('{"rc": [1,', 11)]
)
def test_filtered_arrays_report_errors_where_they_are(text: str, column: int) -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        load_members(text, {"rc"}, keep={"rc": bool})
    assert caught.value.colno == column
