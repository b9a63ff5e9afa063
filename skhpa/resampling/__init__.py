"""Multilabel resampling that composes with imbalanced-learn's Pipeline."""

from ._imbalance import imbalance_ratios, imbalance_report
from ._samplers import MLROS, MLRUS, MLSMOTE, LabelPowersetSampler

__all__ = [
    "LabelPowersetSampler",
    "MLROS",
    "MLRUS",
    "MLSMOTE",
    "imbalance_ratios",
    "imbalance_report",
]
