"""Decision thresholds for multilabel classifiers (per class, global, label ratio)."""

from ._optimizer import (
    ThresholdOptimizer,
    apply_thresholds,
    check_multilabel_cv,
    ensemble_proba,
    multilabel_proba,
    shrink_thresholds,
)

__all__ = [
    "ThresholdOptimizer",
    "apply_thresholds",
    "check_multilabel_cv",
    "ensemble_proba",
    "multilabel_proba",
    "shrink_thresholds",
]
