"""Shrinking a 512 px channel plane: ``resize_plane`` (Image.reduce for whole factors) vs
Pillow's box resize, side by side in one process on the 4 real 512 px PNG planes of
tests/data, with the largest difference from each block's exact mean.

``python benchmarks/run_all.py resize`` (seconds; ``results/resize.json``).
"""

from pathlib import Path

import numpy as np
from _common import best_of, save
from PIL import Image

from skhpa.preprocessing._decode import read_channel, resize_plane

SRC = Path(__file__).resolve().parent.parent / "tests" / "data" / "hpa_samples" / "train"
COLORS = ("red", "green", "blue", "yellow")
REPEAT = 50  # resizes of the 4 planes per timing


def _box(plane, size):
    return np.asarray(Image.fromarray(plane).resize((size, size), Image.Resampling.BOX))


def main():
    planes = [read_channel(next(SRC.glob(f"*_{c}.png")), c) for c in COLORS]
    rows = []
    for size in (256, 128, 64):
        k = 512 // size
        exact = [p.reshape(size, k, size, k).mean(axis=(1, 3)) for p in planes]
        row = {"from_px": 512, "to_px": size}
        for name, fn in (("box_resize", _box), ("resize_plane", resize_plane)):
            t, out = best_of(
                lambda fn=fn, size=size: [[fn(p, size) for p in planes] for _ in range(REPEAT)][-1],
                repeat=5,
            )
            row[f"{name}_ms_per_plane"] = t / (REPEAT * len(planes)) * 1e3
            row[f"{name}_max_off_exact_mean"] = max(
                float(np.abs(o - e).max()) for o, e in zip(out, exact)
            )
        row["speedup"] = row["box_resize_ms_per_plane"] / row["resize_plane_ms_per_plane"]
        rows.append(row)
    return save(
        "resize",
        rows,
        "4 real 512 px Kaggle channel planes (tests/data), best of 5 x 50 resizes each, "
        "one thread; max_off_exact_mean: largest abs(pixel - exact block mean), 0.5 = rounding",
    )


if __name__ == "__main__":
    main()
