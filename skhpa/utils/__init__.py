"""Utilities shared by the skhpa subpackages, and the HPA constants every layer needs.

The bottom layer: imports no other subpackage.

Also the one door to scikit-learn's private helpers (``fit_context``, ``safe_indexing``,
``num_samples``, the parameter-validation classes): see ``_sklearn_compat.py``.
"""

from . import _sklearn_compat
from ._channel_stats import channel_mean_std
from ._deprecation import deprecated as deprecated  # for the public API's deprecations
from ._estimator_tree import fit_was_interrupted, iter_estimators
from ._fitted_state import fitted_attributes, set_fitted_attributes
from ._group_labels import first_seen_labels as first_seen_labels  # for groupings
from ._hpa import (
    CHANNELS,
    CLASS_NAMES,
    IMAGE_EXTENSIONS,
    N_CLASSES,
    check_channels,
    find_extension,
)
from ._hpa import EXTENSIONS_TRIED as EXTENSIONS_TRIED  # for datasets
from ._io import atomic_write, make_temp, validate_sample_id
from ._label_sets import unique_label_sets
from ._multilabel import MacroF1ScoreMixin, set_multilabel_tags
from ._sklearn_compat import *  # noqa: F403
from ._text import list_some, plural
from ._validation import (
    as_sample_array,
    check_channels_first,
    check_multilabel_target,
    check_n_samples,
    other_intensity_scale,
)

__all__ = [
    "CHANNELS",
    "CLASS_NAMES",
    "IMAGE_EXTENSIONS",
    "MacroF1ScoreMixin",
    "N_CLASSES",
    "as_sample_array",
    "atomic_write",
    "channel_mean_std",
    "check_channels",
    "check_channels_first",
    "check_multilabel_target",
    "check_n_samples",
    "find_extension",
    "fitted_attributes",
    "fit_was_interrupted",
    "iter_estimators",
    "list_some",
    "plural",
    "make_temp",
    "other_intensity_scale",
    "set_fitted_attributes",
    "set_multilabel_tags",
    "unique_label_sets",
    "validate_sample_id",
    *_sklearn_compat.__all__,
]
