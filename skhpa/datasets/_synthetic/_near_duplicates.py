"""Near-duplicate fields: flipped, resized, re-encoded, recoloured, cropped or shifted copies.

The Kaggle and HPA v18 sets hold near-duplicates of one field; ``make_hpa_like`` plants
them on request (``duplicate_fraction``) so that duplicate-aware splits can be tested.
"""

import numpy as np

DUPLICATE_KINDS = ("dihedral", "resize", "jpeg", "brightness", "crop", "shift")


def near_duplicate(img, kind, rng):
    """A near-duplicate of one (C, H, W) uint8 image by ``kind`` (see :func:`make_hpa_like`)."""
    from PIL import Image

    def resize(plane, size):
        return np.asarray(Image.fromarray(plane).resize(size, Image.Resampling.BILINEAR))

    c, h, w = img.shape
    if kind == "dihedral":
        k = int(rng.integers(1, 8))
        out = np.rot90(img, k % 4, axes=(1, 2))
        out = out[:, :, ::-1] if k >= 4 else out
    elif kind == "resize":
        f = rng.uniform(2, 4)
        small = (max(int(w / f), 4), max(int(h / f), 4))
        out = np.stack([resize(resize(pl, small), (w, h)) for pl in img])
    elif kind == "jpeg":
        import io

        q = int(rng.integers(50, 91))
        planes = []
        for pl in img:
            buf = io.BytesIO()
            Image.fromarray(pl).save(buf, "JPEG", quality=q)
            planes.append(np.asarray(Image.open(buf)))
        out = np.stack(planes)
    elif kind == "brightness":
        gain = rng.uniform(0.6, 1.6, (c, 1, 1))
        offset = rng.uniform(-20, 20, (c, 1, 1))
        out = np.clip(img * gain + offset + 0.5, 0, 255)
    elif kind == "crop":
        cut = int(round(rng.uniform(0.03, 0.10) * min(h, w)))
        oy, ox = rng.integers(0, cut + 1, 2)
        out = np.stack([resize(pl[oy : oy + h - cut, ox : ox + w - cut], (w, h)) for pl in img])
    elif kind == "shift":
        m = int(round(0.10 * min(h, w)))
        dy, dx = rng.integers(-m, m + 1, 2)
        pad = np.pad(img, ((0, 0), (m, m), (m, m)), mode="reflect")
        out = pad[:, m + dy : m + dy + h, m + dx : m + dx + w]
    else:
        raise ValueError(f"kind must be one of {DUPLICATE_KINDS}, got {kind!r}")
    return np.ascontiguousarray(out, dtype=np.uint8)


def plant_duplicates(X, Y, n_orig, seed):
    """Fill rows n_orig.. with near-duplicates of random originals; shuffle; true groups."""
    rng = np.random.default_rng([int(seed[0]), int(seed[1]), 22])
    n = len(X)
    source = np.arange(n)
    for d in range(n_orig, n):
        src = int(rng.integers(n_orig))
        source[d] = src
        kind = DUPLICATE_KINDS[(d - n_orig) % len(DUPLICATE_KINDS)]
        X[d] = near_duplicate(X[src], kind, rng)
        Y[d] = Y[src]
    perm = rng.permutation(n)
    X, Y, source = X[perm], Y[perm], source[perm]
    _, groups = np.unique(source, return_inverse=True)
    return X, Y, groups.astype(np.int64)
