"""Synthetic HPA-like generator speed (samples/s at 128 px on one core); target >= 200."""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from _common import best_of, save  # noqa: E402

from skhpa.datasets import make_hpa_like  # noqa: E402


def main():
    for size in (64, 128, 256):  # warm the noise-texture cache (one texture per size and scale)
        make_hpa_like(40, image_size=size, random_state=1)
    rows = []
    for size, n in ((64, 400), (128, 200), (256, 50)):
        t, _ = best_of(
            lambda n=n, size=size: make_hpa_like(n, image_size=size, random_state=0), repeat=5
        )
        rows.append({"image_size": size, "samples": n, "samples_per_s": n / t})
    return save("generator", rows, "one process, OMP/BLAS threads = 1; 4 channels; best of 5")


if __name__ == "__main__":
    main()
