"""Scaling out on one machine: a Dask grid search on 1 vs 2 workers, DDP on 1 vs 2 processes.

- dask_grid_search: GridSearchCV over 8 candidates (lr x batch size x augmentation) x 2
  multilabel-stratified folds = 16 fits of a lazy ImageLoader + SeedCNN pipeline on a
  synthetic Kaggle-layout folder (400 images, 48 px, 2 epochs), through joblib's Dask backend
  on a LocalCluster of 1 worker (2 threads) and of 2 workers (1 thread each). Same total cores,
  so the ratio measures what running fits side by side buys over threading inside one fit.
- ddp_epoch_time: benchmarks/ddp_train.py (AcceleratedHPAClassifier, SeedCNN, 1,024 images at
  64 px, batch 32 per process) under ``torchrun`` with 1 process (2 threads) and 2 processes
  (1 thread each); median epoch time after the first. With 2 processes each epoch has half the
  steps per process, each on a batch of 32 (the global batch doubles).
"""

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import save

HERE = Path(__file__).resolve().parent


def dask_grid_search():
    import joblib
    from distributed import Client, LocalCluster
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    from skhpa import HPAClassifier
    from skhpa.datasets import load_hpa, write_hpa_like
    from skhpa.model_selection import MultilabelStratifiedKFold
    from skhpa.nn import SeedCNN
    from skhpa.preprocessing import ImageLoader

    tmp = Path(tempfile.mkdtemp(prefix="skhpa_scaling_"))
    try:
        root = write_hpa_like(tmp / "hpa", 400, 1, image_size=48, random_state=0)
        data = load_hpa(root, "train")
        pipe = Pipeline(
            [
                ("load", ImageLoader(root / "train", lazy=True)),
                ("net", HPAClassifier(SeedCNN, max_epochs=2, train_split=None, device="cpu")),
            ]
        )
        grid = {
            "net__lr": [1e-3, 3e-3],
            "net__batch_size": [32, 64],
            "net__augment": [False, True],
        }
        cv = MultilabelStratifiedKFold(2, shuffle=True, random_state=0)
        rows, times = [], {}
        for workers, threads in ((1, 2), (2, 1)):
            with (
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    env={"OMP_NUM_THREADS": str(threads)},
                ) as cluster,
                Client(cluster) as client,
            ):
                client.run(lambda n=threads: __import__("torch").set_num_threads(n))
                search = GridSearchCV(pipe, grid, scoring="f1_macro", cv=cv, refit=False, n_jobs=-1)
                t = time.perf_counter()
                with joblib.parallel_backend("dask"):
                    search.fit(np.array(data.ids), data.target)
                times[workers] = time.perf_counter() - t
            rows.append(
                {
                    "workers": workers,
                    "threads_per_worker": threads,
                    "candidates": len(search.cv_results_["params"]),
                    "fits": 2 * len(search.cv_results_["params"]),
                    "wall_s": times[workers],
                    "best_mean_f1_macro": float(np.max(search.cv_results_["mean_test_score"])),
                }
            )
        rows.append({"workers": "1 / 2 (speed-up)", "wall_s": times[1] / times[2]})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return save("dask_grid_search", rows, "LocalCluster on this machine, same 2 cores in both")


def ddp_epoch_time():
    torchrun = Path(sys.executable).parent / "torchrun"
    rows, med = [], {}
    with tempfile.TemporaryDirectory() as d:
        for procs in (1, 2):
            out = Path(d) / f"ddp{procs}.json"
            cmd = [
                str(torchrun),
                "--nproc_per_node",
                str(procs),
                "--master_port",
                "29541",
                str(HERE / "ddp_train.py"),
                "--out",
                str(out),
                "--samples",
                "1024",
                "--size",
                "64",
                "--epochs",
                "4",
            ]
            subprocess.run(cmd, check=True, capture_output=True, timeout=900)
            rec = json.loads(out.read_text())
            med[procs] = float(np.median(rec["epoch_s"][1:]))
            rows.append(
                {
                    "processes": procs,
                    "threads_per_process": rec["threads_per_process"],
                    "steps_per_process_per_epoch": rec["train_batches_per_process"][0],
                    "median_epoch_s": med[procs],
                    "final_train_loss": rec["train_loss"][-1],
                }
            )
    rows.append({"processes": "1 / 2 (speed-up)", "median_epoch_s": med[1] / med[2]})
    return save("ddp_epoch_time", rows, "torchrun on this machine, gloo backend, CPU")


def main():
    dask_grid_search()
    return ddp_epoch_time()


if __name__ == "__main__":
    main()
