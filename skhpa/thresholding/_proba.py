"""Probabilities of multilabel estimators: both predict_proba conventions, fold ensembles."""

import numpy as np
from sklearn.base import clone

from ..utils import fit_was_interrupted, safe_indexing
from ._held_out import fit_on_held_out


def multilabel_proba(estimator, X, binary=False):
    """``predict_proba`` of a multilabel estimator as an (n_samples, n_classes) array.

    Accepts the ndarray convention (MLPClassifier, OneVsRestClassifier,
    HPAClassifier) and the list-of-(n, 2) convention (MultiOutputClassifier,
    random forests); checks that every value is a finite probability. With
    ``binary=True`` the estimator was fitted on one class (a 1-D binary target or a
    single label column) and the result is that class's column, of shape
    (n_samples, 1), whether the estimator returns (n_samples, 2) or (n_samples, 1).

    Parameters
    ----------
    estimator : fitted estimator with ``predict_proba``
    X : array-like or indexable of length n_samples
        What ``estimator.predict_proba`` accepts.
    binary : bool, default=False
        Keep only the positive class's column (see above).

    Returns
    -------
    P : ndarray of shape (n_samples, n_classes), dtype float
        The probability of each class (of the positive label, for the
        list-of-(n, 2) convention).
    """
    P = estimator.predict_proba(X)
    if binary and not isinstance(P, list):
        P = np.asarray(P)
        if P.ndim != 2 or P.shape[1] not in (1, 2):
            raise ValueError(
                f"{type(estimator).__name__}.predict_proba returned shape {P.shape} for one "
                "class; expected (n_samples, 2) or (n_samples, 1)"
            )
        P = _positive_column(P, getattr(estimator, "classes_", None))[:, None]
    if isinstance(P, list):
        classes = getattr(estimator, "classes_", None)
        if not isinstance(classes, list) or len(classes) != len(P):
            classes = [None] * len(P)
        P = np.stack([_positive_column(col, c) for col, c in zip(P, classes)], axis=1)
    P = np.asarray(P, dtype=float)
    if P.ndim != 2:
        raise ValueError(
            f"{type(estimator).__name__}.predict_proba returned shape {P.shape}; a multilabel "
            "estimator must return (n_samples, n_classes)"
        )
    bad = ~np.isfinite(P)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ValueError(
            f"predict_proba returned a non-finite value ({P[r, c]}) for sample {r}, class {c}"
        )
    out = (P < 0) | (P > 1)
    if out.any():
        r, c = np.argwhere(out)[0]
        raise ValueError(
            f"predict_proba returned {P[r, c]} for sample {r}, class {c}; probabilities must "
            "lie in [0, 1]"
        )
    return P


def _fit_and_predict(estimator, X, Y, train, test, fit_params, keep=False, say=None, held=False):
    if say:
        print(f"[ThresholdOptimizer] {say}: fitting on {len(train)} samples", flush=True)
    est = clone(estimator)
    fit_params = _fold_fit_params(fit_params, len(Y), train)
    if held:  # one held-out part: the networks' validation data, a tuned blend's weights
        fit_on_held_out(est, X, Y, train, test, fit_params)
    else:
        est.fit(safe_indexing(X, train), Y[train], **fit_params)
    if fit_was_interrupted(est):  # a network caught a Ctrl-C: do not go on to the next fold
        raise KeyboardInterrupt("a fold's fit was interrupted")
    proba = multilabel_proba(est, safe_indexing(X, test), binary=Y.ndim == 1 or Y.shape[1] == 1)
    return test, proba, est if keep else None


def ensemble_proba(estimators, X, binary=False):
    """Mean of the estimators' multilabel probabilities (a fold ensemble's ``predict_proba``).

    Parameters
    ----------
    estimators : sequence of fitted estimators with ``predict_proba``
        The members (for example one per cross-validation fold), fitted on the
        same classes; at least one.
    X : array-like or indexable of length n_samples
        What the estimators' ``predict_proba`` accepts.
    binary : bool, default=False
        The estimators were fitted on one class: keep only the positive
        class's column (see :func:`multilabel_proba`).

    Returns
    -------
    P : ndarray of shape (n_samples, n_classes), dtype float
        The unweighted mean of the members' probabilities (of shape
        (n_samples, 1) with ``binary=True``).
    """
    if len(estimators) == 1:
        return multilabel_proba(estimators[0], X, binary)
    return np.mean([multilabel_proba(est, X, binary) for est in estimators], axis=0)


def _positive_column(P, classes):
    """The positive class's probabilities from one label's ``predict_proba`` output.

    A label column that held a single class at fit has one probability column, that
    of the class it saw: scikit-learn classifiers return P(0) = 1 for a label with no
    positive in training, which is a probability of 0 for the positive class.
    """
    P = np.asarray(P)
    if P.ndim == 2 and P.shape[1] == 1 and classes is not None:
        seen = np.asarray(classes).ravel()
        if seen.size == 1:
            return P[:, 0] if seen[0] == 1 else np.zeros(P.shape[0])
    return P[:, -1]


def _fold_fit_params(fit_params, n_samples, indices):
    """One fold's fit parameters: those with one entry per sample (``sample_weight``, a
    step's ``groups``), indexed like X, as scikit-learn's cross-validation does; the rest
    unchanged."""

    def per_sample(value):
        if isinstance(value, (list, tuple)):
            return len(value) == n_samples
        shape = getattr(value, "shape", None)
        return bool(shape) and shape[0] == n_samples

    return {k: safe_indexing(v, indices) if per_sample(v) else v for k, v in fit_params.items()}
