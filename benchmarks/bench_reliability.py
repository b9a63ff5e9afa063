"""Memory under load: a long lazy predict, and repeated fit/predict cycles in one process.

- predict_memory: ``predict_proba`` of a SeedCNN (fitted once, loaded with ``load_model`` in
  a fresh process) behind a lazy ImageLoader over 10,000 and 100,000 synthetic samples (64 px;
  200 distinct images hard-linked under n Ids, so decoding costs what n distinct files would).
  Target: peak RSS flat in n (ratio <= 1.1; the (n, 28) float64 output, 22 MB at 100,000, is
  the only thing that has to grow).
- fit_predict_cycles: 20 cycles of fit (SeedCNN, 1 epoch with validation, 256 samples at
  32 px) + predict in one process; RSS after each. Target: RSS after cycle 20 within 10 % of
  cycle 2.
"""

import gc
import json
import shutil
import subprocess
import sys
import time

import numpy as np
from _common import save
from bench_lazy_memory import make_folder

CHILD = r"""
import json, resource, sys, time
import numpy as np
from sklearn.pipeline import Pipeline
from skhpa import load_model
from skhpa.preprocessing import ImageLoader

model_path, folder, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
pipe = Pipeline([("load", ImageLoader(folder, lazy=True)), ("net", load_model(model_path))])
ids = np.array([f"s{i:06d}" for i in range(n)])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
P = pipe.predict_proba(ids)
wall = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert P.shape == (n, 28)
print(json.dumps({"before_mb": base / 1024, "peak_mb": peak / 1024, "wall_s": wall}))
"""


def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def predict_memory():
    from skhpa import HPAClassifier, save_model
    from skhpa.datasets import make_hpa_like
    from skhpa.nn import SeedCNN

    sizes = (10_000, 100_000)
    folder = make_folder(max(sizes), n_distinct=200, size=64, width=6)
    X, Y = make_hpa_like(256, image_size=64, random_state=1)
    net = HPAClassifier(SeedCNN, max_epochs=1, train_split=None, device="cpu", random_state=0)
    model_path = save_model(net.fit(X, Y), folder / "model.skhpa")
    rows = []
    try:
        for n in sizes:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(model_path), str(folder), str(n)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(
                {
                    "n": n,
                    "peak_rss_mb": r["peak_mb"],
                    "rss_before_predict_mb": r["before_mb"],
                    "predict_s": r["wall_s"],
                    "samples_per_s": n / r["wall_s"],
                }
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ratio = rows[1]["peak_rss_mb"] / rows[0]["peak_rss_mb"]
    rows.append({"n": "100,000 / 10,000", "peak_rss_mb": ratio, "target_met": ratio <= 1.1})
    return save("predict_memory", rows, "lazy ImageLoader + SeedCNN, 64 px, fresh process each")


def fit_predict_cycles(n_cycles=20):
    import warnings

    from skhpa import HPAClassifier
    from skhpa.datasets import make_hpa_like
    from skhpa.nn import SeedCNN

    warnings.filterwarnings("ignore")
    X, Y = make_hpa_like(256, image_size=32, random_state=0)
    rss = []
    t = time.perf_counter()
    for i in range(n_cycles):
        net = HPAClassifier(SeedCNN, max_epochs=1, train_split=0.2, device="cpu", random_state=i)
        net.fit(X, Y).predict_proba(X)
        del net
        gc.collect()
        rss.append(rss_mb())
    wall = time.perf_counter() - t
    growth = rss[-1] / rss[1] - 1
    rows = [{"cycle": i + 1, "rss_mb": v} for i, v in enumerate(rss) if i in (0, 1, 4, 9, 14, 19)]
    rows.append(
        {
            "cycle": "20 vs 2",
            "rss_mb": float(np.round(100 * growth, 2)),
            "target_met": growth <= 0.10,
            "wall_s": wall,
        }
    )
    return save(
        "fit_predict_cycles",
        rows,
        "HPAClassifier(SeedCNN) 1 epoch on 256 x 4 x 32 x 32 + predict, one process; the last "
        "row's rss_mb is the growth in percent",
    )


def main():
    fit_predict_cycles()
    return predict_memory()


if __name__ == "__main__":
    main()
