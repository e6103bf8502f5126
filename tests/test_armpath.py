from __future__ import annotations

import pytest

from aigov import armpath
from aigov.armpath import MISSING
from aigov.errors import RuleError
from aigov.model import UNKNOWN

DOC = {
    "sku": {"name": "Standard", "capacity": 10},
    "tags": {"Cost-Center": "CC-1", "app.id": "x"},
    "properties": {"rules": [{"v": 1}, {"v": 2}], "ids": [{"v": UNKNOWN}], "model": UNKNOWN},
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("sku.name", "Standard"),
        ("SKU.Name", "Standard"),
        ("tags.cost-center", "CC-1"),
        ("tags['app.id']", "x"),
        ('tags["app.id"]', "x"),
        ("properties.rules[1].v", 2),
        ("properties.rules[*].v", [1, 2]),
        ("properties.rules[5].v", MISSING),
        ("properties.missing.deeper", MISSING),
        ("sku.name.deeper", MISSING),
        ("properties.model.name", UNKNOWN),
        ("properties.ids[*].v", UNKNOWN),
    ],
)
def test_get(path: str, expected: object) -> None:
    assert armpath.get(DOC, path) == expected or armpath.get(DOC, path) is expected


@pytest.mark.parametrize("bad", ["", ".a", "a.", "a..b", "a[x]", "a]b"])
def test_malformed_paths_are_rule_errors(bad: str) -> None:
    with pytest.raises(RuleError):
        armpath.parse(bad)


def test_with_value_copies_and_keeps_existing_key_case() -> None:
    new = armpath.with_value(DOC, "sku.NAME", "GlobalStandard")
    assert new["sku"] == {"name": "GlobalStandard", "capacity": 10}
    assert DOC["sku"]["name"] == "Standard"
    created = armpath.with_value({}, "properties.properties.vmSize", "Standard_NC6s_v3")
    assert created == {"properties": {"properties": {"vmSize": "Standard_NC6s_v3"}}}
    assert armpath.with_value({"a": [1]}, "a[2]", 3) == {"a": [1, None, 3]}
    with pytest.raises(RuleError):
        armpath.with_value(DOC, "properties.rules[*].v", 1)
