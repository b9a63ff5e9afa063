"""ThresholdOptimizer: per-class decision thresholds for any multilabel estimator."""

import numbers

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import indexable
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ..model_selection import check_multilabel_cv, held_out_split
from ..utils import (
    HasMethods,
    Interval,
    MacroF1ScoreMixin,
    StrOptions,
    check_n_samples,
    fit_context,
    fitted_attributes,
    set_fitted_attributes,
    set_multilabel_tags,
)
from ._decision import _check_target, apply_thresholds
from ._proba import _fit_and_predict, ensemble_proba, multilabel_proba
from ._threshold_learning import ThresholdLearningMixin


def _is_frozen(estimator):
    try:
        from sklearn.frozen import FrozenEstimator
    except ImportError:  # scikit-learn < 1.6
        return False
    return isinstance(estimator, FrozenEstimator)


def _is_share(cv):
    """``cv`` is a held-out share (a float in (0, 1)), not a number of folds."""
    return isinstance(cv, numbers.Real) and not isinstance(cv, numbers.Integral)


def _say(k, n_splits, test, held_out):
    if held_out:
        return f"holding out {len(test)} samples for the thresholds"
    return f"fold {k} of {n_splits}"


def _estimator_has(attr):
    def check(self):
        fitted = getattr(self, "estimators_", None)
        est = fitted[0] if fitted else getattr(self, "estimator_", self.estimator)
        return hasattr(est, attr)

    return check


class ThresholdOptimizer(
    MacroF1ScoreMixin,
    ThresholdLearningMixin,
    MetaEstimatorMixin,
    ClassifierMixin,
    BaseEstimator,
):
    """Learn one decision threshold per class for a multilabel estimator.

    A single 0.5 threshold badly under-predicts rare classes and wrecks
    macro-F1, the HPA metric. This meta-estimator gets out-of-fold
    probabilities from a multilabel-stratified cross-validation (or uses an
    already fitted estimator), chooses the thresholds, and refits the
    estimator on all the data, or, with ``refit=False``, keeps the fold
    models as an ensemble (the mean of their probabilities). Macro-F1 is the
    mean of per-class F1 and each class's F1 depends on its own threshold
    only, so the search splits into one exact 1-D search per class on a
    single probability matrix.

    Parameters
    ----------
    estimator : estimator object
        A multilabel estimator with ``fit`` and ``predict_proba`` (HPAClassifier,
        MLPClassifier, ``OneVsRestClassifier(LogisticRegression())``, a Pipeline
        ending in one, ...). Wrap a fitted one in
        :class:`sklearn.frozen.FrozenEstimator`, or pass ``cv="prefit"``, to
        learn thresholds without refitting it.
    scoring : {"f1", "fbeta"} or callable, default="f1"
        Per-class score to maximize. ``"fbeta"`` uses ``beta``. A callable
        ``score(y_true_column, y_pred_column) -> float`` is evaluated on a grid
        of candidate thresholds (see ``thresholds``).
    beta : float, default=1.0
        Beta of ``scoring="fbeta"`` (and of the scores reported for
        ``"label_ratio"``).
    strategy : {"per_class", "global", "label_ratio"}, default="per_class"
        - ``"per_class"``: each class's threshold maximizes its own score.
        - ``"global"``: one threshold for all classes, maximizing macro-F-beta.
        - ``"label_ratio"``: each class's predicted-positive rate on the tuning
          data matches its frequency in ``Y`` (or ``prior``), as the 2018
          winner and the third place did.
    shrinkage : float, default=0.0
        With ``strategy="per_class"``, pulls each class's threshold toward the
        global threshold: ``t_k = w_k * global + (1 - w_k) * own_k`` with
        ``w_k = shrinkage / (shrinkage + n_k)``, where ``n_k`` is the number of
        positives of class ``k`` in the tuning data. ``shrinkage`` is a
        pseudo-count of positives: a class with that many positives ends
        halfway; a rare class, whose own best threshold mostly fits the noise
        of its few positives, ends near the global one; a frequent class keeps
        almost its own. 0 gives plain per-class thresholds, a very large value
        the global one. Ignored by the other strategies.
    max_label_ratio : float, default=None
        Cap on how often a class is predicted: on the tuning data, each
        class's predicted-positive rate is at most ``max_label_ratio`` times
        its frequency in ``y`` (or ``prior``); a threshold that would predict
        the class more often is raised to the label-ratio threshold of that
        rate. F-beta-optimal thresholds of a weak or rare class often predict
        it for most images (for a class the model cannot separate, "always"
        beats "never"); the cap keeps the number of labels per image near the
        truth. None: no cap. Applies to every strategy (after ``shrinkage``).
    cv : int, float, cross-validation generator, iterable or "prefit", default=5
        An int gives a multilabel-stratified K-fold, shuffled with
        ``random_state`` (without one, the same folds at every fit, as
        scikit-learn's int ``cv``). A float in (0, 1) holds out that share
        of the data, multilabel-stratified (with ``groups``: one of
        ``round(1 / cv)`` group folds), as scikit-learn's
        :class:`~sklearn.model_selection.TunedThresholdClassifierCV` does: the
        estimator is fitted on the rest, and the held-out part also becomes
        its networks' validation data (``X_val`` and ``y_val`` of an
        :class:`~skhpa.HPAClassifier`, alone, ending a Pipeline or in a
        :class:`~skhpa.ensemble.ProbabilityBlend`) and tunes a blend's
        ``"tuned"`` weights; :func:`skhpa.recipes.fit_with_thresholds` uses it
        with ``refit=False``. With ``"prefit"`` (or a FrozenEstimator) the
        estimator is used as fitted and the thresholds are learned on the
        data passed to ``fit``.
    refit : bool, default=True
        Refit the estimator on all the data after the search. With ``False``
        nothing is refit: the model of each split is kept in ``estimators_``
        and ``predict_proba`` is the mean of their probabilities (a fold
        ensemble: with ``cv=K``, K models for the price of the
        cross-validation the thresholds need anyway, whose out-of-fold
        probabilities are exactly what the thresholds are learned on). Not
        used with ``cv="prefit"``. Whether K fold models beat one model
        refit on all the data depends on the training budget: each fold
        model trains on ``(K - 1) / K`` of the data, and an ensemble of
        under-trained networks loses to one network trained as long as all
        of them (see the fold-ensemble benchmark). With ``True`` the
        thresholds learned on the fold models' probabilities are applied to
        the refit model; a network trained as many epochs on more data gives
        higher probabilities, so it predicts more labels than the thresholds
        were tuned for (3.5-4.1 labels per image against a true 1.6 in that
        benchmark, where the fold ensemble predicted 1.6). Learning the
        thresholds on a held-out part predicted by the model itself
        (:func:`skhpa.recipes.fit_with_thresholds`) avoids the mismatch.
    min_labels : {0, 1}, default=0
        With 1, a sample with no class above its threshold gets its most
        probable class. Not used with a 1-D binary ``y``.
    thresholds : "exact", int or array-like, default="exact"
        Candidate thresholds. ``"exact"`` evaluates every distinct probability
        (exact for F-beta; for a callable ``scoring`` the distinct values, or
        200 quantiles when there are more). An int gives that many evenly
        spaced values between a class's lowest and highest probability; an
        array gives fixed candidates.
    prior : array-like of shape (n_classes,), default=None
        Target positive rates for ``"label_ratio"`` and ``max_label_ratio``
        (for example the frequencies of a larger data set than the one
        passed to ``fit``); when None, the class frequencies of all of ``y``
        passed to ``fit``, also when a held-out part of it tunes the
        thresholds.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib; any joblib backend, Dask included).
        Keep None for GPU estimators.
    random_state : int, RandomState instance or None, default=None
        Seed of the fold shuffling when ``cv`` is an int (None: no shuffling).
    verbose : int, default=0
        With 1 or more, one line before each fold's fit and before the refit
        (``[ThresholdOptimizer] fold 2 of 5: fitting on 800 samples``), so that the
        inner estimator's own output (a network's epoch table) says which model
        it belongs to.

    Attributes
    ----------
    estimator_ : estimator
        The estimator that ``predict`` uses (refit on all data, or the prefit
        one); with ``refit=False``, the model of the split when there is a
        single one, absent otherwise (see ``estimators_``).
    estimators_ : list of estimators
        Only with ``refit=False`` (and not prefit): the model fitted on each
        split, in split order; ``predict_proba`` averages their probabilities.
    thresholds_ : ndarray of shape (n_classes,)
        The decision threshold of each class.
    best_scores_ : ndarray of shape (n_classes,)
        Each class's score at its threshold on the tuning data.
    fallback_ : ndarray of shape (n_classes,) of bool
        Classes that got the global threshold because the search could not
        choose (no positive example in the tuning data, no cut with a true
        positive, or a best cut that predicts every tuning sample: a ranking
        that finds the positives only as "always" does, e.g. a class whose
        positives all have the lowest probability). ``max_label_ratio`` may then
        raise their threshold like any other: a class without positives ends at
        the float just above 1 and is never predicted.
    global_threshold_ : float
        The single threshold maximizing macro-F-beta (the fallback).
    cv_results_ : dict
        ``"thresholds"`` and ``"scores"``: lists (one entry per class) of the
        candidate thresholds and their scores.
    classes_ : ndarray of shape (n_classes,) or (2,)
        The label indices; for a 1-D binary ``y``, its two labels (sorted).
    n_features_in_ : int
        The inner estimator's, when it has one.
    feature_names_in_ : ndarray of shape (n_features,)
        The inner estimator's column names, when it was fitted on a DataFrame.
    label_frequencies_ : ndarray of shape (n_classes,)
        Each class's frequency in the ``y`` passed to ``fit`` (their sum is the
        training set's labels per sample).
    oof_proba_ : ndarray of shape (n_samples, n_classes)
        The probabilities the thresholds were learned on (NaN rows for samples
        no split put in a test set).

    Notes
    -----
    Ties: when several thresholds reach the best score, the one closest to
    the global threshold is kept. A class without positives in the tuning data
    (or whose best score is 0) gets the global threshold. Thresholds lie
    halfway between the last probability predicted positive and the next lower
    one.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from skhpa import ThresholdOptimizer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 4))
    >>> Y = np.stack([X[:, 0] > 1.2, X[:, 1] > 0], axis=1).astype(int)
    >>> opt = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3,
    ...                          random_state=0).fit(X, Y)
    >>> opt.thresholds_.shape, opt.predict(X[:2]).shape
    ((2,), (2, 2))

    A fold ensemble with per-class thresholds shrunk toward the global one:

    >>> ens = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3,
    ...                          refit=False, shrinkage=10, random_state=0).fit(X, Y)
    >>> len(ens.estimators_)
    3
    >>> P = np.mean([e.predict_proba(X[:2]) for e in ens.estimators_], axis=0)
    >>> bool(np.allclose(ens.predict_proba(X[:2]), P))
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "scoring": [StrOptions({"f1", "fbeta"}), callable],
        "beta": [Interval(numbers.Real, 0, None, closed="neither")],
        "strategy": [StrOptions({"per_class", "global", "label_ratio"})],
        "shrinkage": [Interval(numbers.Real, 0, None, closed="left")],
        "max_label_ratio": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "cv": [
            Interval(numbers.Real, 0, 1, closed="neither"),
            "cv_object",
            StrOptions({"prefit"}),
        ],
        "refit": ["boolean"],
        "min_labels": [Interval(numbers.Integral, 0, 1, closed="both")],
        "thresholds": [
            StrOptions({"exact"}),
            Interval(numbers.Integral, 2, None, closed="left"),
            "array-like",
        ],
        "prior": ["array-like", None],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator,
        *,
        scoring="f1",
        beta=1.0,
        strategy="per_class",
        shrinkage=0.0,
        max_label_ratio=None,
        cv=5,
        refit=True,
        min_labels=0,
        thresholds="exact",
        prior=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.scoring = scoring
        self.beta = beta
        self.strategy = strategy
        self.shrinkage = shrinkage
        self.max_label_ratio = max_label_ratio
        self.cv = cv
        self.refit = refit
        self.min_labels = min_labels
        self.thresholds = thresholds
        self.prior = prior
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, groups=None, **fit_params):
        """Learn the thresholds (and refit the estimator).

        Parameters
        ----------
        X : array-like or indexable of length n_samples
            Whatever the estimator takes (features, images, Ids for a Pipeline
            that starts with an ImageLoader).
        y : array-like of shape (n_samples, n_classes) or (n_samples,)
            Multilabel 0/1 indicator matrix (one column or more), or a 1-D binary
            target (any two labels; one threshold, for ``classes_[1]``). The estimator
            is fitted on ``y`` as given.
        groups : array-like of shape (n_samples,), default=None
            Group of each sample (e.g. :func:`~skhpa.model_selection.duplicate_groups`),
            passed to the splitter; with an int ``cv`` the folds become a
            :class:`~skhpa.model_selection.MultilabelStratifiedGroupKFold`, so
            no group is on both sides of a split.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : ThresholdOptimizer
        """
        # a refit must not keep stale models (or the names of another fit's columns)
        for attr in ("estimator_", "estimators_", "n_features_in_", "feature_names_in_"):
            self.__dict__.pop(attr, None)
        X, y = indexable(X, y)
        y_fit, Y, classes = _check_target(y)
        check_n_samples(X, Y)
        self._y_dtype = Y.dtype
        self._y_ndim = y_fit.ndim
        n, q = Y.shape
        prefit = isinstance(self.cv, str) or _is_frozen(self.estimator)  # "prefit"
        held_out = _is_share(self.cv) and not prefit
        if prefit:
            if not _is_frozen(self.estimator):
                check_is_fitted(self.estimator)
            self.estimator_ = self.estimator
            P = multilabel_proba(self.estimator_, X, q == 1)
            tuned = np.ones(n, dtype=bool)
        else:
            if held_out:
                splits = [held_out_split(Y, self.cv, self.random_state, groups)]
            else:
                cv = check_multilabel_cv(self.cv, self.random_state, grouped=groups is not None)
                # the multilabel splitters made from an int take the indicator matrix; a
                # given splitter takes y as given (a StratifiedKFold for a 1-D binary y)
                splits = list(cv.split(X, Y if cv is not self.cv else y_fit, groups))
            keep = not self.refit  # the fold models are the model
            results = Parallel(n_jobs=self.n_jobs)(
                delayed(_fit_and_predict)(
                    self.estimator,
                    X,
                    y_fit,
                    train,
                    test,
                    fit_params,
                    keep,
                    _say(k, len(splits), test, held_out) if self.verbose else None,
                    held_out,
                )  # fmt: skip
                for k, (train, test) in enumerate(splits, 1)
            )
            P = np.full((n, q), np.nan)
            for test, proba, _ in results:
                P[test] = proba
            tuned = ~np.isnan(P).any(axis=1)
            if self.refit:
                if self.verbose:
                    print(f"[ThresholdOptimizer] refit on all {n} samples", flush=True)
                self.estimator_ = clone(self.estimator).fit(X, y_fit, **fit_params)
            else:
                self.estimators_ = [est for _, _, est in results]
                if len(self.estimators_) == 1:
                    self.estimator_ = self.estimators_[0]
        if P.shape[1] != q:
            raise ValueError(f"the estimator predicts {P.shape[1]} classes but y has {q} columns")
        self.oof_proba_ = P
        # the cap's rates (without a prior): the frequencies of all of y, also when only a
        # held-out part of it tunes the thresholds
        self.label_frequencies_ = Y.mean(axis=0)
        self._learn_thresholds(Y[tuned], P[tuned], self.label_frequencies_)
        self.classes_ = np.arange(q) if classes is None else classes
        inner = self._fitted_estimators()[0]
        if hasattr(inner, "n_features_in_"):
            self.n_features_in_ = inner.n_features_in_
        if hasattr(inner, "feature_names_in_"):  # fitted on a DataFrame, as sklearn's own
            self.feature_names_in_ = inner.feature_names_in_
        return self

    def _fitted_estimators(self):
        if hasattr(self, "estimators_"):
            return self.estimators_
        return [self.estimator_]

    def _is_binary(self):
        return getattr(self, "_y_ndim", 2) == 1

    def _positive_proba(self, X):
        """(n_samples, n_classes) probabilities; one column for a 1-D binary target."""
        return ensemble_proba(self._fitted_estimators(), X, len(self.thresholds_) == 1)

    def predict(self, X):
        """Predict with the learned thresholds.

        Parameters
        ----------
        X : array-like or indexable of length n_samples
            What the inner estimator's ``predict_proba`` accepts.

        Returns
        -------
        y : ndarray of shape (n_samples, n_classes) or (n_samples,)
            The label indicator matrix, with the dtype of the ``y`` seen in ``fit``;
            for a 1-D binary ``y``, one of ``classes_`` per sample (``classes_[1]``
            where the probability reaches the threshold).
        """
        check_is_fitted(self, "thresholds_")
        P = self._positive_proba(X)
        if self._is_binary():
            return self.classes_[(P[:, 0] >= self.thresholds_[0]).astype(np.intp)]
        return apply_thresholds(P, self.thresholds_, self.min_labels, self._y_dtype)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Per-class probabilities of the inner estimator.

        With ``refit=False``, the mean of the fold models' probabilities.

        Parameters
        ----------
        X : array-like or indexable of length n_samples
            What the inner estimator's ``predict_proba`` accepts.

        Returns
        -------
        P : ndarray of shape (n_samples, n_classes)
            Each class's probability; for a 1-D binary ``y``, the probabilities of
            ``classes_[0]`` and ``classes_[1]`` (shape (n_samples, 2)).
        """
        check_is_fitted(self, "thresholds_")
        P = self._positive_proba(X)
        if self._is_binary():
            return np.column_stack([1.0 - P[:, 0], P[:, 0]])
        return P

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """The inner estimator's decision function (the fold models' mean with ``refit=False``).

        Parameters
        ----------
        X : array-like or indexable of length n_samples
            What the estimator takes.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            What the inner estimator returns: one score per sample for a 1-D binary ``y``.
        """
        check_is_fitted(self, "thresholds_")
        ests = self._fitted_estimators()
        if len(ests) == 1:
            return ests[0].decision_function(X)
        return np.mean([np.asarray(e.decision_function(X), dtype=float) for e in ests], axis=0)

    # -- the skhpa persistence hook (see skhpa.persistence) --------------------------
    def __skhpa_getstate__(self):
        """Fitted state for :func:`skhpa.save_model`: the fitted attributes and y's dtype."""
        state = fitted_attributes(self)
        for name in ("_y_dtype", "_y_ndim"):
            if name in vars(self):
                state[name] = getattr(self, name)
        return state

    def __skhpa_setstate__(self, state):
        """Restore what :meth:`__skhpa_getstate__` returned (used by :func:`skhpa.load_model`)."""
        set_fitted_attributes(self, state, private=("_y_dtype", "_y_ndim"))

    def __sklearn_tags__(self):
        tags = set_multilabel_tags(super().__sklearn_tags__())
        tags.target_tags.single_output = True  # a 1-D binary target: one class's threshold
        try:
            inner = self.estimator.__sklearn_tags__()
            tags.input_tags = inner.input_tags
        except AttributeError:
            pass
        return tags
