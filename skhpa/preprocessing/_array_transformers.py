"""Transformers on in-memory image arrays (n, C, H, W): channel selection, resizing, scaling."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils import CHANNELS, Interval, as_sample_array, channel_mean_std, check_channels_first
from ..utils import fit_context as _fit_context
from ._decode import resize_plane
from ._image_output import ImageOutputMixin


class _ImageInputMixin:
    """Tags of a transformer whose input is an image array (n, C, H, W), not a 2-D table."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags


def _check_images(X, name="X"):
    if not hasattr(X, "shape") or len(X.shape) != 4:
        X = as_sample_array(X, name)
        if X.ndim != 4:
            raise ValueError(
                f"{name} must be images of shape (n_samples, n_channels, H, W), got {X.shape}"
            )
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 samples)")
    check_channels_first(X.shape, name)
    # one summing pass, without a mask the size of X; the mask only to name the sample
    if (
        isinstance(X, np.ndarray)
        and np.issubdtype(X.dtype, np.floating)
        and not np.isfinite(np.sum(X, dtype=np.float64))
    ):
        finite = np.isfinite(X).reshape(len(X), -1).all(axis=1)
        raise ValueError(f"{name} contains NaN or infinity (sample {np.argmin(finite)})")
    return X


def _check_named_channels(X, input_channels):
    """``X`` as images with one channel per name in ``input_channels`` (fit-time check)."""
    X = _check_images(X)
    if X.shape[1] != len(input_channels):
        raise ValueError(
            f"X has {X.shape[1]} channels but input_channels names {len(input_channels)}"
        )
    return X


def _check_fitted_channels(est, X):
    """``X`` as images with the channel count seen in ``fit`` (clear error otherwise)."""
    X = _check_images(X)
    if X.shape[1] != est.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features (channels), but {type(est).__name__} is expecting "
            f"{est.n_features_in_} features as input"
        )
    return X


class ChannelSelector(_ImageInputMixin, ImageOutputMixin, TransformerMixin, BaseEstimator):
    """Select and reorder channels of an image array.

    Parameters
    ----------
    channels : sequence of str, default=("green",)
        Channels to keep, in the order wanted.
    input_channels : sequence of str, default=("red", "green", "blue", "yellow")
        The channel order of the input.

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.preprocessing import ChannelSelector
    >>> X = np.arange(4).reshape(1, 4, 1, 1)
    >>> ChannelSelector(("yellow", "green")).fit_transform(X).ravel().tolist()
    [3, 1]
    """

    _parameter_constraints = {"channels": ["array-like"], "input_channels": ["array-like"]}

    def __init__(self, channels=("green",), input_channels=CHANNELS):
        self.channels = channels
        self.input_channels = input_channels

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the channel names against the input.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_channels, height, width)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        inp = list(self.input_channels)
        missing = [c for c in self.channels if c not in inp]
        if missing or not len(self.channels):
            raise ValueError(
                f"channels {missing or list(self.channels)} not in input_channels {inp}"
            )
        X = _check_named_channels(X, inp)
        self.indices_ = np.array([inp.index(c) for c in self.channels])
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Return ``X[:, indices]``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_channels, height, width)

        Returns
        -------
        X_selected : ndarray of shape (n_samples, len(channels), height, width)
        """
        check_is_fitted(self, "indices_")
        X = _check_fitted_channels(self, X)
        return np.asarray(X[:, self.indices_])


class Resize(_ImageInputMixin, ImageOutputMixin, TransformerMixin, BaseEstimator):
    """Resize every image of an array to ``image_size`` x ``image_size``.

    uint8 input: Pillow's box (area) filter when shrinking, bilinear when
    enlarging, output uint8. Float input: area interpolation in torch.

    Parameters
    ----------
    image_size : int, default=128
        Height and width of the output images.

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.preprocessing import Resize
    >>> Resize(8).fit_transform(np.zeros((2, 4, 32, 32), np.uint8)).shape
    (2, 4, 8, 8)
    """

    _parameter_constraints = {"image_size": [Interval(numbers.Integral, 1, None, closed="left")]}

    def __init__(self, image_size=128):
        self.image_size = image_size

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Nothing to learn; checks the parameters.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_channels, height, width)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self.n_features_in_ = _check_images(X).shape[1]
        return self

    def transform(self, X):
        """Resized copy of ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_channels, height, width)

        Returns
        -------
        X_resized : ndarray of shape (n_samples, n_channels, image_size, image_size)
        """
        check_is_fitted(self, "n_features_in_")
        X = np.asarray(_check_fitted_channels(self, X))
        s = self.image_size
        if X.dtype == np.uint8:
            out = np.empty(X.shape[:2] + (s, s), np.uint8)
            for i in range(X.shape[0]):
                for c in range(X.shape[1]):
                    out[i, c] = resize_plane(X[i, c], s)
            return out
        import torch
        import torch.nn.functional as F

        t = torch.as_tensor(X, dtype=torch.float32)
        mode = "area" if X.shape[2] >= s else "bilinear"
        kwargs = {} if mode == "area" else {"align_corners": False}
        return F.interpolate(t, size=(s, s), mode=mode, **kwargs).numpy()


class ChannelStandardizer(
    _ImageInputMixin,
    ImageOutputMixin,
    OneToOneFeatureMixin,
    TransformerMixin,
    BaseEstimator,
    auto_wrap_output_keys=None,  # images: no DataFrame (ImageOutputMixin)
):
    """Standardize each channel with a mean and std learned in ``fit``.

    ``fit`` streams over the samples in chunks (works on a
    :class:`LazyImageArray` without materializing it); ``transform`` returns
    float32 ``(x - mean) / std`` per channel.

    Parameters
    ----------
    chunk_size : int, default=256
        Samples per chunk in ``fit``.

    Attributes
    ----------
    mean_, std_ : ndarray of shape (n_channels,)

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.preprocessing import ChannelStandardizer
    >>> X = np.random.RandomState(0).randint(0, 255, (10, 2, 4, 4)).astype(np.uint8)
    >>> Z = ChannelStandardizer().fit_transform(X)
    >>> np.allclose(Z.mean(axis=(0, 2, 3)), 0, atol=1e-5), Z.dtype
    (True, dtype('float32'))
    """

    _parameter_constraints = {"chunk_size": [Interval(numbers.Integral, 1, None, closed="left")]}

    def __init__(self, chunk_size=256):
        self.chunk_size = chunk_size

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Per-channel mean and std over samples and pixels (streaming).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_channels, height, width)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        X = _check_images(X)
        self.mean_, self.std_ = channel_mean_std(X, chunk_size=self.chunk_size)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """float32 standardized copy of ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_channels, height, width)

        Returns
        -------
        X_standardized : ndarray of shape (n_samples, n_channels, height, width), float32
        """
        check_is_fitted(self, "mean_")
        X = _check_fitted_channels(self, X)
        X = np.asarray(X, dtype=np.float32)
        return (X - self.mean_[None, :, None, None].astype(np.float32)) / self.std_[
            None, :, None, None
        ].astype(np.float32)
