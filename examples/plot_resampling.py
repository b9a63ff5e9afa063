"""
Multilabel resampling in an imbalanced-learn pipeline
=====================================================

:class:`~skhpa.resampling.MLROS` clones samples of minority labels (by index: Ids are
duplicated, no pixels copied). In ``imblearn.pipeline.Pipeline`` it runs during ``fit`` only.
"""

import matplotlib.pyplot as plt
import numpy as np
from imblearn.pipeline import Pipeline

from skhpa.datasets import CLASS_NAMES, hpa_label_matrix
from skhpa.resampling import MLROS, MLRUS, imbalance_report

Y = hpa_label_matrix(random_state=0)
ids = np.arange(len(Y))
for sampler in (
    MLROS(sampling_ratio=0.1, random_state=0),
    MLRUS(sampling_ratio=0.1, random_state=0),
):
    _, Y_res = sampler.fit_resample(ids, Y)
    r = imbalance_report(Y_res)
    name = type(sampler).__name__
    print(f"{name}: {len(Y_res)} samples, MeanIR {r['MeanIR']:.1f}, MaxIR {r['MaxIR']:.0f}")
print(f"input: {len(Y)} samples, MeanIR {imbalance_report(Y)['MeanIR']:.1f}")
# MLRUS removes a tenth of the images, only ones whose labels are all majority labels (an
# image with a rare label is kept): the rarest class keeps its 11 images while Nucleoplasm
# loses a fraction of its 12,885, so the imbalance ratios barely move. At HPA's 1,000:1,
# undersampling cannot balance the labels without discarding most of the data; oversampling
# (MLROS) does move them.

_, Y_ros = MLROS(sampling_ratio=0.1, random_state=0).fit_resample(ids, Y)
plt.figure(figsize=(9, 3))
plt.semilogy(Y.sum(0), "o-", label="input")
plt.semilogy(Y_ros.sum(0), "s-", label="MLROS(0.1)")
plt.xticks(range(28), CLASS_NAMES, rotation=90, fontsize=6)
plt.ylabel("images with the class")
plt.legend()
plt.tight_layout()

# %%
# In an imbalanced-learn pipeline the sampler resamples at ``fit`` only: the classifier after
# it learns from the resampled rows, and ``predict`` returns one row per input sample. (A
# nearest-neighbour classifier on random numbers stands in for the ImageLoader and network
# of the user guide; it records how many rows it was fitted on.)
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402

X = np.random.default_rng(0).normal(size=(len(Y), 4))
pipe = Pipeline(
    [("resample", MLROS(sampling_ratio=0.1, random_state=0)), ("clf", KNeighborsClassifier())]
)
pipe.fit(X[:3000], Y[:3000])
print(f"fit on 3000 samples: the classifier learned from {pipe['clf'].n_samples_fit_} rows")
print(f"predict on 500 samples: {pipe.predict(X[3000:3500]).shape[0]} rows")
plt.show()
