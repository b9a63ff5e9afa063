"""Decision thresholds for multilabel classifiers (per class, global, label ratio)."""

# check_multilabel_cv moved to skhpa.model_selection; still importable from here
from ..model_selection import check_multilabel_cv  # noqa: F401
from ._decision import apply_thresholds
from ._optimizer import ThresholdOptimizer
from ._proba import ensemble_proba, multilabel_proba
from ._search import best_fbeta_scores, shrink_thresholds

__all__ = [
    "ThresholdOptimizer",
    "apply_thresholds",
    "best_fbeta_scores",
    "ensemble_proba",
    "multilabel_proba",
    "shrink_thresholds",
]
