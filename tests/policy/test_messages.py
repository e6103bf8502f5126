"""Message rendering: parameters first, body, context, items; missing and unknown values."""

from __future__ import annotations

from typing import Any

import pytest

from aigov.model import UNKNOWN, Context, Subscription
from aigov.policy.messages import format_value, render

from .helpers import NOW, scope

BODY = {
    "name": "chat",
    "sku": {"name": "ProvisionedManaged", "capacity": 30},
    "tags": {"app.id": "x"},
    "properties": {"model": {"name": UNKNOWN}},
}
CONTEXT = Context(now=NOW, subscriptions={"sub-1": Subscription("sub-1", environment="prod")})


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{name} uses {sku.name}", "chat uses ProvisionedManaged"),
        ("cap {sku.capacity}", "cap 30"),
        ("allowed: {allowed}", "allowed: Standard, GlobalStandard"),
        ("{capacity} over {sku.capacity}", "10 over 30"),
        ("model {properties.model.name}", "model (known after apply)"),
        ("tag {tags.missing}", "tag (none)"),
        ("app {tags['app.id']}", "app x"),
        ("env {context.subscription.environment}", "env prod"),
        ("{type} at {address}", "Microsoft.CognitiveServices/accounts/deployments at r1"),
        ("missing {items}", "missing cost-center, owner"),
        ('literal {a..b} and {"k": 1} and {}', 'literal {a..b} and {"k": 1} and {}'),
        ("{__class__.__init__}", "(none)"),
    ],
)
def test_render(template: str, expected: str) -> None:
    parameters = {"allowed": ["Standard", "GlobalStandard"], "capacity": 10}
    assert render(template, scope(BODY, CONTEXT), parameters, ["cost-center", "owner"]) == expected


def test_parameters_shadow_the_body() -> None:
    assert render("{name}", scope(BODY, CONTEXT), {"name": "the parameter"}) == "the parameter"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, "true"), (2.5, "2.5"), (3.0, "3"), ([], "(none)"), ({"a": 1}, "a=1"), (None, "(none)")],
)
def test_format_value(value: Any, expected: str) -> None:
    assert format_value(value) == expected
