"""HPAClassifier's input checks: parameters, images, targets and the channel statistics."""

import warnings

import numpy as np

from ..utils import (
    as_sample_array,
    channel_mean_std,
    check_channels_first,
    check_multilabel_target,
    check_n_samples,
    other_intensity_scale,
    validate_parameter_constraints,
)
from ._device import check_device

# samples that "auto" channel statistics are measured on (a seeded subset above this)
_STATS_MAX_SAMPLES = 2000


def _iter_chunks(X, chunk=64):
    for start in range(0, len(X), chunk):
        yield start, np.asarray(X[start : start + chunk])


class InputChecksMixin:
    """Validation of what ``fit``, ``partial_fit`` and ``predict*`` receive."""

    def _validate_hpa_params(self):
        validate_parameter_constraints(
            self._parameter_constraints,
            {k: getattr(self, k) for k in self._parameter_constraints},
            caller_name=type(self).__name__,
        )
        if isinstance(self.criterion, str) or not callable(self.criterion):
            raise ValueError(
                f"criterion must be a torch loss class or instance, got {self.criterion!r}; "
                "skhpa.losses has BCEWithLogitsLoss, FocalLoss, SoftF1Loss and CombinedLoss "
                "(e.g. criterion=skhpa.losses.FocalLoss, criterion__gamma=2)"
            )
        params = self.get_params(deep=False)
        raw = params.get("device")
        if raw is not None:  # None: skorch leaves the tensors where they are
            check_device(raw, owner=type(self).__name__)
        nonlinearity = params.get("predict_nonlinearity")
        if nonlinearity is not None:
            raise ValueError(
                f"predict_nonlinearity={nonlinearity!r} is not used by {type(self).__name__}: "
                "predict_proba always applies the sigmoid to the module's output (and "
                "combines the TTA views), so the module must return logits; leave "
                "predict_nonlinearity=None"
            )
        self._warn_of_doubled_callbacks()

    def _warn_of_doubled_callbacks(self):
        """Warn when a user's scheduler or early stopping runs beside skhpa's own."""
        from skorch.callbacks import EarlyStopping, LRScheduler

        callbacks = self.callbacks if isinstance(self.callbacks, (list, tuple)) else []
        for item in callbacks:
            cb = item[1] if isinstance(item, tuple) and len(item) == 2 else item
            kind = cb if isinstance(cb, type) else type(cb)
            if issubclass(kind, LRScheduler) and self.lr_schedule is not None:
                warnings.warn(
                    f"the callback {kind.__name__} runs beside lr_schedule={self.lr_schedule!r}"
                    ": both change the learning rate every epoch and their factors compound; "
                    "set lr_schedule=None to use yours alone",
                    UserWarning,
                    stacklevel=4,
                )
            if issubclass(kind, EarlyStopping) and self.patience is not None:
                warnings.warn(
                    f"the callback {kind.__name__} runs beside skhpa's early stopping "
                    f"(valid_f1_tuned, patience={self.patience}), which can stop first and "
                    "restore its best epoch's weights; set patience=None to use yours alone",
                    UserWarning,
                    stacklevel=4,
                )

    def check_is_fitted(self, attributes=None, *args, **kwargs):
        """Raise unless the network is fitted (override of skorch's ``check_is_fitted``).

        skorch's message asks for ``initialize`` or ``fit``; a network that was only
        initialized has not seen the data (its channels, image size, classes), so only
        ``fit`` or ``partial_fit`` make it usable.

        Parameters
        ----------
        attributes : iterable of str, optional
            Attributes a fitted network has (default: ``module_`` and ``n_features_in_``).
        *args, **kwargs
            Ignored; accepted for skorch's signature.

        Raises
        ------
        skorch.exceptions.NotInitializedError
            A subclass of :class:`sklearn.exceptions.NotFittedError`.
        """
        from skorch.exceptions import NotInitializedError

        attributes = list(attributes or ("module_", "n_features_in_"))
        if not all(hasattr(self, a) for a in attributes):
            raise NotInitializedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' (or "
                "'partial_fit') with appropriate arguments before using this estimator."
            )

    def _check_X(self, X, *, fitting):
        import scipy.sparse

        if scipy.sparse.issparse(X):
            raise TypeError(
                f"Sparse data was passed to {type(self).__name__}, but dense data is required: "
                "images are (n_samples, n_channels, height, width) arrays."
            )
        if hasattr(X, "detach") and hasattr(X, "numpy"):  # a torch tensor
            X = X.detach().cpu().numpy()
        if not (hasattr(X, "shape") and hasattr(X, "dtype") and hasattr(X, "__getitem__")):
            X = as_sample_array(X)
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
        if len(X.shape) == 3:
            raise ValueError(
                f"X has shape {tuple(X.shape)}: images are 4-D (n_samples, n_channels, height, "
                "width); for images of one channel pass X[:, None], for one image X[None]"
            )
        check_channels_first(X.shape)
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
        if not fitting:
            self._check_input_shape(X)
            self._warn_if_other_scale(X)
        return X

    def _check_input_shape(self, X):
        """Refuse samples of another (channels, height, width) than the fitted ones."""
        expected = getattr(self, "input_shape_", None)
        if expected is not None and tuple(X.shape[1:]) != tuple(expected):
            raise ValueError(
                f"{type(self).__name__} was fitted on samples of shape {tuple(expected)} "
                f"(channels, height, width) and received samples of shape {tuple(X.shape[1:])}; "
                "resize the images to the training size (ImageLoader(image_size=...) or "
                "skhpa.preprocessing.Resize)"
            )

    def _warn_if_other_scale(self, X):
        """Warn when ``X`` is on another intensity scale than the training images.

        A network fitted on uint8 images (0-255) given images scaled to [0, 1], or the
        reverse, predicts without an error and wrongly. The training images' channel means
        (in input units) tell the scale; the first samples of ``X`` are compared with it.
        """
        mean = getattr(self, "channel_mean_", None)
        # only images in memory: a lazy array would decode its first samples a second time
        # (ImageLoader's lazy output is uint8 0-255, the scale a network is fitted on)
        if mean is None or len(X.shape) != 4 or not isinstance(X, np.ndarray):
            return
        std = getattr(self, "channel_std_", None)
        if std is not None and float(np.max(mean)) <= 2.0 and float(np.max(std)) > 0.5:
            return  # standardized training images (means near 0, std near 1): no image scale
        scales = other_intensity_scale(float(np.max(mean)), X)
        if scales is None:
            return
        seen, fitted = scales[0], f"{scales[1]} (channel means up to "
        warnings.warn(
            f"X's first images have values {seen}, but {type(self).__name__} was fitted on "
            f"images {fitted}{float(np.max(mean)):.3g}): pass images on the training scale "
            "(uint8 0-255 as ImageLoader gives them, or the same float scaling)",
            UserWarning,
            stacklevel=4,
        )

    def _prepare_fit(self, X, y, *, reset):
        """Check the parameters, ``X`` and ``y``; with ``reset``, learn the data's shape."""
        self._validate_hpa_params()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        X = self._check_X(X, fitting=True)
        if hasattr(y, "detach") and hasattr(y, "numpy"):  # a torch tensor
            y = y.detach().cpu().numpy()
        Y = check_multilabel_target(y, name="y")
        check_n_samples(X, Y)
        if reset:
            self.n_classes_ = Y.shape[1]
            self.classes_ = np.arange(self.n_classes_)
            self.n_features_in_ = int(X.shape[1])
            self.input_shape_ = tuple(int(d) for d in X.shape[1:])
            self.label_cardinality_ = float(Y.sum(axis=1).mean())
            self._y_dtype = Y.dtype
            self._set_channel_stats(X)
            self._warn_if_augmenting_signed(X)
        elif X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        elif Y.shape[1] != self.n_classes_:
            raise ValueError(
                f"y has {Y.shape[1]} columns, but the network has {self.n_classes_} outputs"
            )
        else:  # partial_fit and warm starts train on the fitted geometry only
            self._check_input_shape(X)
        self._threshold_vector()  # a threshold per class: checked before training
        return X, Y

    def _warn_if_augmenting_signed(self, X):
        """Warn when ``augment`` meets standardized (signed) images.

        The augmentation treats the input as intensities: 0 is black (the padding
        of its random shifts) and brightness is a gain. Standardized images, with
        negative values, are padded with their mean instead of black.
        """
        if not self.augment or len(X.shape) != 4 or np.dtype(X.dtype).kind in "ub":
            return
        first = np.asarray(X[: min(len(X), 64)])
        if first.size and float(first.min()) < 0:
            warnings.warn(
                "X has negative values (standardized images?) and augment=True: the "
                "augmentation treats the input as intensities (0 = black: the padding of its "
                "shifts; brightness as a gain). Pass the images as they are (uint8 0-255) and "
                "let the module normalize them (skhpa's modules do, from channel_mean_ and "
                "channel_std_), or set augment=False",
                UserWarning,
                stacklevel=4,
            )

    def _set_channel_stats(self, X):
        mean, std = (None, None)
        if isinstance(self.channel_mean, str) or isinstance(self.channel_std, str):
            mean, std = channel_mean_std(X, chunk_size=32, max_samples=_STATS_MAX_SAMPLES)
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
