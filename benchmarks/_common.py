"""Helpers shared by the benchmark scripts: timing, machine description, result records."""

import json
import os
import platform
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def best_of(fn, repeat=3):
    """Best wall time of ``repeat`` calls of ``fn`` (seconds) and its last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def machine():
    import numpy
    import sklearn
    import torch

    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
        "torch": torch.__version__,
        "date": time.strftime("%Y-%m-%d"),
    }


def save(name, rows, notes="", generator_version=None):
    """Write ``results/{name}.json`` (rows: list of dicts) and print it.

    ``generator_version`` is that of the synthetic data the rows were measured on: this
    checkout's generator unless given (for tables kept from an older generator).
    """
    from skhpa.datasets import GENERATOR_VERSION
    from skhpa.utils import atomic_write

    record = {
        "benchmark": name,
        "machine": machine(),
        # of the synthetic data, where a run uses it
        "generator_version": generator_version or GENERATOR_VERSION,
        "rows": rows,
        "notes": notes,
    }
    with atomic_write(RESULTS / f"{name}.json") as fh:
        fh.write(json.dumps(record, indent=1))
    for r in rows:
        print("  " + "  ".join(f"{k}={_fmt(v)}" for k, v in r.items()))
    return record


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)
