"""Per-channel mean and standard deviation of image arrays, streamed in chunks."""

import numpy as np


def channel_mean_std(X, *, chunk_size=32, max_samples=None, random_state=0, min_std=1e-8):
    """Mean and standard deviation of each channel over samples and pixels.

    The samples are read ``chunk_size`` at a time, so a lazy array (the one of
    :class:`~skhpa.preprocessing.ImageLoader`) is never materialized; without
    subsampling, each chunk is one contiguous slice. Sums run in float64 per
    channel (exact for uint8 images).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_channels, ...)
        Images (n, C, H, W), or feature vectors (n, C).
    chunk_size : int, default=32
        Samples read at once.
    max_samples : int, default=None
        With more samples than this, the statistics come from a random subset
        of that size (seeded by ``random_state``); None uses every sample.
    random_state : int, default=0
        Seed of that subset.
    min_std : float, default=1e-8
        A channel whose standard deviation is not above this (a constant
        channel) gets 1.0, so that dividing by it is harmless.

    Returns
    -------
    mean, std : ndarray of shape (n_channels,), float64

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.utils import channel_mean_std
    >>> X = np.stack([np.full((2, 2), 3.0), np.arange(4.0).reshape(2, 2)])[None]
    >>> mean, std = channel_mean_std(X)
    >>> mean.tolist(), std.round(3).tolist()
    ([3.0, 1.5], [1.0, 1.118])
    """
    n, c = X.shape[0], X.shape[1]
    subset = max_samples is not None and n > max_samples
    if subset:
        rng = np.random.default_rng(random_state)
        idx = np.sort(rng.choice(n, max_samples, replace=False))
    else:
        idx = np.arange(n)
    total = np.zeros(c)
    total_sq = np.zeros(c)
    count = 0
    for start in range(0, len(idx), chunk_size):
        sel = idx[start : start + chunk_size]
        block = np.asarray(X[sel] if subset else X[int(sel[0]) : int(sel[-1]) + 1])
        for k in range(c):
            values = np.asarray(block[:, k], dtype=np.float64).ravel()
            total[k] += values.sum()
            total_sq[k] += values @ values
        count += block.size // c
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - mean**2, 0.0))
    return mean, np.where(std > min_std, std, 1.0)
