"""Deprecated alias of :mod:`skhpa.submission`, the earlier name of that module.

``skhpa.inference`` only ever wrote submissions; it was renamed to say so. Importing
it warns (``FutureWarning``) and gives the same functions.
"""

import warnings

from .submission import model_fingerprint, predict_submission

warnings.warn(
    "skhpa.inference was renamed skhpa.submission; import predict_submission and "
    "model_fingerprint from skhpa.submission (the alias will be removed in a future version)",
    FutureWarning,
    stacklevel=2,
)

__all__ = ["model_fingerprint", "predict_submission"]
