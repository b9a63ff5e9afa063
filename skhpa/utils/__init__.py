"""Utilities shared by the skhpa subpackages."""

from ._estimator_tree import iter_estimators
from ._io import atomic_write, validate_sample_id
from ._multilabel import MacroF1ScoreMixin, set_multilabel_tags
from ._validation import check_multilabel_target

__all__ = [
    "MacroF1ScoreMixin",
    "atomic_write",
    "check_multilabel_target",
    "iter_estimators",
    "set_multilabel_tags",
    "validate_sample_id",
]
