"""ProbabilityBlend: the weighted mean of several classifiers' probabilities."""

import itertools
import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.metrics import average_precision_score
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, indexable

from ..thresholding import apply_thresholds, multilabel_proba
from ..utils import (
    Interval,
    MacroF1ScoreMixin,
    StrOptions,
    check_multilabel_target,
    check_n_samples,
    fit_context,
    fit_was_interrupted,
    fitted_attributes,
    set_fitted_attributes,
    set_multilabel_tags,
)


class ProbabilityBlend(MacroF1ScoreMixin, MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Weighted mean of several classifiers' probabilities (soft voting), multilabel too.

    Each estimator is cloned and fitted on the same ``X`` and ``y``;
    ``predict_proba`` is the weighted mean of their probabilities. It is how
    :func:`~skhpa.recipes.blend_recipe` joins the network and the
    localization-feature model, whose errors differ: on held-out data seeds
    the blend scores above either alone (:doc:`/benchmarks`). Put a
    :class:`~skhpa.ThresholdOptimizer` (or
    :func:`~skhpa.recipes.fit_with_thresholds`) around it to learn the
    decision thresholds of the blended probabilities.

    scikit-learn's ``VotingClassifier(voting="soft")`` does the same for a
    1-D target but refuses a multilabel indicator matrix, the HPA target.

    Parameters
    ----------
    estimators : list of (str, estimator)
        The named classifiers, each with ``fit`` and ``predict_proba``. Their
        parameters are reachable as ``<name>__<parameter>``, as in a Pipeline.
    weights : array-like of shape (n_estimators,), "tuned" or None, default=None
        Non-negative weight of each estimator's probabilities (normalized to
        sum to 1); None weighs them equally. ``"tuned"``: equal weights after
        ``fit``, until :meth:`tune_weights` learns them on data the estimators
        did not train on (:func:`~skhpa.recipes.fit_with_thresholds` does, on
        its held-out part).
    min_labels : {0, 1}, default=0
        Multilabel ``predict``: with 1, an image with no class at 0.5 or above
        gets its most probable class (every HPA image has at least one label).

    Attributes
    ----------
    weights_ : ndarray of shape (n_estimators,)
        The weights in use (summing to 1).
    estimators_ : list of estimators
        The fitted clones, in the order of ``estimators``.
    named_estimators_ : dict
        The same, by name.
    classes_ : ndarray
        The label indices (multilabel ``y``) or the labels of a 1-D ``y``.
    n_features_in_ : int
        Copied from the first estimator, when it has one.

    See Also
    --------
    skhpa.ThresholdOptimizer : Learns the thresholds of the blended probabilities.
    sklearn.ensemble.VotingClassifier : The same for a 1-D target.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from skhpa.ensemble import ProbabilityBlend
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 3))
    >>> Y = (X[:, :2] > 0).astype(int)
    >>> blend = ProbabilityBlend(
    ...     [("lr", OneVsRestClassifier(LogisticRegression())), ("knn", KNeighborsClassifier())],
    ...     weights=[3, 1],
    ... ).fit(X, Y)
    >>> P = 0.75 * blend.estimators_[0].predict_proba(X) + 0.25 * np.stack(
    ...     [p[:, 1] for p in blend.estimators_[1].predict_proba(X)], axis=1)
    >>> bool(np.allclose(blend.predict_proba(X), P))
    True
    >>> blend.predict(X[:2])
    array([[1, 1],
           [1, 1]])
    >>> Y[:2]
    array([[1, 1],
           [1, 1]])
    """

    _parameter_constraints = {
        "estimators": [list],
        "weights": ["array-like", StrOptions({"tuned"}), None],
        "min_labels": [Interval(numbers.Integral, 0, 1, closed="both")],
    }

    def __init__(self, estimators, *, weights=None, min_labels=0):
        self.estimators = estimators
        self.weights = weights
        self.min_labels = min_labels

    # -- parameters of the named estimators, as in a Pipeline ------------------------
    def get_params(self, deep=True):
        """Parameters of the blend and, with ``deep``, of each named estimator.

        Parameters
        ----------
        deep : bool, default=True
            Also return each named estimator (as ``<name>``) and its parameters
            (as ``<name>__<parameter>``).

        Returns
        -------
        params : dict
        """
        params = super().get_params(deep=False)
        if deep:
            for name, est in self._named():
                params[name] = est
                if hasattr(est, "get_params"):
                    for key, value in est.get_params(deep=True).items():
                        params[f"{name}__{key}"] = value
        return params

    def set_params(self, **params):
        """Set the blend's parameters, replace named estimators, or set ``<name>__<p>``.

        Parameters
        ----------
        **params : dict
            ``estimators``, ``weights``, ``min_labels``, ``<name>`` (replaces that estimator) or
            ``<name>__<parameter>``.

        Returns
        -------
        self : ProbabilityBlend
        """
        own_names = self._get_param_names()  # estimators, min_labels, weights
        own = {k: params.pop(k) for k in list(params) if k in own_names}
        super().set_params(**own)
        names = dict(self._named())
        nested = {}
        for key, value in params.items():
            name, sep, sub = key.partition("__")
            if name not in names:
                raise ValueError(
                    f"invalid parameter {name!r} for ProbabilityBlend: not one of "
                    f"{own_names} or an estimator's name ({sorted(names)})"
                )
            if sep:
                nested.setdefault(name, {})[sub] = value
            else:
                self.estimators = [(n, value if n == name else e) for n, e in self.estimators]
                names[name] = value
        for name, sub in nested.items():
            names[name].set_params(**sub)
        return self

    def _named(self):
        # the well-formed (name, estimator) pairs; fit validates the rest
        if not isinstance(self.estimators, list | tuple):
            return []
        return [
            tuple(item)
            for item in self.estimators
            if isinstance(item, tuple | list) and len(item) == 2 and isinstance(item[0], str)
        ]

    def _check_estimators(self):
        if not self.estimators:
            raise ValueError("estimators is empty: give at least one (name, estimator) pair")
        names = []
        for i, item in enumerate(self.estimators):
            if not (isinstance(item, tuple | list) and len(item) == 2 and isinstance(item[0], str)):
                raise ValueError(f"estimators[{i}] is {item!r}; expected a (name, estimator) pair")
            name, est = item
            if "__" in name or name in ("estimators", "weights"):
                raise ValueError(
                    f"estimators[{i}] is named {name!r}; a name must not contain '__' nor be "
                    "'estimators' or 'weights'"
                )
            if not (hasattr(est, "fit") and hasattr(est, "predict_proba")):
                raise ValueError(
                    f"estimators[{i}] ({name!r}, {type(est).__name__}) has no fit and predict_proba"
                )
            names.append(name)
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"estimators has repeated names: {sorted(dup)}")
        if self.weights is None or (isinstance(self.weights, str) and self.weights == "tuned"):
            return np.full(len(names), 1 / len(names))
        w = np.asarray(self.weights, dtype=float)
        if w.shape != (len(names),):
            raise ValueError(
                f"weights has shape {w.shape}; expected ({len(names)},), one per estimator"
            )
        if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"weights must be finite, non-negative and not all 0; got {w}")
        return w / w.sum()

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit a clone of each estimator on ``X`` and ``y``.

        Parameters
        ----------
        X : array-like or indexable of length n_samples
            What the estimators take (image arrays, Ids for Pipelines that start
            with an ImageLoader, ...).
        y : array-like of shape (n_samples, n_classes) or (n_samples,)
            Multilabel 0/1 indicator matrix, or a 1-D class target.
        **fit_params : dict
            ``<name>__<parameter>`` entries are passed to that estimator's ``fit``.

        Returns
        -------
        self : ProbabilityBlend

        Raises
        ------
        KeyboardInterrupt
            When a network in a member caught a Ctrl-C (it returns from its
            ``fit`` with ``interrupted_`` set, see :class:`~skhpa.HPAClassifier`)
            and members remain: they are not trained.
        """
        for attr in ("tuned_weights_", "tuned_scores_", "tuned_spreads_"):  # a refit drops it
            self.__dict__.pop(attr, None)
        self.weights_ = self._check_estimators()
        if y is None:
            raise ValueError("ProbabilityBlend requires y to be passed, but the target y is None")
        X, y = indexable(X, y)
        y_arr = np.asarray(y)
        if y_arr.shape[0] == 0:
            raise ValueError("y has 0 samples; ProbabilityBlend needs at least one to fit")
        if y_arr.ndim == 2 and y_arr.shape[1] > 1:
            y_arr = check_multilabel_target(y_arr, name="y")
            self.classes_ = np.arange(y_arr.shape[1])
            self._multilabel = True
        else:
            kind = type_of_target(y_arr, input_name="y")
            if kind not in ("binary", "multiclass"):
                raise ValueError(
                    f"Unknown label type: y is {kind}; ProbabilityBlend takes a multilabel "
                    "indicator matrix or a 1-D binary or multiclass target"
                )
            y_arr = y_arr.ravel() if y_arr.ndim == 2 else y_arr
            self.classes_ = np.unique(y_arr)
            if len(self.classes_) < 2:
                raise ValueError(
                    f"y has only one class ({self.classes_[0]!r}); a classifier needs at least "
                    "2 classes"
                )
            self._multilabel = False
        check_n_samples(X, y_arr)
        names = [name for name, _ in self._named()]
        for key in fit_params:
            if key.partition("__")[0] not in names or "__" not in key:
                raise ValueError(
                    f"fit parameter {key!r}: expected <name>__<parameter> with name in {names}"
                )
        self.estimators_ = []
        named = self._named()
        for i, (name, est) in enumerate(named):
            own = {
                k.partition("__")[2]: v for k, v in fit_params.items() if k.startswith(name + "__")
            }
            self.estimators_.append(clone(est).fit(X, y_arr, **own))
            if i + 1 < len(named) and fit_was_interrupted(self.estimators_[-1]):
                # a network caught a Ctrl-C and returned (interrupted_): do not train the
                # next members as if nothing had happened
                raise KeyboardInterrupt(f"ProbabilityBlend: fitting {name!r} was interrupted")
        first = self.estimators_[0]
        if hasattr(first, "n_features_in_"):
            self.n_features_in_ = first.n_features_in_
        return self

    def __skhpa_validation_fit_params__(self, X_val, y_val, route):
        """Validation data for each member that takes it (``<name>__X_val``, ...).

        The hook through which ThresholdOptimizer gives a held-out part to the
        networks; ``route(member, X_val, y_val)`` gives a member's own.
        """
        return {
            f"{name}__{k}": v
            for name, member in self.estimators
            for k, v in route(member, X_val, y_val).items()
        }

    def tune_weights(self, X, y, *, step=0.1):
        """Learn ``weights_`` on data the estimators did not train on.

        Tries every weight vector on a grid of the simplex (multiples of
        ``step``, summing to 1) and keeps the one whose blended probabilities
        rank best: the highest macro average precision over the classes with
        a positive in ``y`` (threshold-free, so it does not fit the few
        positives of a rare class the way a tuned threshold would). Ties go to
        the weights closest to equal.

        Parameters
        ----------
        X : array-like or indexable of length n_samples
            Held-out samples (never the ones the estimators were fitted on).
        y : array-like of shape (n_samples, n_classes)
            Their 0/1 indicator matrix.
        step : float, default=0.1
            Grid spacing of the weights.

        Returns
        -------
        self : ProbabilityBlend
            With ``weights_`` set, and ``tuned_weights_`` (each weight vector
            tried, one per row), ``tuned_scores_`` (its macro average
            precision) and ``tuned_spreads_`` (each estimator's spread of
            probabilities on ``X``: the standard deviation over the samples,
            averaged over the classes).
        """
        check_is_fitted(self, "estimators_")
        if not self._multilabel:
            raise ValueError("tune_weights needs a multilabel indicator matrix y")
        if not (0 < step <= 1 and abs(1 / step - round(1 / step)) < 1e-9):
            raise ValueError(f"step must divide 1 (0.5, 0.25, 0.1, ...); got {step}")
        Y = check_multilabel_target(np.asarray(y), name="y", n_classes=len(self.classes_))
        check_n_samples(X, Y)
        probas = [multilabel_proba(est, X) for est in self.estimators_]
        self.weights_, self.tuned_weights_, self.tuned_scores_ = best_blend_weights(
            probas, Y, step=step
        )
        self.tuned_spreads_ = np.array([float(np.mean(np.std(p, axis=0))) for p in probas])
        return self

    @property
    def named_estimators_(self):
        """The fitted estimators by name (a view of ``estimators_``, not stored twice)."""
        check_is_fitted(self, "estimators_")
        return dict(zip([name for name, _ in self._named()], self.estimators_))

    def predict_proba(self, X):
        """Weighted mean of the estimators' probabilities.

        Parameters
        ----------
        X : array-like or indexable of length n_samples

        Returns
        -------
        P : ndarray of shape (n_samples, n_classes)
            Per-class probabilities (multilabel: each class's own probability;
            1-D target: the class probabilities, rows summing to 1). Members of
            weight 0 are not asked.
        """
        check_is_fitted(self, "estimators_")
        total = None
        for w, est in zip(self.weights_, self.estimators_):
            if w == 0:
                continue  # a member the tuned weights dropped costs nothing at predict time
            if self._multilabel:
                P = multilabel_proba(est, X)
            else:
                P = np.asarray(est.predict_proba(X), dtype=float)
            if P.shape[1] != len(self.classes_):
                raise ValueError(
                    f"{type(est).__name__}.predict_proba gave {P.shape[1]} columns; the blend "
                    f"has {len(self.classes_)} classes"
                )
            total = w * P if total is None else total + w * P
        return total

    def predict(self, X):
        """Labels from the blended probabilities: each class at 0.5 (multilabel), else argmax.

        Multilabel, ``min_labels=1`` gives an image with no class at 0.5 its
        most probable one.

        Parameters
        ----------
        X : array-like or indexable of length n_samples

        Returns
        -------
        y : ndarray of shape (n_samples, n_classes) or (n_samples,)
            0/1 indicator matrix (multilabel), or one of ``classes_`` per sample.
        """
        P = self.predict_proba(X)
        if self._multilabel:
            return apply_thresholds(P, 0.5, self.min_labels, dtype=int)
        return self.classes_[P.argmax(axis=1)]

    # -- the skhpa persistence hook (see skhpa.persistence) --------------------------
    def __skhpa_getstate__(self):
        """Fitted state for :func:`skhpa.save_model`: the fitted attributes, the target kind."""
        state = fitted_attributes(self)
        if "_multilabel" in vars(self):
            state["_multilabel"] = self._multilabel
        return state

    def __skhpa_setstate__(self, state):
        """Restore what :meth:`__skhpa_getstate__` returned (used by :func:`skhpa.load_model`)."""
        set_fitted_attributes(self, state, private=("_multilabel",))

    def __sklearn_tags__(self):
        tags = set_multilabel_tags(super().__sklearn_tags__())
        tags.target_tags.single_output = True  # a 1-D target too
        tags.classifier_tags.multi_class = True
        try:  # the inputs the first estimator takes (images, Ids, features)
            tags.input_tags = self.estimators[0][1].__sklearn_tags__().input_tags
        except (AttributeError, IndexError, TypeError, ValueError):
            pass
        return tags


def _simplex_grid(k, step):
    n = int(round(1 / step))
    for combo in itertools.product(range(n + 1), repeat=k - 1):
        if sum(combo) <= n:
            yield np.array([*combo, n - sum(combo)], dtype=float) / n


def best_blend_weights(probas, Y, *, step=0.1):
    """The weights of the blend of ``probas`` with the best macro average precision on ``Y``.

    Parameters
    ----------
    probas : list of ndarray of shape (n_samples, n_classes)
        Each model's probabilities on the same held-out samples.
    Y : ndarray of shape (n_samples, n_classes)
        Their 0/1 indicator matrix.
    step : float, default=0.1
        Grid spacing of the weights on the simplex.

    Returns
    -------
    weights : ndarray of shape (n_models,)
        Summing to 1; of the best-scoring ones, the closest to equal weights.
    grid : ndarray of shape (n_tried, n_models)
        Every weight vector tried.
    scores : ndarray of shape (n_tried,)
        The macro average precision of each.

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.ensemble import best_blend_weights
    >>> rng = np.random.RandomState(0)
    >>> Y = (rng.rand(200, 3) < 0.3).astype(int)
    >>> good = 0.6 * Y + 0.4 * rng.rand(200, 3)   # ranks the positives well
    >>> noise = rng.rand(200, 3)                  # knows nothing
    >>> weights, grid, scores = best_blend_weights([noise, good], Y)
    >>> weights.tolist(), grid.shape
    ([0.1, 0.9], (11, 2))
    """
    Y = np.asarray(Y)
    cols = np.flatnonzero(Y.sum(0) > 0)
    if cols.size == 0:
        raise ValueError("y has no positive label: the blend weights cannot be learned")
    k = len(probas)
    equal = np.full(k, 1 / k)
    grid = np.array(list(_simplex_grid(k, step)))
    scores = np.array(
        [
            average_precision_score(
                Y[:, cols], sum(wi * p for wi, p in zip(w, probas))[:, cols], average="macro"
            )
            for w in grid
        ]
    )
    # the best score; among equal scores (to 1e-12), the weights closest to equal
    top = np.flatnonzero(scores >= scores.max() - 1e-12)
    best = top[np.argmin(np.abs(grid[top] - equal).sum(1))]
    return grid[best], grid, scores


def tuned_scores_text(blend):
    """Each member's held-out score and the blend's, after ``tune_weights`` ("" before).

    Weights multiply probabilities, so they are not each member's share of the
    result: a member whose probabilities hardly vary changes the ranking little
    even at a high weight. The macro average precision of each member alone and
    of the blend on the tuning data (the grid's corners and its best point) say
    what each adds, and each member's share of the blend's spread (its weight
    times the spread of its probabilities, normalized) how much it moves the
    blend.
    """
    if not hasattr(blend, "tuned_scores_"):
        return ""
    names = [name for name, _ in blend._named()]
    corners = [np.flatnonzero(np.isclose(w, 1))[0] for w in blend.tuned_weights_.T]
    text = (
        "held-out macro average precision: "
        + ", ".join(f"{n} alone {blend.tuned_scores_[c]:.3f}" for n, c in zip(names, corners))
        + f", blend {blend.tuned_scores_.max():.3f}"
    )
    spreads = getattr(blend, "tuned_spreads_", None)  # models saved before it lack it
    if spreads is not None:
        moved = np.asarray(blend.weights_) * spreads
        if moved.sum() > 0:
            shares = moved / moved.sum()
            text += "; share of the blend's spread: " + ", ".join(
                f"{n} {s:.2f}" for n, s in zip(names, shares)
            )
    return text


__all__ = ["ProbabilityBlend", "best_blend_weights"]
