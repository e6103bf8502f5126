"""Cost: the price catalogue and the model that turns resources and rules into monthly costs."""

from aigov.cost.catalog import Catalog, PriceMatch, load_catalog
from aigov.cost.model import CostModel, is_fine_tuned
from aigov.cost.spec import CostEstimator, CostKind, CostSpec

__all__ = [
    "Catalog",
    "CostEstimator",
    "CostKind",
    "CostModel",
    "CostSpec",
    "PriceMatch",
    "is_fine_tuned",
    "load_catalog",
]
