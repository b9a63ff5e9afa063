"""Near-duplicate fields: group labels for leak-free splits (:func:`duplicate_groups`).

How it works (all numpy, no hashing library):

1. Every image is shrunk to a ``32 x 32`` thumbnail per channel (area filter)
   and each channel is standardized (zero mean, unit variance), so the
   resolution, brightness and contrast of a copy do not matter. Images are read
   in chunks, so a :class:`~skhpa.preprocessing.LazyImageArray` is never loaded
   whole.
2. A short descriptor of the central ``24 x 24`` window (6 x 6 cells of 4 px,
   all channels) gives one 144-bit code per image (the sign of each
   standardized cell). Every image is also described under the 8 dihedral
   transforms, 9 window shifts (a 3 x 3 grid of +-3 px, about +-10 % of
   the side) and 2 window sizes (22 and 24 px: a crop enlarges the field),
   144 variants in all.
3. Candidates come from buckets, not from comparing all pairs: 16 random
   20-bit subsets ("bands") of each image's plain code are indexed; each
   variant of each image looks up its own bands there (locality-sensitive
   hashing with multi-probing of the transforms). The lookups grow linearly
   with the number of images; the candidates grow with how crowded the
   buckets are (see the ``duplicates`` benchmark: not yet fast enough at
   31,072 images).
4. Each candidate pair whose coarse descriptors correlate >= 0.6 is checked
   on 64 px thumbnails: the best correlation of 12 x 12-cell window
   descriptors over position (+-3 px) and size, around the transform that
   matched. Pairs at or above ``threshold`` are joined and each connected
   component is a group.

Why not :mod:`imagehash`: its hashes (aHash, pHash, dHash, wHash) take one
grey image at a fixed orientation and position, so a flipped, rotated or
shifted copy gets an unrelated hash, and it has no index for near matches;
the part that matters here (all channels, the 8 transforms, shifts, the
bucket index and the check) would have to be written around it anyway, for a
dependency that would only compute step 2.
"""

import numbers

import numpy as np
from joblib import Parallel, delayed
from PIL import Image
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..utils import Interval, validate_params

_THUMB = 32  # thumbnail side (px)
_WIN = 24  # side of the described central window
_CELLS = 6  # cells per side of the window descriptor
_SHIFTS = (-3, 0, 3)  # window shifts of the probing variants (px of the thumbnail)
_SIZES = (22, 24)  # window sizes of the probing variants (px of the thumbnail)
_FINE = 12  # cells per side of the check's descriptor (64 px thumbnails)
_N_BANDS = 16  # hash tables
_BAND_BITS = 20  # bits per table key
_COARSE = 0.6  # smallest coarse similarity worth checking
_SEED = 20180  # fixed: the same bands on every call


def _dihedral(a, k):
    """The k-th of the 8 dihedral transforms of the last two axes (k=0: identity)."""
    out = np.rot90(a, k % 4, axes=(-2, -1))
    return out[..., ::-1] if k >= 4 else out


def _shrink(chunk, size):
    """(m, C, H, W) uint8 -> (m, C, size, size) float32 by area averaging."""
    m, c, h, w = chunk.shape
    if h == w and h % size == 0:
        f = h // size
        return chunk.reshape(m, c, size, f, size, f).mean((3, 5), dtype=np.float32)
    out = np.empty((m, c, size, size), np.float32)
    for i in range(m):
        for j in range(c):
            plane = Image.fromarray(np.ascontiguousarray(chunk[i, j]))
            resample = Image.Resampling.BOX if min(h, w) >= size else Image.Resampling.BILINEAR
            out[i, j] = np.asarray(plane.resize((size, size), resample=resample))
    return out


def _standardize(t, axes=(-2, -1)):
    t = t - t.mean(axes, keepdims=True)
    std = np.sqrt((t * t).mean(axes, keepdims=True))
    return t / np.maximum(std, 1e-6), std


def _thumbnails(X, start, stop):
    chunk = np.asarray(X[start:stop])
    if chunk.dtype.kind == "f":
        bad = ~np.isfinite(chunk).reshape(len(chunk), -1).all(1)
        if bad.any():
            raise ValueError(
                f"image {start + int(np.flatnonzero(bad)[0])} holds NaN or infinite pixel values"
            )
    big = _shrink(chunk, 2 * _THUMB)
    t, std = _standardize(big.reshape(big.shape[:2] + (_THUMB, 2, _THUMB, 2)).mean((3, 5)))
    flat = (std.reshape(len(t), -1) < 1e-3).all(1)
    return t.astype(np.float32), flat, np.clip(big + 0.5, 0, 255).astype(np.uint8)


def _summed_area(t):
    """Summed-area tables (m, C, S + 1, S + 1) of thumbnails (m, C, S, S)."""
    sat = np.cumsum(np.cumsum(t, axis=2, dtype=np.float32), axis=3)
    return np.pad(sat, ((0, 0), (0, 0), (1, 0), (1, 0)))


def _window_descriptors(sat, dy, dx, size=_WIN):
    """Unit-norm (m, C * CELLS**2) cell means of the central ``size`` px window shifted by (dy, dx).

    Read from summed-area tables, so any window size and offset costs the same.
    """
    m, c = sat.shape[:2]
    o = (_THUMB - size) / 2.0
    ey = np.rint(o + dy + np.arange(_CELLS + 1) * size / _CELLS).astype(np.int64)
    ex = np.rint(o + dx + np.arange(_CELLS + 1) * size / _CELLS).astype(np.int64)
    ey, ex = np.clip(ey, 0, _THUMB), np.clip(ex, 0, _THUMB)
    s = sat[:, :, ey][:, :, :, ex]
    sums = s[:, :, 1:, 1:] - s[:, :, :-1, 1:] - s[:, :, 1:, :-1] + s[:, :, :-1, :-1]
    area = np.diff(ey)[:, None] * np.diff(ex)[None, :]
    d, _ = _standardize((sums / np.maximum(area, 1)).astype(np.float32))
    d = d.reshape(m, -1)
    return d / np.sqrt(d.shape[1])


def _band_weights(n_bits, n_bands, band_bits):
    rng = np.random.default_rng(_SEED)
    W = np.zeros((n_bits, n_bands), np.float32)
    for b in range(n_bands):
        W[rng.choice(n_bits, band_bits, replace=False), b] = 2.0 ** np.arange(band_bits)
    return W


def _codes(desc, W):
    """(m, n_bands) int64 bucket numbers: the band index, then the band's sign bits."""
    keys = ((desc > 0).astype(np.float32) @ W).astype(np.int64)
    return keys + (np.arange(W.shape[1], dtype=np.int64) << _BAND_BITS)[None, :]


def _variants():
    """(dihedral, dy, dx, window size) of every probing variant."""
    return [
        (k, dy, dx, size) for k in range(8) for dy in _SHIFTS for dx in _SHIFTS for size in _SIZES
    ]


class _Buckets:
    """Where each key's entries start in the sorted keys: a dense table when there are many."""

    def __init__(self, sorted_keys):
        self.sorted = sorted_keys
        self.dense = None
        if len(sorted_keys) > 2**16:
            self.dense = np.zeros(_N_BANDS * 2**_BAND_BITS + 1, np.int64)
            counts = np.bincount(sorted_keys, minlength=len(self.dense) - 1)
            np.cumsum(counts, out=self.dense[1:])

    def ranges(self, keys):
        if self.dense is not None:
            return self.dense[keys], self.dense[keys + 1]
        return (
            np.searchsorted(self.sorted, keys, "left"),
            np.searchsorted(self.sorted, keys, "right"),
        )


def _probe(T, base, buckets, order, W, lo, hi, max_bucket):
    """Candidates (i, j, variant, coarse similarity) for the probing images lo..hi (side j).

    The windows are cut from the untransformed thumbnail and their cell grids
    transformed (the shifts form a symmetric grid, so this gives every
    variant). Each pair is kept once, with the variant of j closest to i.
    """
    variants = _variants()
    n_bands = W.shape[1]
    sat = _summed_area(T[lo:hi])
    grids = {}
    for _, dy, dx, size in variants:
        if (dy, dx, size) not in grids:
            grids[dy, dx, size] = _window_descriptors(sat, dy, dx, size).reshape(
                hi - lo, -1, _CELLS, _CELLS
            )
    d = []
    for k, dy, dx, size in variants:
        # window (dy, dx) of the k-th transform = transform of the window at the inverse offset
        oy, ox = _inverse_offset(k, dy, dx)
        d.append(_dihedral(grids[oy, ox, size], k).reshape(hi - lo, -1))
    d = np.stack(d, axis=1)  # (m, V, D)
    m, V = d.shape[:2]
    keys = _codes(d.reshape(m * V, -1), W).ravel()
    left, right = buckets.ranges(keys)
    counts = np.minimum(right - left, max_bucket)
    rows = np.repeat(np.arange(keys.size), counts)
    offs = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
    i = order[left[rows] + offs]
    mv = rows // n_bands  # (image, variant) row
    j, v = lo + mv // V, mv % V
    keep = i != j
    i, j, v = i[keep], j[keep], v[keep]
    n = len(base)
    if not i.size:
        return i, j, v, np.empty(0, np.float32)
    key = np.unique(i * (n * V) + j * V + v)  # one entry per (pair, variant)
    i, rest = key // (n * V), key % (n * V)
    j, v = rest // V, rest % V
    sim = np.einsum("pd,pd->p", base[i], d.reshape(m * V, -1)[(j - lo) * V + v])
    best = np.lexsort((-sim, i * n + j))
    first = np.r_[True, np.diff((i * n + j)[best]) != 0]
    best = best[first]
    return i[best], j[best], v[best], sim[best]


def _inverse_offset(k, dy, dx):
    """Offset in the original image of the window that is window (dy, dx) after transform k."""
    yc, xc = np.mgrid[0:2, 0:2]
    ys, xs = np.asarray(_dihedral(yc, k)), np.asarray(_dihedral(xc, k))
    # source coordinates are linear in the target ones: read the two unit steps
    src_y = (ys[1, 0] - ys[0, 0]) * dy + (ys[0, 1] - ys[0, 0]) * dx
    src_x = (xs[1, 0] - xs[0, 0]) * dy + (xs[0, 1] - xs[0, 0]) * dx
    return int(src_y), int(src_x)


def _check(T, F, i, j, v):
    """Best correlation of fine window descriptors of i and of j's matched variant (64 px).

    The window of j starts from the variant that matched and is refined in
    position (2 px), size and position again (1 px), on the 64 px thumbnails.
    """
    variants = np.array(_variants())
    k, dy, dx, size = (variants[v, c].astype(float) * (1 if c == 0 else 2) for c in range(4))
    fi = _standardize(F[i].astype(np.float32))[0]
    fj = np.stack([_dihedral(F[jj], int(kk)) for jj, kk in zip(j, k)]).astype(np.float32)
    sat_i, sat_j = _summed_area(fi), _summed_area(_standardize(fj)[0])
    zero = np.zeros(len(i))
    a = _fine(sat_i, zero, zero, np.full(len(i), 2.0 * _WIN))

    def search(best, cy, cx, cs, steps):
        by, bx, bs = cy.copy(), cx.copy(), cs.copy()
        for ey, ex, es in steps:
            score = np.einsum("pd,pd->p", a, _fine(sat_j, cy + ey, cx + ex, cs + es))
            better = score > best
            best = np.where(better, score, best)
            by, bx, bs = (
                np.where(better, u + e, w) for u, e, w in ((cy, ey, by), (cx, ex, bx), (cs, es, bs))
            )
        return best, by, bx, bs

    best = np.full(len(i), -1.0, np.float32)
    r = (-2, 0, 2)
    best, dy, dx, size = search(best, dy, dx, size, [(ey, ex, 0) for ey in r for ex in r])
    best, dy, dx, size = search(best, dy, dx, size, [(0, 0, es) for es in (-3, 3)])
    best, dy, dx, size = search(
        best, dy, dx, size, [(ey, ex, 0) for ey in (-1, 0, 1) for ex in (-1, 0, 1)]
    )
    return best


def _fine(sat, dy, dx, size):
    """Per-pair (P, C * FINE**2) unit-norm cell means of windows (offset dy, dx; side size)."""
    P, c = sat.shape[:2]
    side = sat.shape[-1] - 1
    steps = np.arange(_FINE + 1) / _FINE
    size = np.asarray(size, float)
    o = (side - size) / 2.0
    ey = np.rint((o + dy)[:, None] + steps[None] * size[:, None])
    ex = np.rint((o + dx)[:, None] + steps[None] * size[:, None])
    ey = np.clip(ey, 0, side).astype(np.int64)
    ex = np.clip(ex, 0, side).astype(np.int64)
    s = np.take_along_axis(sat, ey[:, None, :, None], axis=2)
    s = np.take_along_axis(s, ex[:, None, None, :], axis=3)
    sums = s[:, :, 1:, 1:] - s[:, :, :-1, 1:] - s[:, :, 1:, :-1] + s[:, :, :-1, :-1]
    area = np.diff(ey)[:, :, None] * np.diff(ex)[:, None, :]
    d, _ = _standardize((sums / np.maximum(area, 1)[:, None]).astype(np.float32))
    d = d.reshape(P, -1)
    return d / np.sqrt(d.shape[1])


@validate_params(
    {
        "X": ["array-like", object],
        "threshold": [Interval(numbers.Real, 0, 1, closed="right")],
        "n_jobs": [numbers.Integral, None],
        "chunk_size": [Interval(numbers.Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def duplicate_groups(X, *, threshold=0.85, n_jobs=None, chunk_size=1024):
    """Group labels under which near-duplicate fields share a label.

    Two images are near-duplicates when one is the other after any mix of: a
    flip or 90-degree rotation, a resize (a 2048 px JPEG and the 512 px PNG of
    the same field), JPEG re-encoding, a brightness or contrast change per
    channel, and a crop or shift of up to about 10 % of the side. Every channel
    takes part (the reference channels identify a field better than the
    protein). Pass the labels as ``groups`` to
    :class:`MultilabelStratifiedGroupKFold`, ``HPAClassifier.fit``,
    :func:`skhpa.recipes.fit_with_thresholds` or ``ThresholdOptimizer.fit`` so
    that no copy of a validation field is trained on.

    The pairs are found without comparing all pairs of images: per-image codes
    go into buckets (locality-sensitive hashing, each image probing with its
    8 dihedral transforms, 9 shifts and 2 window sizes), and only pairs that
    share a bucket are checked on 64 px thumbnails. The hash is a few lines of
    numpy rather than :mod:`imagehash`, whose hashes see one grey channel at a
    fixed orientation and position; see the module notes in
    ``skhpa/model_selection/_duplicates.py``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_channels, H, W)
        Images (uint8, or floats in 0-255), or the
        :class:`~skhpa.preprocessing.LazyImageArray` of
        ``ImageLoader(lazy=True, image_size=64)``: it is read ``chunk_size``
        images at a time and never held whole (its 32 and 64 px thumbnails,
        about 32 KB per 4-channel image, are). 64 px is enough (nothing finer
        is compared); images of any size are shrunk.
    threshold : float in (0, 1], default=0.85
        Smallest correlation of the check (all channels, 64 px thumbnails,
        best position and size around the matched transform) at which two
        images count as copies of one field. Exact transforms score 1.0; in
        the ``duplicates`` benchmark no distinct pair passed 0.85.
    n_jobs : int, default=None
        Chunks read and shrunk in parallel (threads; the decoding of a lazy
        array releases the GIL). -1 uses all cores.
    chunk_size : int, default=1024
        Images read at a time.

    Returns
    -------
    groups : ndarray of shape (n_samples,), int64
        ``groups[i] == groups[j]`` when images i and j are (chains of)
        near-duplicates. Labels are 0, 1, ... in order of first appearance.
        Blank images (every channel constant) each get a group of their own.

    See Also
    --------
    MultilabelStratifiedGroupKFold : Multilabel-stratified folds that keep groups whole.

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.datasets import make_hpa_like
    >>> from skhpa.model_selection import duplicate_groups
    >>> X, _ = make_hpa_like(4, image_size=64, random_state=0)
    >>> copy = np.ascontiguousarray(X[1, :, ::-1, :])  # field 1, flipped
    >>> duplicate_groups(np.concatenate([X, copy[None]])).tolist()
    [0, 1, 2, 3, 1]
    """
    shape = getattr(X, "shape", None)
    if shape is None:
        X = np.asarray(X)
        shape = X.shape
    if len(shape) != 4:
        raise ValueError(
            f"X must hold images of shape (n_samples, n_channels, H, W), got shape {tuple(shape)}"
        )
    n, c, h, w = shape
    if n == 0:
        raise ValueError("X is empty (0 images)")
    if min(h, w) < 8:
        raise ValueError(f"images must be at least 8 x 8 px to compare, got {h} x {w}")
    dtype = getattr(X, "dtype", None)
    if dtype is not None and np.dtype(dtype).kind not in "uif":
        raise ValueError(f"X must hold numeric pixel values, got dtype {dtype}")

    bounds = [(s, min(s + chunk_size, n)) for s in range(0, n, chunk_size)]
    if n_jobs in (None, 1) or len(bounds) == 1:
        parts = [_thumbnails(X, s, e) for s, e in bounds]
    else:
        parts = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_thumbnails)(X, s, e) for s, e in bounds
        )
    T = np.concatenate([p[0] for p in parts])
    flat = np.concatenate([p[1] for p in parts])
    F = np.concatenate([p[2] for p in parts])  # 64 px, uint8: 16 KB per 4-channel image

    base = _window_descriptors(_summed_area(T), 0, 0)
    W = _band_weights(base.shape[1], _N_BANDS, _BAND_BITS)
    keys = _codes(base, W)
    keys[flat] = -1  # blank images match nothing
    flat_keys = keys.ravel()
    order = np.argsort(flat_keys, kind="stable")
    order = order[flat_keys[order] >= 0]
    buckets = _Buckets(flat_keys[order])
    order = order // _N_BANDS  # image of each bucket entry

    cand_i, cand_j, cand_k, cand_s = [], [], [], []
    for lo in range(0, n, 128):  # 128 images x 144 variants x 16 bands of probes at a time
        hi = min(lo + 128, n)
        i, j, k, sim = _probe(T, base, buckets, order, W, lo, hi, max_bucket=64)
        keep = (sim >= _COARSE) & ~flat[i] & ~flat[j]
        cand_i.append(i[keep])
        cand_j.append(j[keep])
        cand_k.append(k[keep])
        cand_s.append(sim[keep])
    i, j, k = (np.concatenate(v) for v in (cand_i, cand_j, cand_k))
    if i.size:
        # one check per pair, with the transform whose coarse descriptor matched best
        s = np.concatenate(cand_s)
        best = np.argsort(-s, kind="stable")
        i, j, k = i[best], j[best], k[best]
        a, b = np.minimum(i, j), np.maximum(i, j)
        _, first = np.unique(a * n + b, return_index=True)
        i, j, k = i[first], j[first], k[first]
        scores = np.concatenate(
            [
                _check(T, F, i[s : s + 512], j[s : s + 512], k[s : s + 512])
                for s in range(0, i.size, 512)
            ]
        )
        hit = scores >= threshold
        i, j = i[hit], j[hit]
    graph = coo_matrix((np.ones(i.size, np.int8), (i, j)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    _, first_seen, inverse = np.unique(comp, return_index=True, return_inverse=True)
    rank = np.empty(len(first_seen), np.int64)
    rank[np.argsort(first_seen)] = np.arange(len(first_seen))
    return rank[inverse]
