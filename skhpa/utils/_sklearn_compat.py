"""The one place where skhpa imports scikit-learn's private helpers.

scikit-learn does not promise that names starting with an underscore, or living in a
private module, keep their place or their signature from one release to the next. Every
such import of the package goes through this module (and is re-exported by
:mod:`skhpa.utils` without the underscore), so that a scikit-learn release that moves one
means one edit here. imbalanced-learn uses the ``sklearn-compat`` package for this; it
does not cover the parameter-validation classes and ``_num_samples`` that skhpa uses, so a
small module of our own does the job without a dependency.

What is used, and since when it exists (skhpa needs scikit-learn >= 1.6):

- ``sklearn.base._fit_context`` (1.3): validates ``_parameter_constraints`` in ``fit``;
- ``sklearn.utils._safe_indexing`` (0.24): rows of arrays, lists and DataFrames alike;
- ``sklearn.utils.validation._num_samples``: the number of rows of any indexable;
- ``sklearn.utils._param_validation`` (1.2): ``Interval``, ``StrOptions``, ``HasMethods``,
  ``InvalidParameterError``, ``validate_parameter_constraints``, ``validate_params``.
"""

from sklearn.base import _fit_context as fit_context
from sklearn.utils import _safe_indexing as safe_indexing
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)
from sklearn.utils.validation import _num_samples as num_samples

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "fit_context",
    "num_samples",
    "safe_indexing",
    "validate_parameter_constraints",
    "validate_params",
]
