"""Same random_state, same results: folds, resamples, thresholds and CPU predictions."""

import numpy as np
from sklearn.pipeline import Pipeline

from skhpa import HPAClassifier, ThresholdOptimizer
from skhpa.datasets import make_hpa_like
from skhpa.model_selection import MultilabelStratifiedKFold
from skhpa.nn import SeedCNN
from skhpa.preprocessing import ChannelSelector
from skhpa.resampling import MLROS, MLSMOTE


def run(seed):
    X, Y = make_hpa_like(120, image_size=32, label_distribution="flat", random_state=seed)
    folds = [
        te for _, te in MultilabelStratifiedKFold(3, shuffle=True, random_state=seed).split(X, Y)
    ]
    ros = MLROS(sampling_ratio=0.3, random_state=seed).fit_resample(X.reshape(120, -1), Y)
    smote = MLSMOTE(random_state=seed).fit_resample(X.reshape(120, -1)[:, :64].astype(float), Y)
    model = ThresholdOptimizer(
        Pipeline(
            [
                ("sel", ChannelSelector(("green", "blue"))),
                ("net", HPAClassifier(SeedCNN, max_epochs=2, device="cpu", random_state=seed)),
            ]
        ),
        cv=MultilabelStratifiedKFold(2, shuffle=True, random_state=seed),
    ).fit(X, Y)
    return X, folds, ros, smote, model.thresholds_, model.predict_proba(X)


def test_same_seed_same_everything():
    a, b = run(0), run(0)
    np.testing.assert_array_equal(a[0], b[0])  # data
    for fa, fb in zip(a[1], b[1]):
        np.testing.assert_array_equal(fa, fb)  # folds
    for ra, rb in zip(a[2] + a[3], b[2] + b[3]):
        np.testing.assert_array_equal(ra, rb)  # resamples
    np.testing.assert_array_equal(a[4], b[4])  # thresholds
    np.testing.assert_array_equal(a[5], b[5])  # predictions, bit for bit


def test_other_seed_other_results():
    a, b = run(0), run(1)
    assert not np.array_equal(a[0], b[0])
    assert not np.array_equal(a[1][0], b[1][0])
    assert not np.array_equal(a[5], b[5])
