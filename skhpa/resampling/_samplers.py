"""Multilabel resampling (Charte et al., 2015) that composes with imbalanced-learn's Pipeline.

Samplers expose ``fit_resample(X, Y)`` and no ``transform``, so
``imblearn.pipeline.Pipeline`` applies them during ``fit`` only. They
resample by index: with X a 1-D array of Ids or paths, duplicates are
duplicated Ids (no pixels copied); ``sample_indices_`` gives the rows taken.
"""

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state

from ..utils import (
    HasMethods,
    Interval,
    check_multilabel_target,
    check_n_samples,
    unique_label_sets,
    validate_parameter_constraints,
)
from ..utils import safe_indexing as _safe_indexing
from ._imbalance import _minority_and_majority


def _take(X, indices):
    from ..preprocessing import LazyImageArray

    if isinstance(X, LazyImageArray):
        return X.subset(indices)
    return _safe_indexing(X, indices)


def _take_labels(y, Y, indices):
    """The rows of the labels as given: a DataFrame stays one (like ``X``), else an array."""
    return _safe_indexing(y, indices) if hasattr(y, "iloc") else Y[indices]


class _MultilabelSampler(BaseEstimator):
    """Shared checks and plumbing; subclasses implement ``_resample_indices``."""

    def fit(self, X, y):
        """Check the inputs (resampling happens in ``fit_resample``).

        Parameters
        ----------
        X : array-like or indexable of length n_samples
            Ids, paths, images, features or a lazy image array.
        y : array-like of shape (n_samples, n_labels)
            Multilabel indicator matrix.

        Returns
        -------
        self : object
            The sampler.
        """
        self._check(X, y)
        return self

    def _check(self, X, y, **params):
        validate_parameter_constraints(
            self._parameter_constraints,
            self.get_params(deep=False),
            caller_name=type(self).__name__,
        )
        if "sample_weight" in params:
            raise ValueError(
                f"{type(self).__name__} does not support sample_weight: resampling would "
                "misalign it with the samples. Resample first, then compute weights."
            )
        if params:
            raise TypeError(f"unexpected fit_resample parameter(s): {sorted(params)}")
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y (a multilabel indicator matrix)")
        Y = check_multilabel_target(y, name="y")
        check_n_samples(X, Y)
        return Y

    def fit_resample(self, X, y, **params):
        """Resample ``X`` and ``y``.

        Parameters
        ----------
        X : array-like or indexable of length n_samples
            Ids, paths, images, features or a lazy image array.
        y : array-like of shape (n_samples, n_labels)
            Multilabel indicator matrix.
        **params : dict
            Accepted for imbalanced-learn's API; none is supported
            (``sample_weight`` raises an error: resample first, then weight).

        Returns
        -------
        X_resampled, y_resampled
            ``X`` and ``y`` taken at ``sample_indices_``.
        """
        Y = self._check(X, y, **params)
        rng = check_random_state(self.random_state)
        idx = self._resample_indices(Y, rng)
        self.sample_indices_ = idx
        return _take(X, idx), _take_labels(y, Y, idx)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "sampler"
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags


class MLROS(_MultilabelSampler):
    """Multilabel random oversampling (Charte et al., 2015).

    Labels whose imbalance ratio IRLbl is above the mean (MeanIR) are
    minority labels. Samples carrying them are cloned, taking the minority
    labels in turn, until ``sampling_ratio * n_samples`` clones were added; a
    label leaves the rotation once its IRLbl reaches MeanIR. When all have
    left before enough clones were made (on HPA labels the five rarest classes
    reach MeanIR after about 365 clones), IRLbl and MeanIR are recomputed on
    the resampled counts and the rotation restarts, so the output has
    ``n_samples + round(sampling_ratio * n_samples)`` rows (fewer, with a warning,
    only when no label is rarer than the others, e.g. one label column). Clones are
    existing rows, so no new label set appears.

    Parameters
    ----------
    sampling_ratio : float, default=0.1
        Clones added, as a share of the input size.
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    sample_indices_ : ndarray
        Rows of the input in the output (originals first, then clones).

    Examples
    --------
    >>> from skhpa.datasets import hpa_label_matrix
    >>> from skhpa.resampling import MLROS, imbalance_report
    >>> Y = hpa_label_matrix(random_state=0)
    >>> ids = [f"id{i}" for i in range(len(Y))]
    >>> ids_res, Y_res = MLROS(sampling_ratio=0.1, random_state=0).fit_resample(ids, Y)
    >>> len(ids_res) - len(ids), imbalance_report(Y_res)["MeanIR"] < imbalance_report(Y)["MeanIR"]
    (3107, True)
    """

    _parameter_constraints = {
        "sampling_ratio": [Interval(numbers.Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(self, *, sampling_ratio=0.1, random_state=None):
        self.sampling_ratio = sampling_ratio
        self.random_state = random_state

    def _resample_indices(self, Y, rng):
        Yb = Y.astype(bool)
        n = len(Y)
        to_clone = int(round(self.sampling_ratio * n))
        counts = Yb.sum(0).astype(np.int64)
        bags = {k: np.flatnonzero(Yb[:, k]) for k in np.flatnonzero(counts)}
        clones = []
        while to_clone > 0:
            # The paper's rotation; when every minority label has reached MeanIR
            # before the requested number of clones, MeanIR and the minority set
            # are recomputed on the resampled counts, so the output size always
            # matches sampling_ratio.
            mean_ir, minority, _ = _minority_and_majority(counts)
            minority = list(np.flatnonzero(minority))
            if not minority:  # one label, or all equally frequent: none to catch up
                warnings.warn(
                    f"MLROS cloned {len(clones)} of the {len(clones) + to_clone} samples that "
                    f"sampling_ratio={self.sampling_ratio} asks for: then no label was rarer "
                    "than the others (one label column, or all equally frequent)",
                    UserWarning,
                    stacklevel=4,
                )
                break
            while to_clone > 0 and minority:
                for k in list(minority):
                    if to_clone <= 0:
                        break
                    i = int(bags[k][rng.randint(len(bags[k]))])
                    clones.append(i)
                    counts += Yb[i]
                    to_clone -= 1
                    if counts.max() / counts[k] <= mean_ir:
                        minority.remove(k)
        return np.concatenate([np.arange(n), np.array(clones, dtype=np.int64)])


class MLRUS(_MultilabelSampler):
    """Multilabel random undersampling (Charte et al., 2015).

    Labels with IRLbl below MeanIR are majority labels. Samples carrying them
    are removed, taking the majority labels in turn, until
    ``sampling_ratio * n_samples`` samples were removed; a label leaves the
    rotation once its IRLbl reaches MeanIR. With ``keep_minority=True``
    (default) samples that also carry a minority label are never removed (the
    paper removes them too, which can erase rare labels).

    Parameters
    ----------
    sampling_ratio : float, default=0.1
    keep_minority : bool, default=True
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> from skhpa.datasets import hpa_label_matrix
    >>> from skhpa.resampling import MLRUS
    >>> Y = hpa_label_matrix(random_state=0)
    >>> _, Y_res = MLRUS(sampling_ratio=0.1, random_state=0).fit_resample(list(range(len(Y))), Y)
    >>> len(Y) - len(Y_res), int(Y_res[:, 27].sum())  # rods & rings images are all kept
    (3107, 11)
    """

    _parameter_constraints = {
        "sampling_ratio": [Interval(numbers.Real, 0, 1, closed="neither")],
        "keep_minority": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, *, sampling_ratio=0.1, keep_minority=True, random_state=None):
        self.sampling_ratio = sampling_ratio
        self.keep_minority = keep_minority
        self.random_state = random_state

    def _resample_indices(self, Y, rng):
        Yb = Y.astype(bool)
        n = len(Y)
        to_delete = int(round(self.sampling_ratio * n))
        counts = Yb.sum(0).astype(np.int64)
        mean_ir, minority, majority = _minority_and_majority(counts)
        majority = list(np.flatnonzero(majority))
        protected = Yb[:, minority].any(1) if self.keep_minority else np.zeros(n, bool)
        alive = np.ones(n, dtype=bool)
        bags = {k: list(rng.permutation(np.flatnonzero(Yb[:, k] & ~protected))) for k in majority}
        while to_delete > 0 and majority:
            progressed = False
            for k in list(majority):
                if to_delete <= 0:
                    break
                bag = bags[k]
                while bag and not alive[bag[-1]]:
                    bag.pop()
                if not bag:
                    majority.remove(k)
                    continue
                i = bag.pop()
                alive[i] = False
                counts -= Yb[i]
                to_delete -= 1
                progressed = True
                if counts[k] == 0 or counts.max() / counts[k] >= mean_ir:
                    majority.remove(k)
            if not progressed:
                break
        return np.flatnonzero(alive)


class LabelPowersetSampler(_MultilabelSampler):
    """Apply any imbalanced-learn sampler to label sets (the label powerset).

    Each distinct label set becomes one class; the wrapped sampler
    (``RandomOverSampler``, ``RandomUnderSampler``, ...) balances those
    classes, and the result is mapped back to the indicator matrix. The
    sampler is fitted once: on ``X`` itself when it is a 2-D numeric matrix
    (features such as CNN embeddings: samplers that measure distances or
    synthesize new rows, SMOTE and relatives, need it), otherwise on the row
    numbers as the single feature, so X can be Ids, paths or images; then only
    samplers that select rows (they expose ``sample_indices_``) are accepted.

    Parameters
    ----------
    sampler : imbalanced-learn sampler
        Any object with ``fit_resample``.

    Attributes
    ----------
    sampler_ : imbalanced-learn sampler
        The fitted clone of ``sampler``.
    sample_indices_ : ndarray
        Rows of the input in the output, when the sampler selects rows.

    Examples
    --------
    >>> import numpy as np
    >>> from imblearn.over_sampling import RandomOverSampler
    >>> from skhpa.resampling import LabelPowersetSampler
    >>> Y = np.array([[1, 0]] * 6 + [[1, 1]] * 2 + [[0, 1]] * 2)
    >>> ids = np.arange(10)
    >>> sampler = LabelPowersetSampler(RandomOverSampler(random_state=0))
    >>> ids_res, Y_res = sampler.fit_resample(ids, Y)
    >>> sorted(np.unique(Y_res, axis=0, return_counts=True)[1].tolist())
    [6, 6, 6]
    """

    _parameter_constraints = {"sampler": [HasMethods(["fit_resample"])]}

    def __init__(self, sampler):
        self.sampler = sampler

    def fit_resample(self, X, y, **params):
        """Resample the label sets with the wrapped sampler (fitted once).

        With 2-D numeric ``X`` (features) the sampler is fitted on ``X``, so
        samplers that measure distances or make new rows see the features;
        otherwise (Ids, paths, images) on the row numbers, and only samplers
        that select rows are accepted.

        Parameters
        ----------
        X : array-like or indexable of length n_samples
            Ids, paths, images, features or a lazy image array.
        y : array-like of shape (n_samples, n_labels)
            Multilabel indicator matrix.
        **params : dict
            Accepted for imbalanced-learn's API; none is supported
            (``sample_weight`` raises an error: resample first, then weight).

        Returns
        -------
        X_resampled, y_resampled
            The resampled samples and their label sets.
        """
        Y = self._check(X, y, **params)
        sets, classes, _ = unique_label_sets(Y)
        sampler = clone(self.sampler)
        features = _numeric_2d(X)
        if features is not None:
            X_res, c_res = sampler.fit_resample(features, classes)
        else:
            name = type(self.sampler).__name__
            params = sampler.get_params(deep=False) if hasattr(sampler, "get_params") else {}
            if {"k_neighbors", "n_neighbors"} & set(params):
                raise ValueError(
                    f"{name} measures distances between samples; on Ids, paths or images it "
                    "would measure row numbers: it needs 2-D numeric X (e.g. CNN embeddings)"
                )
            try:
                sampler.fit_resample(np.arange(len(Y)).reshape(-1, 1), classes)
            except ValueError as exc:
                raise ValueError(
                    f"{name} failed on the row numbers that stand for Ids, paths or images "
                    f"({exc}); samplers that select rows at random (RandomOverSampler, "
                    "RandomUnderSampler) work on them, the others need 2-D numeric X"
                ) from exc
            if not hasattr(sampler, "sample_indices_"):
                raise ValueError(
                    f"{type(self.sampler).__name__} creates new samples; it needs 2-D numeric X "
                    "(e.g. CNN embeddings), not Ids or images"
                )
        self.sampler_ = sampler
        if hasattr(sampler, "sample_indices_"):
            self.sample_indices_ = np.asarray(sampler.sample_indices_)
        elif hasattr(self, "sample_indices_"):
            del self.sample_indices_
        if features is None:
            return _take(X, self.sample_indices_), _take_labels(y, Y, self.sample_indices_)
        return X_res, sets[c_res].astype(Y.dtype)


def _numeric_2d(X):
    """``X`` as an array when it is a 2-D numeric matrix (features), else None.

    Never converts a lazy image array or other N-D input (that would load it).
    """
    ndim = getattr(X, "ndim", None)
    if ndim is not None and ndim != 2:
        return None
    Xa = np.asarray(X)
    if Xa.ndim != 2 or not np.issubdtype(Xa.dtype, np.number):
        return None
    return Xa


class MLSMOTE(_MultilabelSampler):
    """Multilabel SMOTE (Charte et al., 2015) for feature vectors such as CNN embeddings.

    For every minority label (IRLbl > MeanIR), each sample carrying it gets a
    synthetic neighbour: features interpolated at random between the sample
    and one of its ``k_neighbors`` nearest neighbours among the samples with
    that label; labels by the paper's ranking rule (a label is kept when it
    appears in more than half of the sample and its neighbours).

    Parameters
    ----------
    k_neighbors : int, default=5
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.resampling import MLSMOTE
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 3)); Y = np.zeros((60, 2), int); Y[:50, 0] = 1; Y[50:, 1] = 1
    >>> X_res, Y_res = MLSMOTE(k_neighbors=3, random_state=0).fit_resample(X, Y)
    >>> X_res.shape, int(Y_res[:, 1].sum())
    ((70, 3), 20)
    """

    _parameter_constraints = {
        "k_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, *, k_neighbors=5, random_state=None):
        self.k_neighbors = k_neighbors
        self.random_state = random_state

    def fit_resample(self, X, y, **params):
        """Append synthetic samples for the minority labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric features.
        y : array-like of shape (n_samples, n_labels)
            Multilabel indicator matrix.
        **params : dict
            Accepted for imbalanced-learn's API; none is supported
            (``sample_weight`` raises an error: resample first, then weight).

        Returns
        -------
        X_resampled, y_resampled
            ``X`` and ``y`` followed by the synthetic samples.
        """
        Y = self._check(X, y, **params)
        X = _numeric_2d(X)
        if X is None:
            raise ValueError("MLSMOTE needs 2-D numeric X (feature vectors, e.g. CNN embeddings)")
        rng = check_random_state(self.random_state)
        Yb = Y.astype(bool)
        _, minority, _ = _minority_and_majority(Yb.sum(0))
        new_X, new_Y = [], []
        for k in np.flatnonzero(minority):
            bag = np.flatnonzero(Yb[:, k])
            if len(bag) < 2:
                continue
            nn = NearestNeighbors(n_neighbors=min(self.k_neighbors, len(bag) - 1) + 1).fit(X[bag])
            _, neigh = nn.kneighbors(X[bag])
            neigh = bag[neigh[:, 1:]]
            for j, i in enumerate(bag):
                ref = neigh[j, rng.randint(neigh.shape[1])]
                new_X.append(X[i] + rng.rand() * (X[ref] - X[i]))
                votes = Yb[i].astype(int) + Yb[neigh[j]].sum(0)
                labels = votes > (neigh.shape[1] + 1) / 2
                labels[k] = True
                new_Y.append(labels)
        self.sample_indices_ = np.arange(len(Y))
        if not new_X:
            return X.copy(), Y.copy()
        return (
            np.vstack(
                [
                    X,
                    np.array(
                        new_X, dtype=X.dtype if np.issubdtype(X.dtype, np.floating) else float
                    ),
                ]
            ),
            np.vstack([Y, np.array(new_Y, dtype=Y.dtype)]),
        )
