"""From probabilities to labels, and the targets a ThresholdOptimizer accepts."""

import re

import numpy as np
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from ..utils import check_multilabel_target


def apply_thresholds(P, thresholds, min_labels=0, dtype=np.int64):
    """Turn probabilities into an indicator matrix (``P >= thresholds``).

    With ``min_labels=1`` a row with no class above its threshold gets its most
    probable class switched on (every HPA image has at least one label), among
    the classes that can be predicted at all: a threshold above 1 means
    "never" (a class without a positive in the tuning or training data), and
    such a class is never switched on.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_classes)
        Probabilities.
    thresholds : float or array-like of shape (n_classes,)
        Decision threshold of each class.
    min_labels : {0, 1}, default=0
        With 1, every row gets at least its most probable class.
    dtype : dtype, default=np.int64
        dtype of the returned matrix.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_classes)
        Indicator matrix of the predicted labels.

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.thresholding import apply_thresholds
    >>> P = np.array([[0.1, 0.3], [0.9, 0.2]])
    >>> apply_thresholds(P, [0.5, 0.25]).tolist()
    [[0, 1], [1, 0]]
    >>> apply_thresholds(P, [0.5, 0.5], min_labels=1).tolist()
    [[0, 1], [1, 0]]
    >>> apply_thresholds(P, [0.5, 2.0], min_labels=1).tolist()  # class 1: never
    [[1, 0], [1, 0]]
    """
    thresholds = np.asarray(thresholds)
    Y = P >= thresholds
    if min_labels:
        empty = ~Y.any(axis=1)
        if empty.any():
            rows = np.asarray(P)[empty]
            never = np.broadcast_to(thresholds > 1.0, Y.shape[1:])
            if never.any() and not never.all():
                rows = np.where(never, -np.inf, rows)
            Y[np.flatnonzero(empty), rows.argmax(axis=1)] = True
    return Y.astype(dtype)


_TARGET_STRING = re.compile(r"\d+( \d+)*")


def _looks_like_target_strings(y):
    """Whether a 1-D ``y`` is Kaggle Target strings ('16 0'), not the labels of a binary task.

    Strings of class indices, of which one holds several ('16 0') or more than two
    distinct ones occur; two distinct single numbers stay binary labels ('1' / '2').
    """
    if y.dtype.kind not in "UO" or not len(y) or not all(isinstance(v, str) for v in y):
        return False
    values = set(y.tolist())
    return all(_TARGET_STRING.fullmatch(v) for v in values) and (
        len(values) > 2 or any(" " in v for v in values)
    )


def _check_target(y):
    """The target to fit the estimator on, as an indicator matrix, and the binary classes.

    A 2-D ``y`` is a multilabel indicator matrix (one column allowed): returned as is twice,
    with ``classes`` None. A 1-D ``y`` must be binary: the estimator is fitted on it, the
    thresholds on the indicator of ``classes[1]`` (one column).
    """
    if y is None:
        raise ValueError("ThresholdOptimizer requires y to be passed, but the target y is None")
    try:
        ndim = np.ndim(y)
    except ValueError:  # ragged lists of labels: check_multilabel_target says what to do
        ndim = None
    if hasattr(y, "toarray") or ndim != 1:
        Y = check_multilabel_target(y, name="y", allow_single_column=True)
        return Y, Y, None
    y = np.asarray(y)
    if _looks_like_target_strings(y):  # train.csv's Target column: say how to read it
        check_multilabel_target(y, name="y")
    check_classification_targets(y)
    kind = type_of_target(y, input_name="y")
    classes = np.unique(y)
    if kind != "binary" or len(classes) != 2:
        found = f"{len(classes)} class" + ("" if len(classes) == 1 else "es")
        raise ValueError(
            "Only binary classification is supported for a 1-D y (one class's threshold); "
            f"the type of the target is {kind} ({found}: {classes[:5].tolist()}). Pass a "
            "multilabel indicator matrix for several classes."
        )
    return y, (y == classes[1]).astype(np.int64)[:, None], classes
