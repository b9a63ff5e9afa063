"""Multilabel-stratified cross-validation splitters."""

import numbers
import warnings

import numpy as np
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import check_random_state, indexable

from ..utils import (
    CLASS_NAMES,
    Interval,
    check_multilabel_target,
    check_n_samples,
    list_some,
    num_samples,
    safe_indexing,
    validate_params,
)
from ._iterative import fix_part_sizes, iterative_assign, iterative_assign_groups


def _rng(random_state, shuffle):
    if not shuffle:
        return np.random.default_rng(0)  # fixed tie-breaks: same folds every call
    seed = check_random_state(random_state).randint(0, 2**31 - 1)
    return np.random.default_rng(seed)


def _check_y(X, y):
    if y is None:
        raise ValueError("multilabel stratification needs the label matrix: call split(X, Y)")
    Y = check_multilabel_target(y, name="Y")
    check_n_samples(X, Y, y_name="Y")
    return Y


class _NSplitsCV(BaseCrossValidator):
    """A splitter whose number of splits is its ``n_splits`` parameter."""

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of splitting iterations (``n_splits``).

        Parameters
        ----------
        X, y, groups : object, default=None
            Ignored; accepted for scikit-learn's splitter API.

        Returns
        -------
        n_splits : int
            The ``n_splits`` parameter.
        """
        return self.n_splits


class _MultilabelKFoldBase(_NSplitsCV):
    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def _check_params(self, n_samples):
        if not isinstance(self.n_splits, numbers.Integral) or self.n_splits < 2:
            raise ValueError(f"n_splits must be an int >= 2, got {self.n_splits!r}")
        if not isinstance(self.shuffle, (bool, np.bool_)):
            raise ValueError(f"shuffle must be True or False, got {self.shuffle!r}")
        if not self.shuffle and self.random_state is not None:
            raise ValueError(
                "Setting a random_state has no effect since shuffle is False. You should "
                "leave random_state to its default (None), or set shuffle=True."
            )
        if self.n_splits > n_samples:
            raise ValueError(
                f"Cannot have number of splits n_splits={self.n_splits} greater than the "
                f"number of samples: n_samples={n_samples}."
            )

    def _warn_rare(self, Y):
        pos = Y.sum(0)
        rare = np.flatnonzero((pos > 0) & (pos < self.n_splits))
        if rare.size:
            named = ""
            if Y.shape[1] == len(CLASS_NAMES):  # the HPA classes: say which they are
                named = f" ({list_some(CLASS_NAMES[k] for k in rare)})"
            warnings.warn(
                f"The least populated label(s) {rare.tolist()}{named} have fewer positives "
                f"({pos[rare].tolist()}) than n_splits={self.n_splits}; some test folds will "
                "hold none of them.",
                UserWarning,
                stacklevel=3,
            )

    def _iter_from_folds(self, folds):
        idx = np.arange(len(folds))
        for j in range(self.n_splits):
            test = folds == j
            yield idx[~test], idx[test]


class MultilabelStratifiedKFold(_MultilabelKFoldBase):
    """K-fold cross-validation stratified on every label of a multilabel target.

    Iterative stratification (Sechidis, Tsoumakas and Vlahavas, 2011): the
    label with the fewest remaining positives is handed out first, to the folds
    that still need it the most, so rare labels are spread over all folds and
    the per-fold label frequencies match the whole set's. Samples with the same
    label set are handled together, which makes a 5-fold split of the real HPA
    label matrix (31,072 x 28) take a few milliseconds.

    scikit-learn turns ``cv=5`` into an unshuffled, unstratified ``KFold`` for
    multilabel targets; pass this splitter instead.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Randomize the order in which samples are handed out (and the
        tie-breaks). Without shuffling the folds are still balanced and are the
        same on every call.
    random_state : int, RandomState instance or None, default=None
        Seed used when ``shuffle=True``.

    See Also
    --------
    MultilabelStratifiedGroupKFold : The same, keeping groups in one fold.
    MultilabelStratifiedShuffleSplit : Random stratified train/test splits.

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.model_selection import MultilabelStratifiedKFold
    >>> Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [1, 1], [1, 1]])
    >>> cv = MultilabelStratifiedKFold(n_splits=2, shuffle=True, random_state=0)
    >>> [Y[test].sum(0).tolist() for _, test in cv.split(np.zeros(6), Y)]
    [[2, 2], [2, 2]]
    """

    def split(self, X, y=None, groups=None):
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Training data; only its length is used (Ids, paths or images).
        y : array-like of shape (n_samples, n_labels)
            Multilabel indicator matrix.
        groups : ignored
            Present for API compatibility; use
            :class:`MultilabelStratifiedGroupKFold` to respect groups.

        Yields
        ------
        train, test : ndarray
            Indices of the training and test samples of each fold.
        """
        X, y = indexable(X, y)
        Y = _check_y(X, y)
        self._check_params(len(Y))
        self._warn_rare(Y)
        ratios = np.full(self.n_splits, 1.0 / self.n_splits)
        folds = iterative_assign(
            Y, ratios, _rng(self.random_state, self.shuffle), shuffle=self.shuffle
        )
        yield from self._iter_from_folds(folds)


class MultilabelStratifiedGroupKFold(_MultilabelKFoldBase):
    """Multilabel-stratified K-fold that never splits a group across folds.

    Near-duplicate fields and images of the same antibody share labels; if they
    land on both sides of a split, the validation score leaks. Give each sample
    a group (antibody, plate, near-duplicate cluster): every group is placed in
    exactly one fold, and the greedy iterative stratification balances the
    label distribution as well as the groups allow.

    Parameters
    ----------
    n_splits : int, default=5
    shuffle : bool, default=False
        Randomize tie-breaks and the order among groups of equal size.
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.model_selection import MultilabelStratifiedGroupKFold
    >>> Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [1, 1], [1, 1]])
    >>> groups = ["a", "a", "b", "b", "c", "d"]
    >>> cv = MultilabelStratifiedGroupKFold(n_splits=2)
    >>> for train, test in cv.split(np.zeros(6), Y, groups):
    ...     assert not set(np.array(groups)[train]) & set(np.array(groups)[test])
    """

    # with metadata routing on, cross_validate(..., params={"groups": g}) hands g to split
    __metadata_request__split = {"groups": True}

    def split(self, X, y=None, groups=None):
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples, n_labels)
        groups : array-like of shape (n_samples,)
            Group label of each sample.

        Yields
        ------
        train, test : ndarray
        """
        if groups is None:
            raise ValueError("The 'groups' parameter should not be None.")
        X, y, groups = indexable(X, y, groups)
        Y = _check_y(X, y)
        groups = np.asarray(groups)
        if len(groups) != len(Y):
            raise ValueError(f"groups has {len(groups)} entries but Y has {len(Y)} rows")
        n_groups = _n_group_labels(groups)
        self._check_params(len(Y))
        if self.n_splits > n_groups:
            raise ValueError(
                f"Cannot have number of splits n_splits={self.n_splits} greater than the "
                f"number of groups: {n_groups}."
            )
        self._warn_rare(Y)
        ratios = np.full(self.n_splits, 1.0 / self.n_splits)
        folds = iterative_assign_groups(
            Y, groups, ratios, _rng(self.random_state, self.shuffle), shuffle=self.shuffle
        )
        yield from self._iter_from_folds(folds)


def _n_group_labels(groups, name="groups"):
    """The number of distinct group labels; missing (NaN, None) or unorderable ones refused.

    Missing labels would all count as one group (numpy's unique merges the NaNs):
    e.g. every Kaggle image without an antibody in one fold. A sample without a
    group needs a label of its own, such as its Id.
    """
    missing = [i for i, g in enumerate(groups.tolist()) if g is None or g != g]
    if missing:
        shown = ", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")
        raise ValueError(
            f"{name} has {len(missing)} missing label(s) (None or NaN; samples {shown}); they "
            "would all form one group: give each such sample a group of its own (its Id)"
        )
    try:
        return len(np.unique(groups))
    except TypeError as exc:
        kinds = sorted({type(g).__name__ for g in groups.tolist()})
        raise ValueError(
            f"{name} mixes labels of types {kinds} that cannot be sorted ({exc}): use one type, "
            "e.g. strings for all"
        ) from None


def _split_sizes(n, test_size, train_size):
    """Validate sizes the way ShuffleSplit does; returns (n_train, n_test)."""

    def as_count(v, name):
        if v is None:
            return None
        if isinstance(v, numbers.Real) and not isinstance(v, numbers.Integral):
            if not 0 < v < 1:
                raise ValueError(f"{name}={v} should be in the (0, 1) range or an int")
            return v * n
        if isinstance(v, numbers.Integral):
            if not 0 < v < n:
                raise ValueError(f"{name}={v} should be in [1, n_samples - 1] = [1, {n - 1}]")
            return float(v)
        raise ValueError(f"invalid {name}: {v!r}")

    test = as_count(test_size, "test_size")
    train = as_count(train_size, "train_size")
    if test is None and train is None:
        test = 0.1 * n
    if test is None:
        test = n - train
    if train is None:
        train = n - test
    if train + test > n + 1e-9:
        raise ValueError(
            f"The sum of train_size and test_size = {int(train + test)} should be smaller "
            f"than the number of samples {n}."
        )
    n_test, n_train = int(np.ceil(test)), int(np.floor(train))
    if n_train == 0 or n_test == 0:
        raise ValueError(
            f"With n_samples={n}, test_size={test_size} and train_size={train_size}, one of "
            "the sets would be empty."
        )
    return n_train, n_test


class MultilabelStratifiedShuffleSplit(_NSplitsCV):
    """Random train/test splits stratified on every label of a multilabel target.

    Each split runs the iterative stratification with two (or three, when
    ``train_size + test_size < 1``) parts in the requested proportions, under a
    different random order, then moves the few samples needed to meet the
    requested sizes exactly (those whose labels are most over-represented).

    Parameters
    ----------
    n_splits : int, default=10
    test_size : float or int, default=None
        Share (float) or number (int) of test samples; 0.1 when both sizes are
        None.
    train_size : float or int, default=None
        Share or number of training samples; the complement of the test set
        when None.
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.datasets import hpa_label_matrix
    >>> from skhpa.model_selection import MultilabelStratifiedShuffleSplit
    >>> Y = hpa_label_matrix(random_state=0)[:2000]
    >>> cv = MultilabelStratifiedShuffleSplit(n_splits=2, test_size=0.25, random_state=0)
    >>> train, test = next(cv.split(np.zeros(len(Y)), Y))
    >>> len(train), len(test)
    (1500, 500)
    """

    def __init__(self, n_splits=10, *, test_size=None, train_size=None, random_state=None):
        self.n_splits = n_splits
        self.test_size = test_size
        self.train_size = train_size
        self.random_state = random_state

    def split(self, X, y=None, groups=None):
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples, n_labels)
        groups : ignored

        Yields
        ------
        train, test : ndarray
        """
        X, y = indexable(X, y)
        Y = _check_y(X, y)
        if not isinstance(self.n_splits, numbers.Integral) or self.n_splits < 1:
            raise ValueError(f"n_splits must be a positive int, got {self.n_splits!r}")
        n = len(Y)
        n_train, n_test = _split_sizes(n, self.test_size, self.train_size)
        sizes = np.array([n_test, n_train, n - n_train - n_test])
        parts = 3 if sizes[2] > 0 else 2
        ratios = sizes / n
        base = check_random_state(self.random_state)
        idx = np.arange(n)
        for _ in range(self.n_splits):
            rng = np.random.default_rng(base.randint(0, 2**31 - 1))
            folds = iterative_assign(Y, ratios[:parts], rng, shuffle=True)
            folds = fix_part_sizes(Y, folds, sizes[:parts], rng)
            yield idx[folds == 1], idx[folds == 0]


@validate_params(
    {
        "test_size": [
            Interval(numbers.Real, 0, 1, closed="neither"),
            Interval(numbers.Integral, 1, None, closed="left"),
            None,
        ],
        "train_size": [
            Interval(numbers.Real, 0, 1, closed="neither"),
            Interval(numbers.Integral, 1, None, closed="left"),
            None,
        ],
        "random_state": ["random_state"],
        "stratify": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def multilabel_train_test_split(
    *arrays, test_size=None, train_size=None, random_state=None, stratify=None, groups=None
):
    """Split arrays into train and test subsets, stratified on a multilabel target.

    Like :func:`sklearn.model_selection.train_test_split`, with the iterative
    stratification of :class:`MultilabelStratifiedShuffleSplit`.

    Parameters
    ----------
    *arrays : sequence of indexables of the same length
        Lists, arrays, sparse matrices or dataframes.
    test_size, train_size : float or int, default=None
        As in :class:`MultilabelStratifiedShuffleSplit` (test share 0.25 when
        both are None, as in scikit-learn's ``train_test_split``).
    random_state : int, RandomState instance or None, default=None
    stratify : array-like of shape (n_samples, n_labels), default=None
        The label matrix to stratify on; the last of ``arrays`` when None.
    groups : array-like of shape (n_samples,), default=None
        Group labels (antibodies, near-duplicate fields: see
        :func:`~skhpa.datasets.antibody_groups`, :func:`duplicate_groups`,
        :func:`merge_groups`): no group is on both sides. The test part is then
        one fold of a shuffled :class:`MultilabelStratifiedGroupKFold` with
        ``round(1 / test share)`` folds, so its size follows whole groups and
        the share is approximate; ``train_size`` must then leave no sample out.

    Returns
    -------
    splitting : list of length 2 * len(arrays)
        The train and test part of each input.

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.datasets import hpa_label_matrix
    >>> from skhpa.model_selection import multilabel_train_test_split
    >>> Y = hpa_label_matrix(random_state=0)[:1000]
    >>> ids = np.arange(1000)
    >>> ids_tr, ids_te, Y_tr, Y_te = multilabel_train_test_split(ids, Y, test_size=0.2,
    ...                                                          random_state=0)
    >>> len(ids_te), bool(abs(Y_te[:, 0].mean() - Y[:, 0].mean()) < 0.01)
    (200, True)

    With groups, no group is on both sides:

    >>> groups = np.arange(1000) // 4                   # 250 groups of 4 images
    >>> ids_tr, ids_te = multilabel_train_test_split(ids, test_size=0.2, random_state=0,
    ...                                              stratify=Y, groups=groups)
    >>> set(groups[ids_tr]) & set(groups[ids_te])
    set()
    """
    if not arrays:
        raise ValueError("At least one array required as input")
    arrays = indexable(*arrays)
    Y = arrays[-1] if stratify is None else stratify
    if test_size is None and train_size is None:
        test_size = 0.25
    if groups is not None:
        n = num_samples(arrays[0])
        n_train, n_test = _split_sizes(n, test_size, train_size)
        if n_train + n_test < n:
            raise ValueError(
                f"with groups, the train and test parts hold every sample: train_size="
                f"{train_size} and test_size={test_size} leave {n - n_train - n_test} of {n} "
                "out; give only test_size"
            )
        if len(groups) != n:
            raise ValueError(f"groups has {len(groups)} entries but the arrays have {n} samples")
        train, test = held_out_split(
            check_multilabel_target(Y, name="stratify" if stratify is not None else "Y"),
            n_test / n,
            random_state,
            groups,
        )
    else:
        cv = MultilabelStratifiedShuffleSplit(
            n_splits=1, test_size=test_size, train_size=train_size, random_state=random_state
        )
        train, test = next(cv.split(np.zeros(num_samples(arrays[0])), Y))
    out = []
    for a in arrays:
        out.extend([safe_indexing(a, train), safe_indexing(a, test)])
    return out


def held_out_split(Y, size, random_state, groups=None):
    """``(train, test)`` indices: a multilabel-stratified held-out share ``size``.

    With ``groups``, the held-out part is the first fold of a shuffled
    :class:`~skhpa.model_selection.MultilabelStratifiedGroupKFold` with
    ``round(1 / size)`` folds, so that no group is on both sides. The
    splitter's warning about rare labels then names the share the user set.
    Used by ``ThresholdOptimizer(cv=<float>)`` and by HPAClassifier's
    validation split.
    """
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
