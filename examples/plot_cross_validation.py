"""
Stratified and grouped cross-validation on the real HPA labels
==============================================================

Iterative stratification keeps every label's frequency in every fold; the grouped variant
also keeps each group (antibody, plate, near-duplicate cluster) in one fold.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import KFold

from skhpa.datasets import hpa_label_matrix
from skhpa.model_selection import (
    MultilabelStratifiedGroupKFold,
    MultilabelStratifiedKFold,
    stratification_scores,
)

Y = hpa_label_matrix(random_state=0)
X = np.zeros(len(Y))
groups = np.random.RandomState(0).randint(0, 4000, len(Y))  # e.g. antibody ids
splitters = {
    "KFold(shuffle)": (KFold(5, shuffle=True, random_state=0), None),
    "MultilabelStratifiedKFold": (MultilabelStratifiedKFold(5, shuffle=True, random_state=0), None),
    "MultilabelStratifiedGroupKFold": (
        MultilabelStratifiedGroupKFold(5, shuffle=True, random_state=0),
        groups,
    ),
}
devs = {}
for name, (cv, g) in splitters.items():
    splits = list(cv.split(X, Y, g))
    scores = stratification_scores(Y, splits)
    devs[name] = scores["label_freq_dev"]
    print(f"{name:32s} label-frequency deviation {scores['label_freq_dev']:.2e}")
plt.barh(list(devs), list(devs.values()))
plt.xscale("log")
plt.xlabel("mean |fold frequency - overall frequency| per label")
plt.tight_layout()
plt.show()
