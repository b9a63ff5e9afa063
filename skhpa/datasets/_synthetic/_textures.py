"""Image primitives of the generator: a fast Gaussian blur and cached noise textures.

Blurring fresh noise for every field dominated the generator's cost; every random
texture here is a random view (crop, flip, rotation) of one cached texture per size and
smoothness, drawn from the sample's random generator.
"""

from functools import lru_cache

import numpy as np
from scipy import ndimage


def gaussian_blur(img, sigma):
    """Gaussian blur with zero padding.

    Small kernels are applied as shifted multiply-adds, several times faster
    than :func:`scipy.ndimage.gaussian_filter` on small images.
    """
    if sigma < 0.3:
        return img
    if sigma > 3.0:
        return ndimage.gaussian_filter(img, sigma, mode="constant", truncate=3.0)
    r = int(np.ceil(2.0 * sigma))
    k = np.exp(-(np.arange(-r, r + 1) ** 2) / (2 * sigma**2))
    k = (k / k.sum()).astype(np.float32)
    tmp = img * k[r]
    for j in range(1, r + 1):
        tmp[j:] += img[:-j] * k[r + j]
        tmp[:-j] += img[j:] * k[r - j]
    out = tmp * k[r]
    for j in range(1, r + 1):
        out[:, j:] += tmp[:, :-j] * k[r + j]
        out[:, :-j] += tmp[:, j:] * k[r - j]
    return out


def ipow(x, p):
    """x ** p for a small positive int p, by repeated multiplication (numpy's pow is slow)."""
    result = None
    base = x
    while p:
        if p & 1:
            result = base if result is None else result * base
        p >>= 1
        if p:
            base = base * base
    return result


@lru_cache(maxsize=64)
def _noise_bank(size, sigma):
    """A fixed smooth noise texture 1.5x larger than the image, cropped at random.

    Blurring fresh white noise for every field dominated the generator's cost;
    random crops, flips and rotations of one texture per (size, sigma) give
    unrelated-looking fields at a fraction of it.
    """
    big = size + size // 2
    rng = np.random.default_rng([size, int(sigma * 1000)])
    n = gaussian_blur(rng.standard_normal((big, big)).astype(np.float32), sigma)
    return n / (n.std() + 1e-6)


def smooth_noise(rng, shape, sigma):
    """Zero-mean, unit-std smooth random field (a random view of a cached texture)."""
    size = shape[0]
    bank = _noise_bank(size, round(float(sigma), 2))
    oy, ox = rng.integers(0, size // 2 + 1, 2)
    view = bank[oy : oy + size, ox : ox + size]
    k = int(rng.integers(8))
    view = np.rot90(view, k % 4)
    return view[::-1] if k >= 4 else view


@lru_cache(maxsize=8)
def pixel_grid(size):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    yy.flags.writeable = False
    xx.flags.writeable = False
    return yy, xx


def ridges(rng, shape, sigma, width=0.25):
    """A network of thin lines along the zero crossings of smooth noise."""
    n = smooth_noise(rng, shape, sigma)
    return np.exp(-((n / width) ** 2))


def white_noise(rng, shape):
    """Unit-variance white noise: a random window of a cached field (no rotation needed)."""
    size = shape[0]
    bank = _noise_bank(size, 0.0)
    oy, ox = rng.integers(0, size // 2 + 1, 2)
    return bank[oy : oy + size, ox : ox + size]
