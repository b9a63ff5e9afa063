import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.multiclass import OneVsRestClassifier

from skhpa.datasets import hpa_label_matrix
from skhpa.model_selection import (
    MultilabelStratifiedGroupKFold,
    MultilabelStratifiedKFold,
    MultilabelStratifiedShuffleSplit,
    merge_groups,
    multilabel_train_test_split,
    stratification_scores,
)


@pytest.fixture(scope="module")
def Y_real():
    return hpa_label_matrix(random_state=0)


def test_kfold_on_real_label_matrix(Y_real):
    X = np.zeros(len(Y_real))
    splits = list(MultilabelStratifiedKFold(5, shuffle=True, random_state=0).split(X, Y_real))
    tests = [t for _, t in splits]
    # disjoint and complete
    assert np.array_equal(np.sort(np.concatenate(tests)), np.arange(len(Y_real)))
    for train, test in splits:
        assert len(np.intersect1d(train, test)) == 0
        assert len(train) + len(test) == len(Y_real)
        assert abs(len(test) - len(Y_real) / 5) < 20
    scores = stratification_scores(Y_real, splits)
    kfold = stratification_scores(Y_real, KFold(5, shuffle=True, random_state=0).split(X, Y_real))
    # iterative-stratification 0.1.9 reaches 1.3e-4 on this matrix; plain KFold about 1.5e-3
    assert scores["label_freq_dev"] < 1.3e-4
    assert scores["label_freq_dev"] < kfold["label_freq_dev"] / 5
    # every class with >= 5 positives appears in every test fold (rods & rings: 11)
    assert scores["missing"] == 0
    assert all(Y_real[t, 27].sum() >= 2 for t in tests)


def test_determinism(Y_real):
    X = np.zeros(len(Y_real))
    a = [t for _, t in MultilabelStratifiedKFold(4, shuffle=True, random_state=3).split(X, Y_real)]
    b = [t for _, t in MultilabelStratifiedKFold(4, shuffle=True, random_state=3).split(X, Y_real)]
    c = [t for _, t in MultilabelStratifiedKFold(4, shuffle=True, random_state=4).split(X, Y_real)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
    d = [t for _, t in MultilabelStratifiedKFold(4).split(X, Y_real)]
    e = [t for _, t in MultilabelStratifiedKFold(4).split(X, Y_real)]
    assert all(np.array_equal(x, y) for x, y in zip(d, e))


def test_shuffle_split_sizes_and_quality(Y_real):
    X = np.zeros(len(Y_real))
    cv = MultilabelStratifiedShuffleSplit(3, test_size=0.2, random_state=0)
    splits = list(cv.split(X, Y_real))
    assert len(splits) == 3
    for train, test in splits:
        assert len(test) == int(np.ceil(0.2 * len(Y_real)))
        assert len(train) + len(test) == len(Y_real)
    assert stratification_scores(Y_real, splits)["label_freq_dev"] < 2e-4
    assert not np.array_equal(splits[0][1], splits[1][1])
    # train_size smaller than the complement: three parts, the rest unused
    train, test = next(
        MultilabelStratifiedShuffleSplit(1, test_size=0.1, train_size=0.5, random_state=0).split(
            X, Y_real
        )
    )
    assert abs(len(train) - 0.5 * len(Y_real)) <= 10 and abs(len(test) - 0.1 * len(Y_real)) <= 10


def test_train_test_split(Y_real):
    ids = np.arange(len(Y_real))
    a_tr, a_te, Y_tr, Y_te = multilabel_train_test_split(
        ids, Y_real, test_size=0.25, random_state=0
    )
    assert np.array_equal(Y_real[a_te], Y_te) and len(a_tr) + len(a_te) == len(ids)
    assert np.abs(Y_te.mean(0) - Y_real.mean(0)).max() < 2e-3
    with pytest.raises(ValueError, match="test_size"):
        multilabel_train_test_split(ids, Y_real, test_size=1.5)


def test_group_kfold_never_splits_groups(Y_real):
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 2000, len(Y_real))
    X = np.zeros(len(Y_real))
    splits = list(
        MultilabelStratifiedGroupKFold(5, shuffle=True, random_state=0).split(X, Y_real, groups)
    )
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])
    scores = stratification_scores(Y_real, splits)
    kfold = stratification_scores(Y_real, KFold(5, shuffle=True, random_state=0).split(X, Y_real))
    assert scores["label_freq_dev"] < kfold["label_freq_dev"]


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(10, 80),
    q=st.integers(1, 6),
    n_groups=st.integers(5, 20),
    k=st.integers(2, 5),
    seed=st.integers(0, 1000),
)
def test_splitter_invariants_property(n, q, n_groups, k, seed):
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, q)) < 0.3).astype(int)
    groups = rng.integers(0, n_groups, n)
    X = np.zeros(n)
    if k > len(np.unique(groups)):
        return
    with pytest.warns(UserWarning) if ((Y.sum(0) > 0) & (Y.sum(0) < k)).any() else _nullcontext():
        splits = list(
            MultilabelStratifiedGroupKFold(k, shuffle=True, random_state=seed).split(X, Y, groups)
        )
    tests = np.concatenate([t for _, t in splits])
    assert np.array_equal(np.sort(tests), np.arange(n))
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])
    with pytest.warns(UserWarning) if ((Y.sum(0) > 0) & (Y.sum(0) < k)).any() else _nullcontext():
        splits = list(MultilabelStratifiedKFold(k, shuffle=True, random_state=seed).split(X, Y))
    tests = np.concatenate([t for _, t in splits])
    assert np.array_equal(np.sort(tests), np.arange(n))


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_edge_cases():
    X = np.zeros(10)
    Y = np.zeros((10, 2), int)
    Y[:6, 0] = 1
    Y[0, 1] = 1
    with pytest.warns(UserWarning, match=r"least populated label\(s\) \[1\]"):
        list(MultilabelStratifiedKFold(3).split(X, Y))
    Y28 = np.zeros((10, 28), int)
    Y28[:, 0] = 1
    Y28[0, 27] = 1
    with pytest.warns(UserWarning, match=r"label\(s\) \[27\] \(Rods & rings\) have fewer"):
        list(MultilabelStratifiedKFold(3).split(X, Y28))
    with pytest.raises(ValueError, match="binary"):
        list(MultilabelStratifiedKFold(2).split(X, Y * 2))
    with pytest.raises(ValueError, match="n_splits"):
        list(MultilabelStratifiedKFold(1).split(X, Y))
    with pytest.raises(ValueError, match="greater than the number of samples"):
        list(MultilabelStratifiedKFold(11).split(X, Y))
    with pytest.raises(ValueError, match="random_state has no effect"):
        list(MultilabelStratifiedKFold(2, random_state=0).split(X, Y))
    with pytest.raises(ValueError, match="needs the label matrix"):
        list(MultilabelStratifiedKFold(2).split(X))
    with pytest.raises(ValueError, match="'groups' parameter"):
        list(MultilabelStratifiedGroupKFold(2).split(X, Y))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        list(MultilabelStratifiedKFold(2).split(np.zeros(9), Y))


def test_usable_as_cv_in_sklearn():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    Y = np.stack([X[:, 0] > 0.5, X[:, 1] > 0, X[:, 2] + X[:, 0] > 1], axis=1).astype(int)
    cv = MultilabelStratifiedKFold(3, shuffle=True, random_state=0)
    est = OneVsRestClassifier(LogisticRegression())
    res = cross_validate(est, X, Y, cv=cv, scoring="f1_macro")
    assert res["test_score"].mean() > 0.6
    gs = GridSearchCV(est, {"estimator__C": [0.01, 1.0]}, cv=cv, scoring="f1_macro").fit(X, Y)
    assert gs.best_params_ == {"estimator__C": 1.0}
    assert cv.get_n_splits() == 3
    assert "MultilabelStratifiedKFold(n_splits=3" in repr(cv)


@pytest.mark.parametrize(
    "groups, message",
    [
        ([1.0, np.nan, 2.0, np.nan] * 3, r"6 missing label\(s\) \(None or NaN; samples 1, 3, 5"),
        ([None] * 12, r"12 missing label\(s\).*a group of its own \(its Id\)"),
        (np.array([1, "a"] * 6, dtype=object), r"groups mixes labels of types \['int', 'str'\]"),
    ],
)
def test_group_labels_that_would_merge_or_not_sort_are_named(groups, message):
    Y = np.random.RandomState(0).randint(0, 2, (12, 3))
    with pytest.raises(ValueError, match=message):
        next(MultilabelStratifiedGroupKFold(3).split(Y, Y, groups))


def test_merge_groups_joins_chains_across_groupings():
    # 0-1 share an antibody, 1-2 are copies of one field, 2-3 share an antibody: one group
    antibody = ["a", "a", "b", "b", "c", "d"]
    copies = [0, 1, 1, 2, 3, 4]
    merged = merge_groups(antibody, copies)
    assert merged.tolist() == [0, 0, 0, 0, 1, 2]
    assert merged.dtype == np.int64
    # one grouping alone is relabelled 0, 1, ... in order of first appearance
    assert merge_groups(["z", "y", "z"]).tolist() == [0, 1, 0]
    # every pair that shares a group in any grouping shares the merged group
    rng = np.random.default_rng(0)
    g1, g2 = rng.integers(0, 40, 200), rng.integers(0, 60, 200)
    m = merge_groups(g1, g2)
    for g in (g1, g2):
        same = g[:, None] == g[None, :]
        assert np.all((m[:, None] == m[None, :])[same])
    assert len(np.unique(m)) < min(len(np.unique(g1)), len(np.unique(g2)))


@pytest.mark.parametrize(
    "groupings, message",
    [
        (([1, 2], [1, 2, 3]), "grouping 1 has 3 labels but grouping 0 has 2"),
        (([1, None], [1, 2]), "grouping 0 has 1 missing label"),
        (([[1, 2]],), "grouping 0 must be 1-dimensional"),
        ((), "at least one grouping"),
    ],
)
def test_merge_groups_names_the_grouping_at_fault(groupings, message):
    with pytest.raises(ValueError, match=message):
        merge_groups(*groupings)


def test_train_test_split_with_groups_keeps_groups_whole(Y_real):
    Y = Y_real[:1200]
    ids = np.arange(1200)
    groups = ids // 4
    with pytest.warns(UserWarning, match="held-out share of 0.2 with groups is one of 5"):
        ids_tr, ids_te, Y_tr, Y_te = multilabel_train_test_split(
            ids, Y, test_size=0.2, random_state=0, groups=groups
        )
    assert not set(groups[ids_tr]) & set(groups[ids_te])
    assert sorted(np.concatenate([ids_tr, ids_te]).tolist()) == ids.tolist()
    assert np.array_equal(Y_te, Y[ids_te])
    assert abs(len(ids_te) - 240) <= 12  # whole groups of 4: close to, not exactly, 20 %
    # stratified on the labels as well: closer to the label frequencies than a plain group split
    from sklearn.model_selection import GroupShuffleSplit

    plain = next(GroupShuffleSplit(1, test_size=0.2, random_state=0).split(ids, Y, groups))
    dev = stratification_scores(Y, [(ids_tr, ids_te)])["label_freq_dev"]
    assert dev < 0.7 * stratification_scores(Y, [plain])["label_freq_dev"]
    # the same seed gives the same split
    again = multilabel_train_test_split(ids, Y, test_size=0.2, random_state=0, groups=groups)
    assert np.array_equal(again[1], ids_te)


def test_train_test_split_with_groups_refuses_what_it_cannot_do(Y_real):
    Y, ids = Y_real[:100], np.arange(100)
    with pytest.raises(ValueError, match="leave 30 of 100 out; give only test_size"):
        multilabel_train_test_split(ids, Y, test_size=0.2, train_size=0.5, groups=ids // 2)
    with pytest.raises(ValueError, match="groups has 50 entries but the arrays have 100"):
        multilabel_train_test_split(ids, Y, test_size=0.2, groups=ids[:50])
