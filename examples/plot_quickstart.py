"""
Quickstart: Ids in, per-class thresholds out
============================================

The user-facing data are path stems (``load_hpa(...).stems``: ``{folder}/{Id}``) and a label
matrix; :class:`~skhpa.preprocessing.ImageLoader` reads pixels only when the network needs
them, so a model fitted on the training folder predicts the test folder as it is, and
:class:`~skhpa.ThresholdOptimizer` learns one threshold per class from out-of-fold
predictions. The figures: per-class F1 on the test images
(:class:`~skhpa.plotting.PerClassF1Display`), the network's training curves
(:class:`~skhpa.plotting.TrainingCurveDisplay`) and some test images with their true and
predicted labels (:class:`~skhpa.plotting.MontageDisplay`).
"""

import tempfile

import matplotlib.pyplot as plt
from sklearn.pipeline import Pipeline

from skhpa import HPAClassifier, ThresholdOptimizer
from skhpa.datasets import load_hpa, read_labels_csv, write_hpa_like
from skhpa.metrics import per_class_report
from skhpa.nn import SeedCNN
from skhpa.plotting import MontageDisplay, PerClassF1Display, TrainingCurveDisplay
from skhpa.preprocessing import ImageLoader

root = write_hpa_like(
    tempfile.mkdtemp() + "/hpa",
    n_train=400,
    n_test=150,
    image_size=48,
    label_distribution="flat",
    random_state=0,
)
train, test = load_hpa(root), load_hpa(root, "test")
_, Y_test = read_labels_csv(root / "test_labels.csv")

net = HPAClassifier(SeedCNN, max_epochs=6, batch_size=32, random_state=0, device="cpu")
pipe = Pipeline([("load", ImageLoader()), ("net", net)])
model = ThresholdOptimizer(pipe, cv=3, min_labels=1, random_state=0).fit(train.stems, train.target)

# The test images live in another folder: the stems say where.
half = pipe.fit(train.stems, train.target)
print(per_class_report(Y_test, model.predict(test.stems))[-160:])
PerClassF1Display.from_predictions(
    Y_test, {"threshold 0.5": half.predict(test.stems), "tuned": model.predict(test.stems)}
)

# %%
# The network inside the optimizer held out 20 % of its training images to watch each epoch;
# early stopping restores the epoch with the best validation macro-F1 (each class at its best
# threshold), marked here.
TrainingCurveDisplay.from_estimator(model)

# %%
# The first test images. The model predicts from the Ids; the montage needs the pixels.
pixels = ImageLoader().fit(train.stems).transform(test.stems[:12])
MontageDisplay.from_estimator(
    model, test.stems, Y_test, images=pixels, title="SeedCNN + per-class thresholds"
)
plt.show()
