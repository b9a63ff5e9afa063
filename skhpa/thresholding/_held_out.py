"""The held-out protocol of ``ThresholdOptimizer(cv=<float>)``: validation data and blend weights.

A model tuned on one held-out part (``cv=0.2``) is trained on the rest, and the
held-out part does two jobs besides the thresholds: the networks score it after
every epoch (their ``X_val`` and ``y_val``), and a
:class:`~skhpa.ensemble.ProbabilityBlend` with ``weights="tuned"`` learns its
weights on it. The estimators say what they take through class-level hooks
(``__skhpa_validation_fit_params__``, ``tune_weights``), so this layer imports
neither the networks nor the blend (both import ``skhpa.thresholding``).
"""

import warnings

from sklearn.pipeline import Pipeline

from ..utils import safe_indexing


def held_out_split(X, Y, size, random_state, groups=None):
    """``(train, test)`` indices: a multilabel-stratified held-out share ``size``.

    With ``groups``, the held-out part is the first fold of a shuffled
    :class:`~skhpa.model_selection.MultilabelStratifiedGroupKFold` with
    ``round(1 / size)`` folds, so that no group is on both sides.
    """
    import numpy as np

    from ..model_selection import MultilabelStratifiedGroupKFold, MultilabelStratifiedShuffleSplit

    index = np.zeros(len(Y))
    if groups is None:
        cv = MultilabelStratifiedShuffleSplit(1, test_size=size, random_state=random_state)
        return next(cv.split(index, Y))
    n_splits = max(2, int(round(1 / size)))
    cv = MultilabelStratifiedGroupKFold(n_splits, shuffle=True, random_state=random_state)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train, test = next(cv.split(index, Y, groups))
    for w in caught:  # the user set a share, not n_splits: say where the folds come from
        warnings.warn(
            f"a held-out share of {size} with groups is one of {n_splits} group folds: {w.message}",
            w.category,
            stacklevel=4,
        )
    return train, test


def fit_on_held_out(estimator, X, Y, train, test, fit_params):
    """Fit ``estimator`` on ``train``; its networks score ``test``; a tuned blend learns there."""
    X_val = safe_indexing(X, test)
    fit_with_validation(estimator, safe_indexing(X, train), Y[train], X_val, Y[test], fit_params)
    tune_blend_weights(estimator, X_val, Y[test])
    return estimator


def fit_with_validation(estimator, X, Y, X_val, Y_val, fit_params=None):
    """``estimator.fit(X, Y)``, its networks scoring ``(X_val, Y_val)`` after every epoch.

    A Pipeline (without ``memory``) whose final step takes validation data is fitted as
    ``Pipeline.fit`` would, step by step, so that the held-out part can go through the
    fitted earlier steps (e.g. an :class:`~skhpa.preprocessing.ImageLoader`) to the network.
    """
    fit_params = fit_params or {}
    if (
        not fit_params  # the user's fit parameters are routed by Pipeline.fit itself
        and isinstance(estimator, Pipeline)
        and len(estimator) > 1
        and estimator.memory is None  # with memory, Pipeline.fit fits clones of the steps
        and validation_fit_params(estimator[-1], X_val, Y_val)
    ):
        head = estimator[:-1]  # the same step objects: fitting it fits them in the pipeline
        Xt = head.fit_transform(X, Y)
        Xt_val = head.transform(X_val)
        estimator[-1].fit(Xt, Y, **validation_fit_params(estimator[-1], Xt_val, Y_val))
        return estimator
    return estimator.fit(X, Y, **fit_params, **validation_fit_params(estimator, X_val, Y_val))


def validation_fit_params(estimator, X_val, Y_val):
    """Fit parameters that give the held-out part to the networks, as validation data.

    An :class:`~skhpa.HPAClassifier` gets ``X_val`` and ``y_val`` directly (it
    only scores them with ``patience=None``); a ProbabilityBlend routes them to
    its members (``<name>__X_val``); a Pipeline only to a final step with
    nothing before it that would have to transform them (its earlier steps are
    not fitted yet; :func:`fit_with_validation` fits them first). Other
    estimators get nothing, also those whose ``fit`` takes ``X_val`` for
    another purpose (scikit-learn's HistGradientBoosting models would switch on
    early stopping).
    """
    if isinstance(estimator, Pipeline):
        steps = [(n, s) for n, s in estimator.steps if s not in (None, "passthrough")]
        if len(steps) != 1:
            return {}
        name, final = steps[0]
        return {f"{name}__{k}": v for k, v in validation_fit_params(final, X_val, Y_val).items()}
    # the estimators that take validation data say so (HPAClassifier, ProbabilityBlend):
    # this layer does not import theirs
    hook = getattr(type(estimator), "__skhpa_validation_fit_params__", None)
    if hook is None:
        return {}
    return hook(estimator, X_val, Y_val, validation_fit_params)


def tune_blend_weights(estimator, X, Y):
    """Learn the weights of a ProbabilityBlend(weights="tuned") (alone or ending a Pipeline)."""
    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    # looked up on the class: a FrozenEstimator forwards attributes to the blend it wraps,
    # whose weights must stay as they were fitted
    tunable = callable(getattr(type(final), "tune_weights", None))
    if not (tunable and isinstance(getattr(final, "weights", None), str)):
        return
    if isinstance(estimator, Pipeline) and len(estimator) > 1:
        X = estimator[:-1].transform(X)
    final.tune_weights(X, Y)
