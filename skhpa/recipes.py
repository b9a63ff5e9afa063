"""The recipes the demo, the command line and the benchmarks compare.

- :func:`seed_recipe`: the student report's baseline, green channel only,
  :class:`~skhpa.nn.SeedCNN`, binary cross-entropy, a 0.5 threshold.
- :func:`skhpa_recipe`: all 4 channels, a timm backbone whose head also sees
  the channels' pairwise correlations, focal + soft-F1 loss, test-time
  augmentation; with :func:`fit_with_thresholds`,
  per-class thresholds with at least one label.
- :func:`features_recipe`: per-image localization features and a small
  network on them (a multilayer perceptron; or a logistic regression), fitted
  in seconds on a CPU.
- :func:`blend_recipe`: the two above, their probabilities averaged
  (:class:`~skhpa.ensemble.ProbabilityBlend`): the features' knowledge of where the
  protein lies relative to the markers, and the network's view of the pixels.

All return unfitted estimators that take image arrays (n, C, H, W) with the
4 channels in RGBY order; :func:`fit_with_thresholds` fits one and tunes its
thresholds on a held-out multilabel-stratified part.

Who decides: on the recipe path the :class:`~skhpa.ThresholdOptimizer` that
:func:`fit_with_thresholds` returns owns the decision, its ``thresholds_`` and
``min_labels``; the network's own ``threshold`` and ``min_labels`` are left at
their defaults, which a ThresholdOptimizer does not use (it reads the
network's probabilities only). A network used on its own decides with its own.
"""

import numbers

from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .ensemble import ProbabilityBlend
from .losses import CombinedLoss
from .neural_net import HPAClassifier
from .nn import MLPNet, SeedCNN
from .preprocessing import ChannelSelector, LocalizationFeatures
from .thresholding import ThresholdOptimizer
from .utils import CHANNELS

#: The thresholds :func:`fit_with_thresholds` learns by default, chosen by the threshold study
#: (``benchmarks/bench_threshold_generalization.py``): per class, with no class predicted more
#: often than 1.25 times its training frequency, and no shrinkage toward the global threshold.
DEFAULT_STRATEGY = "per_class"
DEFAULT_MAX_LABEL_RATIO = 1.25
DEFAULT_SHRINKAGE = 0.0
#: Weights of :func:`blend_recipe`: learned on :func:`fit_with_thresholds`' held-out part
#: (:meth:`skhpa.ensemble.ProbabilityBlend.tune_weights`).
DEFAULT_BLEND_WEIGHTS = "tuned"


def seed_recipe(*, max_epochs=10, batch_size=64, lr=1e-3, device="auto", random_state=0, verbose=0):
    """The seed report's baseline: green only, SeedCNN, BCE, threshold 0.5.

    Parameters
    ----------
    max_epochs : int, default=10
    batch_size : int, default=64
    lr : float, default=1e-3
        Learning rate (constant: no schedule, no augmentation, no validation split).
    device : str, default="auto"
    random_state : int, default=0
    verbose : int, default=0
        Passed to :class:`~skhpa.HPAClassifier`.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``ChannelSelector(("green",))`` then an unfitted HPAClassifier with SeedCNN.

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
    balanced_sampling=False,
    criterion=CombinedLoss,
    correlation_scales=(1, 2, 4),
    train_split=None,
    patience=None,
    device="auto",
    random_state=0,
    verbose=0,
    **params,
):
    """The skhpa recipe's network (its decisions come from :func:`fit_with_thresholds`).

    The network keeps ``threshold=0.5`` and ``min_labels=0``: the
    :class:`~skhpa.ThresholdOptimizer` of :func:`fit_with_thresholds` owns the
    thresholds and the at-least-one-label rule (pass ``min_labels=1`` here to
    use the network on its own with that rule).

    ``train_split=None``: the multilabel-stratified held-out part that
    :func:`fit_with_thresholds` keeps for the thresholds is the validation
    data (it passes it to ``fit`` as ``X_val``, ``y_val``: scored after every
    epoch for the training curves); with ``patience=None`` the network
    trains for all ``max_epochs`` with a cosine schedule.
    ``correlation_scales``: the head also sees the input channels' pairwise
    correlations at these scales (:class:`~skhpa.nn.ChannelCorrelations`;
    protein-to-marker colocalization, which a backbone trained from scratch
    does not learn by itself); None turns it off. Used only when ``backbone``
    is a timm name.

    Parameters
    ----------
    backbone : str or torch.nn.Module class, default="resnet18"
        The network's ``module``: a timm name or a module class.
    max_epochs : int, default=12
    batch_size : int, default=64
    lr : float, default=2e-3
    tta : str or None, default="d4"
        Test-time augmentation of ``predict_proba``.
    balanced_sampling : bool, default=False
        Draw training images with rare classes more often. Off by default:
        on held-out data seeds, balanced batches cost 0.030 macro-F1 at 8
        epochs and 0.008-0.046 at 12 (:doc:`/benchmarks`, "Quality"); the
        focal + soft-F1 loss already weighs the rare classes.
    criterion : loss class, default=CombinedLoss
    correlation_scales : tuple of int or None, default=(1, 2, 4)
        Scales of the channel correlations the head sees (see above).
    train_split : default=None
        The network's own validation split; None leaves it to
        :func:`fit_with_thresholds`.
    patience : int or None, default=None
        Early stopping on the validation data (see
        :class:`~skhpa.HPAClassifier`); None trains all ``max_epochs`` and
        only records the validation scores.
    device : str, default="auto"
    random_state : int, default=0
    verbose : int, default=0
    **params : dict
        Any other :class:`~skhpa.HPAClassifier` parameter (``module__*`` too).

    Returns
    -------
    net : HPAClassifier
        Unfitted.

    Examples
    --------
    >>> from skhpa.recipes import skhpa_recipe
    >>> net = skhpa_recipe(max_epochs=3)
    >>> net.get_params()["module"], net.get_params()["module__correlation_scales"]
    ('resnet18', (1, 2, 4))
    """
    if isinstance(backbone, str) and correlation_scales is not None:
        params.setdefault("module__correlation_scales", correlation_scales)
    return HPAClassifier(
        backbone,
        criterion=criterion,
        max_epochs=max_epochs,
        batch_size=batch_size,
        lr=lr,
        tta=tta,
        balanced_sampling=balanced_sampling,
        train_split=train_split,
        patience=patience,
        device=device,
        random_state=random_state,
        verbose=verbose,
        **params,
    )


def features_recipe(
    *,
    head="network",
    green_only=False,
    input_channels=CHANNELS,
    C=None,
    max_iter=None,
    hidden=None,
    max_epochs=None,
    device="auto",
    random_state=0,
):
    """Localization features, standardized, then a small network or a logistic regression.

    :class:`~skhpa.preprocessing.LocalizationFeatures` describes each image by the
    protein channel's statistics and, unless ``green_only``, its overlap with the
    reference channels (49 numbers for 4 channels). ``head="network"`` learns the
    28 classes from them with one skorch-wrapped multilayer perceptron
    (:class:`~skhpa.HPAClassifier` with :class:`~skhpa.nn.MLPNet`, focal + soft-F1
    loss, weight decay); ``head="logistic"`` with one logistic regression per
    class. Both fit in seconds on a CPU (the network: about 10 s for 3,200 images).
    On the development data seeds the network head scores 0.52 macro-F1 where the
    logistic head scores 0.49 (``C=10``, its default) and 0.41 (``C=0.1``);
    :doc:`/benchmarks`, "Quality", has the held-out numbers. Pair it
    with :func:`fit_with_thresholds` or a :class:`~skhpa.ThresholdOptimizer`.
    :func:`skhpa.save_model` stores it (fitted or not) without pickle.

    Parameters
    ----------
    head : {"network", "logistic"}, default="network"
        What learns the classes from the features.
    green_only : bool, default=False
        Use the green channel's own statistics only (the reference channels are dropped).
    input_channels : sequence of str, default=("red", "green", "blue", "yellow")
        The channels of the input images, in order (must include green).
    C : float, default=None
        ``head="logistic"`` only: inverse regularization strength of each
        logistic regression; None means 10 (it scored above 1 and 0.1 on the
        development seeds).
    max_iter : int, default=None
        ``head="logistic"`` only: iterations of each logistic regression's
        solver; None means 5000.
    hidden : int, default=None
        ``head="network"`` only: units of the perceptron's hidden layer; None
        means 256.
    max_epochs : int, default=None
        ``head="network"`` only: training epochs (batch 64, AdamW, lr 1e-3,
        weight decay 0.01, cosine schedule, no augmentation); None means 60.
    device : str, default="auto"
        Where the network head trains (see :class:`~skhpa.HPAClassifier`); the
        logistic head runs on the CPU.
    random_state : int, default=0
        Seeds the network head's initialization and batch order (the logistic
        head's solver is deterministic).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted: [``green``,] ``features``, ``scale``, ``clf``.

    Examples
    --------
    >>> from skhpa.recipes import features_recipe
    >>> list(features_recipe().named_steps)
    ['features', 'scale', 'clf']
    >>> features_recipe().named_steps["clf"].get_params()["module__hidden"]
    256
    >>> list(features_recipe(head="logistic", green_only=True).named_steps)
    ['green', 'features', 'scale', 'clf']
    """
    input_channels = tuple(input_channels)
    if "green" not in input_channels:
        raise ValueError(
            f"input_channels {input_channels} has no green channel: the features describe the "
            "protein (green) and its overlap with the other channels"
        )
    # the parameters of the head not chosen, which must stay unset
    unused = {
        "network": ("logistic", {"C": C, "max_iter": max_iter}),
        "logistic": ("network", {"hidden": hidden, "max_epochs": max_epochs}),
    }
    if head not in unused:
        raise ValueError(f'head must be "network" or "logistic", got {head!r}')
    other, params = unused[head]
    given = [name for name, value in params.items() if value is not None]
    if given:
        raise ValueError(
            f"features_recipe(head={head!r}) got {', '.join(given)}, which only the {other} "
            "head uses"
        )
    if head == "network":
        clf = HPAClassifier(
            MLPNet,
            module__hidden=256 if hidden is None else hidden,
            criterion=CombinedLoss,
            max_epochs=60 if max_epochs is None else max_epochs,
            batch_size=64,
            lr=1e-3,
            optimizer__weight_decay=1e-2,
            augment=False,
            train_split=None,
            device=device,
            random_state=random_state,
        )
    else:
        clf = OneVsRestClassifier(
            LogisticRegression(
                C=10.0 if C is None else C, max_iter=5000 if max_iter is None else max_iter
            )
        )
    steps = []
    if green_only:
        steps = [("green", ChannelSelector(("green",), input_channels=input_channels))]
    steps += [
        (
            "features",
            LocalizationFeatures(input_channels=("green",) if green_only else input_channels),
        ),
        ("scale", StandardScaler()),
        ("clf", clf),
    ]
    return Pipeline(steps)


def blend_recipe(
    *, weights=DEFAULT_BLEND_WEIGHTS, input_channels=CHANNELS, network=None, **network_params
):
    """The network and the feature model, their probabilities averaged.

    A :class:`~skhpa.ensemble.ProbabilityBlend` of :func:`features_recipe`
    (named ``features``) and :func:`skhpa_recipe` (named ``net``). The feature
    model knows where the protein lies relative to the nucleus, microtubules
    and ER (what the networks trained from scratch extract least); the network
    sees the texture. With the default ``weights="tuned"`` a member that adds
    nothing gets a weight near 0: on the synthetic benchmark on 2 CPU cores
    (64 px, 12 epochs from scratch) the feature model gets all or nearly all
    the weight on every held-out data seed (:doc:`/benchmarks`, "Quality"); a stronger
    network (a GPU, larger images, pretrained weights) gets its share. The
    feature model adds seconds to the network's training (one decoding pass
    over the images, cached when the loader caches; its network head trains
    on the network's device). Learn its thresholds with
    :func:`fit_with_thresholds`.

    Parameters
    ----------
    weights : "tuned" or tuple of 2 float, default="tuned"
        Weights of the feature model's and the network's probabilities;
        ``"tuned"``: learned by :func:`fit_with_thresholds` on its held-out
        part, before the thresholds (the weights whose blend ranks the
        held-out images best, by macro average precision), so a weak network
        gets a small weight and a strong one a large weight.
    input_channels : sequence of str, default=("red", "green", "blue", "yellow")
        The channels of the input images (see :func:`features_recipe`).
    network : estimator, default=None
        The network; None builds ``skhpa_recipe(**network_params)``.
    **network_params : dict
        Passed to :func:`skhpa_recipe` (``max_epochs``, ``device``,
        ``random_state``, ...) when ``network`` is None.

    Returns
    -------
    blend : ProbabilityBlend
        Unfitted; its parameters are ``features__*`` and ``net__*``.

    Examples
    --------
    >>> from skhpa.recipes import blend_recipe
    >>> blend = blend_recipe(max_epochs=3, device="cpu")
    >>> [name for name, _ in blend.estimators], blend.weights
    (['features', 'net'], 'tuned')
    >>> blend.get_params()["net__max_epochs"]
    3
    """
    if network is not None and network_params:
        raise TypeError(
            f"blend_recipe got network= and {sorted(network_params)}: set the parameters on "
            "the network you pass"
        )
    net = skhpa_recipe(**network_params) if network is None else network
    # the feature model's network head trains where the network does, seeded alike
    where = net.get_params() if isinstance(net, HPAClassifier) else {}
    features = features_recipe(
        input_channels=input_channels,
        device=where.get("device", "auto"),
        random_state=where.get("random_state", 0),
    )
    return ProbabilityBlend([("features", features), ("net", net)], weights=weights)


def fit_with_thresholds(
    estimator,
    X,
    Y,
    *,
    folds=None,
    valid_size=0.2,
    strategy=DEFAULT_STRATEGY,
    max_label_ratio=DEFAULT_MAX_LABEL_RATIO,
    shrinkage=DEFAULT_SHRINKAGE,
    min_labels=1,
    n_jobs=None,
    random_state=0,
    groups=None,
    verbose=0,
):
    """Fit ``estimator`` and learn its decision thresholds on data it did not train on.

    Both protocols are a :class:`~skhpa.ThresholdOptimizer` with
    ``refit=False``, fitted and returned; it clones ``estimator``, so the
    returned model can itself be cross-validated or grid-searched: every fit
    repeats the whole protocol on the data it is given.

    - ``folds=None``: ``ThresholdOptimizer(estimator, cv=valid_size,
      refit=False)``: fit on a multilabel-stratified ``1 - valid_size`` of the
      data and learn the thresholds on the rest (the network is trained once,
      and receives the rest as its validation data, ``X_val`` and ``y_val``:
      see :class:`~skhpa.HPAClassifier`'s ``fit``);
      a :class:`~skhpa.ensemble.ProbabilityBlend` with ``weights="tuned"``
      (:func:`blend_recipe`) learns its weights there first;
    - ``folds=K``: a fold ensemble, ``ThresholdOptimizer(estimator, cv=K,
      refit=False)``: K models, each trained on ``(K - 1) / K`` of the data;
      the thresholds are learned on their out-of-fold probabilities (all the
      data, K times more tuning data than a 1 / K held-out part) and
      ``predict_proba`` is the mean of the K models. It costs about
      ``K - 1`` times the training of one model on all the data. A blend's
      ``"tuned"`` weights stay equal in the fold models.

    The default thresholds, per class with no class predicted on more than
    1.25 times its share of the training images (``max_label_ratio``, see
    :class:`~skhpa.ThresholdOptimizer`), are those that held up best on new
    images in the threshold study (:doc:`/benchmarks`): plain per-class
    thresholds fit the noise of the few positives a rare class has in the
    tuning data, and those of a class the model barely separates predict it
    for most images, so they predict far more labels per image than the
    truth has. The cap's rates are the class frequencies of all of ``Y``.

    Parameters
    ----------
    estimator : estimator
        The model to fit; cloned (left unfitted), as scikit-learn's
        meta-estimators do. The fitted one is the returned model's
        ``estimator_`` (``estimators_`` with ``folds``).
    X : array-like or indexable of length n_samples
    Y : array-like of shape (n_samples, n_classes)
    folds : int, default=None
        Number of folds of a fold ensemble; None holds out ``valid_size``.
    valid_size : float, default=0.2
        Share held out for the thresholds when ``folds`` is None.
    strategy : {"per_class", "global", "label_ratio"}, default="per_class"
    max_label_ratio : float or None, default=1.25
        Cap on each class's predicted rate on the tuning data, as a multiple
        of its frequency in ``Y``; None gives plain thresholds of ``strategy``.
    shrinkage : float, default=0.0
        Pull per-class thresholds toward the global one (a pseudo-count of
        positives); see :class:`~skhpa.ThresholdOptimizer`.
    min_labels : {0, 1}, default=1
        At least one label per image. The returned ThresholdOptimizer owns it
        (and the thresholds); the estimator's own ``threshold`` and
        ``min_labels``, if it has any, play no part in its predictions.
    n_jobs : int, default=None
        Folds fitted in parallel (keep None for a GPU network).
    random_state : int, default=0
        Seed of the split (or of the folds).
    groups : array-like of shape (n_samples,), optional
        Group labels (e.g. :func:`skhpa.model_selection.duplicate_groups`): no
        group has samples on both sides of a split, so a near-duplicate of a
        training field cannot tune the thresholds. With ``folds=None`` the
        held-out part is one fold of a shuffled
        :class:`~skhpa.model_selection.MultilabelStratifiedGroupKFold` with
        ``round(1 / valid_size)`` folds; with ``folds=K`` the K folds are
        group folds. The model does not keep them: to cross-validate it with
        groups, turn on metadata routing and use
        ``model.set_fit_request(groups=True)`` (see the user guide).
    verbose : int, default=0
        With ``folds=K``, one line before each fold's fit (see
        :class:`~skhpa.ThresholdOptimizer`).

    Returns
    -------
    model : ThresholdOptimizer
        Fitted: the estimator fitted on the training part (``estimator_``),
        or the fold ensemble (``estimators_``), with the thresholds.

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
    >>> ensemble = fit_with_thresholds(OneVsRestClassifier(LogisticRegression()), X, Y, folds=3)
    >>> len(ensemble.estimators_)
    3
    """
    # named here: ThresholdOptimizer's own messages would speak of its cv
    if folds is None and not (
        isinstance(valid_size, numbers.Real)
        and not isinstance(valid_size, bool)
        and 0 < valid_size < 1
    ):
        raise ValueError(
            f"valid_size must be a share strictly between 0 and 1 (0.2 holds out 20 %); "
            f"got {valid_size!r}"
        )
    if folds is not None and (
        not isinstance(folds, numbers.Integral) or isinstance(folds, bool) or folds < 2
    ):
        raise ValueError(
            f"folds must be an integer of at least 2, or None to hold out valid_size; got {folds!r}"
        )
    opt = ThresholdOptimizer(
        estimator,
        cv=valid_size if folds is None else folds,
        refit=False,
        strategy=strategy,
        max_label_ratio=max_label_ratio,
        shrinkage=shrinkage,
        min_labels=min_labels,
        n_jobs=None if folds is None else n_jobs,
        random_state=random_state,
        verbose=verbose if folds else 0,  # which fold an epoch table belongs to
    )
    return opt.fit(X, Y, groups=groups)
