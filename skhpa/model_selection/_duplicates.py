"""Near-duplicate fields: group labels for leak-free splits (:func:`duplicate_groups`).

How it works (numpy and scipy, no hashing library):

1. Every image is shrunk to a ``64 x 64`` thumbnail per channel (area filter),
   read in chunks, so a :class:`~skhpa.preprocessing.LazyImageArray` is never
   loaded whole.
2. Window descriptors: the 6 x 6 cell means of a square window, each channel
   standardized within the window (brightness and contrast drop out) and the
   whole vector scaled to unit length (144 numbers for 4 channels). Every image
   is described at 43 windows: 48 px at 25 positions on a grid of 3 px steps
   (up to +-6 px, about 10 % of the side: shifts) and 44 and 46 px at 9
   positions each (+-2 px: a crop of up to 10 % enlarges the field). Its
   central 48 px window also gives 8 probes, one per dihedral transform.
   Whichever transform, shift or crop made a copy, one of its probes is
   within 1.5 px (position) and about 2 % (size) of one of the source's
   windows.
3. Candidates come from a k-d tree, not from comparing all pairs: the
   descriptors are projected on their first 16 principal components (fitted
   on up to 2,048 of the images); the first 10 of the 43 windows of every
   image go into one :class:`scipy.spatial.cKDTree` and each probe looks up
   its 8 nearest windows within a radius (approximate search, ``eps``); a
   pair is kept if all 16 components are within ``_RADIUS``. In those
   dimensions a copy lies close to its source at the matching window, and few
   distinct fields do: the pairs checked grow with the number of images (0.06
   per image at 10,000 distinct fields, 0.15 at 31,000), not with the number
   of pairs. A lookup costs somewhat more as the tree grows (time per image
   1.2x from 10,358 to 31,072 images).
4. Checks: a candidate's full 144-number descriptors (matched window and
   transform) must correlate >= 0.7; then smoothed 64 px thumbnails (Gaussian,
   1 px) are compared with finer cells (16 x 16 of 3 px) around the matched
   window, refining the position and size. The score is the mean of the two
   lowest per-channel correlations among the channels with structure in both
   images: two sparse fields whose few nuclei happen to line up agree in one
   or two channels, a copy agrees in all. Pairs at or above ``threshold`` are
   joined, and each connected component is a group.

Why not :mod:`imagehash`: its hashes (aHash, pHash, dHash, wHash) take one
grey image at a fixed orientation and position, so a flipped, rotated or
shifted copy gets an unrelated hash, and it has no index for near matches;
the parts that matter here (all channels, the 8 transforms, shifts and crops,
the index, the checks) would have to be written around it anyway, for a
dependency that would only compute step 2.
"""

import numbers

import numpy as np
from joblib import Parallel, delayed
from PIL import Image
from scipy import ndimage
from scipy.spatial import cKDTree
from threadpoolctl import threadpool_limits

from ..utils import Interval, validate_params
from ._groups import _components

_SIDE = 64  # thumbnail side (px)
_WIN = 48  # side of the probe window (px of the thumbnail)
_CELLS = 6  # cells per side of a window descriptor
_SHIFTS = (-6, -3, 0, 3, 6)  # positions of the 48 px windows (shifts up to 10 %)
_CROPS = (46, 44)  # smaller windows (crops enlarge the field by up to 11 %) ...
_CROP_SHIFTS = (-2, 0, 2)  # ... at these positions
_DIMS = 16  # principal components compared
_RADIUS = 0.25  # largest distance in those components (copies: <= 0.2 in the benchmark)
_TREE_DIMS = 10  # ... of which the k-d tree holds the first
_TREE_RADIUS = 0.2  # search radius in the tree
_NEIGHBOURS = 8  # windows looked up per probe
_EPS = 3.0  # approximate k-d tree search (see cKDTree.query)
_PCA_SAMPLE = 2048  # images the components are fitted on (evenly spaced)
_COARSE = 0.7  # smallest correlation of the full descriptors worth a fine check
_FINE = 16  # cells per side of the fine check's descriptor (3 px)
_BLUR = 1.0  # px: the fine check compares smoothed thumbnails (resized and re-encoded copies)
_FLOOR = 0.5  # grey levels: a channel flatter than this within a window counts as blank
_ACTIVE = 4.0  # grey levels: channels flatter than this are left out of the final score


def _alignments():
    """(n_windows, 3) float: offset y, offset x and side of every indexed window."""
    rows = [(dy, dx, _WIN) for dy in _SHIFTS for dx in _SHIFTS]
    rows += [(dy, dx, s) for s in _CROPS for dy in _CROP_SHIFTS for dx in _CROP_SHIFTS]
    return np.array(rows, float)


_ALIGN = _alignments()
_CENTRE = int(np.flatnonzero((_ALIGN == (0, 0, _WIN)).all(1))[0])


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
    resample = Image.Resampling.BOX if min(h, w) >= size else Image.Resampling.BILINEAR
    for i in range(m):
        for j in range(c):
            plane = Image.fromarray(np.ascontiguousarray(chunk[i, j]))
            out[i, j] = np.asarray(plane.resize((size, size), resample=resample))
    return out


def _thumbnails(X, start, stop):
    """64 px uint8 thumbnails of images start..stop, and which are blank."""
    chunk = np.asarray(X[start:stop])
    if chunk.dtype.kind == "f":
        bad = ~np.isfinite(chunk).reshape(len(chunk), -1).all(1)
        if bad.any():
            raise ValueError(
                f"image {start + int(np.flatnonzero(bad)[0])} holds NaN or infinite pixel values"
            )
        chunk = np.clip(chunk, 0, 255)
    if chunk.dtype == np.uint8 and chunk.shape[2:] == (_SIDE, _SIDE):
        F = np.ascontiguousarray(chunk)
    else:
        F = np.clip(_shrink(chunk, _SIDE) + 0.5, 0, 255).astype(np.uint8)
    planes = F.reshape(len(F), F.shape[1], -1)
    flat = (planes.max(-1) == planes.min(-1)).all(1)
    return F, flat


def _summed_area(F):
    """Summed-area tables (m, C, S + 1, S + 1) of thumbnails (m, C, S, S).

    Exact int32 sums of uint8 thumbnails (2-3x faster than float cumsums), float32 otherwise.
    """
    sat = F.astype(np.int32 if F.dtype == np.uint8 else np.float32)
    np.cumsum(sat, axis=3, out=sat)
    np.cumsum(sat, axis=2, out=sat)
    return np.pad(sat, ((0, 0), (0, 0), (1, 0), (1, 0)))


def _edges(dy, dx, size, cells, side=_SIDE):
    """Cell edges (rows, columns) of a window of side ``size`` offset by (dy, dx).

    Scalars give (cells + 1,) int arrays; arrays of P windows give (P, cells + 1).
    """
    steps = np.arange(cells + 1) / cells
    dy, dx, size = (np.asarray(v, float)[..., None] for v in (dy, dx, size))
    o = (side - size) / 2.0
    ey = np.clip(np.rint(o + dy + steps * size), 0, side).astype(np.intp)
    ex = np.clip(np.rint(o + dx + steps * size), 0, side).astype(np.intp)
    return ey, ex


def _unit(means):
    """Cell means (..., C, c, c) -> unit descriptors (..., C * c * c), channels standardized."""
    d = means - means.mean((-2, -1), keepdims=True)
    d = d / np.maximum(np.sqrt((d * d).mean((-2, -1), keepdims=True)), _FLOOR)
    d = d.reshape(d.shape[:-3] + (-1,))
    return d / np.maximum(np.linalg.norm(d, axis=-1, keepdims=True), 1e-6)


def _window_means(sat, ey, ex):
    """Cell means of one window (edges shared by all images) from summed-area tables."""
    s = sat[:, :, ey[:, None], ex[None, :]]
    sums = s[:, :, 1:, 1:] - s[:, :, :-1, 1:] - s[:, :, 1:, :-1] + s[:, :, :-1, :-1]
    return sums / (np.diff(ey)[:, None] * np.diff(ex)[None, :])


def _pair_means(sat, ey, ex):
    """Cell means of one window per image (edges (P, cells + 1) each) from summed-area tables."""
    s = np.take_along_axis(sat, ey[:, None, :, None], axis=2)
    s = np.take_along_axis(s, ex[:, None, None, :], axis=3)
    sums = s[:, :, 1:, 1:] - s[:, :, :-1, 1:] - s[:, :, 1:, :-1] + s[:, :, :-1, :-1]
    area = np.diff(ey)[:, :, None] * np.diff(ex)[:, None, :]
    return sums / np.maximum(area, 1)[:, None]


_EY, _EX = _edges(*_ALIGN.T, _CELLS)  # (n_windows, CELLS + 1) each
_INV_AREA = (1.0 / (np.diff(_EY)[:, :, None] * np.diff(_EX)[:, None, :])).astype(np.float32)


def _descriptors(F, windows=slice(None)):
    """(m, n_windows, C * CELLS**2) float32 unit descriptors of the indexed windows."""
    sat = _summed_area(F)
    ey, ex = _EY[windows], _EX[windows]
    s = sat[:, :, ey[:, :, None], ex[:, None, :]]  # (m, C, n_windows, CELLS + 1, CELLS + 1)
    sums = s[..., 1:, 1:] - s[..., :-1, 1:] - s[..., 1:, :-1] + s[..., :-1, :-1]
    means = sums.astype(np.float32) * _INV_AREA[windows]
    return _unit(means.transpose(0, 2, 1, 3, 4))


def _probes(central):
    """(m, 8, D): the central descriptors (m, D) under the 8 dihedral transforms."""
    grid = central.reshape(len(central), -1, _CELLS, _CELLS)
    return np.stack([_dihedral(grid, k).reshape(len(central), -1) for k in range(8)], axis=1)


def _basis(F, flat):
    """Mean and first principal components of the descriptors of an evenly spaced sample."""
    keep = np.flatnonzero(~flat)
    if keep.size == 0:
        keep = np.arange(len(F))
    sample = keep[np.linspace(0, keep.size - 1, min(keep.size, _PCA_SAMPLE)).astype(int)]
    some = slice(None, None, 4)  # 11 of the 43 windows
    d = np.concatenate(
        [_descriptors(F[sample[s : s + 512]], some) for s in range(0, sample.size, 512)]
    ).reshape(-1, _CELLS**2 * F.shape[1])
    mean = d.mean(0)
    cov = np.cov((d - mean).T) if len(d) > 1 else np.eye(d.shape[1])
    _, vectors = np.linalg.eigh(np.atleast_2d(cov))
    return mean.astype(np.float32), np.ascontiguousarray(vectors[:, ::-1][:, :_DIMS], np.float32)


def _project(F, start, stop, mean, V):
    """Projected window descriptors (m, n_windows, DIMS), probes (m, 8, DIMS), central (m, D)."""
    d = _descriptors(F[start:stop])
    central = d[:, _CENTRE]
    return (d - mean) @ V, (_probes(central) - mean) @ V, central


def _candidates(windows, probes, flat, workers):
    """Pairs (probe image j, transform k, window image i, window a) near in the components."""
    n, n_windows, dims = windows.shape
    keep = np.flatnonzero(~flat)
    if keep.size < 2:
        return (np.empty(0, np.intp),) * 4
    tree = cKDTree(windows[keep, :, :_TREE_DIMS].reshape(-1, _TREE_DIMS))
    dist, hit = tree.query(
        probes[keep, :, :_TREE_DIMS].reshape(-1, _TREE_DIMS),
        k=_NEIGHBOURS,
        eps=_EPS,
        distance_upper_bound=_TREE_RADIUS,
        workers=workers,
    )
    found = np.isfinite(dist)
    probe = np.broadcast_to(np.arange(dist.shape[0])[:, None], dist.shape)[found]
    hit = hit[found]
    # all components: distance between the probe and the window it found
    w = windows[keep].reshape(-1, dims)[hit]
    dist = np.sqrt(((w - probes[keep].reshape(-1, dims)[probe]) ** 2).sum(1))
    near = dist <= _RADIUS
    probe, hit, dist = probe[near], hit[near], dist[near]
    j, k = keep[probe // 8], probe % 8
    i, a = keep[hit // n_windows], hit % n_windows
    other = i != j
    j, k, i, a, dist = j[other], k[other], i[other], a[other], dist[other]
    # one candidate per unordered pair: the closest match
    pair = np.minimum(i, j) * n + np.maximum(i, j)
    order = np.lexsort((dist, pair))
    first = order[np.r_[True, np.diff(pair[order]) != 0]] if order.size else order
    return j[first], k[first], i[first], a[first]


def _coarse(F, central, j, k, i, a):
    """Correlation of the full descriptors: window a of image i, central window of j after k."""
    out = np.empty(len(i), np.float32)
    for s in range(0, len(i), 1024):
        sl = slice(s, s + 1024)
        ey, ex = _edges(*_ALIGN[a[sl]].T, _CELLS)
        di = _unit(_pair_means(_summed_area(F[i[sl]]), ey, ex))
        grid = central[j[sl]].reshape(len(ey), -1, _CELLS, _CELLS)
        dj = np.stack([_dihedral(g, int(t)).ravel() for g, t in zip(grid, k[sl])])
        out[sl] = np.einsum("pd,pd->p", di, dj)
    return out


def _blur(F):
    """Thumbnails (m, C, S, S) smoothed by a Gaussian of ``_BLUR`` px, float32."""
    return ndimage.gaussian_filter(F.astype(np.float32), (0, 0, _BLUR, _BLUR), mode="nearest")


def _channel_correlations(a, b):
    """Per-channel correlations (P, C) of cell means (P, C, c, c), and the channels' spread."""
    a = a - a.mean((-2, -1), keepdims=True)
    b = b - b.mean((-2, -1), keepdims=True)
    aa, bb = (a * a).sum((-2, -1)), (b * b).sum((-2, -1))
    r = (a * b).sum((-2, -1)) / np.sqrt(np.maximum(aa * bb, 1e-12))
    spread = np.sqrt(np.minimum(aa, bb) / (a.shape[-1] * a.shape[-2]))
    return r, spread


def _agreement(r, spread):
    """Mean of the two lowest correlations among the channels with structure in both images.

    Every channel must agree: two sparse fields whose few nuclei happen to line
    up correlate well in one or two channels, rarely in the others. Channels
    flatter than ``_ACTIVE`` grey levels (an empty protein channel) do not
    count; with none left, the pooled correlation of all channels decides.
    """
    active = spread >= _ACTIVE
    low = np.sort(np.where(active, r, np.inf), axis=1)[:, :2]
    if low.shape[1] == 1:  # one channel (e.g. green only): its correlation decides
        two = low[:, 0]
    else:
        two = np.where(np.isfinite(low[:, 1]), low.mean(1), low[:, 0])
    pooled = (r * spread**2).sum(1) / np.maximum((spread**2).sum(1), 1e-12)
    return np.where(active.any(1), two, pooled)


def _fine(F, j, k, i, a):
    """Agreement of 16 x 16-cell descriptors of smoothed 64 px thumbnails at the matched window.

    The central 48 px window of image j after transform k against windows of
    image i around the matched one: position refined in steps of 2 px, then
    the size, then the position again in steps of 1 px, by the correlation of
    all channels; the score is then that of the channels that agree least
    (:func:`_agreement`).
    """
    fj = np.stack([_dihedral(F[jj], int(kk)) for jj, kk in zip(j, k)])
    ey, ex = _edges(0.0, 0.0, float(_WIN), _FINE)
    target_means = _window_means(_summed_area(_blur(fj)), ey, ex)
    target = _unit(target_means)
    sat_i = _summed_area(_blur(F[i]))
    dy, dx, size = (_ALIGN[a, c].copy() for c in range(3))
    best = np.full(len(i), -1.0, np.float32)
    means = np.empty_like(target_means)

    def search(best, dy, dx, size, steps):
        by, bx, bs = dy.copy(), dx.copy(), size.copy()
        for ey_, ex_, es in steps:
            m = _pair_means(sat_i, *_edges(dy + ey_, dx + ex_, size + es, _FINE))
            score = np.einsum("pd,pd->p", target, _unit(m))
            better = score > best
            best = np.where(better, score, best)
            means[better] = m[better]
            by = np.where(better, dy + ey_, by)
            bx = np.where(better, dx + ex_, bx)
            bs = np.where(better, size + es, bs)
        return best, by, bx, bs

    r = (-2, 0, 2)
    best, dy, dx, size = search(best, dy, dx, size, [(ey_, ex_, 0) for ey_ in r for ex_ in r])
    best, dy, dx, size = search(best, dy, dx, size, [(0, 0, es) for es in (-2, 2)])
    one = (-1, 0, 1)
    best, dy, dx, size = search(best, dy, dx, size, [(ey_, ex_, 0) for ey_ in one for ex_ in one])
    return _agreement(*_channel_correlations(target_means, means))


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

    Pairs are found without comparing all pairs of images: every image is
    described at 43 windows (positions and sizes covering shifts and crops of
    up to 10 %) and probes with its central window under the 8 flips and
    rotations; the descriptors' first principal components go into a k-d
    tree, and only the pairs it returns are checked, on 64 px thumbnails. The
    descriptors are a few lines of numpy rather than :mod:`imagehash`, whose
    hashes see one grey channel at a fixed orientation and position; see the
    module notes in ``skhpa/model_selection/_duplicates.py``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_channels, H, W)
        Images (uint8, or floats in 0-255), or the
        :class:`~skhpa.preprocessing.LazyImageArray` of
        ``ImageLoader(lazy=True, image_size=64)``: it is read ``chunk_size``
        images at a time and never held whole (its 64 px thumbnails, 16 KB
        per 4-channel image, are). 64 px is enough (nothing finer is
        compared); images of any size are shrunk.
    threshold : float in (0, 1], default=0.85
        Smallest score of the final check at which two images count as
        copies of one field: the correlation of 16 x 16-cell descriptors of
        smoothed 64 px thumbnails at the best position and size around the
        matched window and transform, taken per channel, and the mean of the
        two lowest among the channels with structure in both images. Exact
        transforms score 1.0; in the ``duplicates`` benchmark planted copies
        scored >= 0.87 and distinct fields <= 0.84 (see
        ``docs/benchmarks.rst``). Pairs whose coarse descriptors correlate
        below 0.7 are never scored, so a threshold below 0.7 adds nothing.
    n_jobs : int, default=None
        Threads that read, shrink and describe chunks and search the tree
        (the decoding of a lazy array releases the GIL). -1 uses all cores.
        BLAS runs on one thread inside (its matrix products are small).
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
    workers = 1 if n_jobs is None else int(n_jobs)
    # the matrix products here are small: BLAS threads only contend (with the
    # chunk threads and other processes), 10-50x slower on a busy machine
    with threadpool_limits(limits=1, user_api="blas"):
        i, j, scores = _scored_pairs(X, workers, chunk_size)
    hit = scores >= threshold
    return _components(n, i[hit], j[hit])


def _scored_pairs(X, workers=1, chunk_size=1024):
    """The pairs (i, j) that were checked and their scores (the final check's correlation).

    Pairs whose full descriptors correlate below ``_COARSE`` are not checked
    further and score -1. Used by
    :func:`duplicate_groups` and the ``duplicates`` benchmark.
    """
    n = len(X)

    def run(fn, args):
        if workers == 1 or len(args) == 1:
            return [fn(*a) for a in args]
        return Parallel(n_jobs=workers, prefer="threads")(delayed(fn)(*a) for a in args)

    bounds = [(s, min(s + chunk_size, n)) for s in range(0, n, chunk_size)]
    parts = run(_thumbnails, [(X, s, e) for s, e in bounds])
    flat = np.concatenate([p[1] for p in parts])
    if isinstance(X, np.ndarray) and X.dtype == np.uint8 and X.shape[2:] == (_SIDE, _SIDE):
        F = X  # already thumbnails: no copy
    else:
        F = np.concatenate([p[0] for p in parts])  # 64 px, uint8: 16 KB per 4-channel image
    del parts

    mean, V = _basis(F, flat)
    blocks = [(s, min(s + 512, n)) for s in range(0, n, 512)]
    parts = run(_project, [(F, s, e, mean, V) for s, e in blocks])
    windows = np.concatenate([p[0] for p in parts])
    probes = np.concatenate([p[1] for p in parts])
    central = np.concatenate([p[2] for p in parts])
    del parts

    j, k, i, a = _candidates(windows, probes, flat, workers)
    scores = np.full(i.size, -1.0)
    if i.size:
        checked = np.flatnonzero(_coarse(F, central, j, k, i, a) >= _COARSE)
        for s in range(0, checked.size, 512):
            c = checked[s : s + 512]
            scores[c] = _fine(F, j[c], k[c], i[c], a[c])
    return i, j, scores
