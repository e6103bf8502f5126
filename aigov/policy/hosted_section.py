"""The ``context: hosted.*`` section: who publishes the model a resource serves, and which model it is.

==================  ==============================================================
``publisher``       the registry (``azureml-meta``) of an Azure ML model asset id,
                    ``workspace`` for a workspace's own model; for a Foundry
                    deployment, ``properties.model.publisher``, else its format
``model``           the model's name (``Llama-2-7b-chat``, ``DeepSeek-R1``)
==================  ==============================================================

It reads an Azure ML online deployment's ``properties.model``, a serverless
endpoint's ``properties.modelSettings.modelId`` and a Cognitive Services
(Foundry) deployment's ``properties.model``. Model asset ids look like
``azureml://registries/azureml-meta/models/Llama-2-7b-chat/versions/24`` or
``azureml:my-model:3``. A value known only after apply makes the section
``UNKNOWN``; an id of another shape leaves it missing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from aigov import armpath, armtypes
from aigov.armpath import MISSING
from aigov.model import UNKNOWN, _Unknown

if TYPE_CHECKING:
    from aigov.policy.context import Scope

_REGISTRY: Final = re.compile(r"^azureml://registries/(?P<publisher>[^/]+)/models/(?P<model>[^/]+)", re.I)
_WORKSPACE: Final = re.compile(r"^azureml:(?P<model>[^:/]+)(:[^:/]+)?$", re.I)
_WORKSPACE_LONG: Final = re.compile(r"/workspaces/[^/]+/models/(?P<model>[^/]+)", re.I)
_PATHS: Final = {
    armtypes.ONLINE_DEPLOYMENT.casefold(): "properties.model",
    armtypes.SERVERLESS_ENDPOINT.casefold(): "properties.modelSettings.modelId",
}


def hosted_section(scope: Scope) -> Any:
    """``{publisher, model}`` of the model the resource serves, ``UNKNOWN`` or ``MISSING``."""
    kind = scope.resource.type.casefold()
    if kind == armtypes.DEPLOYMENT.casefold():
        return _foundry(scope.body)
    path = _PATHS.get(kind)
    if path is None:
        return MISSING
    value = armpath.get(scope.body, path)
    if isinstance(value, _Unknown):
        return UNKNOWN
    if not isinstance(value, str):
        return MISSING
    return parse_model_id(value.strip())


def parse_model_id(value: str) -> Any:
    """``{publisher, model}`` from an Azure ML model asset id; ``MISSING`` for another shape."""
    found = _REGISTRY.match(value)
    if found is not None:
        return {"publisher": found["publisher"], "model": found["model"]}
    found = _WORKSPACE.match(value) or _WORKSPACE_LONG.search(value)
    if found is not None:
        return {"publisher": "workspace", "model": found["model"]}
    return MISSING


def _foundry(body: Any) -> Any:
    model = armpath.get(body, "properties.model")
    if isinstance(model, _Unknown):
        return UNKNOWN
    if not isinstance(model, dict):
        return MISSING
    name = model.get("name")
    publisher = model.get("publisher")
    if publisher is None or publisher is MISSING:
        publisher = model.get("format")
    if isinstance(name, _Unknown) or isinstance(publisher, _Unknown):
        return UNKNOWN
    section: dict[str, Any] = {}
    if isinstance(publisher, str):
        section["publisher"] = publisher
    if isinstance(name, str):
        section["model"] = name
    return section or MISSING
