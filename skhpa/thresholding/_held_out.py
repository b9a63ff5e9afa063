"""The held-out protocol of ``ThresholdOptimizer(cv=<float>)``: validation data and blend weights.

A model tuned on one held-out part (``cv=0.2``) is trained on the rest, and the
held-out part does two jobs besides the thresholds: the networks score it after
every epoch (their ``X_val`` and ``y_val``), and a
:class:`~skhpa.ensemble.ProbabilityBlend` with ``weights="tuned"`` learns its
weights on it. The estimators say what they take through class-level hooks
(``__skhpa_validation_fit_params__``, ``tune_weights``), so this layer imports
neither the networks nor the blend (both import ``skhpa.thresholding``).
"""

from sklearn.pipeline import Pipeline

from ..utils import safe_indexing


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
    An imbalanced-learn sampler in it resamples the training part only, as in
    ``imblearn.pipeline.Pipeline.fit``; the held-out part passes it unchanged.
    """
    fit_params = fit_params or {}
    if (
        not fit_params  # the user's fit parameters are routed by Pipeline.fit itself
        and isinstance(estimator, Pipeline)
        and len(estimator) > 1
        and estimator.memory is None  # with memory, Pipeline.fit fits clones of the steps
        and validation_fit_params(estimator[-1], X_val, Y_val)
    ):
        # the same step objects: fitting them fits them in the pipeline
        Xt, Yt, Xt_val = X, Y, X_val
        for _, step in estimator.steps[:-1]:
            if step is None or step == "passthrough":
                continue
            if hasattr(step, "fit_resample"):  # an imbalanced-learn sampler: in fit only
                Xt, Yt = step.fit_resample(Xt, Yt)
            else:
                Xt = step.fit_transform(Xt, Yt)
                Xt_val = step.transform(Xt_val)
        estimator[-1].fit(Xt, Yt, **validation_fit_params(estimator[-1], Xt_val, Y_val))
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
