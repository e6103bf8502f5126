"""The ARM resource types aigov evaluates, spelled once.

ARM types are case-insensitive; these are their canonical spellings, and
:data:`ARM_TYPES` finds the canonical one from any spelling.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

ACCOUNT: Final = "Microsoft.CognitiveServices/accounts"
DEPLOYMENT: Final = "Microsoft.CognitiveServices/accounts/deployments"
SEARCH: Final = "Microsoft.Search/searchServices"
WORKSPACE: Final = "Microsoft.MachineLearningServices/workspaces"
COMPUTE: Final = "Microsoft.MachineLearningServices/workspaces/computes"
ONLINE_DEPLOYMENT: Final = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
SERVERLESS_ENDPOINT: Final = "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints"
TEMPLATE_DEPLOYMENT: Final = "Microsoft.Resources/deployments"
"""A template deployment: not evaluated, but what an unread module or linked template is reported as."""

ARM_TYPES: Final[Mapping[str, str]] = {
    t.lower(): t
    for t in (ACCOUNT, DEPLOYMENT, SEARCH, WORKSPACE, COMPUTE, ONLINE_DEPLOYMENT, SERVERLESS_ENDPOINT)
}
"""The ARM types aigov evaluates, by lower-case name."""
