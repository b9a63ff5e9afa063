import os
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"

# Keep torch and BLAS to what CI has (2 cores) and make thread-related
# nondeterminism less likely in tests.
os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(scope="session")
def data_dir():
    return DATA


@pytest.fixture(scope="session")
def real_labels():
    """Ids and targets of the real HPA 2018 rows shipped in tests/data."""
    import csv

    with open(DATA / "hpa_samples" / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["Id"] for r in rows], [r["Target"] for r in rows]


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory):
    """A small synthetic dataset in Kaggle layout, written once per session."""
    from skhpa.datasets import write_hpa_like

    root = tmp_path_factory.mktemp("synthetic") / "hpa"
    return write_hpa_like(root, 24, 8, image_size=32, label_distribution="flat", random_state=0)
