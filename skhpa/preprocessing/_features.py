"""LocalizationFeatures: per-image statistics of the protein channel and its overlap with the
reference channels (a fast, network-free baseline)."""

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils import CHANNELS, Interval, other_intensity_scale
from ..utils import fit_context as _fit_context
from ._array_transformers import _check_fitted_channels, _check_named_channels, _ImageInputMixin

_QUANTILES = (0.5, 0.75, 0.9, 0.95, 0.99)
_SHIFTS = (1, 2, 4)
_PROTEIN_STATS = (
    [f"q{int(q * 100)}_over_mean" for q in _QUANTILES]
    + ["foreground_fraction", "gradient_over_mean"]
    + [f"autocorr_{s}" for s in _SHIFTS]
)
_OVERLAP_STATS = ("pearson", "manders", "log_enrichment")
_OVERLAP_SCALES = 2

# the float64 pixels of one chunk of samples (see LocalizationFeatures.chunk_size)
_CHUNK_BYTES = 512 * 2**20


def _pool2(a):
    """2x2 mean pooling of (n, H, W), dropping an odd last row/column."""
    n, h, w = a.shape
    h2, w2 = h // 2, w // 2
    return a[:, : 2 * h2, : 2 * w2].reshape(n, h2, 2, w2, 2).mean(axis=(2, 4))


def _protein_stats(a):
    """Brightness-invariant intensity and texture statistics of (n, H, W); (n, 10)."""
    n = a.shape[0]
    flat = a.reshape(n, -1)
    mean = flat.mean(1)
    m = mean[:, None] + 1e-3
    q = np.quantile(flat, _QUANTILES, axis=1).T / m
    fg = (flat > 0.1 * flat.max(1, keepdims=True)).mean(1, keepdims=True)
    grad = np.zeros((n, 1))
    for axis in (1, 2):
        if a.shape[axis] > 1:
            grad[:, 0] += np.abs(np.diff(a, axis=axis)).mean(axis=(1, 2))
    grad /= m
    c = a - mean[:, None, None]
    var = (c * c).mean(axis=(1, 2)) + 1e-6
    ac = []
    for s in _SHIFTS:
        if s >= min(a.shape[1:]):
            ac.append(np.zeros((n, 1)))
            continue
        rows = (c[:, s:, :] * c[:, :-s, :]).mean(axis=(1, 2))
        cols = (c[:, :, s:] * c[:, :, :-s]).mean(axis=(1, 2))
        ac.append((0.5 * (rows + cols) / var)[:, None])
    return np.hstack([q, fg, grad] + ac)


def _overlap_stats(g, r, threshold):
    """Pearson correlation, Manders overlap and log enrichment of g in r's mask; (n, 3)."""
    n = g.shape[0]
    G = g.reshape(n, -1)
    R = r.reshape(n, -1)
    Gc = G - G.mean(1, keepdims=True)
    Rc = R - R.mean(1, keepdims=True)
    denom = np.sqrt((Gc * Gc).sum(1) * (Rc * Rc).sum(1))
    pearson = np.where(denom > 0, (Gc * Rc).sum(1) / np.where(denom > 0, denom, 1.0), 0.0)
    rmax = R.max(1, keepdims=True)
    mask = (R > threshold * rmax) & (rmax > 0)
    gsum = G.sum(1)
    inside = (G * mask).sum(1)
    manders = np.where(gsum > 0, inside / np.where(gsum > 0, gsum, 1.0), 0.0)
    frac = mask.mean(1)
    # protein density inside the mask relative to the whole image (1 = no preference)
    enrichment = np.where(frac > 0, manders / np.where(frac > 0, frac, 1.0), 0.0)
    return np.stack([pearson, manders, np.log(enrichment + 1e-3)], axis=1)


class LocalizationFeatures(_ImageInputMixin, TransformerMixin, BaseEstimator):
    """Per-image features of the protein channel and its overlap with the reference channels.

    A fast baseline that needs no network, in the tradition of the subcellular
    location features used before deep learning: where is the protein (green)
    relative to the nucleus (blue), the microtubules (red) and the ER (yellow)?

    For the protein channel: its log mean intensity and, at ``n_scales``
    scales (2x mean pooling between scales), the 50/75/90/95/99 % quantiles
    over the mean, the foreground fraction (pixels above 10 % of the image
    maximum), the mean absolute gradient over the mean, and the
    autocorrelation at shifts 1, 2 and 4 px. Apart from the log mean these do
    not change when the image gets brighter. For each other channel, at the
    first two scales: the Pearson correlation with the protein channel, the
    Manders overlap (the share of protein intensity inside the reference's
    mask: pixels above ``overlap_threshold`` times its maximum) and the log
    enrichment (that share over the mask's share of the image).

    The input is intensities, as :class:`ImageLoader` gives them (uint8 0-255)
    or rescaled to [0, 1]: negative pixels (images centred by a
    :class:`ChannelStandardizer`) are an error.

    Parameters
    ----------
    protein : str, default="green"
        The channel holding the protein of interest.
    input_channels : sequence of str, default=("red", "green", "blue", "yellow")
        Channel order of the input. With ``("green",)`` only the protein's own
        statistics are computed (the green-only baseline).
    n_scales : int, default=3
        Scales for the protein statistics.
    overlap_threshold : float, default=0.25
        Reference mask threshold, as a fraction of each image's maximum.
    chunk_size : int, default=128
        Samples processed at a time (a :class:`LazyImageArray` is read chunk by
        chunk, never whole); fewer for large images, so that a chunk's pixels
        take at most about 512 MiB as float64 (4 fields of 2048 px).

    Attributes
    ----------
    n_features_in_ : int
        Number of input channels.
    protein_index_ : int
        Position of ``protein`` in ``input_channels``.
    intensity_max_ : float
        The largest pixel value of the first training images (the dtype's
        maximum for a lazy array of integers): their intensity scale (0-255 or
        [0, 1]). ``transform`` warns when images on the other
        scale arrive, since the features depend on it.

    Examples
    --------
    >>> from skhpa.datasets import make_hpa_like
    >>> from skhpa.preprocessing import LocalizationFeatures
    >>> X, Y = make_hpa_like(8, image_size=32, random_state=0)
    >>> F = LocalizationFeatures().fit_transform(X)
    >>> F.shape
    (8, 49)
    >>> LocalizationFeatures().fit(X).get_feature_names_out()[-3:].tolist()
    ['green~yellow_s1_pearson', 'green~yellow_s1_manders', 'green~yellow_s1_log_enrichment']
    """

    _parameter_constraints = {
        "protein": [str],
        "input_channels": ["array-like"],
        "n_scales": [Interval(numbers.Integral, 1, None, closed="left")],
        "overlap_threshold": [Interval(numbers.Real, 0, 1, closed="neither")],
        "chunk_size": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        protein="green",
        *,
        input_channels=CHANNELS,
        n_scales=3,
        overlap_threshold=0.25,
        chunk_size=128,
    ):
        self.protein = protein
        self.input_channels = input_channels
        self.n_scales = n_scales
        self.overlap_threshold = overlap_threshold
        self.chunk_size = chunk_size

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the channel names against the input and record its intensity scale.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_channels, height, width)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        channels = list(self.input_channels)
        if self.protein not in channels:
            raise ValueError(f"protein channel {self.protein!r} not in input_channels {channels}")
        if len(set(channels)) != len(channels):
            raise ValueError(f"input_channels has repeated names: {channels}")
        X = _check_named_channels(X, channels)
        self.n_features_in_ = X.shape[1]
        self.protein_index_ = channels.index(self.protein)
        # the intensity scale of the training images (0-255 or [0, 1]), which transform checks;
        # a lazy array is not decoded for it: its images are integers (ImageLoader's uint8)
        if isinstance(X, np.ndarray) or not np.issubdtype(X.dtype, np.integer):
            self.intensity_max_ = float(np.max(np.asarray(X[: min(len(X), 16)])))
        else:
            self.intensity_max_ = float(np.iinfo(X.dtype).max)
        return self

    def _references(self):
        return [(i, c) for i, c in enumerate(self.input_channels) if i != self.protein_index_]

    def get_feature_names_out(self, input_features=None):
        """Names like ``green_s0_log_mean`` and ``green~blue_s1_manders``.

        Parameters
        ----------
        input_features : None
            Ignored (the names come from the channels).

        Returns
        -------
        names : ndarray of str objects, shape (n_features_out,)
        """
        check_is_fitted(self, "protein_index_")
        p = self.protein
        names = [f"{p}_log_mean"]
        names += [f"{p}_s{s}_{stat}" for s in range(self.n_scales) for stat in _PROTEIN_STATS]
        for _, ref in self._references():
            names += [
                f"{p}~{ref}_s{s}_{stat}" for s in range(_OVERLAP_SCALES) for stat in _OVERLAP_STATS
            ]
        return np.asarray(names, dtype=object)

    def _chunk(self, X, start=0):
        X = np.asarray(X, dtype=np.float64)
        lowest = X.reshape(len(X), -1).min(axis=1)
        if (lowest < 0).any():
            bad = int(np.flatnonzero(lowest < 0)[0])
            raise ValueError(
                f"sample {start + bad} has negative pixels (minimum {lowest[bad]:.3g}): "
                "LocalizationFeatures describes intensities (0-255, or [0, 1]), so it goes "
                "before a ChannelStandardizer or anything else that centres the images"
            )
        g = X[:, self.protein_index_]
        refs = [X[:, i] for i, _ in self._references()]
        # the protein's pyramid is built once and shared by its statistics and every overlap
        levels = [g]
        for _ in range(max(self.n_scales, _OVERLAP_SCALES) - 1):
            levels.append(_pool2(levels[-1]) if min(levels[-1].shape[1:]) >= 2 else levels[-1])
        parts = [np.log1p(g.mean(axis=(1, 2)))[:, None]]
        parts += [_protein_stats(levels[s]) for s in range(self.n_scales)]
        for r in refs:
            rs = r
            for s in range(_OVERLAP_SCALES):
                if s and min(rs.shape[1:]) >= 2:
                    rs = _pool2(rs)
                parts.append(_overlap_stats(levels[s], rs, self.overlap_threshold))
        return np.hstack(parts)

    def transform(self, X):
        """Features of each image.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_channels, height, width)

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out), float64
        """
        check_is_fitted(self, "protein_index_")
        X = _check_fitted_channels(self, X)
        self._warn_if_other_scale(X)
        # at most ``chunk_size`` samples and about _CHUNK_BYTES of float64 pixels at a time:
        # 128 HPA v18 fields of 2048 px would be 16 GiB, 4 of them are 512 MiB
        per_sample = 8 * int(np.prod(X.shape[1:]))
        step = max(1, min(self.chunk_size, _CHUNK_BYTES // per_sample))
        out = [self._chunk(X[start : start + step], start) for start in range(0, X.shape[0], step)]
        F = np.vstack(out)
        if not np.isfinite(F).all():
            bad = int(np.flatnonzero(~np.isfinite(F).all(1))[0])
            raise ValueError(f"sample {bad} gives non-finite features (NaN or inf pixels?)")
        return F

    def _warn_if_other_scale(self, X):
        """The features are not scale-invariant: warn on images of another intensity scale."""
        fitted = getattr(self, "intensity_max_", None)  # absent in models saved before it
        if fitted is None or not isinstance(X, np.ndarray):  # lazy arrays: no second decode
            return
        scales = other_intensity_scale(fitted, X)
        if scales is not None:
            warnings.warn(
                f"X's first images have values {scales[0]}, but LocalizationFeatures was "
                f"fitted on images {scales[1]}: its features depend on the scale; pass images "
                "on the training scale (uint8 0-255 as ImageLoader gives them)",
                UserWarning,
                stacklevel=3,
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        return tags
