"""
The synthetic HPA-like data: one sample per class
==================================================

:func:`skhpa.datasets.make_hpa_like` draws label sets from the real HPA 2018 distribution and
paints each class's pattern into the green channel, relative to the reference channels (red
microtubules, blue nuclei, yellow ER). Here we render one single-label field per class.
"""

import matplotlib.pyplot as plt
import numpy as np

from skhpa.datasets import CLASS_NAMES, make_hpa_like
from skhpa.plotting import MontageDisplay

# Draw a flattened label distribution and keep the first image of each class that has it
# as its only label.
X, Y = make_hpa_like(3000, image_size=96, label_distribution="flat", random_state=0)
single = Y.sum(1) == 1
picked = [np.flatnonzero(single & (Y[:, k] == 1))[:1] for k in range(28)]
rows = [p[0] if len(p) else np.flatnonzero(Y[:, k])[0] for k, p in enumerate(picked)]
MontageDisplay.from_predictions(
    X[rows],
    titles=[f"{k} {CLASS_NAMES[k]}" for k in range(28)],
    title="make_hpa_like: one field per class (96 px, flat label distribution)",
    n_cols=7,
)
plt.show()
