"""
Train on the real Kaggle data on a GPU (not executed by the docs build)
=======================================================================

Download the HPA 2018 Kaggle data into ``DATA`` (``train.csv``, ``train/``,
``sample_submission.csv``, ``test/``). This trains a 4-channel resnet34 at 512 px with focal +
soft-F1 loss, grouped multilabel-stratified validation, per-class thresholds and D4 TTA, and
writes a submission.
"""

import sys

from sklearn.pipeline import Pipeline

from skhpa.datasets import load_hpa, write_submission
from skhpa.losses import CombinedLoss
from skhpa.model_selection import duplicate_groups
from skhpa.neural_net import HPAClassifier
from skhpa.persistence import save_model
from skhpa.preprocessing import ImageLoader
from skhpa.recipes import fit_with_thresholds

DATA = sys.argv[1] if len(sys.argv) > 1 else "hpa-data"
train, test = load_hpa(DATA), load_hpa(DATA, "test")
pipe = Pipeline(
    [
        ("load", ImageLoader(image_size=512, cache=f"{DATA}/.skhpa_cache", lazy=True)),
        (
            "net",
            HPAClassifier(
                "resnet34",
                criterion=CombinedLoss,
                max_epochs=25,
                batch_size=32,
                lr=3e-4,
                tta="d4",
                num_workers="auto",
                device="cuda",
                verbose=1,
            ),
        ),
    ]
)
# copies of one field share a group, so the held-out part never holds a copy of a training field
thumbnails = ImageLoader(image_size=64, cache=f"{DATA}/.skhpa_cache", lazy=True)
groups = duplicate_groups(thumbnails.transform(train.stems), n_jobs=-1)
model = fit_with_thresholds(pipe, train.stems, train.target, groups=groups)
save_model(model, "hpa_resnet34.skhpa")  # no optimizer state; loads without unpickling
write_submission(test.ids, model.predict(test.stems), "submission.csv")
