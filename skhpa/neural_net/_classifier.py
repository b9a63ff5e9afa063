"""HPAClassifier: a skorch NeuralNet that behaves like a scikit-learn multilabel classifier.

The class is assembled from mixins, one concern each:

- ``_device.DeviceMixin``: the ``device`` parameter, pickling, autocast, channels-last;
- ``_input_checks.InputChecksMixin``: parameter, image and target checks, channel statistics;
- ``_training.TrainingMixin``: ``fit`` / ``partial_fit`` with seeding (``_seeding.py``),
  checkpoint files, resuming and the rollback of an interrupted epoch;
- ``_data_loading.DataLoadingMixin``: datasets, the validation split, DataLoaders, the
  class-balanced sampler;
- ``_prediction.StreamedPredictionMixin``: streamed ``predict_proba`` with test-time
  augmentation, ``decision_function``, ``predict``;
- ``_steps.BatchStepsMixin``: the forward pass, the loss and the training, validation and
  evaluation steps of one batch (skorch's overrides);
- ``_fitted_state.FittedStateMixin``: the persistence hook (see :mod:`skhpa.persistence`).

What stays here: the parameters, building the module and the callbacks' list
(``_callbacks.py``).
"""

import inspect
import numbers
import os

import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from skorch import NeuralNet
from torch.nn import BCEWithLogitsLoss

from ..nn import TimmNet
from ..utils import Interval, MacroF1ScoreMixin, StrOptions, set_multilabel_tags
from ._callbacks import default_callbacks
from ._callbacks import valid_macro_f1 as _valid_macro_f1  # noqa: F401 (older pickles)
from ._callbacks import valid_macro_f1_tuned as _valid_macro_f1_tuned  # noqa: F401 (idem)
from ._data_loading import DataLoadingMixin
from ._device import DeviceMixin
from ._fitted_state import FittedStateMixin
from ._input_checks import InputChecksMixin
from ._prediction import StreamedPredictionMixin
from ._steps import BatchStepsMixin
from ._training import TrainingMixin


class HPAClassifier(
    MacroF1ScoreMixin,
    ClassifierMixin,
    DeviceMixin,
    InputChecksMixin,
    TrainingMixin,
    DataLoadingMixin,
    StreamedPredictionMixin,
    BatchStepsMixin,
    FittedStateMixin,
    NeuralNet,
):
    """Multilabel CNN classifier for HPA images, with scikit-learn's multilabel conventions.

    A :class:`skorch.NeuralNet` that takes images ``X`` of shape
    (n_samples, n_channels, height, width), uint8 or float, in memory or as
    the lazy array of :class:`~skhpa.preprocessing.ImageLoader`, and a 0/1
    indicator matrix ``Y`` of shape (n_samples, n_classes). ``predict_proba``
    returns an (n_samples, n_classes) array of sigmoid probabilities (like
    :class:`~sklearn.neural_network.MLPClassifier`), ``predict`` an indicator
    matrix with ``Y``'s dtype, and ``score`` the macro-F1.

    The number of classes and of input channels are read from the data at
    fit. Inputs are normalized per channel inside the network (statistics
    measured on the training data unless given), so uint8 batches travel to
    the device.

    Parameters
    ----------
    module : str or torch.nn.Module class, default="resnet18"
        A timm backbone name (the network is :class:`~skhpa.nn.TimmNet`: the
        backbone with concatenated average and max pooling), or a module class
        such as :class:`~skhpa.nn.SeedCNN`. Module classes receive
        ``n_classes``, ``in_chans``, ``mean`` and ``std`` when their signature
        accepts them; set other arguments with ``module__<name>``. Your own
        module receives the images as they are (uint8 0-255 from
        ``ImageLoader``; float32 after augmentation), so its ``forward``
        converts and normalizes them (``mean``/``std`` are the fitted channel
        statistics in input units), and returns one tensor of logits of shape
        (batch, n_classes): no sigmoid (``predict_proba`` applies it). A
        module instance is trained as it is: a second ``fit``, and ``clone``,
        start from its current weights; pass the class for fresh fits.
    criterion : torch loss class, default=torch.nn.BCEWithLogitsLoss
        A loss class or ``nn.Module`` instance (not a plain function: skorch
        instantiates the class with ``criterion__*``).
        Any loss on logits and float targets: see :mod:`skhpa.losses`
        (FocalLoss, SoftF1Loss, CombinedLoss). ``criterion__<name>`` sets its
        arguments.
    optimizer : torch optimizer class, default=torch.optim.AdamW
        ``optimizer__<name>`` sets its arguments (``optimizer__weight_decay``).
    lr : float, default=1e-3
        Learning rate (the starting one with ``lr_schedule="cosine"``).
    max_epochs : int, default=10
        Training epochs of ``fit`` (and more epochs of each ``partial_fit``).
    batch_size : int, default=32
        Samples per training and prediction batch.
    threshold : float or array-like of shape (n_classes,), default=0.5
        Decision threshold(s) of ``predict``. Tune per class with
        :class:`~skhpa.ThresholdOptimizer`.
    min_labels : {0, 1}, default=0
        With 1, ``predict`` switches on the most probable class of a sample
        with none above its threshold.
    augment : bool, default=True
        Random dihedral transform, shift and brightness/contrast jitter of each
        training batch, on the device (off at predict).
    tta : {None, "flip", "d4"}, default=None
        Test-time augmentation in ``predict_proba``: identity + horizontal
        flip, or all 8 dihedral transforms.
    tta_combine : {"mean", "max"}, default="mean"
        How TTA probabilities are combined.
    balanced_sampling : bool, default=False
        Draw training batches with :class:`~torch.utils.data.WeightedRandomSampler`,
        each sample weighted by the inverse frequency of its rarest label.
    train_split : "auto", float, None or callable, default="auto"
        Internal validation split: ``"auto"`` holds out 20 % with multilabel
        stratification (:class:`~skhpa.neural_net.MultilabelHoldout`; grouped
        when ``groups`` is passed to ``fit``), a float holds out that share,
        None trains on everything (no validation, no early stopping), a
        callable is used as skorch's ``train_split``. Validation data passed
        to ``fit`` (``X_val``, ``y_val``) takes its place.
    patience : int or None, default=5
        Early stopping on the validation macro-F1 with per-class best
        thresholds (``valid_f1_tuned`` in the history; ``valid_f1`` is the
        macro-F1 at ``threshold``), restoring the best epoch's weights. None
        disables it.
    lr_schedule : {"cosine", None}, default="cosine"
        Cosine annealing from ``lr`` over ``max_epochs``: one cycle per ``fit``,
        ``partial_fit`` or ``warm_start`` fit (a fit resumed from
        ``checkpoint_dir`` continues its own).
    channel_mean, channel_std : "auto" or array-like of shape (n_channels,), default="auto"
        Normalization statistics in input units; ``"auto"`` measures them on
        the training data (streaming, so lazy arrays are not materialized).
    pretrained : bool, default=False
        Load ImageNet weights for a timm backbone (see :class:`~skhpa.nn.TimmNet`;
        ``module__weights`` takes a local file).
    amp : "auto" or bool, default="auto"
        bfloat16 autocast on CUDA devices that support it; off on the CPU.
    channels_last : "auto" or bool, default="auto"
        channels-last memory format on CUDA.
    num_workers : int or "auto", default="auto"
        DataLoader worker processes. "auto": on CUDA, inputs decoded on the fly
        (the lazy array of :class:`~skhpa.preprocessing.ImageLoader`) get one
        worker per CPU core but one, at most 16, so that decoding keeps up with
        the GPU (a core decodes about 100 4-channel 512 px PNG samples/s; one
        process reads 1,700-2,000 cached ones, a worker 500-600 on this
        project's machines; see docs/scaling.rst); in-memory arrays
        and the CPU use none (workers would compete with the training threads).
    checkpoint_dir : str or path-like, default=None
        Write the network and optimizer state after every epoch to a file in
        this directory (atomically; named by a key of the parameters and the
        training data, so the parallel fits of a grid search do not collide).
        ``fit`` with the same parameters and data resumes from the file: an
        interrupted run continues at the next epoch and ends as the
        uninterrupted run would have (on the CPU, bit for bit, when no early
        stopping is involved: its patience count restarts). The file is
        removed when ``fit`` completes.
    device : str, default="auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling, augmentation and the
        validation split; two CPU fits with the same int give identical
        predictions.
    verbose : int, default=0
        0 is silent; 1 prints the epoch table and, on a terminal or in a
        notebook, a progress bar (into a log file or a pipe: the table
        without colour codes, no progress bar).
    callbacks, dataset, iterator_train, iterator_valid : as in skorch
        :class:`skorch.NeuralNet`'s, with its defaults (``callbacks`` are
        added to skhpa's own: validation scores, schedule, early stopping; a
        user ``LRScheduler`` or ``EarlyStopping`` gets a warning unless
        ``lr_schedule=None`` or ``patience=None`` turns skhpa's off).
    compile, torch_load_kwargs, use_caching, warm_start : as in skorch
        :class:`skorch.NeuralNet`'s, with its defaults.
    predict_nonlinearity : None, default=None
        Only None: ``predict_proba`` applies the sigmoid to the module's logits
        itself (and combines the TTA views); another value is refused at fit.
    **kwargs
        Any other :class:`skorch.NeuralNet` argument (``iterator_train__*``,
        ``optimizer__weight_decay``, ``module__*``, ...).

    Notes
    -----
    A KeyboardInterrupt during ``fit`` (Ctrl-C) stops training and rolls the
    network back to the end of the last completed epoch (``interrupted_`` is
    then True, with a warning); ``fit`` returns normally, as in skorch, so the
    model can be saved or trained further with ``partial_fit``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The label indices.
    n_classes_ : int
    n_features_in_ : int
        Number of input channels (features, for 2-D input).
    input_shape_ : tuple of int
        The shape of one training sample, ``(n_channels, height, width)``.
        Later inputs must have it: a network never runs silently at another
        resolution (resize with :class:`~skhpa.preprocessing.ImageLoader`,
        whose fitted geometry does this for a Pipeline).
    label_cardinality_ : float
        Mean number of labels per training sample (the command line warns
        when predictions stray far from it).
    channel_mean_, channel_std_ : ndarray of shape (n_channels,)
        The normalization statistics used.
    interrupted_ : bool
        Whether the last ``fit`` was interrupted (and rolled back to the last
        completed epoch).
    module_, criterion_, optimizer_, history_ :
        As in skorch.

    Examples
    --------
    >>> from skhpa import HPAClassifier
    >>> from skhpa.datasets import make_hpa_like
    >>> from skhpa.nn import SeedCNN
    >>> X, Y = make_hpa_like(32, image_size=32, label_distribution="flat", random_state=0)
    >>> clf = HPAClassifier(SeedCNN, max_epochs=1, train_split=None, random_state=0)
    >>> clf.fit(X, Y).predict_proba(X).shape
    (32, 28)
    """

    _parameter_constraints = {
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "threshold": [Interval(numbers.Real, 0, 1, closed="both"), "array-like"],
        "min_labels": [Interval(numbers.Integral, 0, 1, closed="both")],
        "augment": ["boolean"],
        "tta": [StrOptions({"flip", "d4"}), None],
        "tta_combine": [StrOptions({"mean", "max"})],
        "balanced_sampling": ["boolean"],
        "train_split": [
            StrOptions({"auto"}),
            Interval(numbers.Real, 0, 1, closed="neither"),
            callable,
            None,
        ],
        "patience": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "lr_schedule": [StrOptions({"cosine"}), None],
        "channel_mean": [StrOptions({"auto"}), "array-like"],
        "channel_std": [StrOptions({"auto"}), "array-like"],
        "pretrained": ["boolean"],
        "amp": [StrOptions({"auto"}), "boolean"],
        "channels_last": [StrOptions({"auto"}), "boolean"],
        "num_workers": [StrOptions({"auto"}), Interval(numbers.Integral, 0, None, closed="left")],
        "checkpoint_dir": [str, os.PathLike, None],
        "random_state": ["random_state"],
        "verbose": [Interval(numbers.Integral, 0, None, closed="left"), "boolean"],
    }

    def __init__(
        self,
        module="resnet18",
        *,
        criterion=BCEWithLogitsLoss,
        optimizer=torch.optim.AdamW,
        lr=1e-3,
        max_epochs=10,
        batch_size=32,
        threshold=0.5,
        min_labels=0,
        augment=True,
        tta=None,
        tta_combine="mean",
        balanced_sampling=False,
        train_split="auto",
        patience=5,
        lr_schedule="cosine",
        channel_mean="auto",
        channel_std="auto",
        pretrained=False,
        amp="auto",
        channels_last="auto",
        num_workers="auto",
        checkpoint_dir=None,
        device="auto",
        random_state=None,
        verbose=0,
        **kwargs,
    ):
        kwargs.setdefault("predict_nonlinearity", None)
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            device=device,
            verbose=verbose,
            **kwargs,
        )
        self.threshold = threshold
        self.min_labels = min_labels
        self.augment = augment
        self.tta = tta
        self.tta_combine = tta_combine
        self.balanced_sampling = balanced_sampling
        self.patience = patience
        self.lr_schedule = lr_schedule
        self.channel_mean = channel_mean
        self.channel_std = channel_std
        self.pretrained = pretrained
        self.amp = amp
        self.channels_last = channels_last
        self.num_workers = num_workers
        self.checkpoint_dir = checkpoint_dir
        self.random_state = random_state

    # scikit-learn's repr: the parameters that differ from their defaults, also when the
    # network sits in a Pipeline or a meta-estimator (skorch's shows only the module)
    __repr__ = BaseEstimator.__repr__

    def set_params(self, **params):
        """Set parameters (skorch's ``set_params``), ``callbacks`` checked at ``fit``.

        skorch builds the callbacks of a network as soon as ``callbacks`` is set, so a
        wrong value raises there; on a network that is not initialized yet the value is
        only stored, as scikit-learn expects, and checked when ``fit`` builds them.

        Parameters
        ----------
        **params : dict
            Parameter names (``lr``, ``module__dropout``, ``callbacks__print_log``, ...)
            mapped to their new values.

        Returns
        -------
        self : HPAClassifier
        """
        params = self._without_default_callback_values(params)
        if "callbacks" in params and not self.initialized_:
            self.callbacks = params.pop("callbacks")
        if not params:
            return self
        return super().set_params(**params)

    def _without_default_callback_values(self, params):
        """``params`` less the ``callbacks__<name>[__<param>]`` values that fit builds anyway.

        ``get_params`` lists the callbacks built from the network's own parameters
        (``patience``, ``threshold``, ...); handing them back (``set_params(**get_params())``)
        must not pin them: skorch would keep those objects, and a later ``patience``
        would be ignored. Values that differ from what fit builds are kept.
        """
        built = None
        kept = {}
        for key, value in params.items():
            parts = key.split("__")
            if parts[0] == "callbacks" and len(parts) > 1:
                if built is None:
                    built = dict(self._default_callbacks)
                callback = built.get(parts[1])
                if callback is not None and _same_value(
                    value if len(parts) > 2 else _callback_params(value),
                    callback.get_params().get("__".join(parts[2:]), _MISSING)
                    if len(parts) > 2
                    else _callback_params(callback),
                ):
                    continue
            kept[key] = value
        return kept

    def _get_param_names(self):
        # skorch reads parameter names from __dict__; private state (ours and
        # skorch's own ``_params_to_validate``) is not a parameter.
        return [k for k in super()._get_param_names() if not k.startswith("_")]

    # -- the module and the callbacks ------------------------------------------------
    def initialize_module(self):
        """Build ``module_`` (override of :meth:`skorch.NeuralNet.initialize_module`).

        skorch instantiates ``module`` with its ``module__*`` arguments; skhpa
        also resolves a timm backbone name to :class:`~skhpa.nn.TimmNet` (with
        ``pretrained``), passes the data-dependent arguments ``n_classes``,
        ``in_chans``, ``mean`` and ``std`` (from ``n_classes_``,
        ``n_features_in_``, ``channel_mean_`` and ``channel_std_``) to a module
        class whose signature accepts them and that ``module__*`` does not set,
        and converts the network to channels-last memory format on CUDA when
        ``channels_last`` asks for it. A module instance is used as is (or
        re-created from its type when ``module__*`` arguments are given).

        Returns
        -------
        self : HPAClassifier
            The estimator, with ``module_`` set.
        """
        kwargs = self.get_params_for("module")
        module = self.module
        if isinstance(module, str):
            kwargs.setdefault("backbone", module)
            kwargs.setdefault("pretrained", self.pretrained)
            module = TimmNet
        if isinstance(module, torch.nn.Module):
            self.module_ = module if not kwargs else type(module)(**kwargs)
            return self
        accepted = inspect.signature(module).parameters
        data_kwargs = {
            "n_classes": getattr(self, "n_classes_", None),
            "in_chans": getattr(self, "n_features_in_", None),
            "mean": getattr(self, "channel_mean_", None),
            "std": getattr(self, "channel_std_", None),
        }
        for k, v in data_kwargs.items():
            if v is not None and k in accepted and k not in kwargs:
                kwargs[k] = torch.as_tensor(v, dtype=torch.float32) if k in ("mean", "std") else v
        self.module_ = module(**kwargs)
        if self._on_cuda() and self._channels_last():
            self.module_ = self.module_.to(memory_format=torch.channels_last)
        return self

    @property
    def _default_callbacks(self):
        # skorch's get_params lists the callbacks of this property (``callbacks__*``
        # keys): they must be the ones fit builds, or set_params refuses the keys
        # get_params gave (skorch's print_log, when verbose=0 builds none)
        try:
            return default_callbacks(self)
        except (TypeError, ValueError):  # invalid parameters: get_params lists none, fit says
            return []

    def get_default_callbacks(self):
        """skhpa's default callbacks (override of skorch's ``get_default_callbacks``).

        Instead of skorch's defaults: the epoch timer and the training loss;
        with a validation split (or ``X_val`` passed to ``fit``), the
        validation loss, ``valid_f1`` (macro-F1 at ``threshold``) and
        ``valid_f1_tuned`` (macro-F1 at per-class best thresholds); the cosine
        learning-rate schedule when ``lr_schedule="cosine"``; per-epoch
        seeding and the epoch snapshot used by checkpoints and rollback; early
        stopping on ``valid_f1_tuned`` when there is validation data and
        ``patience`` is not None.

        Returns
        -------
        callbacks : list of (str, skorch.callbacks.Callback) tuples
            The named callbacks, in calling order.
        """
        return default_callbacks(self)

    def _print_if_verbose(self, *args):
        if self.verbose:
            print(*args)

    def __skhpa_validation_fit_params__(self, X_val, y_val, route):
        """``X_val``/``y_val``: a held-out part is this network's validation data.

        The hook through which ThresholdOptimizer gives a held-out part to the
        networks (``ThresholdOptimizer(cv=0.2)``); ``route`` is for meta-estimators.
        """
        return {"X_val": X_val, "y_val": y_val}

    def __sklearn_tags__(self):
        tags = set_multilabel_tags(super().__sklearn_tags__())
        tags.classifier_tags.poor_score = True
        tags.non_deterministic = True
        tags.input_tags.three_d_array = True
        return tags


def _signature_with_skorch_defaults(own):
    """``own`` (HPAClassifier's ``__init__`` signature) plus skorch's own parameters.

    They reach skorch through ``**kwargs``; scikit-learn's repr compares each parameter
    with the default in the signature, and would print every one of them as changed.
    Only inspection sees this signature: ``__init__`` itself is unchanged.
    """
    mine = [p for p in own.parameters.values() if p.kind != p.VAR_KEYWORD]
    names = {p.name for p in mine}
    extra = [
        p.replace(
            kind=p.KEYWORD_ONLY, default=None if p.name == "predict_nonlinearity" else p.default
        )
        for p in inspect.signature(NeuralNet.__init__).parameters.values()
        if p.name not in names and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    var = [p for p in own.parameters.values() if p.kind == p.VAR_KEYWORD]
    return own.replace(parameters=mine + extra + var)


HPAClassifier.__init__.__signature__ = _signature_with_skorch_defaults(
    inspect.signature(HPAClassifier.__init__)
)


_MISSING = object()


def _callback_params(callback):
    """A callback's type and parameters, or the object itself if it is not a callback."""
    get_params = getattr(callback, "get_params", None)
    return (type(callback), get_params()) if callable(get_params) else callback


def _same_value(a, b):
    """``a == b`` for parameter values, False where the comparison is not a plain bool."""
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:  # arrays, objects with odd __eq__: not known to be the same
        return False
