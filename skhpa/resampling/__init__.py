"""Multilabel resampling that composes with imbalanced-learn's Pipeline."""

from ._samplers import (
    MLROS,
    MLRUS,
    MLSMOTE,
    LabelPowersetSampler,
    imbalance_ratios,
    imbalance_report,
)

__all__ = [
    "LabelPowersetSampler",
    "MLROS",
    "MLRUS",
    "MLSMOTE",
    "imbalance_ratios",
    "imbalance_report",
]
