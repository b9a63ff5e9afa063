"""Invalid parameters everywhere: each public entry point names the parameter at fault.

(Bad files, CSVs, images, X and Y have their tests next to the code that reads them:
test_kaggle_io, test_labels, test_preprocessing, test_classifier, test_thresholding.)
"""

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skhpa import HPAClassifier, ThresholdOptimizer, load_model
from skhpa.datasets import make_hpa_like, write_hpa_like
from skhpa.model_selection import (
    MultilabelStratifiedKFold,
    MultilabelStratifiedShuffleSplit,
    multilabel_train_test_split,
)
from skhpa.nn import SeedCNN
from skhpa.preprocessing import ChannelSelector, ImageLoader, Resize
from skhpa.resampling import MLROS, MLRUS, MLSMOTE

X, Y = make_hpa_like(40, image_size=16, label_distribution="flat", random_state=0)
F = X.reshape(40, -1).astype(float)

CASES = [
    (lambda: HPAClassifier(SeedCNN, lr=-1).fit(X, Y), "'lr' parameter of HPAClassifier"),
    (lambda: HPAClassifier(SeedCNN, tta="d8").fit(X, Y), "'tta' parameter"),
    (lambda: HPAClassifier(SeedCNN, checkpoint_dir=3).fit(X, Y), "'checkpoint_dir' parameter"),
    (lambda: HPAClassifier(SeedCNN, threshold=2.0).fit(X, Y), "'threshold' parameter"),
    (
        lambda: ThresholdOptimizer(HPAClassifier(SeedCNN), strategy="x").fit(X, Y),
        "'strategy' parameter",
    ),
    (lambda: ThresholdOptimizer(HPAClassifier(SeedCNN), beta=-1).fit(X, Y), "'beta' parameter"),
    (lambda: ThresholdOptimizer(HPAClassifier(SeedCNN), cv="x").fit(X, Y), "'cv' parameter"),
    (lambda: ChannelSelector(channels=("purple",)).fit(X), r"channels \['purple'\]"),
    (lambda: Resize(image_size=0).fit(X), "'image_size' parameter of Resize"),
    (lambda: ImageLoader("/nonexistent", n_jobs="x").fit(["a"]), "'n_jobs' parameter"),
    (lambda: MLROS(sampling_ratio=-1).fit_resample(F, Y), "'sampling_ratio' parameter of MLROS"),
    (lambda: MLRUS(sampling_ratio=2).fit_resample(F, Y), "'sampling_ratio' parameter of MLRUS"),
    (lambda: MLSMOTE(k_neighbors=0).fit_resample(F, Y), "'k_neighbors' parameter of MLSMOTE"),
    (lambda: list(MultilabelStratifiedKFold(n_splits=1).split(X, Y)), "n_splits must be"),
    (lambda: list(MultilabelStratifiedShuffleSplit(test_size=2.0).split(X, Y)), "test_size=2.0"),
    (lambda: multilabel_train_test_split(X, Y, test_size=0), "'test_size' parameter"),
    (lambda: make_hpa_like(-1), "n_samples must be a positive int, got -1"),
    (lambda: make_hpa_like(4, image_size=3), "image_size must be an int in"),
    (lambda: make_hpa_like(4, label_distribution="x"), "label_distribution must be one of"),
    (lambda: make_hpa_like(4, channels=("green", "uv")), "uv"),
    (lambda: write_hpa_like("/tmp/skhpa-never", -2, 1), "n_train"),
]


@pytest.mark.parametrize("call, message", CASES, ids=[c[1][:40] for c in CASES])
def test_invalid_parameters_are_named(call, message):
    with pytest.raises((InvalidParameterError, ValueError), match=message):
        call()


def test_wrong_width_and_channels_at_predict_time():
    net = HPAClassifier(SeedCNN, max_epochs=1, train_split=None, device="cpu").fit(X, Y)
    with pytest.raises(ValueError, match="expecting 4 features"):
        net.predict(X[:, :3])
    opt = ThresholdOptimizer(net, cv="prefit").fit(X, Y)
    with pytest.raises(ValueError, match="predicts 28 classes but y has 27 columns"):
        ThresholdOptimizer(net, cv="prefit").fit(X, Y[:, :27])
    P = opt.predict(X)
    assert P.shape == Y.shape and set(np.unique(P)) <= {0, 1}


def test_load_model_of_a_missing_file(tmp_path):
    with pytest.raises((FileNotFoundError, ValueError)):
        load_model(tmp_path / "nope.skhpa")


def test_channels_last_and_single_channel_images_are_named_at_fit():
    from skhpa.preprocessing import ChannelStandardizer, LocalizationFeatures

    last = X.transpose(0, 2, 3, 1)  # (40, 16, 16, 4) as Pillow or TensorFlow give them
    for fit in (
        lambda: HPAClassifier(SeedCNN, max_epochs=1, train_split=None).fit(last, Y),
        lambda: Resize(8).fit_transform(last),
        lambda: ChannelStandardizer().fit(last),
        lambda: LocalizationFeatures().fit(last),
    ):
        with pytest.raises(ValueError, match=r"\(40, 16, 16, 4\), channels last.*transpose"):
            fit()
    with pytest.raises(
        ValueError,
        match=r"shape \(40, 16, 16\): images are 4-D.*X\[:, None\], for one image X\[None\]",
    ):
        HPAClassifier(SeedCNN, max_epochs=1, train_split=None).fit(X[:, 1], Y)


def test_images_on_another_intensity_scale_warn_at_predict():
    import warnings

    on_255 = HPAClassifier(SeedCNN, max_epochs=1, train_split=None, device="cpu").fit(X, Y)
    with pytest.warns(
        UserWarning, match=r"values in \[0, 1\], but .* fitted on images in \[0, 255"
    ):
        on_255.predict_proba(X[:4] / 255.0)
    on_1 = HPAClassifier(SeedCNN, max_epochs=1, train_split=None, device="cpu").fit(X / 255.0, Y)
    with pytest.warns(UserWarning, match=r"values up to \d+, but .* fitted on images in \[0, 1\]"):
        on_1.predict_proba(X[:4])
    with pytest.warns(UserWarning, match=r"values up to \d+, but .* fitted on images in \[0, 255"):
        on_255.predict_proba(X[:4].astype(np.uint16) * 257)  # 16-bit images
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the training scale: no warning
        on_255.predict_proba(X[:4])
        on_1.predict_proba(X[:4] / 255.0)


def test_a_device_this_machine_lacks_is_named_before_any_work(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    for device, message in (
        ("tpu", r"'device' parameter of HPAClassifier \('tpu'\): expected 'auto', 'cpu'"),
        ("cuda", r"\('cuda'\): no CUDA GPU is visible on this machine; use device='cpu'"),
    ):
        with pytest.raises(ValueError, match=message):
            HPAClassifier(SeedCNN, max_epochs=1, train_split=None, device=device).fit(X, Y)


def test_an_unfitted_network_asks_for_fit_not_initialize():
    from sklearn.exceptions import NotFittedError

    for net in (HPAClassifier(SeedCNN), HPAClassifier(SeedCNN).initialize()):
        with pytest.raises(
            NotFittedError, match=r"not fitted yet\. Call 'fit' \(or 'partial_fit'\)"
        ):
            net.predict(X)


def test_sample_weight_in_fit_says_what_to_use_instead():
    w = np.ones(len(Y))
    for call in ("fit", "partial_fit"):
        with pytest.raises(ValueError, match=r"does not take sample_weight.*balanced_sampling"):
            getattr(HPAClassifier(SeedCNN, max_epochs=1, train_split=None), call)(
                X, Y, sample_weight=w
            )


@pytest.mark.parametrize(
    "y, message",
    [
        ([[0, 16], [1]], r"indicator matrix \(n_samples, n_classes\); for lists of class"),
        ([[0, 16], [1, 2]], r"row 0, column 1 holds 16; for lists of class numbers"),
        (["16 0", "1"], r"got a str per sample; .*MultiLabelBinarizer.*parse_targets"),
    ],
)
def test_labels_given_as_class_lists_or_strings_get_a_hint(y, message):
    from skhpa.utils import check_multilabel_target

    with pytest.raises(ValueError, match=message):
        check_multilabel_target(y)
    if not isinstance(y[0], str):  # two strings are a binary 1-D y to ThresholdOptimizer
        with pytest.raises(ValueError, match="MultiLabelBinarizer"):
            ThresholdOptimizer(HPAClassifier(SeedCNN), cv=2).fit(X[: len(y)], y)
