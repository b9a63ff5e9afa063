"""
Saving a model and loading it on a CPU
======================================

joblib round-trips a fitted HPAClassifier; a model trained on CUDA loads on a machine without
one (it is mapped to the CPU). :func:`skhpa.move_to_device` moves a fitted model between
devices on the same machine. Loading joblib files runs code: load only files you trust.
"""

import os
import tempfile

import joblib
import matplotlib.pyplot as plt
import numpy as np

from skhpa import HPAClassifier, move_to_device
from skhpa.datasets import make_hpa_like
from skhpa.nn import SeedCNN
from skhpa.persistence import dump_joblib
from skhpa.plotting import TrainingCurveDisplay

X, Y = make_hpa_like(200, image_size=32, label_distribution="flat", random_state=0)
clf = HPAClassifier(SeedCNN, max_epochs=4, random_state=0).fit(X, Y)  # device="auto"
path = dump_joblib(clf, os.path.join(tempfile.mkdtemp(), "model.joblib"))
back = move_to_device(joblib.load(path), "cpu")
print(
    "identical predictions after reload:",
    np.array_equal(back.predict_proba(X), clf.predict_proba(X)),
)
# the reloaded model keeps its history: losses and validation macro-F1 per epoch
TrainingCurveDisplay.from_estimator(back)
plt.show()
