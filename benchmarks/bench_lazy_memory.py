"""Peak memory of fitting through the lazy loader: 2,000 vs 8,000 samples at 256 px.

Target: peak RSS ratio (8,000 / 2,000) <= 1.25 with ``ImageLoader(lazy=True)``; the
in-memory loader is measured next to it. Each measurement runs in a fresh process
(peak RSS = ru_maxrss). The images are 100 synthetic 256 px samples hard-linked under
n Ids (decoding costs what n distinct files cost; the disk holds 100).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import save

CHILD = r"""
import json, resource, sys
import numpy as np
import torch
from torch import nn
from sklearn.pipeline import Pipeline
from skhpa import HPAClassifier
from skhpa.preprocessing import ImageLoader

class Tiny(nn.Module):
    def __init__(self, n_classes=28, in_chans=4, mean=None, std=None):
        super().__init__()
        self.pool = nn.AvgPool2d(8)
        self.fc = nn.Linear(in_chans * 32 * 32, n_classes)
    def forward(self, x):
        return self.fc(self.pool(x.float() / 255).flatten(1))

folder, n, lazy = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
ids = np.array([f"s{i:05d}" for i in range(n)])
Y = (np.random.RandomState(0).rand(n, 28) < 0.1).astype(np.uint8)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
pipe = Pipeline([("load", ImageLoader(folder, lazy=lazy)),
                 ("net", HPAClassifier(Tiny, max_epochs=1, batch_size=64, train_split=None,
                                       augment=False, device="cpu", random_state=0))])
pipe.fit(ids, Y)
pipe.predict_proba(ids[:256])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"baseline_mb": base / 1024, "peak_mb": peak / 1024}))
"""


def make_folder(n, n_distinct=100, size=256, width=5):
    from PIL import Image

    from skhpa.datasets import make_hpa_like

    d = Path(tempfile.mkdtemp(prefix="skhpa_lazy_"))
    X, _ = make_hpa_like(n_distinct, image_size=size, random_state=0)
    for j in range(n_distinct):
        for c, name in enumerate(("red", "green", "blue", "yellow")):
            Image.fromarray(X[j, c]).save(d / f"src{j}_{name}.png")
    for i in range(n):
        for name in ("red", "green", "blue", "yellow"):
            os.link(d / f"src{i % n_distinct}_{name}.png", d / f"s{i:0{width}d}_{name}.png")
    return d


def measure(folder, n, lazy):
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), str(n), "1" if lazy else "0"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    folder = make_folder(8000)
    rows = []
    peaks = {}
    for lazy in (True, False):
        for n in (2000, 8000):
            r = measure(folder, n, lazy)
            peaks[(lazy, n)] = r["peak_mb"]
            rows.append(
                {
                    "loader": "lazy" if lazy else "in memory",
                    "n": n,
                    "peak_rss_mb": r["peak_mb"],
                    "after_imports_mb": r["baseline_mb"],
                }
            )
    for lazy in (True, False):
        rows.append(
            {
                "loader": "lazy" if lazy else "in memory",
                "n": "8000 / 2000",
                "peak_rss_mb": peaks[(lazy, 8000)] / peaks[(lazy, 2000)],
            }
        )
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    return save(
        "lazy_memory", rows, "fit 1 epoch + predict, 256 px, 4 channels, fresh process each"
    )


if __name__ == "__main__":
    main()
