"""save_model / load_model: JSON + safetensors, no unpickling; tampered files fail loudly."""

import hashlib
import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from imblearn.pipeline import Pipeline as ImbPipeline
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from skhpa import HPAClassifier, ThresholdOptimizer, load_model, save_model
from skhpa.datasets import make_hpa_like
from skhpa.losses import CombinedLoss
from skhpa.model_selection import MultilabelStratifiedKFold
from skhpa.nn import SeedCNN
from skhpa.persistence import ModelFileError, dump_joblib, model_file_info
from skhpa.preprocessing import ChannelSelector, ChannelStandardizer, Resize
from skhpa.recipes import features_recipe, fit_with_thresholds, seed_recipe
from skhpa.resampling import MLROS

DATA = Path(__file__).parent / "data" / "model_files"


@pytest.fixture(scope="module")
def data():
    return make_hpa_like(96, image_size=32, label_distribution="flat", random_state=0)


@pytest.fixture(scope="module")
def fitted(data):
    X, Y = data
    return fit_with_thresholds(seed_recipe(max_epochs=1, device="cpu"), X, Y)


def test_round_trip_threshold_optimizer_pipeline(fitted, data, tmp_path):
    X, _ = data
    path = save_model(fitted, tmp_path / "m.skhpa")
    loaded = load_model(path)
    assert type(loaded) is ThresholdOptimizer
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))
    np.testing.assert_array_equal(loaded.thresholds_, fitted.thresholds_)
    assert loaded.predict(X).dtype == fitted.predict(X).dtype
    net = loaded.estimator_.named_steps["net"]
    assert len(net.history) == 1 and net.module is SeedCNN
    assert loaded.get_params()["min_labels"] == 1
    assert model_file_info(path)["format"] == "skhpa-model"


def test_wrapped_network_is_stored_once(data, tmp_path):
    """A FrozenEstimator forwards attribute access to the network it wraps; its own state
    must not be the network's weights a second time (the file was 2x the weights)."""
    X, Y = data
    fitted = fit_with_thresholds(seed_recipe(max_epochs=1, device="cpu").named_steps["net"], X, Y)
    net = fitted.estimator_
    assert isinstance(net, HPAClassifier)
    weights = sum(t.numel() * t.element_size() for t in net.module_.state_dict().values())
    path = save_model(fitted, tmp_path / "m.skhpa")
    with zipfile.ZipFile(path) as zf:
        stored = sum(i.file_size for i in zf.infolist() if not i.filename.endswith(".json"))
    assert weights <= stored <= 1.05 * weights + 4096


def test_round_trip_fold_ensemble(data, tmp_path):
    X, Y = data
    ens = ThresholdOptimizer(
        seed_recipe(max_epochs=1, device="cpu"), cv=2, refit=False, shrinkage=5, random_state=0
    ).fit(X, Y)
    loaded = load_model(save_model(ens, tmp_path / "ens.skhpa"))
    assert len(loaded.estimators_) == 2 and not hasattr(loaded, "estimator_")
    assert loaded.estimators_[0] is not loaded.estimators_[1]
    np.testing.assert_array_equal(loaded.predict_proba(X), ens.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), ens.predict(X))
    np.testing.assert_array_equal(loaded.thresholds_, ens.thresholds_)
    assert loaded.get_params()["shrinkage"] == 5 and loaded.get_params()["refit"] is False


def test_round_trip_timm_net_with_tta_and_transformers(data, tmp_path):
    X, Y = data
    model = Pipeline(
        [
            ("resize", Resize(24)),
            ("std", ChannelStandardizer()),
            (
                "net",
                HPAClassifier(
                    "resnet18",
                    criterion=CombinedLoss,
                    max_epochs=1,
                    tta="flip",
                    train_split=None,
                    device="cpu",
                    random_state=0,
                    threshold=np.full(28, 0.3),
                    module__correlation_scales=(1, 2),
                ),
            ),
        ]
    ).fit(X, Y)
    loaded = load_model(save_model(model, tmp_path / "timm.skhpa"))
    assert loaded.named_steps["net"].module__correlation_scales == (1, 2)
    assert loaded.named_steps["net"].module_.correlations.scales == (1, 2)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.named_steps["std"].mean_, model.named_steps["std"].mean_)
    assert loaded.named_steps["net"].criterion is CombinedLoss


def test_unfitted_and_imblearn_pipeline_round_trip(tmp_path):
    model = ImbPipeline(
        [
            ("ros", MLROS(sampling_ratio=0.5, random_state=3)),
            ("green", ChannelSelector(("green", "blue"))),
            ("net", HPAClassifier(SeedCNN, lr=0.01, train_split=0.25)),
        ]
    )
    opt = ThresholdOptimizer(model, cv=MultilabelStratifiedKFold(3, shuffle=True, random_state=1))
    loaded = load_model(save_model(opt, tmp_path / "u.skhpa"))
    assert repr(loaded.cv) == repr(opt.cv)
    assert loaded.estimator.named_steps["green"].channels == ("green", "blue")
    assert loaded.estimator.named_steps["ros"].sampling_ratio == 0.5
    assert loaded.estimator.named_steps["net"].get_params()["lr"] == 0.01


def test_refuses_what_needs_pickle(tmp_path):
    with pytest.raises(TypeError, match="KNeighborsClassifier"):
        save_model(ThresholdOptimizer(KNeighborsClassifier()), tmp_path / "x.skhpa")
    with pytest.raises(TypeError, match="scoring"):
        save_model(ThresholdOptimizer(ChannelSelector(), scoring=len), tmp_path / "x.skhpa")
    assert not (tmp_path / "x.skhpa").exists()  # nothing half-written


def test_pickle_names_and_pickle_files_are_told_apart(tmp_path):
    # a name that promises joblib.load a file it could not open
    for name in ("m.joblib", "m.PKL", "m.pickle"):
        with pytest.raises(ValueError, match="joblib.load cannot open: name it 'm.skhpa'"):
            save_model(ChannelSelector(), tmp_path / name)
    assert list(tmp_path.iterdir()) == []
    # a joblib or pickle file given to load_model is named as such, whatever its name
    for compress in (0, 3, ("gzip", 3), ("xz", 3), ("lzma", 3), ("bz2", 3)):
        path = dump_joblib(ChannelSelector(), tmp_path / "m.skhpa", compress=compress)
        with pytest.raises(ModelFileError, match="a joblib or pickle file, not a skhpa model"):
            load_model(path)
    path.write_text("just some text\n")
    with pytest.raises(ModelFileError, match="not a readable skhpa model file"):
        load_model(path)


def _rewrite(path, out, member, edit):
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[member] = edit(members[member])
    with zipfile.ZipFile(out, "w") as zf:
        for n, b in members.items():
            zf.writestr(n, b)
    return out


def test_tampered_files_fail_loudly(fitted, tmp_path):
    path = save_model(fitted, tmp_path / "m.skhpa")

    def flip_weight_byte(b):
        b = bytearray(b)
        b[-100] ^= 0xFF
        return bytes(b)

    bad = _rewrite(path, tmp_path / "w.skhpa", "arrays.safetensors", flip_weight_byte)
    with pytest.raises(ModelFileError, match="checksum mismatch for arrays"):
        load_model(bad)
    bad = _rewrite(
        path,
        tmp_path / "c.skhpa",
        "config.json",
        lambda b: b.replace(b'"min_labels": 1', b'"min_labels": 0'),
    )
    with pytest.raises(ModelFileError, match="checksum mismatch for config"):
        load_model(bad)
    # truncated file and random bytes
    raw = path.read_bytes()
    (tmp_path / "t.skhpa").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ModelFileError, match="not a readable"):
        load_model(tmp_path / "t.skhpa")
    (tmp_path / "r.skhpa").write_bytes(b"\x80\x04K\x01." * 10)  # a pickle
    with pytest.raises(ModelFileError):
        load_model(tmp_path / "r.skhpa")


def _forge(path, out, old, new):
    """Edit config.json and recompute its checksum (what a deliberate forger would do)."""
    out = _rewrite(path, out, "config.json", lambda b: b.replace(old, new))
    with zipfile.ZipFile(out) as zf:
        config = zf.read("config.json")
        assert old not in config  # the edit happened
        manifest = json.loads(zf.read("manifest.json"))
    manifest["sha256"]["config.json"] = hashlib.sha256(config).hexdigest()
    return _rewrite(out, out, "manifest.json", lambda b: json.dumps(manifest).encode())


def test_class_outside_allowlist_is_refused_even_with_valid_checksums(tmp_path):
    path = save_model(ChannelSelector(("green",)), tmp_path / "m.skhpa")
    evil = _forge(
        path, tmp_path / "evil.skhpa", b"skhpa.preprocessing.ChannelSelector", b"os.system"
    )
    with pytest.raises(ModelFileError, match="'os.system', which is not an allowed class"):
        load_model(evil)


def test_weights_that_do_not_fit_are_refused(data, tmp_path):
    X, Y = data
    net = HPAClassifier(SeedCNN, max_epochs=1, train_split=None, device="cpu").fit(X, Y)
    path = save_model(net, tmp_path / "n.skhpa")
    # claim 27 classes: the last layer's weights no longer fit
    bad = _forge(path, tmp_path / "bad.skhpa", b'"n_classes_": 28', b'"n_classes_": 27')
    with pytest.raises(ModelFileError, match="do not fit the network"):
        load_model(bad)


def test_unknown_format_version(tmp_path):
    from skhpa.persistence._safe import FORMAT_VERSION

    path = save_model(Resize(8), tmp_path / "m.skhpa")
    current = f'"format_version": {FORMAT_VERSION}'.encode()
    bad = _rewrite(
        path,
        tmp_path / "v.skhpa",
        "manifest.json",
        lambda b: b.replace(current, b'"format_version": 99'),
    )
    with pytest.raises(ModelFileError, match="format version 99 is not supported"):
        load_model(bad)


def test_version_1_files_still_load(tmp_path):
    # written by skhpa 0.1.0.dev0 before the persistence hook (format version 1; see
    # tests/data/SOURCES.md): a ThresholdOptimizer around a frozen MLPNet network
    model = load_model(DATA / "model_v1.skhpa")
    expected = np.load(DATA / "model_v1_expected.npz")
    assert model_file_info(DATA / "model_v1.skhpa")["format_version"] == 1
    # to float32 precision: the same weights give probabilities that differ by an ulp or so
    # between CPUs (AVX2 / AVX-512 kernels; the expected values came from another machine)
    np.testing.assert_allclose(
        model.predict_proba(expected["X"]), expected["proba"], rtol=1e-6, atol=1e-7
    )
    np.testing.assert_array_equal(model.predict(expected["X"]), expected["pred"])
    assert model.predict(expected["X"]).dtype == expected["pred"].dtype
    # saved again, it is a current-version file that loads to the same predictions
    again = save_model(model, tmp_path / "v2.skhpa")
    assert model_file_info(again)["format_version"] == 2
    np.testing.assert_array_equal(load_model(again).predict(expected["X"]), expected["pred"])


def test_persistence_goes_through_the_estimators_hook(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(
        Resize, "__skhpa_getstate__", lambda self: {"custom": (1, "a")}, raising=False
    )
    monkeypatch.setattr(
        Resize, "__skhpa_setstate__", lambda self, state: seen.append(state), raising=False
    )
    path = save_model(Resize(8).fit(np.zeros((1, 1, 2, 2))), tmp_path / "h.skhpa")
    with zipfile.ZipFile(path) as zf:
        state = json.loads(zf.read("config.json"))["estimator"]["state"]
    assert state == {"custom": {"__tuple__": [1, "a"]}}  # n_features_in_ not stored: the hook
    loaded = load_model(path)
    assert seen == [{"custom": (1, "a")}] and not hasattr(loaded, "n_features_in_")


def test_fitted_state_without_hook_is_the_public_fitted_attributes(data, tmp_path):
    X, _ = data
    std = ChannelStandardizer().fit(X)
    path = save_model(std, tmp_path / "s.skhpa")
    with zipfile.ZipFile(path) as zf:
        state = json.loads(zf.read("config.json"))["estimator"]["state"]
    assert sorted(state) == ["mean_", "n_features_in_", "std_"]
    # a forged file cannot set a private attribute on an estimator without a hook
    forged = _forge(path, tmp_path / "f.skhpa", b'"std_"', b'"_std"')
    with pytest.raises(ModelFileError, match="'_std' is not a fitted attribute"):
        load_model(forged)


def test_network_state_is_what_its_hook_returns(data, tmp_path):
    X, Y = data
    net = HPAClassifier(SeedCNN, max_epochs=1, train_split=None, device="cpu").fit(X[:32], Y[:32])
    state = net.__skhpa_getstate__()
    assert {"n_classes_", "channel_mean_", "_y_dtype", "weights", "history"} <= set(state)
    with zipfile.ZipFile(save_model(net, tmp_path / "n.skhpa")) as zf:
        stored = json.loads(zf.read("config.json"))["estimator"]["state"]
    assert sorted(stored) == sorted(state)
    assert HPAClassifier(SeedCNN).__skhpa_getstate__() == {}  # unfitted: nothing to store


@pytest.fixture(scope="module")
def features_model():
    X, Y = make_hpa_like(60, image_size=16, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # OneVsRest: a label present in every row
        return features_recipe(head="logistic").fit(X, Y), X


def test_round_trip_features_recipe_network_head(tmp_path):
    """The default head: LocalizationFeatures, StandardScaler, HPAClassifier(MLPNet)."""
    X, Y = make_hpa_like(40, image_size=16, label_distribution="flat", random_state=0)
    model = features_recipe(max_epochs=2, device="cpu").fit(X, Y)
    loaded = load_model(save_model(model, tmp_path / "n.skhpa"))
    assert type(loaded.named_steps["clf"].module_).__name__ == "MLPNet"
    P = model.predict_proba(X)
    assert P.shape == (40, 28) and np.ptp(P) > 0
    np.testing.assert_array_equal(loaded.predict_proba(X), P)


def test_round_trip_features_recipe(features_model, tmp_path):
    """StandardScaler, OneVsRestClassifier(LogisticRegression) and its constant-column models."""
    model, X = features_model
    loaded = load_model(save_model(model, tmp_path / "f.skhpa"))
    clf, loaded_clf = model.named_steps["clf"], loaded.named_steps["clf"]
    assert [type(e).__name__ for e in loaded_clf.estimators_] == [
        type(e).__name__ for e in clf.estimators_
    ]
    np.testing.assert_array_equal(
        loaded.named_steps["scale"].scale_, model.named_steps["scale"].scale_
    )
    P = model.predict_proba(X)
    assert P.shape == (60, 28) and np.ptp(P) > 0
    np.testing.assert_array_equal(loaded.predict_proba(X), P)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_tampered_features_recipe_is_refused(features_model, tmp_path):
    model, _ = features_model
    path = save_model(model, tmp_path / "f.skhpa")
    evil = _forge(
        path,
        tmp_path / "cls.skhpa",
        b'"sklearn.linear_model.LogisticRegression"',
        b'"sklearn.svm.SVC"',
    )
    with pytest.raises(ModelFileError, match="'sklearn.svm.SVC', which is not an allowed class"):
        load_model(evil)
    evil = _forge(path, tmp_path / "tag.skhpa", b'"__tuple__"', b'"__set__"')
    with pytest.raises(ModelFileError, match="unexpected value at"):
        load_model(evil)


def test_round_trip_binary_threshold_optimizer(tmp_path):
    """A 1-D binary target: the loaded optimizer still predicts labels, 1-D."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3))
    y = np.where(X[:, 0] + rng.normal(size=120) > 0.8, "pos", "neg")
    opt = ThresholdOptimizer(LogisticRegression(), cv=3, random_state=0).fit(X, y)
    loaded = load_model(save_model(opt, tmp_path / "b.skhpa"))
    assert loaded.predict(X).shape == (120,)
    np.testing.assert_array_equal(loaded.predict(X), opt.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), opt.predict_proba(X))
    assert loaded.classes_.tolist() == ["neg", "pos"]


def test_column_names_of_a_dataframe_fit_round_trip(tmp_path):
    # estimators fitted on a DataFrame keep feature_names_in_ as an object array of str
    from sklearn.multiclass import OneVsRestClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    Y = (X > 0).astype(int)
    names = np.array(["area", "green mean", "überlap"], dtype=object)
    opt = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=2).fit(X, Y)
    opt.feature_names_in_ = names
    opt.estimator_.feature_names_in_ = names.copy()
    loaded = load_model(save_model(opt, tmp_path / "m.skhpa"))
    for got in (loaded.feature_names_in_, loaded.estimator_.feature_names_in_):
        assert got.dtype == object and got.tolist() == names.tolist()
    np.testing.assert_array_equal(loaded.predict(X), opt.predict(X))
    mixed = np.array(["a", 1], dtype=object)  # not all strings: still refused
    opt.feature_names_in_ = mixed
    with pytest.raises(TypeError, match="arrays of dtype object cannot be saved"):
        save_model(opt, tmp_path / "n.skhpa")


def test_interrupted_flag_survives_a_round_trip(tmp_path):
    X, Y = make_hpa_like(24, image_size=16, label_distribution="flat", random_state=0)
    clf = HPAClassifier(SeedCNN, max_epochs=1, train_split=None, random_state=0, verbose=0)
    clf.fit(X, Y)
    assert load_model(save_model(clf, tmp_path / "done.skhpa")).interrupted_ is False
    clf.interrupted_ = True  # as a Ctrl-C during fit leaves it
    assert load_model(save_model(clf, tmp_path / "cut.skhpa")).interrupted_ is True


def test_a_device_asked_for_at_load_must_exist(tmp_path):
    from skhpa import move_to_device

    path = save_model(Resize(8), tmp_path / "r.skhpa")
    with pytest.raises(ValueError, match=r"device='bogus': expected 'auto', 'cpu'"):
        load_model(path, device="bogus")  # an argument, not a corrupt file
    with pytest.raises(ValueError, match=r"device='bogus'"):
        move_to_device(Resize(8), "bogus")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=r"device='cuda'"):
            load_model(path, device="cuda")
    assert load_model(path, device="cpu").image_size == 8
