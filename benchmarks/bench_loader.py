"""Decode and cache throughput of ImageLoader on real HPA PNGs.

The 4 real Kaggle channel files in tests/data (512 px, 8-bit) are hard-linked
under many Ids, so every sample costs what a real sample costs to decode.
Baseline: a plain single-threaded Pillow loop over the same files.
Targets: ImageLoader(n_jobs=2) >= 1.7x the plain loop; cache hits >= 20x decoding.
"""

import os
import tempfile
from pathlib import Path

import numpy as np
from _common import best_of, save
from PIL import Image

from skhpa.preprocessing import ImageLoader

COLORS = ("red", "green", "blue", "yellow")
DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "hpa_samples" / "train"


def make_folder(n):
    src = {p.stem.rsplit("_", 1)[1]: p for p in DATA.glob("*.png")}
    d = Path(tempfile.mkdtemp(prefix="skhpa_bench_"))
    ids = [f"s{i:05d}" for i in range(n)]
    for i in ids:
        for c in COLORS:
            os.link(src[c], d / f"{i}_{c}.png")
    return d, ids


def plain_loop(d, ids):
    return np.stack(
        [np.stack([np.asarray(Image.open(d / f"{i}_{c}.png")) for c in COLORS]) for i in ids]
    )


def main(n=200):
    d, ids = make_folder(n)
    cache = Path(tempfile.mkdtemp(prefix="skhpa_cache_"))
    t_plain, ref = best_of(lambda: plain_loop(d, ids))
    t_one, X1 = best_of(lambda: ImageLoader(d, n_jobs=1).transform(ids))
    t_two, X2 = best_of(lambda: ImageLoader(d, n_jobs=2).transform(ids))
    ImageLoader(d, cache=cache, n_jobs=2).transform(ids)  # fill the cache
    t_hit, X3 = best_of(lambda: ImageLoader(d, cache=cache, n_jobs=2).transform(ids))
    assert np.array_equal(ref, X1) and np.array_equal(ref, X2) and np.array_equal(ref, X3)
    rows = [
        {"what": "plain Pillow loop (1 thread)", "samples_per_s": n / t_plain, "ratio": 1.0},
        {"what": "ImageLoader n_jobs=1", "samples_per_s": n / t_one, "ratio": t_plain / t_one},
        {"what": "ImageLoader n_jobs=2", "samples_per_s": n / t_two, "ratio": t_plain / t_two},
        {
            "what": "ImageLoader cache hit n_jobs=2",
            "samples_per_s": n / t_hit,
            "ratio": t_plain / t_hit,
            "ratio_vs_loader_decoding": t_two / t_hit,
        },
    ]
    import shutil

    shutil.rmtree(d, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    return save("loader", rows, f"{n} samples x 4 real 512x512 PNGs (files in the page cache)")


if __name__ == "__main__":
    main()
