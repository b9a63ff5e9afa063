"""Saving fitted models safely to disk.

:func:`dump_joblib` writes a joblib file atomically (a temporary file renamed
into place), so an interrupted save never leaves a truncated model. Loading a
joblib or pickle file **executes code** from the file: load only files you
trust.
"""

import os
from pathlib import Path

from .utils import atomic_write


def dump_joblib(estimator, path, *, compress=3):
    """Save ``estimator`` with joblib, atomically.

    Parameters
    ----------
    estimator : object
    path : str or path-like
    compress : int, default=3
        joblib compression level.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import os, tempfile, joblib
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skhpa.persistence import dump_joblib
    >>> path = dump_joblib(LogisticRegression(C=2.0), os.path.join(tempfile.mkdtemp(), "m.joblib"))
    >>> joblib.load(path).C
    2.0
    """
    import joblib

    path = Path(os.fspath(path))
    with atomic_write(path, "wb") as fh:
        joblib.dump(estimator, fh, compress=compress)
    return path
