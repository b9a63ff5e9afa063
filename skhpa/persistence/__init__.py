"""Saving fitted models to disk.

- :func:`save_model` / :func:`load_model`: JSON + safetensors, loaded without
  unpickling (nothing in the file is executed); for the library's estimators
  and Pipelines of them.
- :func:`dump_joblib`: any estimator, written atomically. Loading a joblib or
  pickle file **executes code** from the file: load only files you trust.

**The fitted state of an estimator: one hook.** An estimator is stored as its
class, its parameters (``get_params(deep=False)``) and its fitted state, and rebuilt as
``cls(**params)`` followed by restoring the state. This package knows no estimator's
internals: the state is what the estimator hands over through two methods, the skhpa
persistence protocol:

- ``__skhpa_getstate__(self) -> dict``: the fitted state, ``{name: value}``; values may be
  None, bools, numbers, strings, tuples, lists, dicts with string keys, numpy arrays and
  scalars, numpy dtypes, torch tensors, paths, classes on the allowlist and estimators on
  the allowlist (nested, or shared: an object met twice is stored once);
- ``__skhpa_setstate__(self, state)``: restore it on an estimator freshly built from its
  parameters; raise ValueError when the state does not fit (the loader reports it as a
  :class:`ModelFileError` naming the estimator's place in the tree).

The methods are looked up on the estimator's class, never through instance attribute
access: a wrapper that forwards attributes to the estimator it wraps (scikit-learn's
``FrozenEstimator``) does not implement the protocol by accident, and so does not store
the wrapped network's weights a second time.

An estimator without these methods is handled by scikit-learn's naming convention: its public
fitted attributes (``name_``, see :func:`skhpa.utils.fitted_attributes`) are stored, and only
such names are set back. :class:`~skhpa.HPAClassifier` (weights, history, channel statistics)
and :class:`~skhpa.ThresholdOptimizer` (the dtype of ``y``, a private attribute) implement
the protocol.
"""

from ._joblib import dump_joblib
from ._safe import (
    ALLOWED,
    ModelFileError,
    load_model,
    model_file_info,
    save_model,
)
from ._safe import state_digest as state_digest  # for skhpa.submission

__all__ = [
    "ALLOWED",
    "ModelFileError",
    "dump_joblib",
    "load_model",
    "model_file_info",
    "save_model",
]
