"""The two recipes the demo, the command line and the benchmarks compare.

- :func:`seed_recipe`: the student report's baseline, green channel only,
  :class:`~skhpa.nn.SeedCNN`, binary cross-entropy, a 0.5 threshold.
- :func:`skhpa_recipe`: all 4 channels, a timm backbone, focal + soft-F1
  loss, class-balanced batches, multilabel-stratified validation, per-class
  thresholds with at least one label, test-time augmentation.

Both return unfitted estimators that take image arrays (n, C, H, W) with the
4 channels in RGBY order; :func:`fit_with_thresholds` fits a network and
tunes its thresholds on a held-out multilabel-stratified part.
"""

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing

from .losses import CombinedLoss
from .model_selection import multilabel_train_test_split
from .neural_net import HPAClassifier
from .nn import SeedCNN
from .preprocessing import ChannelSelector
from .thresholding import ThresholdOptimizer


def seed_recipe(*, max_epochs=10, batch_size=64, lr=1e-3, device="auto", random_state=0, verbose=0):
    """The seed report's baseline: green only, SeedCNN, BCE, threshold 0.5.

    Examples
    --------
    >>> from skhpa.recipes import seed_recipe
    >>> seed_recipe().named_steps["green"].channels
    ('green',)
    """
    return Pipeline(
        [
            ("green", ChannelSelector(("green",))),
            (
                "net",
                HPAClassifier(
                    SeedCNN,
                    max_epochs=max_epochs,
                    batch_size=batch_size,
                    lr=lr,
                    augment=False,
                    train_split=None,
                    lr_schedule=None,
                    threshold=0.5,
                    device=device,
                    random_state=random_state,
                    verbose=verbose,
                ),
            ),
        ]
    )


def skhpa_recipe(
    *,
    backbone="resnet18",
    max_epochs=12,
    batch_size=64,
    lr=2e-3,
    tta="d4",
    balanced_sampling=True,
    criterion=CombinedLoss,
    train_split=None,
    device="auto",
    random_state=0,
    verbose=0,
    **params,
):
    """The skhpa recipe's network (thresholds come from :func:`fit_with_thresholds`).

    ``train_split=None``: the multilabel-stratified held-out part that
    :func:`fit_with_thresholds` keeps for the thresholds is the validation
    data; the network trains for ``max_epochs`` with a cosine schedule.

    Examples
    --------
    >>> from skhpa.recipes import skhpa_recipe
    >>> skhpa_recipe(max_epochs=3).get_params()["module"]
    'resnet18'
    """
    return HPAClassifier(
        backbone,
        criterion=criterion,
        max_epochs=max_epochs,
        batch_size=batch_size,
        lr=lr,
        tta=tta,
        balanced_sampling=balanced_sampling,
        min_labels=1,
        train_split=train_split,
        device=device,
        random_state=random_state,
        verbose=verbose,
        **params,
    )


def fit_with_thresholds(
    estimator, X, Y, *, valid_size=0.2, strategy="per_class", min_labels=1, random_state=0
):
    """Fit ``estimator`` on most of the data and learn per-class thresholds on the rest.

    The held-out part is a multilabel-stratified split, so rare classes are
    on both sides; the thresholds come from predictions on data the network
    has not seen (the network is trained once, not once per fold).

    Returns
    -------
    model : ThresholdOptimizer
        Wrapping the fitted estimator (frozen).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from skhpa.recipes import fit_with_thresholds
    >>> X = np.random.RandomState(0).normal(size=(200, 3))
    >>> Y = (X[:, :2] > 0.5).astype(int)
    >>> model = fit_with_thresholds(OneVsRestClassifier(LogisticRegression()), X, Y)
    >>> model.thresholds_.shape
    (2,)
    """
    Y = np.asarray(Y)
    idx = np.arange(len(Y))
    tr, va = multilabel_train_test_split(
        idx, test_size=valid_size, random_state=random_state, stratify=Y
    )
    estimator.fit(_safe_indexing(X, tr), Y[tr])
    opt = ThresholdOptimizer(FrozenEstimator(estimator), strategy=strategy, min_labels=min_labels)
    return opt.fit(_safe_indexing(X, va), Y[va])
