from __future__ import annotations

import json

import pytest

from aigov.sources.json_sections import NotAnObject, load_members


def test_keeps_only_wanted_members_but_names_all() -> None:
    text = json.dumps({"a": [1, {"x": 2}], "skip": {"big": list(range(100))}, "b": "s", "c": None}, indent=2)
    members, names = load_members(text, {"a", "c", "missing"})
    assert members == {"a": [1, {"x": 2}], "c": None}
    assert names == {"a", "skip", "b", "c"}


@pytest.mark.parametrize("text", ["{}", " { } ", '{"a": 1}', '\n{"a":1,"b":[true,false]}\n'])
def test_matches_json_loads_on_valid_objects(text: str) -> None:
    members, names = load_members(text, {"a", "b"})
    assert members == json.loads(text)
    assert names == set(json.loads(text))


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
