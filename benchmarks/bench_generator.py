"""Synthetic HPA-like generator speed (samples/s at 128 px on one core); target >= 200.

One core: BLAS/OpenMP pools limited to 1 thread (and torch's intra-op threads) for the
measurement only, restored afterwards, so that the benchmarks ``run_all.py`` runs after this
one in the same process keep all cores (an ``OMP_NUM_THREADS=1`` set at import time made
them single-threaded).
"""

import contextlib

import torch
from _common import best_of, save
from threadpoolctl import threadpool_limits

from skhpa.datasets import make_hpa_like


@contextlib.contextmanager
def _one_core():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(threads)


def main():
    with _one_core():
        for size in (64, 128, 256):  # warm the noise-texture cache (one per size and scale)
            make_hpa_like(40, image_size=size, random_state=1)
        rows = []
        for size, n in ((64, 400), (128, 200), (256, 50)):
            t, _ = best_of(
                lambda n=n, size=size: make_hpa_like(n, image_size=size, random_state=0),
                repeat=5,
            )
            rows.append({"image_size": size, "samples": n, "samples_per_s": n / t})
    return save(
        "generator", rows, "one process, BLAS/OpenMP/torch threads = 1; 4 channels; best of 5"
    )


if __name__ == "__main__":
    main()
