"""A user's own torch modules, losses, callbacks and tensors (a PyTorch user's first tries)."""

import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import EarlyStopping, EpochScoring, LRScheduler

from skhpa import HPAClassifier
from skhpa.datasets import make_hpa_like
from skhpa.nn import augment_batch


class TinyCNN(torch.nn.Module):
    """What a PyTorch user writes first: no cast, no normalization."""

    def __init__(self, n_classes=28, in_chans=4, width=4):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(in_chans, width, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d(1),
            torch.nn.Flatten(),
            torch.nn.Linear(width, n_classes),
        )

    def forward(self, x):
        return self.net(x)


class FloatCNN(TinyCNN):
    def forward(self, x):
        return self.net(x.float() / 255)


class OneLogit(FloatCNN):
    def __init__(self, in_chans=4):
        super().__init__(n_classes=1, in_chans=in_chans)


class TupleOut(FloatCNN):
    def forward(self, x):
        return self.net(x.float() / 255), None


@pytest.fixture(scope="module")
def images():
    return make_hpa_like(48, image_size=16, label_distribution="flat", random_state=0)


def _net(module=FloatCNN, **kw):
    params = dict(max_epochs=1, batch_size=16, random_state=0, device="cpu")
    params.update(kw)
    return HPAClassifier(module, **params)


def test_a_module_that_cannot_take_uint8_gets_the_contract(images):
    X, Y = images
    with pytest.raises(TypeError, match=r"TinyCNN cannot take uint8 images .*x = x.float\(\)"):
        _net(TinyCNN, train_split=None, augment=False).fit(X, Y)


@pytest.mark.parametrize("train_split", [None, "auto"])
def test_a_module_with_the_wrong_output_width_is_refused(images, train_split):
    # with SoftF1Loss the one column used to broadcast to the 28 classes, silently
    from skhpa.losses import SoftF1Loss

    X, Y = images
    net = _net(OneLogit, criterion=SoftF1Loss, train_split=train_split)
    with pytest.raises(ValueError, match=r"OneLogit returned an output of shape \(16, 1\).*28"):
        net.fit(X, Y)


def test_a_module_returning_a_tuple_is_named(images):
    X, Y = images
    with pytest.raises(TypeError, match="TupleOut returned a tuple; .*logits alone"):
        _net(TupleOut, train_split=None).fit(X, Y)


def test_predict_nonlinearity_other_than_none_is_refused(images):
    X, Y = images
    with pytest.raises(ValueError, match="predict_nonlinearity=.*sigmoid.*must return logits"):
        _net(predict_nonlinearity=torch.sigmoid).fit(X, Y)


def test_own_scheduler_or_early_stopping_beside_skhpa_s_is_warned(images):
    X, Y = images
    step = LRScheduler(torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.1)
    with pytest.warns(UserWarning, match="LRScheduler runs beside lr_schedule='cosine'"):
        _net(callbacks=[("step", step)]).fit(X, Y)
    with pytest.warns(UserWarning, match="EarlyStopping runs beside skhpa's early stopping"):
        _net(callbacks=[EarlyStopping(monitor="valid_loss", patience=1)]).fit(X, Y)
    # with skhpa's own switched off: no warning, and the user's schedule alone sets the lr
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = _net(callbacks=[("step", step)], lr_schedule=None, lr=0.1, max_epochs=3)
        net.fit(X, Y)
    assert net.optimizer_.param_groups[0]["lr"] == pytest.approx(0.1 * 0.1**3)


def test_skorch_epoch_scoring_with_caching_scores_the_validation_part(images):
    X, Y = images
    net = _net(
        max_epochs=2,
        callbacks=[EpochScoring("f1_macro", lower_is_better=False, name="my_f1")],
    ).fit(X, Y)
    # the user's macro-F1 on the cached validation logits equals skhpa's own valid_f1
    for row in net.history:
        assert row["my_f1"] == pytest.approx(row["valid_f1"])


def test_torch_tensors_are_taken_as_arrays(images):
    X, Y = images
    a = _net().fit(X, Y)
    b = _net().fit(torch.as_tensor(X), torch.as_tensor(Y))
    assert np.array_equal(a.predict_proba(X), b.predict_proba(torch.as_tensor(X)))


def test_standardized_input_is_not_clipped_nor_called_another_scale(images):
    X, Y = images
    Z = (X - X.mean(axis=(0, 2, 3), keepdims=True)) / X.std(axis=(0, 2, 3), keepdims=True)
    Z = Z.astype(np.float32)
    batch = torch.as_tensor(Z[:8])
    aug = augment_batch(batch, torch.Generator().manual_seed(0), d4=False, crop=0)
    assert (aug < 0).float().mean() > 0.3  # used to be clipped to 0
    inten = augment_batch(torch.as_tensor(X[:8]), torch.Generator().manual_seed(0))
    assert inten.min() >= 0  # intensities still are
    with pytest.warns(UserWarning, match="X has negative values .* augment=True"):
        net = HPAClassifier(
            StandardizedCNN, max_epochs=1, batch_size=16, random_state=0, device="cpu"
        ).fit(Z, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "fitted on images in [0, 1]" warning
        net.predict_proba(Z)
        HPAClassifier(
            StandardizedCNN, max_epochs=1, random_state=0, device="cpu", augment=False
        ).fit(Z, Y)


class StandardizedCNN(TinyCNN):
    def forward(self, x):
        return self.net(x.float())
