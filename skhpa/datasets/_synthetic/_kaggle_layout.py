"""``write_hpa_like``: a synthetic dataset written in the Kaggle layout, atomically."""

import json
import os
import shutil
from pathlib import Path

import numpy as np

from ...utils import CHANNELS, N_CLASSES, make_temp
from .._kaggle import write_kaggle_csv
from ._generator import (
    GENERATOR_VERSION,
    check_size,
    label_set_table,
    one_sample,
    sample_seeds,
)


def _sample_id(seed):
    h = np.random.default_rng([int(seed[0]), int(seed[1]), 7]).bytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _write_split(directory, seeds, sets, p, image_size):
    from PIL import Image

    directory.mkdir(parents=True)
    ids, Y = [], []
    for seed in seeds:
        y, img = one_sample(seed, sets, p, image_size, CHANNELS)
        sample_id = _sample_id(seed)
        for c, plane in zip(CHANNELS, img):
            Image.fromarray(plane).save(directory / f"{sample_id}_{c}.png", compress_level=1)
        ids.append(sample_id)
        Y.append(y)
    return ids, np.array(Y, dtype=np.uint8).reshape(-1, N_CLASSES)


_MANIFEST = "skhpa_synthetic.json"


def _check_replaceable(root):
    """An existing ``root`` is a folder that holds neither the working directory nor a file."""
    if not root.is_dir():
        raise FileExistsError(f"{root} already exists and is not a folder")
    here, there = Path.cwd().resolve(), root.resolve()
    if here == there or there in here.parents:
        raise FileExistsError(
            f"{root} is the working folder or holds it ({here}); the dataset is written "
            "into a new folder: choose one that does not hold the working folder"
        )


def _intact(root, manifest):
    """The label files are there with one row per image (cheap: no image is opened)."""
    expected = {
        "train.csv": ("Id,Target", manifest["n_train"]),
        "test_labels.csv": ("Id,Target", manifest["n_test"]),
        "sample_submission.csv": ("Id,Predicted", manifest["n_test"]),
    }
    for name, (header, rows) in expected.items():
        try:
            lines = (root / name).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeError):
            return False
        if not lines or lines[0] != header or len(lines) != rows + 1:
            return False
    return all((root / part).is_dir() for part in ("train", "test"))


def _without_version(manifest):
    return {k: v for k, v in manifest.items() if k != "generator_version"}


def write_hpa_like(
    root,
    n_train,
    n_test,
    *,
    image_size=128,
    label_distribution="hpa2018",
    random_state=None,
    overwrite=False,
):
    """Write a synthetic HPA-like dataset in the Kaggle layout.

    Writes ``train.csv``, ``train/{Id}_{color}.png``, ``test/{Id}_{color}.png``,
    ``sample_submission.csv`` (as Kaggle ships it) and ``test_labels.csv`` (the
    true test labels, so test predictions can be scored). :func:`load_hpa`
    reads the result unchanged.

    The dataset is written into a temporary folder next to ``root`` and renamed
    at the end, so an interrupted call leaves no half-written dataset. A
    manifest (``skhpa_synthetic.json``) records the parameters: calling again
    with the same integer ``random_state`` and parameters reuses the existing
    folder instead of writing it again (and a folder this function wrote with the same
    parameters but an older ``GENERATOR_VERSION`` is written again).

    Parameters
    ----------
    root : str or path-like
        Destination folder (must not exist, or hold a dataset written with the
        same parameters, unless ``overwrite=True``).
    n_train, n_test : int
        Number of training and test images.
    image_size : int, default=128
    label_distribution : {"hpa2018", "hpav18", "flat"}, default="hpa2018"
    random_state : int, RandomState instance or None, default=None
    overwrite : bool, default=False
        Replace an existing folder that this function wrote (it holds
        ``skhpa_synthetic.json``). A folder it did not write is never deleted,
        nor one that holds the working folder.

    Returns
    -------
    root : pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> from skhpa.datasets import load_hpa, write_hpa_like
    >>> root = write_hpa_like(tempfile.mkdtemp() + "/hpa", 6, 2, image_size=32,
    ...                       random_state=0)
    >>> sorted(p.name for p in root.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['sample_submission.csv', 'skhpa_synthetic.json', 'test', 'test_labels.csv',
     'train', 'train.csv']
    """
    for name, v in (("n_train", n_train), ("n_test", n_test)):
        if not isinstance(v, (int, np.integer)) or v < (1 if name == "n_train" else 0):
            raise ValueError(f"{name} must be a non-negative int (n_train >= 1), got {v!r}")
    image_size = check_size(image_size)
    sets, p = label_set_table(label_distribution)
    root = Path(root)
    manifest = {
        "generator": "skhpa.datasets.write_hpa_like",
        "version": 1,
        "generator_version": GENERATOR_VERSION,
        "n_train": int(n_train),
        "n_test": int(n_test),
        "image_size": image_size,
        "label_distribution": label_distribution,
        "random_state": random_state if isinstance(random_state, int) else None,
    }
    stale = False  # this dataset, written by an older generator version: write it again
    if root.exists():
        _check_replaceable(root)
        try:
            existing = json.loads((root / _MANIFEST).read_text())
        except (OSError, ValueError):
            existing = None
        if not overwrite and manifest["random_state"] is not None:
            if existing == manifest and _intact(root, manifest):
                return root
            # the same dataset, written by an older generator or damaged since
            stale = isinstance(existing, dict) and _without_version(existing) == _without_version(
                manifest
            )
        if root.is_dir() and not any(root.iterdir()):
            root.rmdir()
        elif existing is None:  # never delete what this function did not write
            raise FileExistsError(
                f"{root} already exists and holds files that are not a dataset written by "
                f"write_hpa_like (no {_MANIFEST}); it is left as it is: choose another folder"
            )
        elif not (overwrite or stale):
            raise FileExistsError(
                f"{root} already exists and does not hold this dataset; pass overwrite=True "
                "to replace it"
            )
    seeds = sample_seeds(random_state, n_train + n_test)
    root.parent.mkdir(parents=True, exist_ok=True)
    _, tmp = make_temp(root.parent, f".{root.name}.", directory=True)  # not private: 0o777 - umask
    try:
        train_ids, Y_train = _write_split(tmp / "train", seeds[:n_train], sets, p, image_size)
        test_ids, Y_test = _write_split(tmp / "test", seeds[n_train:], sets, p, image_size)
        write_kaggle_csv(tmp / "train.csv", train_ids, Y_train, "Target")
        # Kaggle's sample submission predicts class 0 for every image
        Y_sample = np.zeros_like(Y_test)
        Y_sample[:, 0] = 1
        write_kaggle_csv(tmp / "sample_submission.csv", test_ids, Y_sample, "Predicted")
        write_kaggle_csv(tmp / "test_labels.csv", test_ids, Y_test, "Target")
        (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=1))
        if root.exists():
            shutil.rmtree(root)
        os.replace(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return root
