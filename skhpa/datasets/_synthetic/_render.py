"""Rendering one synthetic sample: its field, the 4 channels and the camera.

:func:`render_sample` draws a :class:`~._field.Field` for the sample's labels
(:func:`draw_field`) and paints the channels on it (:func:`paint_channels`): blue =
nuclei (nucleoli as dark holes, condensed DNA in mitosis), red = microtubules, yellow =
the ER, green = the pattern of each label (:data:`~._patterns.PATTERNS`), each through
the optics and camera of :func:`_finish`. Intensities, background and camera noise are
calibrated against real HPA fields (``benchmarks/bench_realism.py``).

Every random choice comes from the sample's generator, in a fixed order: the pixels of a
seed are fixed by ``GENERATOR_VERSION``. The channels are painted in the order red, blue,
yellow, green, each only when asked for, so a channel's pixels are those of the full
render when every channel painted before it is asked for too.
"""

import numpy as np

from ._field import Field
from ._patterns import PATTERNS, endoplasmic_reticulum, microtubules
from ._textures import gaussian_blur, smooth_noise, white_noise

# Share of fields drawn in the "3072-source" mode: cells 1.5x smaller, blue dimmer.
_SMALL_MODE_P = 0.22
# Chance that a field without a mitotic label still holds a dividing cell
# (reference channels only), so mitosis alone does not give away classes 16/17.
_BACKGROUND_MITOSIS_P = 0.15
_MITOTIC_SPINDLE, _CYTOKINETIC_BRIDGE, _CELL_JUNCTIONS = 17, 16, 22


def _finish(rng, img, brightness, blur, *, read=1.0, shot=0.5, background=0.0, offset=2.0):
    """Blur, camera noise, background and dark offset, 8-bit quantisation.

    ``img`` (about 0-1) becomes ``brightness * 255`` 8-bit levels, plus noise with a
    signal-independent part (``read`` levels) and a shot part (``shot * sqrt(signal)``),
    plus a ``background`` level, minus ``offset`` levels (so a dark background is mostly
    exactly 0 and a bright one is not), clipped to 0-255. ``blur`` is the Gaussian sigma in
    pixels (below 0.3: none). Written with few temporaries (this runs 4 times per sample).
    """
    img = gaussian_blur(img, blur) if blur >= 0.3 else np.array(img, dtype=np.float32)
    out = img * np.float32(brightness * 255.0)
    sd = np.sqrt(out)
    sd *= np.float32(shot)
    sd += np.float32(read)
    sd *= white_noise(rng, img.shape)
    out += sd
    out += np.float32(background - offset + 0.5)
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)


def _cell_levels(rng, f, sigma):
    """Cell-to-cell brightness of a reference stain: log-normal per cell, as an image.

    Not masked: background pixels get some cell's value (the stains are 0 there anyway).
    """
    return rng.lognormal(0, sigma, f.n).astype(np.float32)[f.cidx]


def _log_uniform(rng, low, high):
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


# Camera and background per channel, in 8-bit levels of a 512 px field: read noise,
# shot-noise factor and the highest background level (drawn per field); calibrated against
# real Kaggle fields (benchmarks/bench_realism.py).
_CAMERA = {
    "red": (1.5, 2.8, 2.0),
    "green": (1.5, 3.5, 2.0),
    "blue": (1.0, 1.5, 1.5),
    "yellow": (1.5, 3.5, 6.0),
}


def _camera(rng, channel, size):
    """``_finish`` keywords for one channel: pixel noise scaled as if a 512 px field were
    resized to ``size`` (averaging k x k pixels divides the noise by k), a random background.
    """
    read, shot, bg = _CAMERA[channel]
    k = np.float32(min(size / 512.0, 2.0))
    return {"read": read * k, "shot": shot * k, "background": rng.uniform(0, bg)}


def draw_field(rng, labels, size):
    """The field of a sample with the class indices ``labels``: the first draws from ``rng``.

    Mitotic cells and dividing pairs are drawn for the mitotic classes (and, in a
    few fields, as background), the second-nearest cell distance is computed only
    for cell junctions.
    """
    labels = {int(k) for k in labels}
    small_mode = rng.random() < _SMALL_MODE_P
    n_mit = int(rng.integers(1, 3)) if _MITOTIC_SPINDLE in labels else 0
    n_pairs = int(rng.integers(1, 3)) if _CYTOKINETIC_BRIDGE in labels else 0
    if not (n_mit or n_pairs) and rng.random() < _BACKGROUND_MITOSIS_P:
        if rng.random() < 0.5:
            n_mit = 1
        else:
            n_pairs = 1
    return Field(
        rng,
        size,
        small_mode=small_mode,
        n_mitotic=n_mit,
        n_pairs=n_pairs,
        second_nearest=_CELL_JUNCTIONS in labels,
    )


def paint_channels(f, labels, channels):
    """Paint ``channels`` of the field ``f`` for the class indices ``labels``; (C, H, W) uint8.

    Continues the random draws of ``f.rng`` where :func:`draw_field` left them.
    """
    rng = f.rng
    labels = {int(k) for k in labels}
    size = f.size
    shape = (size, size)
    s = f.s
    # Optical blur in 30 % of the fields (slightly defocused), the same for every channel.
    blur = (0.7 * s + 0.2) * rng.uniform(0.7, 1.5) if rng.random() < 0.3 else 0.0
    f.draw_networks()
    # Cell thickness: brighter cells in both cytoplasmic references (red and yellow).
    thick = _cell_levels(rng, f, 0.35)
    out = {}
    if "red" in channels:
        mtoc = np.exp(-((f.dm / (3 * s + 0.6)) ** 2)) * f.inside
        red = np.maximum(microtubules(f) * thick * _cell_levels(rng, f, 0.4), mtoc)
        if (f.kind == 1).any():  # mitotic cells: spindle and a brighter, rounded cell
            red = np.maximum(red, f.spindles())
            red = np.maximum(red, 0.35 * (f.kind[f.cidx] == 1) * f.inside)
        if f.pairs:
            red = np.maximum(red, f.bridges(gap=False))
        out["red"] = _finish(
            rng, red, _log_uniform(rng, 0.3, 1.2), blur, **_camera(rng, "red", size)
        )
    if "blue" in channels:
        chrom = 0.75 + 0.3 * smooth_noise(rng, shape, 1.2 * s + 0.4)
        edge = np.clip((1.0 - f.rn) * 6, 0, 1)
        blue = f.nuc * np.clip(chrom, 0, None) * (1 - 0.65 * f.nucleoli_map) * (0.8 + 0.2 * edge)
        blue *= _cell_levels(rng, f, 0.2)
        if f.pairs:
            daughters = (f.kind[f.cidx] == 2) & (f.rn < 0.8) & f.inside
            blue = np.maximum(blue, daughters * 1.0)
        if (f.kind == 1).any():
            blue = np.maximum(blue, f.mitotic_dna())
        out["blue"] = _finish(
            rng,
            blue,
            _log_uniform(rng, 0.4, 0.8) * (0.7 if f.small_mode else 1.0),
            blur,
            **_camera(rng, "blue", size),
        )
    if "yellow" in channels:
        out["yellow"] = _finish(
            rng,
            np.clip(endoplasmic_reticulum(f), 0, 1) * thick,
            _log_uniform(rng, 0.25, 0.8),
            max(blur, 1.0 * s),
            **_camera(rng, "yellow", size),
        )
    if "green" in channels:
        green = np.zeros(shape, np.float32)
        expr = f.per_cell(f.expr)
        for k in sorted(labels):
            pattern = PATTERNS[k](f)
            w = rng.uniform(0.6, 1.0) if len(labels) > 1 else 1.0
            green = np.maximum(green, np.clip(pattern, 0, 1) * w)
        # Unspecific antibody binding: a dim haze over the cells.
        haze = _log_uniform(rng, 0.01, 0.12)
        green = np.maximum(green, haze * (0.5 + 0.5 * f.cyto) * f.inside)
        green = green * expr
        # Antibody brightness varies about 10x between images.
        brightness = _log_uniform(rng, 0.1, 0.8)
        out["green"] = _finish(
            rng, np.clip(green, 0, 1.5), brightness, blur, **_camera(rng, "green", size)
        )
    return np.stack([out[c] for c in channels])


def render_sample(rng, labels, size, channels):
    """Render one sample with the class indices ``labels``; returns (C, H, W) uint8.

    Parameters
    ----------
    rng : numpy.random.Generator
        The sample's generator (every draw comes from it).
    labels : iterable of int
        Class indices of the sample's label set.
    size : int
        Height and width in pixels.
    channels : sequence of str
        Checked names from ``CHANNELS``, in output order.

    Returns
    -------
    image : ndarray of shape (len(channels), size, size), uint8
    """
    return paint_channels(draw_field(rng, labels, size), labels, channels)
