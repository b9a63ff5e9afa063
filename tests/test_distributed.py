"""Beyond one machine: Dask grid search, accelerate/DDP training, cheap pickles."""

import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skhpa import HPAClassifier
from skhpa.datasets import load_hpa
from skhpa.model_selection import MultilabelStratifiedKFold
from skhpa.nn import SeedCNN
from skhpa.preprocessing import ImageLoader

ROOT = Path(__file__).resolve().parent.parent


def test_lazy_arrays_and_pipelines_pickle_as_ids_and_paths(synthetic_root):
    data = load_hpa(synthetic_root, "train")
    ids = np.array(list(data.ids) * 50)  # 1,200 Ids
    lazy = ImageLoader(synthetic_root / "train", lazy=True).fit_transform(ids)
    pixels = int(np.prod(lazy.shape))
    size = len(pickle.dumps(lazy))
    assert size < 150 * len(ids) and size < pixels / 20  # ~ the Ids and one folder
    np.testing.assert_array_equal(np.asarray(pickle.loads(pickle.dumps(lazy))[:3]), lazy[:3])
    pipe = Pipeline([("load", ImageLoader(synthetic_root / "train")), ("net", HPAClassifier())])
    assert len(pickle.dumps(pipe)) < 10_000


def test_grid_search_on_a_local_dask_cluster(synthetic_root, tmp_path):
    distributed = pytest.importorskip("distributed")
    import joblib

    data = load_hpa(synthetic_root, "train")
    pipe = Pipeline(
        [
            ("load", ImageLoader(synthetic_root / "train", lazy=True)),
            (
                "net",
                HPAClassifier(
                    SeedCNN,
                    max_epochs=1,
                    train_split=None,
                    device="cpu",
                    random_state=0,
                    checkpoint_dir=tmp_path / "ckpt",
                ),
            ),
        ]
    )
    grid = {"net__lr": [1e-3, 3e-3], "net__batch_size": [8, 16]}
    cv = MultilabelStratifiedKFold(2, shuffle=True, random_state=0)
    kw = dict(scoring="f1_macro", cv=cv, refit=False, error_score="raise")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with joblib.parallel_backend("dask"):
            search = GridSearchCV(pipe, grid, n_jobs=-1, **kw).fit(np.array(data.ids), data.target)
        workers = {w for w in client.run(lambda: 1)}
    assert len(workers) == 2
    local = GridSearchCV(pipe, grid, n_jobs=1, **kw).fit(np.array(data.ids), data.target)
    # the same fits as in one process (float sums may differ with the thread count)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"], atol=0.05
    )
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert list((tmp_path / "ckpt").iterdir()) == []  # every fit removed its own checkpoint


@pytest.mark.slow
def test_accelerate_data_parallel_two_processes(tmp_path):
    pytest.importorskip("accelerate")
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent))
    if torchrun is None:
        pytest.skip("torchrun not found")
    out = tmp_path / "ddp.json"
    cmd = [
        torchrun,
        "--nproc_per_node",
        "2",
        "--standalone",  # a free port on localhost, not a fixed one another run may hold
        str(ROOT / "benchmarks" / "ddp_train.py"),
        "--out",
        str(out),
        "--samples",
        "128",
        "--epochs",
        "2",
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"torchrun exited {run.returncode}:\n{run.stderr[-3000:]}"
    rec = json.loads(out.read_text())
    assert rec["processes"] == 2
    assert rec["train_batches_per_process"] == [2, 2]  # 4 batches of 32, sharded
    assert len(set(rec["weight_digests"])) == 1  # DDP kept the replicas identical
    assert rec["train_loss"][1] < rec["train_loss"][0]
    assert rec["proba_shape"] == [8, 28]
