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

from skhpa import HPAClassifier, load_model, save_model
from skhpa.datasets import load_hpa, make_hpa_like
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
        "--save",
        str(tmp_path / "ddp.skhpa"),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"torchrun exited {run.returncode}:\n{run.stderr[-3000:]}"
    rec = json.loads(out.read_text())
    assert rec["processes"] == 2
    assert rec["train_batches_per_process"] == [2, 2]  # 4 batches of 32, sharded
    assert len(set(rec["weight_digests"])) == 1  # DDP kept the replicas identical
    assert rec["train_loss"][1] < rec["train_loss"][0]
    assert rec["proba_shape"] == [8, 28]
    # the main process saved the model; it loads as a plain HPAClassifier that predicts alike
    model = load_model(tmp_path / "ddp.skhpa")
    assert type(model) is HPAClassifier
    X, _ = make_hpa_like(128, image_size=32, random_state=0)
    np.testing.assert_allclose(model.predict_proba(X[:8]), rec["saved_proba"], atol=1e-5)


def test_an_accelerated_network_saves_as_an_hpa_classifier(tmp_path):
    pytest.importorskip("accelerate")
    from accelerate import Accelerator

    from skhpa.neural_net import AcceleratedHPAClassifier

    X, Y = make_hpa_like(32, image_size=32, label_distribution="flat", random_state=0)
    net = AcceleratedHPAClassifier(
        SeedCNN, accelerator=Accelerator(cpu=True), max_epochs=1, train_split=None, random_state=0
    )
    save_model(net, tmp_path / "unfitted.skhpa")  # the accelerator is not stored
    assert "accelerator" not in load_model(tmp_path / "unfitted.skhpa").get_params()
    net.fit(X, Y)
    save_model(net, tmp_path / "net.skhpa")
    model = load_model(tmp_path / "net.skhpa")
    assert type(model) is HPAClassifier
    assert model.get_params()["max_epochs"] == 1 and model.get_params()["device"] == "auto"
    np.testing.assert_array_equal(model.predict_proba(X), net.predict_proba(X))

    kept = AcceleratedHPAClassifier(
        SeedCNN,
        accelerator=Accelerator(cpu=True),
        max_epochs=1,
        train_split=None,
        unwrap_after_train=False,
    ).fit(X, Y)
    with pytest.raises(TypeError, match="unwrap_after_train=True"):
        save_model(kept, tmp_path / "kept.skhpa")
    assert not (tmp_path / "kept.skhpa").exists()

    class Calibrated(AcceleratedHPAClassifier):  # predicts otherwise: not an HPAClassifier
        pass

    with pytest.raises(TypeError, match="Calibrated object, which save_model cannot store"):
        save_model(Calibrated(SeedCNN, accelerator=Accelerator(cpu=True)), tmp_path / "c.skhpa")
