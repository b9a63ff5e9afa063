"""Decision thresholds for multilabel classifiers (per class, global, label ratio)."""

from ._optimizer import ThresholdOptimizer, apply_thresholds, check_multilabel_cv, multilabel_proba

__all__ = ["ThresholdOptimizer", "apply_thresholds", "check_multilabel_cv", "multilabel_proba"]
