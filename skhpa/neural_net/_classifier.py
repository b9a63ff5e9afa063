"""HPAClassifier: a skorch NeuralNet that behaves like a scikit-learn multilabel classifier."""

import contextlib
import inspect
import numbers
import os
import warnings

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.metrics import f1_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints
from skorch import NeuralNet
from skorch.callbacks import (
    EarlyStopping,
    EpochScoring,
    EpochTimer,
    LRScheduler,
    PassthroughScoring,
    PrintLog,
    ProgressBar,
)
from skorch.dataset import Dataset, unpack_data
from skorch.utils import is_dataset
from torch.nn import BCEWithLogitsLoss
from torch.utils.data import Subset, WeightedRandomSampler

from ..nn import TTA_TRANSFORMS, TimmNet, augment_batch, d4_transform
from ..thresholding import apply_thresholds
from ..thresholding._search import fbeta_curve, pick
from ..utils import MacroF1ScoreMixin, check_multilabel_target, set_multilabel_tags
from ._batches import BatchedDataset, collate_batch
from ._checkpoint import (
    EpochState,
    checkpoint_key,
    checkpoint_path,
    read_checkpoint,
    restore_snapshot,
)
from ._device import resolve_device
from ._valid_split import MultilabelHoldout


def _valid_macro_f1(net, X, y):
    """Epoch-level macro-F1 on the whole validation split, at the net's thresholds."""
    P = net._proba_without_tta(X)
    pred = apply_thresholds(P, net._threshold_vector(), net.min_labels)
    return f1_score(np.asarray(y), pred, average="macro", zero_division=0.0)


def _valid_macro_f1_tuned(net, X, y):
    """Epoch-level macro-F1 on the validation split with each class's best threshold.

    What a ThresholdOptimizer can reach: it measures how well the network
    ranks each class, independently of the 0.5 threshold that keeps the plain
    macro-F1 at 0 for rare classes in the first epochs (early stopping on that
    would stop at epoch 1). Classes without positives in the split are left out.
    """
    P = net._proba_without_tta(X)
    Y = np.asarray(y)
    scores = [
        pick(*fbeta_curve(Y[:, k], P[:, k]), 0.5)[1] for k in range(Y.shape[1]) if Y[:, k].any()
    ]
    return float(np.mean(scores)) if scores else 0.0


def _y_of(dataset):
    """The targets of a skorch Dataset or a Subset of one, as numpy."""
    if isinstance(dataset, Subset):
        return _y_of(dataset.dataset)[np.asarray(dataset.indices)]
    y = dataset.y
    return y.cpu().numpy() if torch.is_tensor(y) else np.asarray(y)


def _iter_chunks(X, chunk=64):
    for start in range(0, len(X), chunk):
        yield start, np.asarray(X[start : start + chunk])


class HPAClassifier(MacroF1ScoreMixin, ClassifierMixin, NeuralNet):
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
        accepts them; set other arguments with ``module__<name>``.
    criterion : torch loss class, default=torch.nn.BCEWithLogitsLoss
        Any loss on logits and float targets: see :mod:`skhpa.losses`
        (FocalLoss, SoftF1Loss, CombinedLoss). ``criterion__<name>`` sets its
        arguments.
    optimizer : torch optimizer class, default=torch.optim.AdamW
    lr : float, default=1e-3
    max_epochs : int, default=10
    batch_size : int, default=32
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
        callable is used as skorch's ``train_split``.
    patience : int or None, default=5
        Early stopping on the validation macro-F1 with per-class best
        thresholds (``valid_f1_tuned`` in the history; ``valid_f1`` is the
        macro-F1 at ``threshold``), restoring the best epoch's weights. None
        disables it.
    lr_schedule : {"cosine", None}, default="cosine"
        Cosine annealing over ``max_epochs``.
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
        the GPU (a core decodes about 100 4-channel 512 px PNG samples/s, or
        reads about 1,100 cached ones; see docs/scaling.rst); in-memory arrays
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
        0 is silent; 1 prints the epoch table and a progress bar.
    **kwargs
        Any other :class:`skorch.NeuralNet` argument (``callbacks``,
        ``warm_start``, ``iterator_train__*``, ``optimizer__weight_decay``,
        ``compile``, ...).

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

    # -- device: the parameter stays "auto"; skorch's internals see the resolved device --
    @property
    def device(self):
        return resolve_device(self.__dict__.get("device", "cpu"))

    @device.setter
    def device(self, value):
        self.__dict__["device"] = value

    def _get_param_names(self):
        # skorch reads parameter names from __dict__; private state (ours and
        # skorch's own ``_params_to_validate``) is not a parameter.
        return [k for k in super()._get_param_names() if not k.startswith("_")]

    def get_params(self, deep=True, **kwargs):
        params = super().get_params(deep=deep, **kwargs)
        if "device" in self.__dict__:
            params["device"] = self.__dict__["device"]
        return params

    def __setstate__(self, state):
        raw = state.get("device")
        if raw == "auto":
            state["device"] = resolve_device("auto")
        super().__setstate__(state)
        if raw == "auto":
            self.__dict__["device"] = "auto"

    def _on_cuda(self):
        return str(self.device).startswith("cuda")

    def _use_amp(self):
        if self.amp == "auto":
            return self._on_cuda() and torch.cuda.is_bf16_supported()
        return bool(self.amp)

    def _autocast(self):
        if not self._use_amp():
            return contextlib.nullcontext()
        device_type = "cuda" if self._on_cuda() else "cpu"
        return torch.autocast(device_type=device_type, dtype=torch.bfloat16)

    # -- parameters and data checks ------------------------------------------------
    def _validate_hpa_params(self):
        validate_parameter_constraints(
            self._parameter_constraints,
            {k: getattr(self, k) for k in self._parameter_constraints},
            caller_name=type(self).__name__,
        )

    def _check_X(self, X, *, fitting):
        import scipy.sparse

        if scipy.sparse.issparse(X):
            raise TypeError(
                f"Sparse data was passed to {type(self).__name__}, but dense data is required: "
                "images are (n_samples, n_channels, height, width) arrays."
            )
        if not (hasattr(X, "shape") and hasattr(X, "dtype") and hasattr(X, "__getitem__")):
            X = np.asarray(X)
        if np.dtype(X.dtype) == object:
            X = np.asarray(X, dtype=np.float64)
        if np.issubdtype(np.dtype(X.dtype), np.complexfloating):
            raise ValueError("Complex data not supported")
        if len(X.shape) < 2:
            raise ValueError(
                f"X must have at least 2 dimensions (n_samples, n_channels, ...), got shape "
                f"{tuple(X.shape)}. Reshape your data: images are (n_samples, n_channels, height, "
                "width), feature vectors (n_samples, n_features)."
            )
        if X.shape[0] == 0:
            raise ValueError(f"X is empty: 0 sample(s) (shape={tuple(X.shape)})")
        if X.shape[1] == 0:
            raise ValueError(
                f"0 feature(s) (shape={tuple(X.shape)}) while a minimum of 1 is required."
            )
        dtype = np.dtype(X.dtype)
        if not (np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.bool_)):
            raise ValueError(f"X must be numeric (uint8 or float images), got dtype {dtype}")
        if np.issubdtype(dtype, np.floating):
            for start, chunk in _iter_chunks(X):
                bad = ~np.isfinite(chunk)
                if bad.any():
                    i = start + int(np.argwhere(bad)[0][0])
                    raise ValueError(f"X contains NaN or infinity (sample {i})")
        if not fitting and X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input (axis 1: the image channels)."
            )
        expected = getattr(self, "input_shape_", None)
        if not fitting and expected is not None and tuple(X.shape[1:]) != tuple(expected):
            raise ValueError(
                f"{type(self).__name__} was fitted on samples of shape {tuple(expected)} "
                f"(channels, height, width) and received samples of shape {tuple(X.shape[1:])}; "
                "resize the images to the training size (ImageLoader(image_size=...) or "
                "skhpa.preprocessing.Resize)"
            )
        return X

    def _channel_stats(self, X, max_samples=2000, chunk=32):
        """Per-channel mean and std over samples and pixels, streamed in chunks.

        Above ``max_samples`` samples the statistics come from a seeded random
        subset of that size. Only one chunk is in memory at a time, so a lazy
        array is never materialized.
        """
        c = X.shape[1]
        n = X.shape[0]
        if n > max_samples:
            idx = np.sort(np.random.default_rng(0).choice(n, max_samples, replace=False))
        else:
            idx = np.arange(n)
        total = np.zeros(c)
        total_sq = np.zeros(c)
        count = 0
        for start in range(0, len(idx), chunk):
            sel = idx[start : start + chunk]
            if n <= max_samples:
                block = np.asarray(X[int(sel[0]) : int(sel[-1]) + 1])
            else:
                block = np.asarray(X[sel])
            block = block.astype(np.float32, copy=False)
            axes = (0,) + tuple(range(2, block.ndim))
            total += block.sum(axis=axes, dtype=np.float64)
            total_sq += np.square(block).sum(axis=axes, dtype=np.float64)
            count += block.size // c
        mean = total / count
        std = np.sqrt(np.maximum(total_sq / count - mean**2, 0))
        return mean, np.where(std > 1e-8, std, 1.0)

    # -- fitting --------------------------------------------------------------------
    def fit(self, X, y, groups=None, **fit_params):
        """Fit the network on images ``X`` and the indicator matrix ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_channels, height, width)
            uint8 or float images, or an ImageLoader lazy array (2-D
            (n_samples, n_features) input works with a 2-D module).
        y : array-like of shape (n_samples, n_classes)
            0/1 indicator matrix.
        groups : array-like of shape (n_samples,), optional
            Groups for the internal validation split (no group on both sides).
        **fit_params
            Passed to skorch (and to the module's forward).

        Returns
        -------
        self : HPAClassifier
        """
        X, Y = self._prepare_fit(X, y, reset=not self.warm_start or not self.initialized_)
        self._groups = None if groups is None else np.asarray(groups)
        if self._groups is not None and len(self._groups) != len(Y):
            raise ValueError(f"groups has {len(self._groups)} entries but y has {len(Y)} rows")
        self.interrupted_ = False
        try:
            with self._seeded():
                state = self._open_checkpoint(X, Y)
                if state is None:
                    self._fitting = True  # skorch's fit calls partial_fit: already prepared
                    try:
                        super().fit(X, Y, **fit_params)
                    finally:
                        self._fitting = False
                else:
                    self._resume(state, X, Y, **fit_params)
            if self._checkpoint_file is not None and not self.interrupted_:
                self._checkpoint_file.unlink(missing_ok=True)
        finally:
            self._groups = None
            self._snapshot = None
            self._checkpoint_file = None
        return self

    def _open_checkpoint(self, X, Y):
        """Set the checkpoint file of this run; its state if one exists."""
        self._checkpoint_file = None
        if self.checkpoint_dir is None:
            return None
        self._checkpoint_key = checkpoint_key(self, X, Y)
        self._checkpoint_file = checkpoint_path(self.checkpoint_dir, self._checkpoint_key)
        if not self._checkpoint_file.exists():
            return None
        return read_checkpoint(self._checkpoint_file, self._checkpoint_key)

    def _resume(self, state, X, Y, **fit_params):
        self.initialize()
        self.module_.load_state_dict(state["module"])
        self.optimizer_.load_state_dict(state["optimizer"])
        self.history_ = state["history"]
        remaining = self.max_epochs - state["epochs"]
        self._print_if_verbose(
            f"Resuming from {self._checkpoint_file} after epoch {state['epochs']} "
            f"({max(remaining, 0)} to go)"
        )
        if remaining > 0:
            super().partial_fit(X, Y, epochs=remaining, **fit_params)

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt:
            # skorch's EarlyStopping stops training with a KeyboardInterrupt too
            stopped_early = any(
                isinstance(cb, EarlyStopping) and getattr(cb, "misses_", 0) >= cb.patience
                for _, cb in getattr(self, "callbacks_", [])
            )
            if not stopped_early:
                snap = getattr(self, "_snapshot", None)
                if snap is not None and len(self.history) > snap["epochs"]:
                    restore_snapshot(self, snap)  # stopped inside an epoch: roll back
                self.interrupted_ = True
                warnings.warn(
                    f"{type(self).__name__}.fit was interrupted; the network is the one of the "
                    f"last completed epoch ({len(self.history)}). Continue with partial_fit, or "
                    "fit again with the same checkpoint_dir to resume.",
                    UserWarning,
                    stacklevel=2,
                )
            raise

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Train for ``max_epochs`` more epochs without re-initializing (see skorch).

        The first call initializes the network from the data, like ``fit``.
        """
        if getattr(self, "_fitting", False):  # called by skorch's fit, already prepared
            return super().partial_fit(X, y, classes=classes, **fit_params)
        X, Y = self._prepare_fit(X, y, reset=not self.initialized_)
        self.interrupted_ = False
        try:
            with self._seeded():
                if not self.initialized_:
                    self.initialize()
                super().partial_fit(X, Y, classes=classes, **fit_params)
        finally:
            self._snapshot = None
        return self

    def _seeded(self):
        """Seed torch inside a forked RNG state: reproducible, no global side effect."""
        rng = check_random_state(self.random_state)
        self._seed = int(rng.randint(0, 2**31 - 1))
        self._aug_generator = torch.Generator().manual_seed(self._seed + 1)
        devices = [torch.cuda.current_device()] if self._on_cuda() else []
        stack = contextlib.ExitStack()
        stack.enter_context(torch.random.fork_rng(devices=devices))
        torch.manual_seed(self._seed)
        return stack

    def _prepare_fit(self, X, y, *, reset):
        self._validate_hpa_params()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        X = self._check_X(X, fitting=True)
        Y = check_multilabel_target(y, name="y")
        if len(Y) != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} samples but y has {len(Y)} rows")
        if reset:
            self.n_classes_ = Y.shape[1]
            self.classes_ = np.arange(self.n_classes_)
            self.n_features_in_ = int(X.shape[1])
            self.input_shape_ = tuple(int(d) for d in X.shape[1:])
            self.label_cardinality_ = float(Y.sum(axis=1).mean())
            self._y_dtype = Y.dtype
            self._set_channel_stats(X)
        elif X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        elif Y.shape[1] != self.n_classes_:
            raise ValueError(
                f"y has {Y.shape[1]} columns, but the network has {self.n_classes_} outputs"
            )
        return X, Y

    def _set_channel_stats(self, X):
        mean, std = (None, None)
        if isinstance(self.channel_mean, str) or isinstance(self.channel_std, str):
            mean, std = self._channel_stats(X)
        self.channel_mean_ = (
            mean if isinstance(self.channel_mean, str) else np.asarray(self.channel_mean, float)
        )
        self.channel_std_ = (
            std if isinstance(self.channel_std, str) else np.asarray(self.channel_std, float)
        )
        for name, v in (("channel_mean", self.channel_mean_), ("channel_std", self.channel_std_)):
            if v.shape != (X.shape[1],):
                raise ValueError(
                    f"{name} must have one value per channel ({X.shape[1]}), got {v.shape}"
                )

    def initialize_module(self):
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

    def _channels_last(self):
        return self._on_cuda() if self.channels_last == "auto" else bool(self.channels_last)

    def get_default_callbacks(self):
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
        ]
        if self.train_split is not None:
            callbacks += [
                ("valid_loss", PassthroughScoring(name="valid_loss")),
                ("valid_f1", EpochScoring(_valid_macro_f1, lower_is_better=False, name="valid_f1")),
                (
                    "valid_f1_tuned",
                    EpochScoring(
                        _valid_macro_f1_tuned, lower_is_better=False, name="valid_f1_tuned"
                    ),
                ),
            ]
        if self.lr_schedule == "cosine":
            callbacks.append(
                (
                    "lr_scheduler",
                    LRScheduler(
                        policy=torch.optim.lr_scheduler.CosineAnnealingLR, T_max=self.max_epochs
                    ),
                )
            )
        # after the scheduler (the state the next epoch starts from), before early stopping
        callbacks.append(("epoch_state", EpochState()))
        if self.train_split is not None and self.patience is not None:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_f1_tuned",
                        lower_is_better=False,
                        patience=self.patience,
                        threshold=0.0,
                        load_best=True,
                        sink=self._print_if_verbose,
                    ),
                )
            )
        if self.verbose:
            callbacks += [("print_log", PrintLog()), ("progress_bar", ProgressBar())]
        return callbacks

    def _print_if_verbose(self, *args):
        if self.verbose:
            print(*args)

    def get_split_datasets(self, X, y=None, **fit_params):
        dataset = self.get_dataset(X, y)
        split = self.train_split
        if split is None:
            return dataset, None
        if split == "auto" or isinstance(split, numbers.Real):
            size = 0.2 if split == "auto" else float(split)
            return MultilabelHoldout(size, random_state=self._seed)(dataset, y, groups=self._groups)
        if self._groups is not None:
            fit_params = {**fit_params, "groups": self._groups}
        return split(dataset, y, **fit_params)

    def get_iterator(self, dataset, training=False):
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(prefix)
        kwargs.setdefault("batch_size", self.batch_size)
        kwargs.setdefault("num_workers", self._num_workers_for(dataset))
        kwargs.setdefault("collate_fn", collate_batch)
        if self._on_cuda():
            kwargs.setdefault("pin_memory", True)
        if training and "sampler" not in kwargs:
            if self.balanced_sampling:
                kwargs["sampler"] = self._balanced_sampler(dataset)
                kwargs.pop("shuffle", None)
            else:
                kwargs.setdefault("shuffle", True)
        iterator = self.iterator_train if training else self.iterator_valid
        return iterator(dataset, **kwargs)

    def get_dataset(self, X, y=None):
        """skorch's Dataset, reading whole batches at once (see ``_batches.py``)."""
        if self.dataset is Dataset and not is_dataset(X):
            return BatchedDataset(X, y)
        return super().get_dataset(X, y)

    def _num_workers_for(self, dataset):
        if self.num_workers != "auto":
            return int(self.num_workers)
        X = getattr(dataset, "X", getattr(getattr(dataset, "dataset", None), "X", None))
        decoded_on_the_fly = X is not None and not isinstance(X, (np.ndarray, torch.Tensor))
        if not (self._on_cuda() and decoded_on_the_fly):
            return 0
        return int(min(16, max(1, (os.cpu_count() or 1) - 1)))

    def _balanced_sampler(self, dataset):
        Y = _y_of(dataset).astype(bool)
        freq = Y.mean(0)
        inv = np.where(freq > 0, 1.0 / np.maximum(freq, 1e-12), 0.0)
        weights = np.where(
            Y.any(1), (Y * inv).max(1), inv[inv > 0].min() if (inv > 0).any() else 1.0
        )
        return WeightedRandomSampler(
            torch.as_tensor(weights, dtype=torch.double), len(weights), replacement=True
        )

    def _to_device(self, x):
        x = torch.as_tensor(x) if not torch.is_tensor(x) else x
        x = x.to(self.device, non_blocking=True)
        if x.dim() == 4 and self._channels_last():
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def infer(self, x, **fit_params):
        return self.module_(self._to_device(x), **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = torch.as_tensor(y_true).to(y_pred.device).float()
        return self.criterion_(y_pred.float(), y_true)

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        Xi = self._to_device(Xi)
        if self.augment:
            Xi = augment_batch(Xi, self._aug_generator)
        with self._autocast():
            y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        self._backward(loss)
        return {"loss": loss, "y_pred": y_pred.float()}

    def _backward(self, loss):
        loss.backward()

    def validation_step(self, batch, **fit_params):
        self._set_training(False)
        Xi, yi = unpack_data(batch)
        with torch.no_grad(), self._autocast():
            y_pred = self.infer(Xi, **fit_params).float()
        loss = self.get_loss(y_pred, yi, X=Xi, training=False)
        return {"loss": loss, "y_pred": y_pred}

    def evaluation_step(self, batch, training=False):
        self.check_is_fitted()
        Xi, _ = unpack_data(batch)
        with torch.set_grad_enabled(training), self._autocast():
            self._set_training(training)
            return self.infer(Xi).float()

    # -- prediction -------------------------------------------------------------------
    def _threshold_vector(self):
        thr = np.asarray(self.threshold, dtype=float)
        if thr.ndim == 0:
            return np.full(self.n_classes_, float(thr))
        if thr.shape != (self.n_classes_,):
            raise ValueError(
                f"threshold must be a float or have {self.n_classes_} values, got {thr.shape}"
            )
        return thr

    def _proba_without_tta(self, X):
        return self._stream_proba(X, TTA_TRANSFORMS[None])

    def _stream_proba(self, X, transforms):
        """Probabilities batch by batch, copied into one preallocated float64 array.

        Keeping each batch's output tensor in a list (what ``forward`` does)
        made a long lazy ``predict`` grow by ~1 MB per batch on CPU: every small
        output was allocated while the batch's large activations were live, and
        the kept outputs fragmented the heap so that later activations could not
        reuse it (measured: +2 GB over 30,000 samples at 64 px). Copying each
        batch out and dropping the tensor keeps memory flat in ``n``.
        """
        dataset = self.get_dataset(X)
        n = len(dataset)
        out = None
        pos = 0
        for batch in self.get_iterator(dataset, training=False):
            if len(transforms) == 1:
                with torch.no_grad():
                    probs = torch.sigmoid(self.evaluation_step(batch, training=False))
            else:
                self._set_training(False)
                Xi = self._to_device(unpack_data(batch)[0])
                with torch.no_grad(), self._autocast():
                    stack = torch.stack(
                        [
                            torch.sigmoid(self.module_(d4_transform(Xi, k)).float())
                            for k in transforms
                        ]
                    )
                probs = stack.mean(0) if self.tta_combine == "mean" else stack.amax(0)
            p = probs.detach().cpu().numpy()
            if out is None:
                out = np.empty((n, p.shape[1]), dtype=np.float64)
            out[pos : pos + len(p)] = p
            pos += len(p)
            del batch, probs, p
        if pos != n:
            raise RuntimeError(f"predicted {pos} of {n} samples")
        return out

    def predict_proba(self, X):
        """Per-class probabilities (sigmoid of the logits), with TTA when ``tta`` is set.

        Samples are predicted batch by batch into one preallocated array, so a
        lazy ``X`` of any length runs in constant memory besides the
        ``(n_samples, n_classes)`` result.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float64
        """
        self.check_is_fitted()
        X = self._check_X(X, fitting=False)
        transforms = TTA_TRANSFORMS[self.tta]
        if len(transforms) > 1 and (X.ndim != 4 or X.shape[2] != X.shape[3]):
            raise ValueError("test-time augmentation needs square images (n, c, h, w)")
        return self._stream_proba(X, transforms)

    def decision_function(self, X):
        """Logits consistent with ``predict_proba`` (the logit of the TTA-combined probability)."""
        P = np.clip(self.predict_proba(X), 1e-7, 1 - 1e-7)
        return np.log(P / (1 - P))

    def predict(self, X):
        """Indicator matrix ``predict_proba(X) >= threshold`` (and ``min_labels``), in y's dtype."""
        P = self.predict_proba(X)
        return apply_thresholds(P, self._threshold_vector(), self.min_labels, self._y_dtype)

    def __sklearn_tags__(self):
        tags = set_multilabel_tags(super().__sklearn_tags__())
        tags.classifier_tags.poor_score = True
        tags.non_deterministic = True
        tags.input_tags.three_d_array = True
        return tags
