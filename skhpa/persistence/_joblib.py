"""joblib files written atomically (loading them executes code: trusted files only)."""

import os
from pathlib import Path

from ..utils import atomic_write


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
