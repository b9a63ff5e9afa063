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

_, Y_ros = MLROS(sampling_ratio=0.1, random_state=0).fit_resample(ids, Y)
plt.figure(figsize=(9, 3))
plt.semilogy(Y.sum(0), "o-", label="input")
plt.semilogy(Y_ros.sum(0), "s-", label="MLROS(0.1)")
plt.xticks(range(28), CLASS_NAMES, rotation=90, fontsize=6)
plt.ylabel("images with the class")
plt.legend()
plt.tight_layout()

# In a pipeline (with an ImageLoader and an HPAClassifier after it, as in the user guide):
pipe = Pipeline([("resample", MLROS(random_state=0))])
print("sampler steps are skipped at predict time:", not hasattr(MLROS(), "transform"))
plt.show()
