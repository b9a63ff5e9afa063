import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from skhpa import ThresholdOptimizer
from skhpa.recipes import fit_with_thresholds, seed_recipe, skhpa_recipe


class _RowCounter(ClassifierMixin, BaseEstimator):
    """A one-vs-rest logistic regression that records how many rows it was fitted on."""

    def fit(self, X, Y):
        self.n_fit_rows_ = len(X)
        self.estimator_ = OneVsRestClassifier(LogisticRegression()).fit(X, Y)
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X):
        return self.estimator_.predict_proba(X)


def test_fit_with_thresholds_holds_out_a_stratified_part():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4))
    Y = np.stack([X[:, 0] > 1.0, X[:, 1] > 0, X[:, 2] > 0.5], axis=1).astype(int)
    model = fit_with_thresholds(_RowCounter(), X.tolist(), Y)
    assert isinstance(model, ThresholdOptimizer)
    assert model.thresholds_.shape == (3,)
    # the network was fitted on 80 %: 240 rows
    inner = model.estimator_
    assert inner.n_fit_rows_ == 240
    assert inner.estimator_.estimators_[0].coef_.shape == (1, 4)
    assert (model.predict(X).sum(1) >= 1).all()  # min_labels=1


def test_the_returned_model_cross_validates_without_leaking():
    # the model is ThresholdOptimizer(estimator, cv=valid_size, refit=False): cloning it
    # gives the unfitted protocol, so a cross-validation refits the estimator on each
    # training fold (a frozen fitted model would score the rows it was trained on)
    from sklearn.base import clone
    from sklearn.model_selection import cross_validate

    from skhpa.model_selection import MultilabelStratifiedKFold, multilabel_train_test_split

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4))
    Y = np.stack([X[:, 0] > 1.0, X[:, 1] > 0, X[:, 2] > 0.5], axis=1).astype(int)
    model = fit_with_thresholds(_RowCounter(), X, Y, random_state=3)
    assert not hasattr(clone(model), "thresholds_")
    assert not hasattr(model.estimator, "n_fit_rows_")  # the template is not fitted
    cv = MultilabelStratifiedKFold(3, shuffle=True, random_state=0)
    res = cross_validate(model, X, Y, cv=cv, scoring="f1_macro", return_estimator=True)
    assert [m.estimator_.n_fit_rows_ for m in res["estimator"]] == [160, 160, 160]
    # the split is multilabel_train_test_split's with the same seed
    _, test = multilabel_train_test_split(np.arange(300), test_size=0.2, random_state=3, stratify=Y)
    np.testing.assert_array_equal(np.flatnonzero(~np.isnan(model.oof_proba_[:, 0])), np.sort(test))


def test_fit_with_thresholds_defaults_and_fold_ensemble():
    from skhpa.recipes import DEFAULT_MAX_LABEL_RATIO, DEFAULT_SHRINKAGE, DEFAULT_STRATEGY

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4))
    Y = np.stack([X[:, 0] > 1.5, X[:, 1] > 0, X[:, 2] > 0.5], axis=1).astype(int)
    X[:, 1] = rng.normal(size=300)  # class 1 (50 % positives) becomes unlearnable
    est = OneVsRestClassifier(LogisticRegression())
    held = fit_with_thresholds(est, X, Y)
    # the defaults the threshold study chose: per class, rates capped at 1.25x the frequency
    assert (held.strategy, held.max_label_ratio, held.shrinkage) == ("per_class", 1.25, 0.0)
    assert (DEFAULT_STRATEGY, DEFAULT_MAX_LABEL_RATIO, DEFAULT_SHRINKAGE) == ("per_class", 1.25, 0)
    assert held.cv == 0.2 and held.refit is False and held.prior is None
    np.testing.assert_allclose(held.label_frequencies_, Y.mean(0))  # all 300 rows
    tuned = ~np.isnan(held.oof_proba_).any(axis=1)
    P = held.oof_proba_[tuned]
    assert len(P) == 60  # tuned on the held-out 20 %
    # the cap's rates: the frequencies of all 300 training rows, not of the 60 held out
    counts = (P >= held.thresholds_).sum(0)
    assert (counts <= np.ceil(1.25 * Y.mean(0) * 60)).all()
    plain = fit_with_thresholds(est, X, Y, max_label_ratio=None)
    # uncapped, the F1-optimal threshold of the unlearnable class predicts it for most rows
    assert (P >= plain.thresholds_).sum(0)[1] > 1.25 * Y[:, 1].mean() * 60
    assert fit_with_thresholds(est, X, Y, shrinkage=5).shrinkage == 5
    ens = fit_with_thresholds(est, X, Y, folds=3, random_state=1)
    assert isinstance(ens, ThresholdOptimizer) and len(ens.estimators_) == 3
    assert ens.get_params()["refit"] is False and ens.max_label_ratio == 1.25
    assert not np.isnan(ens.oof_proba_).any()  # tuned on all 300 rows
    mean = np.mean([e.predict_proba(X) for e in ens.estimators_], axis=0)
    np.testing.assert_allclose(ens.predict_proba(X), mean)
    assert (ens.predict(X).sum(1) >= 1).all()


def test_recipes_are_what_they_say():
    seed = seed_recipe()
    net = seed.named_steps["net"]
    assert net.threshold == 0.5 and not net.augment and net.module.__name__ == "SeedCNN"
    full = skhpa_recipe()
    assert full.module == "resnet18" and full.tta == "d4"
    assert not full.balanced_sampling  # it cost macro-F1 on held-out data seeds
    assert full.criterion.__name__ == "CombinedLoss"
    # the decision belongs to fit_with_thresholds' ThresholdOptimizer, not the network
    assert full.min_labels == 0 and full.threshold == 0.5
    assert full.module__correlation_scales == (1, 2, 4)
    assert "module__correlation_scales" not in skhpa_recipe(correlation_scales=None).get_params()


def test_features_recipe_uses_the_reference_channels():
    # the network-free baseline: the overlap with the references must carry signal the
    # green statistics alone lack (on synthetic data: 0.33 vs 0.25 macro-F1 here with
    # generator version 2, whose red and yellow fill the cytoplasm as in real fields; version 1,
    # with sparser references, gave ~0.42 vs ~0.25)
    from sklearn.metrics import f1_score

    from skhpa.datasets import make_hpa_like
    from skhpa.recipes import features_recipe, fit_with_thresholds

    X, Y = make_hpa_like(500, image_size=32, label_distribution="flat", random_state=0)
    scores = {}
    for green_only in (False, True):
        est = fit_with_thresholds(
            features_recipe(green_only=green_only), X[:350], Y[:350], random_state=0
        )
        P = est.predict(X[350:])
        assert P.shape == (150, 28) and (P.sum(1) >= 1).all()
        scores[green_only] = f1_score(Y[350:], P, average="macro", zero_division=0)
    assert scores[True] > 0.15  # far above chance even on green alone
    assert scores[False] > scores[True] + 0.05


def test_features_recipe_heads():
    import pytest

    from skhpa import HPAClassifier
    from skhpa.datasets import make_hpa_like
    from skhpa.recipes import blend_recipe, features_recipe

    net = features_recipe(device="cpu", random_state=3).named_steps["clf"]
    assert isinstance(net, HPAClassifier) and net.module.__name__ == "MLPNet"
    assert net.criterion.__name__ == "CombinedLoss" and not net.augment
    assert (net.module__hidden, net.max_epochs, net.optimizer__weight_decay) == (256, 60, 0.01)
    assert (net.device, net.random_state, net.train_split) == ("cpu", 3, None)
    small = features_recipe(hidden=8, max_epochs=2).named_steps["clf"]
    assert (small.module__hidden, small.max_epochs) == (8, 2)
    lr = features_recipe(head="logistic").named_steps["clf"].estimator
    assert (lr.C, lr.max_iter) == (10.0, 5000)
    assert features_recipe(head="logistic", C=0.1).named_steps["clf"].estimator.C == 0.1
    with pytest.raises(ValueError, match=r"head='network'\) got C, which only the logistic"):
        features_recipe(C=1.0)
    with pytest.raises(ValueError, match=r"head='logistic'\) got max_epochs, which only the net"):
        features_recipe(head="logistic", max_epochs=3)
    with pytest.raises(ValueError, match="head must be"):
        features_recipe(head="mlp")
    # the network head fits on the features, standardized, and predicts probabilities
    X, Y = make_hpa_like(60, image_size=16, label_distribution="flat", random_state=0)
    model = features_recipe(max_epochs=3, device="cpu").fit(X, Y)
    P = model.predict_proba(X)
    assert P.shape == (60, 28) and ((P > 0) & (P < 1)).all()
    assert model.named_steps["clf"].module_.net[0].in_features == model[:-1].transform(X).shape[1]
    # blend_recipe's feature model trains where its network does, seeded alike
    blend = blend_recipe(max_epochs=1, device="cpu", random_state=7)
    feat = blend.get_params()["features"].named_steps["clf"]
    assert (feat.device, feat.random_state) == ("cpu", 7)


def test_features_recipe_follows_the_input_channels():
    import pytest

    from skhpa.datasets import make_hpa_like
    from skhpa.recipes import features_recipe

    X, Y = make_hpa_like(40, image_size=16, label_distribution="flat", random_state=0)
    # the same images with the channels (red, green, blue, yellow) given as (green, blue)
    two = features_recipe(input_channels=("green", "blue")).fit(X[:, 1:3], Y)
    names = two.named_steps["features"].get_feature_names_out()
    assert any(n.startswith("green~blue") for n in names)
    assert not any("red" in n or "yellow" in n for n in names)
    full = features_recipe().fit(X, Y).named_steps["features"]
    F_full = full.transform(X)
    F_two = two.named_steps["features"].transform(X[:, 1:3])
    keep = [list(full.get_feature_names_out()).index(n) for n in names]
    np.testing.assert_allclose(F_two, F_full[:, keep])  # same features, fewer references
    green = features_recipe(green_only=True, input_channels=("blue", "green"))
    assert green.fit(X[:, [2, 1]], Y).named_steps["green"].input_channels == ("blue", "green")
    with pytest.raises(ValueError, match=r"input_channels \('red', 'blue'\) has no green"):
        features_recipe(input_channels=("red", "blue"))


def test_the_threshold_optimizer_alone_decides_on_the_recipe_path():
    from skhpa.datasets import make_hpa_like
    from skhpa.nn import SeedCNN
    from skhpa.thresholding import apply_thresholds

    X, Y = make_hpa_like(60, image_size=16, label_distribution="flat", random_state=0)

    def recipe(**params):
        net = skhpa_recipe(backbone=SeedCNN, max_epochs=1, batch_size=16, device="cpu", **params)
        return fit_with_thresholds(net, X, Y, random_state=0)

    model = recipe()
    assert model.min_labels == 1
    pred = model.predict(X)
    P = model.predict_proba(X)
    np.testing.assert_array_equal(pred, apply_thresholds(P, model.thresholds_, 1, Y.dtype))
    assert (pred.sum(1) >= 1).all()
    # the network's own decision parameters play no part: its predictions ignore them
    net = model.estimator_
    net.set_params(min_labels=1, threshold=0.99)
    np.testing.assert_array_equal(model.predict(X), pred)
    # and the recipe predicts what it did when it also set min_labels=1 on the network
    np.testing.assert_array_equal(recipe(min_labels=1).predict(X), pred)


def test_fit_with_thresholds_gives_the_held_out_part_to_the_network_as_validation():
    from sklearn.pipeline import Pipeline

    from skhpa.datasets import make_hpa_like
    from skhpa.nn import SeedCNN
    from skhpa.preprocessing import ChannelSelector
    from skhpa.recipes import blend_recipe
    from skhpa.thresholding._held_out import validation_fit_params

    X, Y = make_hpa_like(100, image_size=32, label_distribution="flat", random_state=0)
    net = skhpa_recipe(backbone=SeedCNN, max_epochs=2, batch_size=16, tta=None, device="cpu")
    assert net.patience is None and net.train_split is None
    model = fit_with_thresholds(blend_recipe(network=net), X, Y)
    fitted = model.estimator_.named_estimators_["net"]
    assert len(fitted.history) == 2
    for row in fitted.history:  # the 20 held-out images, scored after each epoch
        assert np.isfinite([row["valid_loss"], row["valid_f1_tuned"]]).all()
        assert sum(b.get("valid_batch_size", 0) for b in row["batches"]) == 20
    # the same 20 tune the thresholds (the training rows have no out-of-fold probability)
    assert (~np.isnan(model.oof_proba_).any(axis=1)).sum() == 20
    # routing: directly, through a blend, through a one-step Pipeline; not through transforms
    X_va, Y_va = X[:4], Y[:4]
    assert set(validation_fit_params(net, X_va, Y_va)) == {"X_val", "y_val"}
    assert set(validation_fit_params(blend_recipe(network=net), X_va, Y_va)) == {
        "net__X_val",
        "net__y_val",
    }
    assert set(validation_fit_params(Pipeline([("net", net)]), X_va, Y_va)) == {
        "net__X_val",
        "net__y_val",
    }
    green = Pipeline([("green", ChannelSelector(("green",))), ("net", net)])
    assert validation_fit_params(green, X_va, Y_va) == {}
    assert validation_fit_params(LogisticRegression(), X_va, Y_va) == {}
    # a HistGradientBoosting model's fit takes X_val too, but for early stopping: left alone
    from sklearn.ensemble import HistGradientBoostingClassifier

    assert validation_fit_params(HistGradientBoostingClassifier(), X_va, Y_va) == {}


def test_fit_with_thresholds_validation_through_a_pipelines_transforms(tmp_path):
    # the CLI's layout: ImageLoader, then the blend; the held-out stems go through the loader
    # fitted on the training part, and the network scores them after each epoch
    from sklearn.pipeline import Pipeline

    from skhpa.datasets import load_hpa, write_hpa_like
    from skhpa.model_selection import multilabel_train_test_split
    from skhpa.nn import SeedCNN
    from skhpa.preprocessing import ImageLoader
    from skhpa.recipes import blend_recipe

    root = write_hpa_like(tmp_path / "d", 100, 2, image_size=32, random_state=0,
                          label_distribution="flat")  # fmt: skip
    data = load_hpa(root, "train")

    def pipeline():
        net = skhpa_recipe(backbone=SeedCNN, max_epochs=2, batch_size=16, tta=None, device="cpu")
        return Pipeline([("load", ImageLoader(image_size=24, lazy=True)),
                         ("blend", blend_recipe(network=net))])  # fmt: skip

    template = pipeline()
    model = fit_with_thresholds(template, data.stems, data.target)
    pipe = model.estimator_  # a fitted clone: the template stays as it was
    assert pipe is not template and not hasattr(template["load"], "image_shape_")
    assert pipe["load"].image_shape_ == (24, 24)
    history = pipe["blend"].named_estimators_["net"].history
    for row in history:  # the 20 held-out images, read by the fitted loader, every epoch
        assert sum(b.get("valid_batch_size", 0) for b in row["batches"]) == 20
        assert np.isfinite(row["valid_loss"])
    # the validation data only score: the network trains as with Pipeline.fit on the same part
    tr, _ = multilabel_train_test_split(
        np.arange(100), test_size=0.2, random_state=0, stratify=data.target
    )
    plain = pipeline()
    plain["blend"].set_params(weights=(0.5, 0.5))  # no tuning part here: fixed weights
    plain.fit(data.stems[tr], data.target[tr])
    assert (
        plain["blend"].named_estimators_["net"].history[:, "train_loss"] == history[:, "train_loss"]
    )
