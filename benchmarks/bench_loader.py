"""Decode and cache throughput of ImageLoader on real HPA PNGs.

The 4 real Kaggle channel files in tests/data (512 px, 8-bit) are hard-linked
under many Ids, so every sample costs what a real sample costs to decode.
Baseline: a plain single-threaded Pillow loop over the same files. The loader decodes
greyscale PNGs with libpng (imagecodecs); its rows are repeated with Pillow only, the
decoder it used before, for the gain of the switch. Also the first pass that fills an
empty cache (decode + write), both ways.
Targets: ImageLoader(n_jobs=2) >= 1.7x the plain loop; cache hits >= 20x decoding.
"""

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import best_of, save
from PIL import Image

from skhpa.preprocessing import ImageLoader, _decode

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


@contextlib.contextmanager
def _pillow_only():
    codec, _decode.imagecodecs = _decode.imagecodecs, None
    try:
        yield
    finally:
        _decode.imagecodecs = codec


def _first_pass(d, ids, jobs, repeat=3):
    """Best time of decoding into an empty cache (emptied, untimed, before each repeat)."""
    cache = Path(tempfile.mkdtemp(prefix="skhpa_fill_"))
    best = float("inf")
    try:
        for _ in range(repeat):
            shutil.rmtree(cache, ignore_errors=True)
            t = time.perf_counter()
            X = ImageLoader(d, cache=cache, n_jobs=jobs).transform(ids)
            best = min(best, time.perf_counter() - t)
        return best, X
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def main(n=200):
    d, ids = make_folder(n)
    cache = Path(tempfile.mkdtemp(prefix="skhpa_cache_"))
    t_plain, ref = best_of(lambda: plain_loop(d, ids))
    t_one, X1 = best_of(lambda: ImageLoader(d, n_jobs=1).transform(ids))
    t_two, X2 = best_of(lambda: ImageLoader(d, n_jobs=2).transform(ids))
    t_fill, X4 = _first_pass(d, ids, 2)
    with _pillow_only():
        p_one, P1 = best_of(lambda: ImageLoader(d, n_jobs=1).transform(ids))
        p_two, P2 = best_of(lambda: ImageLoader(d, n_jobs=2).transform(ids))
        p_fill, P4 = _first_pass(d, ids, 2)
    ImageLoader(d, cache=cache, n_jobs=2).transform(ids)  # fill the cache
    t_hit, X3 = best_of(lambda: ImageLoader(d, cache=cache, n_jobs=2).transform(ids))
    for X in (X1, X2, X3, X4, P1, P2, P4):
        assert np.array_equal(ref, X)
    rows = [
        {"what": "plain Pillow loop (1 thread)", "samples_per_s": n / t_plain, "ratio": 1.0},
        {"what": "ImageLoader n_jobs=1", "samples_per_s": n / t_one, "ratio": t_plain / t_one,
         "vs_pillow_only": p_one / t_one},
        {"what": "ImageLoader n_jobs=2", "samples_per_s": n / t_two, "ratio": t_plain / t_two,
         "vs_pillow_only": p_two / t_two},
        {"what": "ImageLoader first pass, empty cache, n_jobs=2", "samples_per_s": n / t_fill,
         "ratio": t_plain / t_fill, "vs_pillow_only": p_fill / t_fill},
        {"what": "ImageLoader n_jobs=1, Pillow only", "samples_per_s": n / p_one,
         "ratio": t_plain / p_one},
        {"what": "ImageLoader n_jobs=2, Pillow only", "samples_per_s": n / p_two,
         "ratio": t_plain / p_two},
        {"what": "ImageLoader first pass, empty cache, n_jobs=2, Pillow only",
         "samples_per_s": n / p_fill, "ratio": t_plain / p_fill},
        {
            "what": "ImageLoader cache hit n_jobs=2",
            "samples_per_s": n / t_hit,
            "ratio": t_plain / t_hit,
            "ratio_vs_loader_decoding": t_two / t_hit,
        },
    ]  # fmt: skip
    shutil.rmtree(d, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    return save("loader", rows, f"{n} samples x 4 real 512x512 PNGs (files in the page cache)")


if __name__ == "__main__":
    main()
