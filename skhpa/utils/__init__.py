"""Utilities shared by the skhpa subpackages, and the HPA constants every layer needs."""

from ._estimator_tree import iter_estimators
from ._hpa import (
    CHANNELS,
    CLASS_NAMES,
    IMAGE_EXTENSIONS,
    N_CLASSES,
    check_channels,
    find_extension,
)
from ._io import atomic_write, validate_sample_id
from ._label_sets import unique_label_sets
from ._multilabel import MacroF1ScoreMixin, set_multilabel_tags
from ._validation import check_multilabel_target

__all__ = [
    "CHANNELS",
    "CLASS_NAMES",
    "IMAGE_EXTENSIONS",
    "MacroF1ScoreMixin",
    "N_CLASSES",
    "atomic_write",
    "check_channels",
    "check_multilabel_target",
    "find_extension",
    "iter_estimators",
    "set_multilabel_tags",
    "unique_label_sets",
    "validate_sample_id",
]
