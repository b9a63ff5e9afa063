"""``make_hpa_like``: synthetic HPA-like images and labels in memory.

Label sets are drawn from the real HPA label-set distribution
(:func:`~skhpa.datasets.hpa_label_sets`); each sample has its own seed, drawn from
``random_state``, and is rendered from it alone (:func:`._render.render_sample`), so
the first k samples of a call are those of a call for k samples.
"""

import numpy as np
from sklearn.utils import check_random_state

from ...utils import CHANNELS, N_CLASSES, check_channels
from .._labels import hpa_label_sets
from ._near_duplicates import plant_duplicates
from ._render import render_sample

#: Version of the generator's images: bumped whenever the same call gives different pixels.
#: 1: the first generator; 2: reference channels, cell density, intensities and noise
#: calibrated against real HPA fields (``benchmarks/bench_realism.py``).
GENERATOR_VERSION = 2

_LABEL_DISTRIBUTIONS = ("hpa2018", "hpav18", "flat")


def label_set_table(label_distribution):
    """The label sets to draw from and their probabilities, for ``label_distribution``."""
    if label_distribution not in _LABEL_DISTRIBUTIONS:
        raise ValueError(
            f"label_distribution must be one of {_LABEL_DISTRIBUTIONS}, got {label_distribution!r}"
        )
    source = "hpa2018" if label_distribution == "flat" else label_distribution
    sets = hpa_label_sets(source)
    if label_distribution == "flat":
        # Flattened: weight each label set by the mean inverse frequency of its
        # classes, so rare classes become common enough for small tests.
        class_freq = (sets.target * sets.counts[:, None]).sum(0) / sets.counts.sum()
        inv = (sets.target / class_freq[None]).sum(1) / sets.target.sum(1)
        p = inv / inv.sum()
    else:
        p = sets.frequencies
    return sets.target, p


def check_size(image_size):
    if not isinstance(image_size, (int, np.integer)) or not 16 <= image_size <= 2048:
        raise ValueError(f"image_size must be an int in [16, 2048], got {image_size!r}")
    return int(image_size)


def make_hpa_like(
    n_samples=1000,
    *,
    image_size=128,
    channels=CHANNELS,
    label_distribution="hpa2018",
    random_state=None,
    duplicate_fraction=0.0,
    return_groups=False,
):
    """Generate a synthetic HPA-like multilabel image dataset in memory.

    Each sample is a field of cells in up to 4 channels (red microtubules,
    green protein, blue nuclei, yellow ER). Label sets are drawn from the real
    HPA 2018 label-set distribution, and the green channel shows the pattern of
    each label placed relative to the reference channels (nucleoplasm fills the
    nuclei, ER copies the yellow network, microtubules copy the red filaments,
    ...). See the user guide page on the synthetic data for each class's
    pattern.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of images.
    image_size : int, default=128
        Height and width in pixels (cells scale with it, as if a 512 px field
        were resized).
    channels : sequence of str, default=("red", "green", "blue", "yellow")
        Which channels, in which order. The channels are drawn in the order
        red, blue, yellow, green, each only when asked for: a channel has the
        pixels of the full 4-channel call when every channel drawn before it is
        asked for too (``("red", "blue")`` or ``("yellow", "red", "blue")``,
        but not ``("green",)``, which is another field's green). For fewer
        channels of the same fields, generate all four and select them. The
        labels do not depend on ``channels``.
    label_distribution : {"hpa2018", "hpav18", "flat"}, default="hpa2018"
        Distribution of label sets: the real Kaggle train set, the HPA v18
        external set, or a flattened version of the Kaggle one in which every
        class is common (for small tests).
    random_state : int, RandomState instance or None, default=None
        Seed. With an int the output is bit-identical across runs.
    duplicate_fraction : float in [0, 1), default=0.0
        Share of the samples that are near-duplicates of other samples (with
        the same labels), as the Kaggle and HPA v18 sets hold: each is a copy
        of a random original after one of, in turn, a flip or 90-degree
        rotation, a resize (shrunk 2-4x and enlarged back), JPEG re-encoding
        (quality 50-90), a per-channel brightness and contrast change, a crop
        of 3-10 % of the side (enlarged back) or a shift of up to 10 % of the
        side (edges mirrored). They are spread over the output. 0 leaves the
        output unchanged.
    return_groups : bool, default=False
        Also return the true groups: ``groups[i] == groups[j]`` when samples
        i and j are copies of one field.

    Returns
    -------
    X : ndarray of shape (n_samples, n_channels, image_size, image_size), uint8
    Y : ndarray of shape (n_samples, 28), uint8
    groups : ndarray of shape (n_samples,), int64
        Only with ``return_groups=True``.

    Examples
    --------
    >>> from skhpa.datasets import make_hpa_like
    >>> X, Y = make_hpa_like(8, image_size=64, random_state=0)
    >>> X.shape, X.dtype, Y.shape
    ((8, 4, 64, 64), dtype('uint8'), (8, 28))
    """
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}")
    image_size = check_size(image_size)
    channels = check_channels(channels)
    sets, p = label_set_table(label_distribution)
    if not (
        isinstance(duplicate_fraction, (float, int, np.floating, np.integer))
        and 0 <= duplicate_fraction < 1
    ):
        raise ValueError(f"duplicate_fraction must be in [0, 1), got {duplicate_fraction!r}")
    n_dup = int(round(duplicate_fraction * n_samples))
    seeds = sample_seeds(random_state, n_samples)
    X = np.empty((n_samples, len(channels), image_size, image_size), np.uint8)
    Y = np.empty((n_samples, N_CLASSES), np.uint8)
    for i in range(n_samples - n_dup):
        Y[i], X[i] = one_sample(seeds[i], sets, p, image_size, channels)
    groups = np.arange(n_samples)
    if n_dup:
        X, Y, groups = plant_duplicates(X, Y, n_samples - n_dup, seeds[-1])
    return (X, Y, groups) if return_groups else (X, Y)


def sample_seeds(random_state, n):
    """The seeds of ``n`` samples: an (n, 2) uint64 array drawn from ``random_state``."""
    rng = check_random_state(random_state)
    return rng.randint(0, 2**32 - 1, size=(n, 2), dtype=np.uint64)


def one_sample(seed, sets, p, image_size, channels):
    """The labels and image of the sample with this seed: (y, (C, H, W) uint8)."""
    rng = np.random.default_rng(seed.tolist())
    y = sets[rng.choice(len(p), p=p)]
    return y, render_sample(rng, np.flatnonzero(y), image_size, channels)
