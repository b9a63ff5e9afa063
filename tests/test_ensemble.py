"""ProbabilityBlend and blend_recipe: the weighted mean of several models' probabilities."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.multiclass import OneVsRestClassifier

from skhpa import HPAClassifier, ThresholdOptimizer, load_model, save_model
from skhpa.datasets import make_hpa_like
from skhpa.ensemble import ProbabilityBlend
from skhpa.nn import SeedCNN
from skhpa.recipes import blend_recipe, features_recipe, fit_with_thresholds
from skhpa.utils import iter_estimators


@pytest.fixture(scope="module")
def tabular():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(160, 4))
    Y = np.stack([X[:, 0] > 0.5, X[:, 1] + X[:, 2] > 0, X[:, 3] > 1.0], axis=1).astype(int)
    return X, Y


def _ovr(C=1.0):
    return OneVsRestClassifier(LogisticRegression(C=C))


def test_predict_proba_is_the_weighted_mean_of_the_members(tabular):
    X, Y = tabular
    forest = RandomForestClassifier(n_estimators=5, random_state=0)  # list-of-(n, 2) convention
    blend = ProbabilityBlend([("lr", _ovr()), ("rf", forest)], weights=[3, 1]).fit(X, Y)
    lr, rf = blend.estimators_
    P_lr = lr.predict_proba(X)
    P_rf = np.stack([p[:, 1] for p in rf.predict_proba(X)], axis=1)
    np.testing.assert_allclose(blend.predict_proba(X), 0.75 * P_lr + 0.25 * P_rf)
    np.testing.assert_array_equal(blend.predict(X), (0.75 * P_lr + 0.25 * P_rf >= 0.5))
    np.testing.assert_allclose(blend.weights_, [0.75, 0.25])
    assert blend.named_estimators_["rf"] is rf
    assert list(blend.classes_) == [0, 1, 2]
    assert blend.n_features_in_ == 4
    # the members are clones: the given estimators stay unfitted
    assert not hasattr(blend.estimators[0][1], "estimators_")


def test_min_labels_gives_an_empty_row_its_most_probable_class(tabular):
    X, Y = tabular
    blend = ProbabilityBlend([("lr", _ovr(0.01)), ("b", _ovr(0.02))]).fit(X, Y)
    P = blend.predict_proba(X)
    empty = ~(P >= 0.5).any(axis=1)
    assert empty.any()  # strong regularization: some rows have no class at 0.5
    Y0 = blend.predict(X)
    assert not Y0[empty].any()
    Y1 = blend.set_params(min_labels=1).predict(X)
    assert Y1.sum(axis=1).min() == 1
    np.testing.assert_array_equal(Y1[~empty], Y0[~empty])
    np.testing.assert_array_equal(Y1[empty].argmax(axis=1), P[empty].argmax(axis=1))
    with pytest.raises(ValueError, match="min_labels"):
        ProbabilityBlend([("lr", _ovr())], min_labels=2).fit(X, Y)


def test_equal_weights_by_default_and_weight_zero_drops_a_member(tabular):
    X, Y = tabular
    a, b = _ovr(1.0), _ovr(0.01)
    P_a = clone(a).fit(X, Y).predict_proba(X)
    P_b = clone(b).fit(X, Y).predict_proba(X)
    equal = ProbabilityBlend([("a", a), ("b", b)]).fit(X, Y)
    np.testing.assert_allclose(equal.predict_proba(X), (P_a + P_b) / 2)
    only_a = ProbabilityBlend([("a", a), ("b", b)], weights=[1, 0]).fit(X, Y)
    np.testing.assert_allclose(only_a.predict_proba(X), P_a)
    # a member of weight 0 is not asked (a network dropped by the tuned weights costs nothing)
    only_a.estimators_[1].predict_proba = None
    np.testing.assert_allclose(only_a.predict_proba(X), P_a)


def test_parameters_of_the_members_are_reachable_as_in_a_pipeline(tabular):
    X, Y = tabular
    blend = ProbabilityBlend([("a", _ovr()), ("b", _ovr())])
    assert blend.get_params()["a__estimator__C"] == 1.0
    blend.set_params(a__estimator__C=0.01, weights=[1, 2])
    assert blend.estimators[0][1].estimator.C == 0.01 and blend.weights == [1, 2]
    new = _ovr(5.0)
    blend.set_params(b=new)
    assert blend.estimators[1][1] is new
    with pytest.raises(ValueError, match="invalid parameter 'c'.*'a', 'b'"):
        blend.set_params(c__C=1)
    # a grid search over a member's parameter
    search = GridSearchCV(
        ProbabilityBlend([("a", _ovr()), ("b", _ovr())]),
        {"a__estimator__C": [0.01, 1.0]},
        cv=2,
        scoring="f1_macro",
    ).fit(X, Y)
    assert search.best_params_["a__estimator__C"] in (0.01, 1.0)


@pytest.mark.parametrize(
    "estimators, weights, match",
    [
        ([], None, "estimators is empty"),
        ([("a", _ovr()), "b"], None, r"estimators\[1\] is 'b'; expected a \(name, estimator\)"),
        ([("a", _ovr()), ("a", _ovr())], None, r"repeated names: \['a'\]"),
        ([("a__x", _ovr())], None, "named 'a__x'"),
        ([("a", _ovr()), ("b", object())], None, r"estimators\[1\] \('b', object\) has no fit"),
        ([("a", _ovr()), ("b", _ovr())], [1], r"weights has shape \(1,\); expected \(2,\)"),
        ([("a", _ovr()), ("b", _ovr())], [1, -1], "non-negative"),
        ([("a", _ovr()), ("b", _ovr())], [0, 0], "not all 0"),
    ],
)
def test_bad_members_and_weights_name_the_fault(tabular, estimators, weights, match):
    X, Y = tabular
    with pytest.raises(ValueError, match=match):
        ProbabilityBlend(estimators, weights=weights).fit(X, Y)


def test_fit_params_are_routed_by_name(tabular):
    X, Y = tabular
    seen = {}

    class Recorder(OneVsRestClassifier):
        def fit(self, X, y, **params):
            seen.update(params)
            return super().fit(X, y)

    blend = ProbabilityBlend([("a", _ovr()), ("rec", Recorder(LogisticRegression()))])
    blend.fit(X, Y, rec__marker=7)
    assert seen == {"marker": 7}
    with pytest.raises(ValueError, match="fit parameter 'marker'.*<name>__<parameter>"):
        blend.fit(X, Y, marker=7)


def test_a_1d_target_is_soft_voting(tabular):
    X, Y = tabular
    y = np.array(["no", "yes"])[Y[:, 0]]
    blend = ProbabilityBlend([("a", LogisticRegression()), ("b", LogisticRegression(C=0.01))])
    blend.fit(X, y)
    P = blend.predict_proba(X)
    assert P.shape == (len(X), 2) and np.allclose(P.sum(1), 1)
    assert set(blend.predict(X)) <= {"no", "yes"}
    assert blend.score(X, y) > 0.8


def test_inside_a_threshold_optimizer_and_pickled(tabular):
    X, Y = tabular
    model = fit_with_thresholds(ProbabilityBlend([("a", _ovr()), ("b", _ovr(0.1))]), X, Y)
    assert isinstance(model, ThresholdOptimizer) and model.thresholds_.shape == (3,)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))


@pytest.fixture(scope="module")
def images():
    return make_hpa_like(60, image_size=16, label_distribution="flat", random_state=0)


def _tiny_net():
    return HPAClassifier(
        SeedCNN, max_epochs=1, batch_size=16, train_split=None, device="cpu", random_state=0
    )


def test_blend_recipe_fits_on_tiny_images_and_round_trips(images, tmp_path):
    X, Y = images
    blend = blend_recipe(network=_tiny_net())
    assert [name for name, _ in blend.estimators] == ["features", "net"]
    model = fit_with_thresholds(blend, X, Y)
    blend = model.estimator_
    features, net = blend.estimators_
    w = blend.weights_  # tuned on the held-out part
    assert blend.tuned_scores_.shape == (11,) and np.isclose(w.sum(), 1)
    P = w[0] * features.predict_proba(X) + w[1] * net.predict_proba(X)
    np.testing.assert_allclose(model.predict_proba(X), P, rtol=1e-6, atol=1e-6)
    assert (model.predict(X).sum(1) >= 1).all()
    path = save_model(model, tmp_path / "blend.skhpa")
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-6)
    # the network is found inside the blend (device moves, the CLI's interrupt check)
    assert any(isinstance(e, HPAClassifier) for e in iter_estimators(blend_recipe()))


class _Useless(OneVsRestClassifier):
    """Probabilities that know nothing about the labels (fixed noise per sample)."""

    def predict_proba(self, X):
        rng = np.random.RandomState(len(X))
        return rng.rand(len(X), len(self.estimators_))


def test_tuned_weights_follow_the_held_out_data(tabular):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, Y = tabular
    blend = ProbabilityBlend([("good", _ovr()), ("noise", _Useless(LogisticRegression()))],
                             weights="tuned")  # fmt: skip
    blend.fit(X[:100], Y[:100])
    np.testing.assert_allclose(blend.weights_, [0.5, 0.5])  # equal until tuned
    blend.tune_weights(X[100:], Y[100:])
    assert blend.weights_[0] > 0.5  # the informative model carries the blend
    assert blend.tuned_weights_.shape == (11, 2) and blend.tuned_scores_.shape == (11,)
    assert blend.tuned_scores_.max() == blend.tuned_scores_[np.argmax(blend.tuned_weights_[:, 0])]
    # the CLI's and the demo's line: each member alone and the blend, on the tuning data
    from sklearn.metrics import average_precision_score

    from skhpa.ensemble._blend import tuned_scores_text

    ap = [
        average_precision_score(Y[100:], est.predict_proba(X[100:]), average="macro")
        for est in blend.estimators_
    ]
    # each member's share of the blend's spread: weight x the spread of its probabilities
    spread = [np.std(est.predict_proba(X[100:]), axis=0).mean() for est in blend.estimators_]
    np.testing.assert_allclose(blend.tuned_spreads_, spread)
    moved = blend.weights_ * np.array(spread)
    share = moved / moved.sum()
    assert tuned_scores_text(blend) == (
        f"held-out macro average precision: good alone {ap[0]:.3f}, noise alone {ap[1]:.3f}, "
        f"blend {blend.tuned_scores_.max():.3f}; share of the blend's spread: good "
        f"{share[0]:.2f}, noise {share[1]:.2f}"
    )
    # fit_with_thresholds tunes them on its held-out part, through a Pipeline
    pipe = Pipeline([("scale", StandardScaler()), ("blend", clone(blend))])
    model = fit_with_thresholds(pipe, X, Y)
    tuned = model.estimator_.named_steps["blend"]
    assert tuned.weights_[0] > 0.5 and tuned.tuned_scores_.shape == (11,)
    # fixed weights are left alone
    fixed = fit_with_thresholds(clone(blend).set_params(weights=[1, 1]), X, Y)
    np.testing.assert_allclose(fixed.estimator_.weights_, [0.5, 0.5])
    # and so is a frozen blend (FrozenEstimator forwards tune_weights to the user's object)
    from sklearn.frozen import FrozenEstimator

    frozen = clone(blend).fit(X[:100], Y[:100])
    ThresholdOptimizer(Pipeline([("f", FrozenEstimator(frozen))]), cv=0.3).fit(X, Y)
    np.testing.assert_allclose(frozen.weights_, [0.5, 0.5])
    assert not hasattr(frozen, "tuned_scores_")
    with pytest.raises(ValueError, match="needs a multilabel indicator matrix"):
        ProbabilityBlend([("a", LogisticRegression())]).fit(X, Y[:, 0]).tune_weights(X, Y[:, 0])
    with pytest.raises(ValueError, match="y has 2 columns, expected 3"):
        blend.tune_weights(X, Y[:, :2])
    with pytest.raises(ValueError, match="step must divide 1"):
        blend.tune_weights(X, Y, step=0.3)
    blend.fit(X, Y)  # a refit starts from equal weights and forgets the old tuning
    np.testing.assert_allclose(blend.weights_, [0.5, 0.5])
    assert not hasattr(blend, "tuned_scores_") and tuned_scores_text(blend) == ""
    assert not hasattr(blend, "tuned_spreads_")


def test_blend_recipe_defaults():
    blend = blend_recipe(max_epochs=3, device="cpu", random_state=4)
    params = blend.get_params()
    assert blend.weights == "tuned"
    assert (params["net__max_epochs"], params["net__random_state"]) == (3, 4)
    assert params["net__module__correlation_scales"] == (1, 2, 4)  # the skhpa recipe's network
    assert type(params["features"]) is type(features_recipe())
    with pytest.raises(TypeError, match="network= and \\['max_epochs'\\]"):
        blend_recipe(network=_tiny_net(), max_epochs=3)


def test_blend_stops_after_a_member_caught_ctrl_c():
    """A network that caught a Ctrl-C returns from fit; the blend must not go on training."""
    from sklearn.base import BaseEstimator, ClassifierMixin

    class Interrupted(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            self.interrupted_ = True  # what HPAClassifier sets after a Ctrl-C
            self.classes_ = np.unique(y)
            return self

        def predict_proba(self, X):
            return np.full((len(X), 2), 0.5)

    class Records(LogisticRegression):
        fitted = []

        def fit(self, X, y):
            Records.fitted.append(len(X))
            return super().fit(X, y)

    X, y = np.arange(20.0)[:, None], np.arange(20) % 2
    blend = ProbabilityBlend([("a", Interrupted()), ("b", Records())])
    with pytest.raises(KeyboardInterrupt, match="fitting 'a' was interrupted"):
        blend.fit(X, y)
    assert Records.fitted == []  # the second member never trained
    # an interrupted last member: nothing left to skip, the blend returns as before
    blend = ProbabilityBlend([("b", Records()), ("a", Interrupted())]).fit(X, y)
    assert Records.fitted == [20] and blend.estimators_[1].interrupted_
