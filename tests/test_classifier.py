import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skhpa import HPAClassifier, ThresholdOptimizer, move_to_device
from skhpa.datasets import make_hpa_like
from skhpa.losses import CombinedLoss, FocalLoss, SoftF1Loss
from skhpa.model_selection import MultilabelStratifiedKFold
from skhpa.nn import MLPNet, SeedCNN


@pytest.fixture(scope="module")
def images():
    return make_hpa_like(96, image_size=32, label_distribution="flat", random_state=0)


def _quick(module=SeedCNN, **kw):
    params = dict(max_epochs=2, batch_size=16, random_state=0, device="cpu")
    params.update(kw)
    return HPAClassifier(module, **params)


def test_fit_predict_shapes_and_dtypes(images):
    X, Y = images
    clf = _quick().fit(X, Y)
    P = clf.predict_proba(X)
    assert P.shape == (96, 28) and P.dtype == np.float64
    assert ((P > 0) & (P < 1)).all()
    pred = clf.predict(X)
    assert pred.shape == Y.shape and pred.dtype == Y.dtype
    assert np.array_equal(pred, (P >= 0.5).astype(Y.dtype))
    assert np.allclose(1 / (1 + np.exp(-clf.decision_function(X))), P, atol=1e-6)
    assert clf.classes_.tolist() == list(range(28))
    assert clf.n_features_in_ == 4 and clf.module_.mean.shape == (4,)
    # the network is built from the data: 2 channels and 5 classes
    clf2 = _quick().fit(X[:, :2], Y[:, :5])
    assert clf2.predict_proba(X[:, :2]).shape == (96, 5)
    assert len(clf.history) == 2 and "valid_f1" in clf.history[-1]


def test_predict_proba_streams_batches_into_one_array(images):
    # predict_proba copies each batch out (flat memory on long lazy inputs); it must
    # equal skorch's forward and not depend on where the batch boundaries fall
    X, Y = images
    clf = _quick().fit(X, Y)
    P = clf.predict_proba(X[:37])
    ref = torch.sigmoid(clf.forward(X[:37])).numpy()
    assert P.shape == (37, 28) and np.allclose(P, ref, atol=1e-6)
    clf.set_params(batch_size=5)
    assert np.allclose(clf.predict_proba(X[:37]), P, atol=1e-6)
    one = np.vstack([clf.predict_proba(X[i : i + 1]) for i in (0, 17, 36)])
    assert np.allclose(one, P[[0, 17, 36]], atol=1e-6)


def test_per_class_threshold_and_min_labels(images):
    X, Y = images
    clf = _quick().fit(X, Y)
    P = clf.predict_proba(X)
    thr = np.linspace(0.05, 0.95, 28)
    clf.set_params(threshold=thr, min_labels=1)
    pred = clf.predict(X)
    assert (pred.sum(1) >= 1).all()
    assert np.array_equal(pred[P.max(1) >= 0.95], (P >= thr)[P.max(1) >= 0.95].astype(pred.dtype))


def test_score_is_macro_f1(images):
    from sklearn.metrics import f1_score

    X, Y = images
    clf = _quick().fit(X, Y)
    assert clf.score(X, Y) == pytest.approx(
        f1_score(Y, clf.predict(X), average="macro", zero_division=0)
    )


def test_same_seed_same_predictions(images):
    X, Y = images
    a = _quick(balanced_sampling=True).fit(X, Y).predict_proba(X)
    b = _quick(balanced_sampling=True).fit(X, Y).predict_proba(X)
    c = _quick(balanced_sampling=True, random_state=1).fit(X, Y).predict_proba(X)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    # no side effect on the global torch RNG
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    _quick(max_epochs=1).fit(X, Y)
    assert torch.equal(torch.rand(1), before)


def test_tta(images):
    X, Y = images
    clf = _quick(tta="d4").fit(X, Y)
    P = clf.predict_proba(X[:8])
    clf.set_params(tta=None)
    P0 = clf.predict_proba(X[:8])
    assert P.shape == P0.shape and not np.allclose(P, P0)
    # D4-averaged predictions are invariant to a rotation of the input
    clf.set_params(tta="d4")
    Pr = clf.predict_proba(np.rot90(X[:8], 1, axes=(2, 3)).copy())
    assert np.allclose(P, Pr, atol=1e-5)
    clf.set_params(tta="flip", tta_combine="max")
    assert (clf.predict_proba(X[:8]) >= P0 - 1e-6).all()


@pytest.mark.parametrize("criterion", [FocalLoss, SoftF1Loss, CombinedLoss])
def test_losses_train(images, criterion):
    X, Y = images
    clf = _quick(criterion=criterion, train_split=None).fit(X, Y)
    losses = clf.history[:, "train_loss"]
    assert np.isfinite(losses).all()


def test_timm_backbone(images):
    X, Y = images
    clf = _quick("resnet18", max_epochs=1).fit(X, Y)
    assert clf.predict_proba(X[:4]).shape == (4, 28)
    assert clf.module_.backbone.conv1.in_channels == 4
    # head: average and max pooling concatenated
    assert clf.module_.head.fc.in_features == 2 * 512


def test_clone_params_pipeline_gridsearch(images):
    X, Y = images
    clf = _quick(module__dropout=0.1, optimizer__weight_decay=1e-4, max_epochs=1)
    assert clf.get_params()["module__dropout"] == 0.1
    c = clone(clf)
    assert c.get_params()["module__dropout"] == 0.1 and c.get_params()["device"] == "cpu"
    gs = GridSearchCV(
        clf,
        {"lr": [1e-3, 3e-3], "criterion": [torch.nn.BCEWithLogitsLoss, FocalLoss]},
        cv=MultilabelStratifiedKFold(2, shuffle=True, random_state=0),
        scoring="f1_macro",
    ).fit(X, Y)
    assert set(gs.cv_results_["params"][0]) == {"lr", "criterion"}
    assert gs.best_estimator_.predict(X).shape == Y.shape


def test_threshold_optimizer_wraps_classifier(images):
    X, Y = images
    opt = ThresholdOptimizer(_quick(max_epochs=1), cv=2, random_state=0, min_labels=1).fit(X, Y)
    assert opt.thresholds_.shape == (28,)
    assert (opt.predict(X).sum(1) >= 1).all()


def test_joblib_round_trip(images, tmp_path):
    X, Y = images
    clf = _quick(device="auto").fit(X, Y)
    joblib.dump(clf, tmp_path / "m.joblib")
    back = joblib.load(tmp_path / "m.joblib")
    assert np.array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert back.get_params()["device"] == "auto"


def test_cuda_pickle_loads_on_cpu_with_mocked_device(images, tmp_path, monkeypatch):
    """A model saved with device='cuda' loads and predicts on a CPU-only machine."""
    X, Y = images
    clf = _quick().fit(X, Y)
    expected = clf.predict_proba(X)
    clf.__dict__["device"] = "cuda"  # as if fitted on a GPU machine
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    joblib.dump(clf, tmp_path / "cuda.joblib")
    with pytest.warns(Warning, match="CUDA"):
        back = joblib.load(tmp_path / "cuda.joblib")
    assert str(back.device) == "cpu"
    assert np.allclose(back.predict_proba(X), expected)


def test_move_to_device(images):
    X, Y = images
    clf = _quick().fit(X, Y)
    opt = ThresholdOptimizer(clf, cv="prefit").fit(X, Y)
    move_to_device(opt, "cpu")
    assert opt.estimator_.device == "cpu"
    assert next(opt.estimator_.module_.parameters()).device.type == "cpu"


@pytest.mark.parametrize(
    "X_change, y_change, message",
    [
        (lambda X: X, lambda Y: Y * 2, "binary"),
        (lambda X: X[:10], lambda Y: Y, "X has 10 samples but y has 96"),
        (lambda X: X[:0], lambda Y: Y[:0], "empty"),
        (lambda X: np.where(X > 250, np.nan, X.astype(float)), lambda Y: Y, "NaN"),
        (lambda X: X[:, 0, 0, 0], lambda Y: Y, "at least 2 dimensions"),
        (
            lambda X: [X[0], X[1][:, :16, :16], *X[2:]],
            lambda Y: Y,
            r"sample 1 has shape \(4, 16, 16\), sample 0 has \(4, 32, 32\)",
        ),
    ],
)
def test_bad_fit_input(images, X_change, y_change, message):
    X, Y = images
    with pytest.raises(ValueError, match=message):
        _quick().fit(X_change(X), y_change(Y))


def test_bad_predict_input_and_params(images):
    X, Y = images
    clf = _quick(max_epochs=1).fit(X, Y)
    with pytest.raises(
        ValueError, match="X has 3 features, but HPAClassifier is expecting 4 features"
    ):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="'max_epochs' parameter of HPAClassifier must be"):
        _quick(max_epochs=0).fit(X, Y)
    with pytest.raises(ValueError, match="'tta' parameter"):
        _quick(tta="d8").fit(X, Y)
    with pytest.raises(ValueError, match="'threshold' parameter"):
        _quick(threshold=1.5).fit(X, Y)
    # checked before training, not at the first predict
    with pytest.raises(ValueError, match=r"threshold must be a float or have 28 values"):
        _quick(threshold=[0.5] * 5, max_epochs=50).fit(X, Y)
    with pytest.raises(ValueError, match="criterion must be a torch loss class.*FocalLoss"):
        _quick(criterion="focal").fit(X, Y)


def test_partial_fit_refuses_another_image_size(images):
    X, Y = images
    clf = _quick(max_epochs=1, train_split=None).fit(X, Y)
    with pytest.raises(
        ValueError, match=r"fitted on samples of shape \(4, 32, 32\).*\(4, 16, 16\)"
    ):
        clf.partial_fit(X[:, :, :16, :16], Y)
    assert len(clf.history) == 1  # nothing trained
    assert clf.partial_fit(X, Y).input_shape_ == (4, 32, 32)


def test_set_params_takes_what_get_params_gives(images):
    # skorch lists the callbacks of get_default_callbacks' list; every key must be settable
    X, Y = images
    from sklearn.pipeline import Pipeline

    from skhpa.preprocessing import ChannelStandardizer

    clf = _quick(max_epochs=1)
    params = clf.get_params(deep=True)
    names = {k.split("__")[1] for k in params if k.startswith("callbacks__")}
    assert {"valid_f1_tuned", "lr_scheduler", "early_stopping"} <= names
    assert "print_log" not in names  # verbose=0 builds none
    clf.set_params(**params)
    clone(clf).fit(X, Y)
    clf.fit(X, Y)
    clf.set_params(**clf.get_params(deep=True))
    assert clf.predict_proba(X).shape == (96, 28)
    pipe = Pipeline([("scale", ChannelStandardizer()), ("net", _quick(max_epochs=1))])
    pipe.set_params(**pipe.get_params(deep=True))
    pipe.set_params(net__callbacks__early_stopping__patience=1)
    pipe.fit(X, Y)
    assert dict(pipe[-1].callbacks_)["early_stopping"].patience == 1


def test_two_d_input_with_mlp():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5)).astype(np.float32)
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0.5], axis=1).astype(int)
    clf = HPAClassifier(
        MLPNet,
        max_epochs=30,
        lr=0.02,
        augment=False,
        train_split=None,
        random_state=0,
        device="cpu",
        module__hidden=16,
    )
    assert clf.fit(X, Y).score(X, Y) > 0.85


def test_validation_split_is_stratified_and_grouped(images):
    from skorch.dataset import Dataset

    from skhpa.neural_net import MultilabelHoldout

    X, Y = images
    groups = np.repeat(np.arange(24), 4)
    train, valid = MultilabelHoldout(0.25, random_state=0)(Dataset(X, Y), Y, groups=groups)
    assert not set(groups[train.indices]) & set(groups[valid.indices])
    clf = _quick(max_epochs=1).fit(X, Y, groups=groups)
    assert "valid_f1" in clf.history[-1]
    with pytest.raises(ValueError, match="groups has 3 entries"):
        _quick(max_epochs=1).fit(X, Y, groups=[1, 2, 3])


def _valid_rows(history_row):
    return sum(b["valid_batch_size"] for b in history_row["batches"] if "valid_batch_size" in b)


def test_validation_data_is_scored_each_epoch_and_only_watches(images):
    from skorch.callbacks import Callback

    from skhpa.neural_net._callbacks import valid_macro_f1_tuned

    X, Y = images
    X_fit, Y_fit, X_val, Y_val = X[:72], Y[:72], X[72:], Y[72:]
    plain = _quick(train_split=None, patience=None).fit(X_fit, Y_fit)
    seen = []  # samples through the network's forward

    class CountForwards(Callback):
        def on_train_begin(self, net, **kwargs):
            net.module_.register_forward_pre_hook(lambda m, args: seen.append(len(args[0])))

    watched = _quick(train_split=None, patience=None, callbacks=[CountForwards()])
    watched.fit(X_fit, Y_fit, X_val=X_val, y_val=Y_val)
    # one validation pass per epoch: the validation scores reuse its logits
    assert sum(seen) == 2 * (72 + 24)
    assert watched.history[-1]["valid_f1_tuned"] == valid_macro_f1_tuned(watched, X_val, Y_val)
    assert "valid_loss" not in plain.history[-1]
    for row in watched.history:
        assert {"valid_loss", "valid_f1", "valid_f1_tuned"} <= set(row)
        assert _valid_rows(row) == 24  # X_val, all of it, every epoch
        assert sum(b["train_batch_size"] for b in row["batches"] if "train_batch_size" in b) == 72
    # the validation pass changes nothing in the training: same losses, same weights
    np.testing.assert_allclose(watched.history[:, "train_loss"], plain.history[:, "train_loss"])
    for a, b in zip(watched.module_.parameters(), plain.module_.parameters()):
        assert torch.equal(a, b)
    assert "early_stopping" not in dict(watched.callbacks_)
    # with patience, the validation data drives early stopping (and replaces train_split)
    stopped = _quick(patience=1, max_epochs=1).fit(X_fit, Y_fit, X_val=X_val, y_val=Y_val)
    assert "early_stopping" in dict(stopped.callbacks_)
    assert _valid_rows(stopped.history[-1]) == 24
    # partial_fit takes it too, also after a first fit without it
    plain.partial_fit(X_fit, Y_fit, X_val=X_val, y_val=Y_val)
    assert "valid_loss" in plain.history[-1] and "valid_loss" not in plain.history[0]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"X_val": "images"}, "X_val was passed without y_val"),
        ({"y_val": "labels"}, "y_val was passed without X_val"),
        ({"X_val": "small", "y_val": "labels"}, r"X_val: .*shape \(4, 16, 16\)"),
        ({"X_val": "images", "y_val": "narrow"}, "y_val has 3 columns, expected 28"),
        ({"X_val": "images", "y_val": "short"}, "X_val has 8 samples but y_val has 5 rows"),
    ],
)
def test_bad_validation_data(images, kwargs, message):
    X, Y = images
    given = {
        "images": X[:8],
        "labels": Y[:8],
        "small": X[:8, :, :16, :16],
        "narrow": Y[:8, :3],
        "short": Y[:5],
    }
    with pytest.raises(ValueError, match=message):
        _quick(max_epochs=1).fit(X, Y, **{k: given[v] for k, v in kwargs.items()})


def test_gridsearch_over_backbones(images):
    X, Y = images
    clf = HPAClassifier(
        "resnet18", max_epochs=1, batch_size=32, train_split=None, device="cpu", random_state=0
    )
    gs = GridSearchCV(
        clf,
        {"module__backbone": ["resnet10t", "resnet18"]},
        cv=MultilabelStratifiedKFold(2, shuffle=True, random_state=0),
        scoring="f1_macro",
        refit=False,
    ).fit(X, Y)
    assert [p["module__backbone"] for p in gs.cv_results_["params"]] == ["resnet10t", "resnet18"]
    fitted = clone(clf).set_params(module__backbone="resnet10t").fit(X, Y)
    assert fitted.module_.backbone.default_cfg["architecture"] == "resnet10t"


def test_num_workers_auto_only_for_lazy_inputs_on_cuda(monkeypatch, tmp_path):
    import os

    from skorch.dataset import Dataset

    from skhpa.datasets import load_hpa, write_hpa_like
    from skhpa.preprocessing import ImageLoader

    root = write_hpa_like(tmp_path / "d", 4, 1, image_size=16, random_state=0)
    lazy = ImageLoader(lazy=True).fit_transform(load_hpa(root).stems)
    eager = np.zeros((4, 4, 16, 16), np.uint8)
    net = HPAClassifier()
    assert net.num_workers == "auto"
    assert net._num_workers_for(Dataset(lazy)) == 0  # the CPU keeps its cores for training
    monkeypatch.setattr(HPAClassifier, "_on_cuda", lambda self: True)
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert net._num_workers_for(Dataset(lazy)) == 15
    assert net._num_workers_for(Dataset(eager)) == 0  # nothing to decode
    assert HPAClassifier(num_workers=3)._num_workers_for(Dataset(lazy)) == 3


def test_worker_batches_arrive_in_shared_memory_with_the_right_pixels(tmp_path):
    """DataLoader workers read each batch into shared memory (no copy on the way back)."""
    from skhpa.datasets import load_hpa, write_hpa_like
    from skhpa.preprocessing import ImageLoader

    root = write_hpa_like(tmp_path / "d", 10, 1, image_size=16, random_state=0)
    stems = load_hpa(root).stems
    lazy = ImageLoader(lazy=True).fit_transform(stems)
    eager = ImageLoader().fit_transform(stems)
    Y = np.zeros((10, 28), np.float32)
    for X in (lazy, eager):
        net = HPAClassifier(num_workers=1, batch_size=4)
        batches = list(net.get_iterator(net.get_dataset(X, Y), training=False))
        assert [len(xb) for xb, _ in batches] == [4, 4, 2]
        assert all(xb.is_shared() for xb, _ in batches)
        assert np.array_equal(np.concatenate([xb.numpy() for xb, _ in batches]), eager)
    # the main process keeps reading into private memory, with the same pixels
    net = HPAClassifier(num_workers=0, batch_size=4)
    batches = list(net.get_iterator(net.get_dataset(lazy, Y), training=False))
    assert not batches[0][0].is_shared()
    assert np.array_equal(np.concatenate([xb.numpy() for xb, _ in batches]), eager)
    with pytest.raises(ValueError, match="out must be a uint8 array of shape"):
        lazy.take([0, 1], out=np.empty((3, 4, 16, 16), np.uint8))


def test_verbose_output_off_a_terminal_is_plain(images, capsys, monkeypatch):
    # pytest captures the output (no terminal): the epoch table without colour codes, no
    # progress bar; on a terminal, skorch's coloured table and its progress bar
    X, Y = images
    net = _quick(verbose=1, max_epochs=2, train_split="auto").fit(X, Y)
    assert "progress_bar" not in dict(net.callbacks_)
    out = capsys.readouterr()
    assert "valid_f1_tuned" in out.out and "\x1b[" not in out.out
    assert "it/s" not in out.err
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    net = _quick(verbose=1, max_epochs=1, train_split="auto").fit(X, Y)
    assert "progress_bar" in dict(net.callbacks_)
    assert "\x1b[" in capsys.readouterr().out  # the best scores are coloured


def test_repr_shows_the_parameters_that_differ_from_their_defaults():
    from sklearn.pipeline import Pipeline

    net = HPAClassifier(SeedCNN, max_epochs=1, random_state=0, module__dropout=0.1)
    text = repr(net)
    assert text.startswith("HPAClassifier(max_epochs=1, module=<class") and "dropout=0.1" in text
    # skorch's own parameters at their defaults stay out, also inside a Pipeline
    nested = repr(Pipeline([("net", HPAClassifier(SeedCNN))]))
    for name in ("callbacks", "compile", "dataset", "iterator_train", "warm_start"):
        assert name not in text and name not in nested
    assert repr(HPAClassifier()) == "HPAClassifier()"
    # callbacks of an unfitted network are stored by set_params and checked at fit
    assert net.set_params(callbacks=[]).callbacks == []


@pytest.mark.parametrize("n_images, batches", [(33, 2), (34, 3)])
def test_a_last_batch_of_one_image_is_dropped_for_batch_norm(n_images, batches):
    # resnet18's batch norm cannot train on one image ("Expected more than 1 value per
    # channel"): with 33 images in batches of 16 the last one is dropped, with 34 it trains
    X, Y = make_hpa_like(n_images, image_size=32, label_distribution="flat", random_state=0)
    net = HPAClassifier(
        "resnet18", max_epochs=2, batch_size=16, train_split=None, random_state=0
    ).fit(X, Y)
    assert [len(net.history[e, "batches"]) for e in (0, 1)] == [batches, batches]
    assert net.predict_proba(X).shape == (n_images, 28)
    # a network without batch norm keeps every image
    seed = HPAClassifier(SeedCNN, max_epochs=1, batch_size=16, train_split=None).fit(X, Y)
    assert len(seed.history[-1, "batches"]) == 3


def test_set_params_of_get_params_pins_no_callback(tmp_path):
    # handing get_params back must leave the callbacks to the network's own parameters
    from sklearn.base import clone

    from skhpa import save_model
    from skhpa.datasets import make_hpa_like
    from skhpa.nn import SeedCNN

    X, Y = make_hpa_like(40, image_size=16, label_distribution="flat", random_state=0)
    net = HPAClassifier(SeedCNN, max_epochs=2, random_state=0, verbose=0)
    net.set_params(**net.get_params())
    assert "callbacks__" not in repr(net)
    fitted = clone(net).set_params(patience=1).fit(X, Y)
    assert dict(fitted.callbacks_)["early_stopping"].patience == 1
    save_model(net, tmp_path / "net.skhpa")  # no callback object to store
    # a value that differs from what fit builds is still applied
    other = clone(net).set_params(callbacks__early_stopping__patience=3).fit(X, Y)
    assert dict(other.callbacks_)["early_stopping"].patience == 3


def test_the_validation_split_with_groups_names_the_share_not_n_splits():
    from skhpa.datasets import make_hpa_like
    from skhpa.nn import SeedCNN

    X, Y = make_hpa_like(40, image_size=16, random_state=0)
    net = HPAClassifier(SeedCNN, max_epochs=1, verbose=0)
    with pytest.warns(UserWarning, match="a held-out share of 0.2 with groups is one of 5"):
        net.fit(X, Y, groups=np.arange(40) // 2)


def test_tta_on_non_square_images_names_the_shape():
    from skhpa.nn import SeedCNN

    rng = np.random.RandomState(0)
    X = rng.randint(0, 255, (16, 4, 16, 24), dtype=np.uint8)
    Y = rng.randint(0, 2, (16, 28))
    net = HPAClassifier(SeedCNN, max_epochs=1, tta="flip", train_split=None, verbose=0)
    net.fit(X, Y)
    shape = r"tta='flip'\) needs square .* got shape \(16, 4, 16, 24\)"
    with pytest.raises(ValueError, match=shape):
        net.predict_proba(X)
    assert net.set_params(tta=None).predict_proba(X).shape == (16, 28)
