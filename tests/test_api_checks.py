"""scikit-learn's API checks on every public estimator, transformer and sampler of skhpa.

scikit-learn's common checks fit on generic 2-D numeric data, which the image transformers
and the multilabel samplers reject by design; the API checks below do not fit (or are
re-done here with data each estimator accepts), so they run on every public estimator.
"""

import inspect

import numpy as np
import pytest
from imblearn.over_sampling import RandomOverSampler
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_cloneable,
    check_estimator_repr,
    check_get_params_invariance,
    check_mixin_order,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

import skhpa.ensemble
import skhpa.neural_net
import skhpa.preprocessing
import skhpa.resampling
import skhpa.thresholding
from skhpa.datasets import make_hpa_like
from skhpa.nn import MLPNet, SeedCNN

_PACKAGES = (
    skhpa.preprocessing,
    skhpa.resampling,
    skhpa.thresholding,
    skhpa.neural_net,
    skhpa.ensemble,
)

# estimators whose constructor needs an argument, built with the least one that works
_REQUIRED = {
    "ThresholdOptimizer": lambda cls: cls(OneVsRestClassifier(LogisticRegression())),
    "LabelPowersetSampler": lambda cls: cls(RandomOverSampler(random_state=0)),
    "HPAClassifier": lambda cls: cls(MLPNet, device="cpu"),
    "ProbabilityBlend": lambda cls: cls(
        [
            ("a", OneVsRestClassifier(LogisticRegression())),
            ("b", OneVsRestClassifier(LogisticRegression(C=0.1))),
        ]
    ),
}
# needs an ``accelerate.Accelerator``: covered by tests/test_distributed.py
_SKIPPED = {"AcceleratedHPAClassifier"}


def _public_estimator_classes():
    found = {}
    for package in _PACKAGES:
        for name in package.__all__:
            obj = getattr(package, name)
            if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
                found[name] = obj
    return found


_CLASSES = _public_estimator_classes()


def _instance(name):
    cls = _CLASSES[name]
    return _REQUIRED.get(name, lambda c: c())(cls)


def test_the_list_is_complete():
    # a new public estimator gets these checks without editing this file
    assert {
        "ChannelSelector",
        "ChannelStandardizer",
        "ImageLoader",
        "LocalizationFeatures",
        "Resize",
        "LabelPowersetSampler",
        "MLROS",
        "MLRUS",
        "MLSMOTE",
        "ThresholdOptimizer",
        "HPAClassifier",
        "ProbabilityBlend",
    } <= set(_CLASSES)


_API_CHECKS = [
    check_get_params_invariance,
    check_set_params,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_estimator_repr,
    check_estimator_cloneable,
    check_do_not_raise_errors_in_init_or_set_params,
    check_mixin_order,
]


# skorch's NeuralNet.__init__ sets ``history_``, ``initialized_`` and ``virtual_params_``,
# and skorch's own methods read them before ``initialize``; removing them is skorch's call.
_XFAIL = {
    ("HPAClassifier", "check_no_attributes_set_in_init"): (
        "skorch's NeuralNet.__init__ sets history_, initialized_ and virtual_params_"
    ),
}


def _cases():
    for name in sorted(set(_CLASSES) - _SKIPPED):
        for check in _API_CHECKS:
            reason = _XFAIL.get((name, check.__name__))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            yield pytest.param(name, check, id=f"{name}-{check.__name__}", marks=marks)


@pytest.mark.filterwarnings("ignore:.*occurred during set_params:UserWarning")
@pytest.mark.parametrize("name, check", list(_cases()))
def test_api_check(name, check):
    check(name, _instance(name))


# --- check_dont_overwrite_parameters, with data each estimator accepts --------------------

_IMAGES, _Y = make_hpa_like(12, image_size=16, label_distribution="flat", random_state=0)
_rng = np.random.RandomState(0)
_FEATURES = _rng.normal(size=(60, 3))
_TARGETS = (_rng.rand(60, 3) < [0.5, 0.3, 0.1]).astype(int)
_TARGETS[:3] = [[0, 0, 1], [0, 1, 1], [1, 0, 1]]

_FIT_DATA = {
    "ChannelSelector": (_IMAGES, None),
    "ChannelStandardizer": (_IMAGES, None),
    "LocalizationFeatures": (_IMAGES, None),
    "Resize": (_IMAGES, None),
    "LabelPowersetSampler": (_FEATURES, _TARGETS),
    "MLROS": (_FEATURES, _TARGETS),
    "MLRUS": (_FEATURES, _TARGETS),
    "MLSMOTE": (_FEATURES, _TARGETS),
    "ThresholdOptimizer": (_FEATURES, _TARGETS),
    "ProbabilityBlend": (_FEATURES, _TARGETS),
}


def _fit(est, X, y):
    if hasattr(est, "fit_resample"):
        return est.fit_resample(X, y)
    return est.fit(X, y) if y is not None else est.fit(X)


@pytest.mark.parametrize("name", sorted(_FIT_DATA))
def test_fit_does_not_overwrite_parameters(name):
    """What ``check_dont_overwrite_parameters`` asserts, on data the estimator accepts."""
    est = _instance(name)
    if "random_state" in est.get_params():
        est.set_params(random_state=0)
    before = {k: v for k, v in est.get_params(deep=False).items()}
    public_before = {k for k in vars(est) if not k.startswith("_")}
    X, y = _FIT_DATA[name]
    _fit(est, X, y)
    after = est.get_params(deep=False)
    for key, value in before.items():
        assert after[key] is value, f"{name}.fit changed the parameter {key!r}"
    added = {k for k in vars(est) if not k.startswith("_")} - public_before
    bad = sorted(k for k in added if not k.endswith("_"))
    assert not bad, f"{name}.fit set public attributes not ending in '_': {bad}"
    # and the fitted estimator is still a clone-able copy of its parameters
    assert clone(est).get_params(deep=False).keys() == before.keys()


def test_classifier_fit_does_not_overwrite_parameters():
    net = _instance("HPAClassifier").set_params(module=SeedCNN, max_epochs=1, train_split=None)
    before = net.get_params(deep=False)
    net.fit(_IMAGES, _Y)
    after = net.get_params(deep=False)
    for key, value in before.items():
        assert after[key] is value, f"HPAClassifier.fit changed the parameter {key!r}"
