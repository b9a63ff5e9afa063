"""Per-channel statistics of a field, to compare synthetic fields with real HPA ones.

One place for the statistics that the realism benchmark (``benchmarks/bench_realism.py``)
and the generator's tests use: intensity quantiles (log1p), the fraction of bright
pixels and the spatial autocorrelation at a few distances, computed on one 8-bit
single-channel image, plus a few whole-field measures (nucleus count and size from the
blue channel, co-localization of two channels).
"""

import numpy as np
from scipy import ndimage

#: Names of the columns returned by :func:`channel_statistics`, in order.
STATISTICS = (
    "log_mean",
    "log_median",
    "log_p90",
    "log_p99",
    "log_p99.9",
    "frac_above_20",
    "autocorr_1",
    "autocorr_4",
    "autocorr_16",
)
_SHIFTS = (1, 4, 16)


def _autocorr(img, d):
    """Pearson correlation of the image with itself shifted by d px (mean of x and y)."""
    out = []
    for a, b in ((img[:, :-d], img[:, d:]), (img[:-d], img[d:])):
        a = a - a.mean()
        b = b - b.mean()
        den = np.sqrt((a * a).sum() * (b * b).sum())
        out.append(float((a * b).sum() / den) if den > 0 else 0.0)
    return float(np.mean(out))


def channel_statistics(img):
    """The statistics of :data:`STATISTICS` for one 2-D 8-bit image.

    The image is compared at 512 px: intensities in 8-bit units, distances in
    pixels of the image as given.

    Parameters
    ----------
    img : ndarray of shape (H, W)
        One channel, uint8 (or 0-255 values).

    Returns
    -------
    stats : ndarray of shape (9,), float

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.datasets._realism import STATISTICS, channel_statistics
    >>> img = np.zeros((64, 64), np.uint8); img[16:48, 16:48] = 100
    >>> float(dict(zip(STATISTICS, channel_statistics(img).round(2)))["frac_above_20"])
    0.25
    """
    img = np.asarray(img)
    if img.ndim != 2:
        raise ValueError(f"channel_statistics expects one 2-D channel, got shape {img.shape}")
    x = img.astype(np.float64)
    q = np.percentile(x, [50, 90, 99, 99.9])
    return np.array(
        [
            np.log1p(x.mean()),
            *np.log1p(q),
            float((x > 20).mean()),
            *(_autocorr(x, d) for d in _SHIFTS),
        ]
    )


def statistics_table(images):
    """:func:`channel_statistics` of each image of a sequence, as an (n, 9) array."""
    return np.array([channel_statistics(im) for im in images]).reshape(-1, len(STATISTICS))


def nuclei(blue, *, min_area=200):
    """Nucleus count and median area (px) in a blue channel at 512 px.

    Otsu threshold of the smoothed channel, holes filled, objects smaller than
    ``min_area`` px dropped (touching nuclei count as one object).
    """
    x = ndimage.gaussian_filter(np.asarray(blue, np.float32), 2.0)
    t = _otsu(x)
    mask = ndimage.binary_fill_holes(x > t)
    lab, n = ndimage.label(mask)
    if n == 0:
        return 0, 0.0
    areas = np.bincount(lab.ravel())[1:]
    areas = areas[areas >= min_area]
    return int(areas.size), float(np.median(areas)) if areas.size else 0.0


def _otsu(x):
    hist, edges = np.histogram(x, bins=256, range=(0, max(float(x.max()), 1.0)))
    centers = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centers)
    mu0 = m0 / np.maximum(w0, 1)
    mu1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = w0 * w1 * (mu0 - mu1) ** 2
    return float(centers[np.argmax(between)])


def cell_coverage(reference, *, sigma=4.0):
    """Share of the field covered by cells, from a smoothed reference channel (red or yellow).

    Pixels whose smoothed intensity exceeds an Otsu threshold on log1p intensities.
    """
    x = np.log1p(ndimage.gaussian_filter(np.asarray(reference, np.float32), sigma))
    return float((x > _otsu(x)).mean())


def colocalization(a, b):
    """Pearson correlation of two channels of one field."""
    a = np.asarray(a, np.float64).ravel()
    b = np.asarray(b, np.float64).ravel()
    a = a - a.mean()
    b = b - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else 0.0
