import joblib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV, ShuffleSplit
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skhpa import ThresholdOptimizer
from skhpa.model_selection import MultilabelStratifiedKFold
from skhpa.thresholding import apply_thresholds
from skhpa.thresholding._search import fbeta_curve, pick


def _data(n=400, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6))
    Y = np.stack(
        [X[:, 0] > 1.6, X[:, 1] > 0, X[:, 2] + X[:, 3] > 2.0, X[:, 4] > 1.0], axis=1
    ).astype(np.int64)
    return X, Y


def _brute_force_best_f1(y, p):
    best = 0.0
    for t in np.unique(np.append(p, np.inf)):
        best = max(best, f1_score(y, (p >= t).astype(int), zero_division=0.0))
    return best


@settings(max_examples=60, deadline=None)
@given(
    y=st.lists(st.integers(0, 1), min_size=2, max_size=60),
    seed=st.integers(0, 10_000),
    levels=st.integers(2, 12),
)
def test_exact_search_matches_brute_force(y, seed, levels):
    y = np.array(y)
    rng = np.random.default_rng(seed)
    p = rng.integers(0, levels, len(y)) / (levels - 1)  # many ties
    thr, scores = fbeta_curve(y, p)
    t, best, _ = pick(thr, scores, 0.5)
    assert np.isclose(best, _brute_force_best_f1(y, p)) or y.sum() == 0
    if y.sum():
        # the stored threshold realizes the best score
        assert np.isclose(f1_score(y, (p >= t).astype(int), zero_division=0.0), best)
    # every candidate's score is the true F1 of its cut
    for ti, si in zip(thr[:5], scores[:5]):
        assert np.isclose(si, f1_score(y, (p >= ti).astype(int), zero_division=0.0))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 40),
    beta=st.sampled_from([0.5, 1.0, 2.0]),
)
def test_best_fbeta_scores_match_brute_force(seed, n, beta):
    from sklearn.metrics import fbeta_score

    from skhpa.thresholding import best_fbeta_scores

    rng = np.random.default_rng(seed)
    Y = (rng.random((n, 3)) < [0.5, 0.1, 0.0]).astype(int)
    P = rng.integers(0, 6, (n, 3)) / 5  # ties
    scores = best_fbeta_scores(Y, P, beta=beta)
    for k in range(3):
        if not Y[:, k].any():
            assert np.isnan(scores[k])  # no positive: no score to reach
            continue
        brute = max(
            fbeta_score(Y[:, k], (P[:, k] >= t).astype(int), beta=beta, zero_division=0.0)
            for t in np.append(np.unique(P[:, k]), np.inf)
        )
        assert np.isclose(scores[k], brute)


def test_fbeta_from_counts_is_sklearns_fbeta():
    from sklearn.metrics import fbeta_score

    from skhpa.thresholding._search import fbeta_at, fbeta_from_counts, sort_columns

    y = np.array([1, 0, 1, 1, 0, 0, 0])
    pred = np.array([1, 1, 0, 1, 0, 0, 1])
    tp, n_pred, n_pos = int((y & pred).sum()), int(pred.sum()), int(y.sum())
    for beta in (0.5, 1.0, 3.0):
        expected = fbeta_score(y, pred, beta=beta)
        assert np.isclose(fbeta_from_counts(tp, n_pred, n_pos, beta), expected)
        p = np.where(pred == 1, 0.9, 0.1)
        presorted = sort_columns(y[:, None], p[:, None])[0]
        assert np.isclose(fbeta_at(presorted, 0.5, beta), expected)
    assert fbeta_from_counts(0, 0, 0) == 0.0  # nothing to find, nothing predicted


def test_check_multilabel_cv_lives_in_model_selection():
    import skhpa.thresholding
    from skhpa.model_selection import check_multilabel_cv

    assert skhpa.thresholding.check_multilabel_cv is check_multilabel_cv  # still importable
    cv = check_multilabel_cv(4, random_state=2)
    assert isinstance(cv, MultilabelStratifiedKFold) and cv.shuffle and cv.n_splits == 4
    assert check_multilabel_cv(None).n_splits == 5
    splitter = ShuffleSplit(2)
    assert check_multilabel_cv(splitter) is splitter


def test_fbeta_curve_beta():
    y = np.array([1, 0, 1, 0, 0, 1])
    p = np.array([0.9, 0.8, 0.4, 0.3, 0.2, 0.1])
    thr, scores = fbeta_curve(y, p, beta=2.0)
    from sklearn.metrics import fbeta_score

    for t, s in zip(thr, scores):
        assert np.isclose(s, fbeta_score(y, (p >= t).astype(int), beta=2.0, zero_division=0.0))


def test_per_class_beats_half_on_tuning_data():
    X, Y = _data()
    opt = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv="prefit")
    base = OneVsRestClassifier(LogisticRegression()).fit(X, Y)
    opt.set_params(estimator=base).fit(X, Y)
    P = base.predict_proba(X)
    f_half = f1_score(Y, (P >= 0.5).astype(int), average=None, zero_division=0)
    f_opt = f1_score(Y, opt.predict(X), average=None, zero_division=0)
    assert np.all(f_opt >= f_half - 1e-12)
    assert np.allclose(opt.best_scores_, f_opt)
    assert opt.estimator_ is base


def test_cross_validated_fit_and_refit():
    X, Y = _data(600)
    opt = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=4, random_state=0)
    opt.fit(X, Y)
    assert opt.thresholds_.shape == (4,) and opt.cv_results_["scores"][0].ndim == 1
    assert not np.isnan(opt.oof_proba_).any()
    # the refit estimator is fitted on all data
    ref = OneVsRestClassifier(LogisticRegression()).fit(X, Y)
    assert np.allclose(opt.predict_proba(X), ref.predict_proba(X))
    Xt, Yt = _data(600, seed=1)
    assert opt.score(Xt, Yt) >= f1_score(Yt, ref.predict(Xt), average="macro") - 0.02
    assert opt.predict(Xt).dtype == Y.dtype


def test_verbose_says_which_fold_is_fitting(capsys):
    X, Y = _data(90)
    est = OneVsRestClassifier(LogisticRegression())
    ThresholdOptimizer(est, cv=3, random_state=0).fit(X, Y)
    assert capsys.readouterr().out == ""  # quiet by default
    ThresholdOptimizer(est, cv=3, verbose=1, random_state=0).fit(X, Y)
    assert capsys.readouterr().out.splitlines() == [
        "[ThresholdOptimizer] fold 1 of 3: fitting on 60 samples",
        "[ThresholdOptimizer] fold 2 of 3: fitting on 60 samples",
        "[ThresholdOptimizer] fold 3 of 3: fitting on 60 samples",
        "[ThresholdOptimizer] refit on all 90 samples",
    ]
    ThresholdOptimizer(est, cv=2, refit=False, verbose=True, random_state=0).fit(X, Y)
    assert capsys.readouterr().out.count("fold ") == 2


def test_int_cv_without_random_state_gives_the_same_folds_every_fit():
    X, Y = _data(200)
    est = OneVsRestClassifier(LogisticRegression())
    a, b = (ThresholdOptimizer(est, cv=3).fit(X, Y) for _ in range(2))
    np.testing.assert_array_equal(a.oof_proba_, b.oof_proba_)
    np.testing.assert_array_equal(a.thresholds_, b.thresholds_)
    # a random_state shuffles: other folds, the same for the same seed
    c, d = (ThresholdOptimizer(est, cv=3, random_state=1).fit(X, Y) for _ in range(2))
    np.testing.assert_array_equal(c.oof_proba_, d.oof_proba_)
    assert not np.array_equal(a.oof_proba_, c.oof_proba_)


def test_strategies():
    X, Y = _data(800)
    est = OneVsRestClassifier(LogisticRegression())
    g = ThresholdOptimizer(est, strategy="global", cv=3, random_state=0).fit(X, Y)
    assert np.all(g.thresholds_ == g.global_threshold_)
    lr = ThresholdOptimizer(est, strategy="label_ratio", cv=3, random_state=0).fit(X, Y)
    rates = (lr.oof_proba_ >= lr.thresholds_).mean(0)
    assert np.allclose(rates, Y.mean(0), atol=2 / len(Y))
    prior = np.array([0.1, 0.2, 0.3, 0.4])
    lr2 = ThresholdOptimizer(est, strategy="label_ratio", prior=prior, cv=3, random_state=0).fit(
        X, Y
    )
    assert np.allclose((lr2.oof_proba_ >= lr2.thresholds_).mean(0), prior, atol=2 / len(Y))


def test_min_labels_guarantees_one_label():
    X, Y = _data()
    opt = ThresholdOptimizer(
        OneVsRestClassifier(LogisticRegression()), min_labels=1, cv=3, random_state=0
    )
    pred = opt.fit(X, Y).predict(X)
    assert (pred.sum(1) >= 1).all()
    P = np.array([[0.1, 0.3], [0.9, 0.2]])
    assert apply_thresholds(P, [0.5, 0.5], min_labels=1).tolist() == [[0, 1], [1, 0]]
    assert apply_thresholds(P, [0.5, 0.5], min_labels=0).tolist() == [[0, 0], [1, 0]]


def test_class_without_positives_falls_back_to_global():
    X, Y = _data()
    Y[:, 3] = 0
    opt = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv="prefit")
    opt.estimator = OneVsRestClassifier(LogisticRegression()).fit(
        X, np.c_[Y[:, :3], _data()[1][:, 3]]
    )
    opt.fit(X, Y)
    assert opt.fallback_[3] and opt.thresholds_[3] == opt.global_threshold_


class _GivenProba(BaseEstimator):
    """A prefit 'model' whose probabilities are X itself."""

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        return np.asarray(X, dtype=float)


def test_a_best_cut_that_predicts_everything_falls_back_to_global():
    # class 1's only positive has the lowest probability (0): its F1-best cut is "predict
    # every sample" (F1 2/(n+1) > 0), which used to give a threshold of -0.5
    rng = np.random.RandomState(0)
    P = rng.uniform(0.05, 1, size=(200, 2))
    Y = np.zeros((200, 2), int)
    Y[:, 0] = P[:, 0] > 0.6
    P[5, 1], Y[5, 1] = 0.0, 1
    opt = ThresholdOptimizer(FrozenEstimator(_GivenProba())).fit(P, Y)
    assert opt.fallback_.tolist() == [False, True]
    assert opt.thresholds_[1] == opt.global_threshold_ and 0 <= opt.thresholds_.min()
    assert opt.predict(P)[:, 1].sum() < 200
    # a class the ranking does separate keeps its own cut, and every cut lies in [0, 1]
    assert opt.thresholds_[0] == pytest.approx(0.6, abs=0.02)
    t, _ = fbeta_curve(Y[:, 1], P[:, 1])
    assert t.min() == 0.0


def test_frozen_estimator_and_other_conventions():
    X, Y = _data()
    fitted = MultiOutputClassifier(LogisticRegression()).fit(X, Y)  # list-of-(n, 2) proba
    opt = ThresholdOptimizer(FrozenEstimator(fitted)).fit(X, Y)
    assert opt.predict(X).shape == Y.shape
    mlp = ThresholdOptimizer(MLPClassifier(max_iter=300, random_state=0), cv=3, random_state=0)
    assert mlp.fit(X, Y).predict(X).shape == Y.shape


def test_callable_scoring_and_grid():
    from sklearn.metrics import recall_score

    X, Y = _data()
    est = OneVsRestClassifier(LogisticRegression()).fit(X, Y)
    opt = ThresholdOptimizer(est, cv="prefit", scoring=recall_score, thresholds=11).fit(X, Y)
    assert all(len(t) == 11 for t in opt.cv_results_["thresholds"])
    # maximizing recall alone picks the lowest candidate
    assert np.allclose(opt.best_scores_, 1.0)
    fixed = ThresholdOptimizer(est, cv="prefit", thresholds=[0.2, 0.5, 0.8]).fit(X, Y)
    # fixed candidates hold for the global threshold (and so for the fallback classes) too
    assert fixed.global_threshold_ in (0.2, 0.5, 0.8)
    assert set(fixed.thresholds_) <= {0.2, 0.5, 0.8}
    P = est.predict_proba(X)
    ten = ThresholdOptimizer(est, cv="prefit", strategy="global", thresholds=10).fit(X, Y)
    assert np.isclose(np.linspace(P.min(), P.max(), 10), ten.global_threshold_).any()


def test_pipeline_gridsearch_clone_pickle(tmp_path):
    X, Y = _data(400)
    pipe = Pipeline(
        [("scale", StandardScaler()), ("clf", OneVsRestClassifier(LogisticRegression()))]
    )
    opt = ThresholdOptimizer(pipe, cv=MultilabelStratifiedKFold(3, shuffle=True, random_state=0))
    gs = GridSearchCV(
        opt,
        {"estimator__clf__estimator__C": [0.001, 1.0]},
        cv=MultilabelStratifiedKFold(3, shuffle=True, random_state=1),
        scoring="f1_macro",
    ).fit(X, Y)
    assert gs.best_params_["estimator__clf__estimator__C"] == 1.0
    best = gs.best_estimator_
    joblib.dump(best, tmp_path / "m.joblib")
    back = joblib.load(tmp_path / "m.joblib")
    assert np.array_equal(back.predict(X), best.predict(X))
    c = clone(best)
    assert not hasattr(c, "thresholds_")


def test_refit_false_single_split():
    X, Y = _data()
    opt = ThresholdOptimizer(
        OneVsRestClassifier(LogisticRegression()),
        cv=ShuffleSplit(1, test_size=0.5, random_state=0),
        refit=False,
    ).fit(X, Y)
    assert np.isnan(opt.oof_proba_).any(axis=1).sum() == 200
    # the model of the single split is kept (an ensemble of one)
    assert len(opt.estimators_) == 1 and opt.estimator_ is opt.estimators_[0]
    assert np.array_equal(opt.predict_proba(X), opt.estimator_.predict_proba(X))


class _ProbaIsX(BaseEstimator):
    """Fitted stand-in whose predict_proba returns X itself (an (n, q) probability matrix)."""

    def fit(self, X, Y):
        self.n_outputs_ = np.shape(Y)[1]
        return self

    def predict_proba(self, X):
        return np.asarray(X, dtype=float)


def _probabilities(n=500, q=4, seed=0):
    rng = np.random.RandomState(seed)
    Y = (rng.uniform(size=(n, q)) < [0.02, 0.05, 0.2, 0.4]).astype(np.int64)
    P = 1 / (1 + np.exp(-(rng.normal(size=(n, q)) + 1.5 * Y - 1.5)))
    return P, Y


def test_shrinkage_pulls_rare_classes_toward_global():
    P, Y = _probabilities()
    est = _ProbaIsX().fit(P, Y)
    own = ThresholdOptimizer(est, cv="prefit").fit(P, Y)
    g = own.global_threshold_
    n_pos = Y.sum(0)
    for m in (1.0, 25.0):
        shrunk = ThresholdOptimizer(est, cv="prefit", shrinkage=m).fit(P, Y)
        w = m / (m + n_pos)
        expected = w * g + (1 - w) * own.thresholds_
        np.testing.assert_allclose(shrunk.thresholds_, expected)
        assert shrunk.global_threshold_ == g
        # the reported tuning scores are those of the shrunk thresholds
        f1 = [f1_score(Y[:, k], P[:, k] >= shrunk.thresholds_[k]) for k in range(4)]
        np.testing.assert_allclose(shrunk.best_scores_, f1)
    # the rarest class moves most toward the global threshold, the most frequent least
    moved = np.abs(shrunk.thresholds_ - own.thresholds_) / np.abs(g - own.thresholds_)
    assert moved[0] > 0.5 > moved[3]
    # a huge pseudo-count gives the global threshold; 0 gives plain per-class
    huge = ThresholdOptimizer(est, cv="prefit", shrinkage=1e12).fit(P, Y)
    np.testing.assert_allclose(huge.thresholds_, g)
    zero = ThresholdOptimizer(est, cv="prefit", shrinkage=0).fit(P, Y)
    np.testing.assert_array_equal(zero.thresholds_, own.thresholds_)
    # the other strategies ignore it
    lr = ThresholdOptimizer(est, cv="prefit", strategy="label_ratio").fit(P, Y)
    lr5 = ThresholdOptimizer(est, cv="prefit", strategy="label_ratio", shrinkage=5).fit(P, Y)
    np.testing.assert_array_equal(lr.thresholds_, lr5.thresholds_)


def test_max_label_ratio_caps_predicted_rates():
    P, Y = _probabilities(800, seed=1)
    # a frequent class the model barely sees (40 % positives)
    P[:, 3] = 1 / (1 + np.exp(-(np.random.RandomState(5).normal(size=len(P)) + 0.3 * Y[:, 3])))
    est = _ProbaIsX().fit(P, Y)
    own = ThresholdOptimizer(est, cv="prefit").fit(P, Y)
    own_counts = (P >= own.thresholds_).sum(0)
    # its F1-optimal threshold predicts it for most images ("always" beats "never")
    assert own_counts[3] > 2 * Y[:, 3].sum()
    for c in (1.0, 1.5):
        capped = ThresholdOptimizer(est, cv="prefit", max_label_ratio=c).fit(P, Y)
        counts = (P >= capped.thresholds_).sum(0)
        most = np.ceil(c * Y.sum(0))
        assert (counts <= most).all()
        # a class within the cap keeps its own threshold; one over it is predicted exactly
        # as often as the cap allows
        within = own_counts <= most
        np.testing.assert_array_equal(capped.thresholds_[within], own.thresholds_[within])
        np.testing.assert_array_equal(counts[~within], most[~within])
        assert not within[3]
        f1 = [f1_score(Y[:, k], P[:, k] >= capped.thresholds_[k]) for k in range(4)]
        np.testing.assert_allclose(capped.best_scores_, f1)
    # the cap follows prior when given, and combines with shrinkage
    prior = np.full(4, 0.01)
    capped = ThresholdOptimizer(
        est, cv="prefit", max_label_ratio=1.0, prior=prior, shrinkage=10
    ).fit(P, Y)
    assert ((P >= capped.thresholds_).sum(0) <= 8).all()
    with pytest.raises(ValueError, match="'max_label_ratio' parameter"):
        ThresholdOptimizer(est, cv="prefit", max_label_ratio=0).fit(P, Y)
    with pytest.raises(ValueError, match="prior has shape"):
        ThresholdOptimizer(est, cv="prefit", max_label_ratio=1, prior=[0.1]).fit(P, Y)
    for bad in (np.nan, 1.5, -0.1):
        prior = np.full(4, 0.1)
        prior[2] = bad
        with pytest.raises(ValueError, match=r"prior must hold class frequencies .* class 2"):
            ThresholdOptimizer(est, cv="prefit", strategy="label_ratio", prior=prior).fit(P, Y)


def test_shrink_thresholds_values():
    from skhpa.thresholding import shrink_thresholds

    out = shrink_thresholds([0.1, 0.1, 0.9], [0, 3, 1], 0.5, shrinkage=3)
    np.testing.assert_allclose(out, [0.5, 0.3, 0.5 * 0.75 + 0.9 * 0.25])


def test_bad_shrinkage():
    P, Y = _probabilities(50)
    with pytest.raises(ValueError, match="'shrinkage' parameter"):
        ThresholdOptimizer(_ProbaIsX().fit(P, Y), cv="prefit", shrinkage=-1).fit(P, Y)


def _fold_setup():
    X, Y = _data(450)
    cv = MultilabelStratifiedKFold(3, shuffle=True, random_state=0)
    est = OneVsRestClassifier(LogisticRegression(C=0.5))
    return X, Y, cv, est


def test_fold_ensemble_thresholds_from_out_of_fold_matrix():
    X, Y, cv, est = _fold_setup()
    ens = ThresholdOptimizer(est, cv=cv, refit=False, shrinkage=5).fit(X, Y)
    assert len(ens.estimators_) == 3 and not hasattr(ens, "estimator_")
    # the out-of-fold matrix, computed by hand from the same splits
    oof = np.full(Y.shape, np.nan)
    for train, test in cv.split(X, Y):
        oof[test] = clone(est).fit(X[train], Y[train]).predict_proba(X[test])
    assert not np.isnan(oof).any()
    np.testing.assert_allclose(ens.oof_proba_, oof)
    ref = ThresholdOptimizer(_ProbaIsX().fit(oof, Y), cv="prefit", shrinkage=5).fit(oof, Y)
    np.testing.assert_allclose(ens.thresholds_, ref.thresholds_)
    np.testing.assert_allclose(ens.best_scores_, ref.best_scores_)
    # predict_proba is the mean of the fold models', predict thresholds it
    Xt = _data(200, seed=1)[0]
    mean = np.mean([e.predict_proba(Xt) for e in ens.estimators_], axis=0)
    np.testing.assert_allclose(ens.predict_proba(Xt), mean)
    np.testing.assert_array_equal(ens.predict(Xt), (mean >= ens.thresholds_).astype(Y.dtype))
    dec = np.mean([e.decision_function(Xt) for e in ens.estimators_], axis=0)
    np.testing.assert_allclose(ens.decision_function(Xt), dec)
    # each fold model differs from the others (they saw different data)
    assert not np.allclose(ens.estimators_[0].predict_proba(Xt), mean)


def test_fold_ensemble_clone_pickle_jobs_gridsearch(tmp_path):
    X, Y, cv, est = _fold_setup()
    ens = ThresholdOptimizer(est, cv=cv, refit=False).fit(X, Y)
    par = ThresholdOptimizer(est, cv=cv, refit=False, n_jobs=2).fit(X, Y)
    np.testing.assert_allclose(par.thresholds_, ens.thresholds_)
    np.testing.assert_allclose(par.predict_proba(X), ens.predict_proba(X))
    joblib.dump(ens, tmp_path / "ens.joblib")
    back = joblib.load(tmp_path / "ens.joblib")
    np.testing.assert_array_equal(back.predict_proba(X), ens.predict_proba(X))
    c = clone(ens)
    assert c.get_params()["refit"] is False and not hasattr(c, "estimators_")
    # refitting an ensemble with refit=True drops the fold models
    c.set_params(refit=True).fit(X, Y)
    assert not hasattr(c, "estimators_") and hasattr(c, "estimator_")
    gs = GridSearchCV(
        ThresholdOptimizer(est, cv=3, refit=False, random_state=0),
        {"shrinkage": [0.0, 10.0]},
        cv=MultilabelStratifiedKFold(3, shuffle=True, random_state=1),
        scoring="f1_macro",
    ).fit(X, Y)
    assert len(gs.best_estimator_.estimators_) == 3
    assert gs.cv_results_["mean_test_score"].min() > 0.5


class _BadProba(BaseEstimator):
    def __init__(self, value=0.5):
        self.value = value

    def fit(self, X, Y):
        self.n_outputs_ = Y.shape[1]
        return self

    def predict_proba(self, X):
        P = np.full((len(X), self.n_outputs_), 0.5)
        P[3, 1] = self.value
        return P


@pytest.mark.parametrize(
    "value, message", [(np.nan, "non-finite value"), (np.inf, "non-finite"), (1.5, "must lie in")]
)
def test_bad_probabilities(value, message):
    X, Y = _data(50)
    with pytest.raises(ValueError, match=message) as excinfo:
        ThresholdOptimizer(_BadProba(value).fit(X, Y), cv="prefit").fit(X, Y)
    # the message must name the sample and the class at fault, too
    assert "sample 3, class 1" in str(excinfo.value)


def test_bad_input():
    X, Y = _data(50)
    with pytest.raises(ValueError, match="'estimator' parameter .* must be an object implementing"):
        ThresholdOptimizer(StandardScaler()).fit(X, Y)
    with pytest.raises(ValueError, match="Only binary classification .* multiclass"):
        ThresholdOptimizer(LogisticRegression()).fit(X, Y[:, 0] + Y[:, 1] * 2)
    with pytest.raises(ValueError, match=r"1 class: \[0\]"):
        ThresholdOptimizer(LogisticRegression()).fit(X, np.zeros(len(X), dtype=int))
    with pytest.raises(ValueError, match="binary"):
        ThresholdOptimizer(OneVsRestClassifier(LogisticRegression())).fit(X, Y * 3)
    with pytest.raises(ValueError, match="'strategy' parameter"):
        ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), strategy="best").fit(X, Y)
    with pytest.raises(ValueError, match="'min_labels' parameter"):
        ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), min_labels=2).fit(X, Y)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv="prefit").fit(X, Y)
    with pytest.raises(NotFittedError):
        ThresholdOptimizer(OneVsRestClassifier(LogisticRegression())).predict(X)


def _binary_data(n=300, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + rng.normal(scale=1.0, size=n) > 1.0).astype(int)  # about 24% positives
    return X, y


def test_binary_target_threshold_is_the_brute_force_best_f1():
    """One class's threshold: a 1-D binary y with string labels, a prefit estimator."""
    X, y = _binary_data()
    labels = np.where(y == 1, "pos", "neg")
    inner = LogisticRegression().fit(X, labels)
    opt = ThresholdOptimizer(FrozenEstimator(inner)).fit(X, labels)
    p = inner.predict_proba(X)[:, 1]  # classes_ sorted: "neg", "pos"
    assert opt.classes_.tolist() == ["neg", "pos"] and opt.thresholds_.shape == (1,)
    best = _brute_force_best_f1(y, p)
    pred = opt.predict(X)
    assert pred.shape == (300,) and set(pred) <= {"neg", "pos"}
    assert np.isclose(f1_score(labels, pred, pos_label="pos"), best)
    assert np.isclose(opt.best_scores_[0], best)
    # the best F1 at the tuned threshold beats the 0.5 threshold of predict
    assert best > f1_score(labels, inner.predict(X), pos_label="pos")
    np.testing.assert_array_equal(pred == "pos", p >= opt.thresholds_[0])


def test_binary_target_shapes_follow_y():
    """1-D in, 1-D out; a single label column keeps the multilabel shapes; same thresholds."""
    X, y = _binary_data()
    one_d = ThresholdOptimizer(LogisticRegression(), cv=3, random_state=0).fit(X, y)
    P = one_d.predict_proba(X)
    assert P.shape == (300, 2) and np.allclose(P.sum(axis=1), 1)
    np.testing.assert_allclose(P[:, 1], one_d.estimator_.predict_proba(X)[:, 1])
    assert one_d.decision_function(X).shape == (300,)
    assert one_d.predict(X).shape == (300,) and one_d.classes_.tolist() == [0, 1]
    column = ThresholdOptimizer(
        OneVsRestClassifier(LogisticRegression()), cv=3, random_state=0
    ).fit(X, y[:, None].astype(np.int8))
    assert column.predict_proba(X).shape == (300, 1)
    Yp = column.predict(X)
    assert Yp.shape == (300, 1) and Yp.dtype == np.int8
    # same folds (stratified on the one column), same probabilities, same threshold
    np.testing.assert_allclose(column.thresholds_, one_d.thresholds_)
    np.testing.assert_array_equal(Yp[:, 0], one_d.predict(X))


@pytest.mark.parametrize(
    "targets", [["16 0", "25", "0 2", "7"], ["0", "25", "7", "25"], ["0 1", "0"]]
)
def test_kaggle_target_strings_as_y_point_to_parse_targets(targets):
    # train.csv's Target column passed as y: several labels in one string, or many classes
    X = np.random.default_rng(0).normal(size=(40, 3))
    with pytest.raises(ValueError, match="parse_targets"):
        ThresholdOptimizer(LogisticRegression(), cv=2).fit(
            X, np.array(targets * (40 // len(targets)))
        )
    # binary labels written as digits stay binary, as in scikit-learn
    for labels in (["0", "1"], ["1", "2"]):
        y = np.array(labels * 20)
        assert ThresholdOptimizer(LogisticRegression(), cv=2).fit(X, y).classes_.tolist() == labels
    # lists per sample (what str.split gives) get the multilabel hint, not a TypeError
    lists = np.empty(40, dtype=object)
    lists[:] = [["16", "0"]] * 40
    with pytest.raises(ValueError, match="MultiLabelBinarizer"):
        ThresholdOptimizer(LogisticRegression(), cv=2).fit(X, lists)


def test_feature_names_in_come_from_the_inner_estimator():
    from sklearn.base import BaseEstimator, ClassifierMixin

    class Named(ClassifierMixin, BaseEstimator):
        """Records column names as scikit-learn estimators do when fitted on a DataFrame."""

        def fit(self, X, y):
            self.inner_ = OneVsRestClassifier(LogisticRegression()).fit(X, y)
            self.n_features_in_ = X.shape[1]
            self.feature_names_in_ = np.array([f"f{i}" for i in range(X.shape[1])], dtype=object)
            return self

        def predict_proba(self, X):
            return self.inner_.predict_proba(X)

    X, Y = _data()
    opt = ThresholdOptimizer(Named(), cv=2, random_state=0).fit(X, Y)
    assert opt.feature_names_in_.tolist() == [f"f{i}" for i in range(X.shape[1])]
    # a refit with an estimator that records none forgets them
    opt.set_params(estimator=OneVsRestClassifier(LogisticRegression())).fit(X, Y)
    assert not hasattr(opt, "feature_names_in_") and opt.n_features_in_ == X.shape[1]


def test_a_label_without_positives_in_a_list_of_probabilities_is_never_predicted():
    # random forests return one (n, 1) column, P(class 0) = 1, for a label that had
    # no positive in training: that is a probability of 0 for the label, not 1
    from sklearn.ensemble import RandomForestClassifier

    from skhpa.ensemble import ProbabilityBlend
    from skhpa.thresholding import multilabel_proba

    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5))
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0, np.zeros(200, bool)], 1).astype(int)
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, Y)
    assert (multilabel_proba(forest, X)[:, 2] == 0).all()
    Y_all = Y.copy()
    Y_all[:, 2] = 1  # a label that is always there keeps probability 1
    forest_all = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, Y_all)
    assert (multilabel_proba(forest_all, X)[:, 2] == 1).all()
    blend = ProbabilityBlend([("rf", RandomForestClassifier(n_estimators=10, random_state=0))])
    assert blend.fit(X, Y).predict(X)[:, 2].sum() == 0
    opt = ThresholdOptimizer(RandomForestClassifier(n_estimators=10, random_state=0), cv=3)
    assert opt.fit(X, Y).predict(X)[:, 2].sum() == 0


@pytest.mark.parametrize("cv", [3, 0.25])
def test_per_sample_fit_parameters_are_split_with_the_folds(cv):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] > 0).astype(int)
    seen = []

    class Weighted(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            seen.append((len(X), len(sample_weight), float(sample_weight.sum())))
            return super().fit(X, y, sample_weight=sample_weight)

    weights = np.arange(200, dtype=float)
    ThresholdOptimizer(Weighted(), cv=cv, random_state=0).fit(X, y, sample_weight=weights)
    *folds, refit = seen
    assert refit == (200, 200, weights.sum())  # the final refit on everything
    assert len(folds) == (3 if cv == 3 else 1)
    for n_fit, n_weights, _ in folds:
        assert n_fit == n_weights < 200
    assert len({total for *_, total in seen}) == len(seen)  # each fold its own weights


def test_grouped_threshold_model_cross_validates_with_routed_groups():
    import sklearn
    from sklearn.model_selection import cross_val_score

    from skhpa.model_selection import MultilabelStratifiedGroupKFold
    from skhpa.recipes import fit_with_thresholds

    rng = np.random.RandomState(0)
    X = rng.normal(size=(240, 4))
    Y = (X[:, :3] > 0.3).astype(int)
    groups = np.arange(240) // 4
    held = []

    class Recording(OneVsRestClassifier):
        def fit(self, X, y, **kw):
            held.append(X)
            return super().fit(X, y, **kw)

    with sklearn.config_context(enable_metadata_routing=True):
        model = fit_with_thresholds(Recording(LogisticRegression()), X, Y, groups=groups)
        model.set_fit_request(groups=True)
        cv = MultilabelStratifiedGroupKFold(3, shuffle=True, random_state=0)
        held.clear()
        scores = cross_val_score(model, X, Y, cv=cv, params={"groups": groups})
    assert len(scores) == 3 and (scores > 0.5).all()
    row_group = {tuple(x): g for x, g in zip(X, groups)}
    for X_fit in held:  # every inner fit kept whole groups out of its held-out part
        fitted = {row_group[tuple(x)] for x in X_fit}
        assert sum(g in fitted for g in groups) == 4 * len(fitted)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"valid_size": 20}, "valid_size must be a share strictly between 0 and 1"),
        ({"valid_size": 0}, "valid_size must be a share"),
        ({"folds": 1}, "folds must be an integer of at least 2"),
        ({"folds": 2.5}, "folds must be an integer"),
    ],
)
def test_fit_with_thresholds_names_its_own_parameters(kwargs, message):
    from skhpa.recipes import fit_with_thresholds

    X = np.random.RandomState(0).normal(size=(60, 3))
    with pytest.raises(ValueError, match=message):
        fit_with_thresholds(LogisticRegression(), X, (X[:, 0] > 0).astype(int), **kwargs)


def test_min_labels_never_switches_on_a_class_that_is_never_predicted():
    # class 2 has no positive in the tuning data: the label-ratio cap puts it above 1
    rng = np.random.default_rng(0)
    P = rng.random((60, 4))
    Y = (P > 0.6).astype(int)
    Y[:, 2] = 0
    given = _GivenProba()
    given.fitted_ = True  # prefit: its "probabilities" are X itself
    opt = ThresholdOptimizer(given, cv="prefit", min_labels=1, max_label_ratio=1.25).fit(P, Y)
    assert opt.thresholds_[2] > 1.0
    # a row where nothing passes and the never-class is the most probable
    row = np.array([[0.2, 0.1, 0.9, 0.3]])
    assert opt.predict(row).tolist() == [[0, 0, 0, 1]]
    assert apply_thresholds(row, opt.thresholds_, min_labels=1).tolist() == [[0, 0, 0, 1]]
    # without any predictable class the row keeps its most probable one
    assert apply_thresholds(row, [2.0] * 4, min_labels=1).tolist() == [[0, 0, 1, 0]]
    # a broadcast scalar threshold: unchanged
    assert apply_thresholds(row, 0.95, min_labels=1).tolist() == [[0, 0, 1, 0]]
