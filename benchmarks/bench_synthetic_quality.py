"""Quality on the synthetic HPA-like data: learnability, threshold gain, resampling.

One fixed dataset (real HPA 2018 label distribution, 2,400 train + 1,200 test at 48 px,
seed 0) and fixed seeds; three tables:

- learnability: per-class test F1 of SeedCNN on all 4 channels vs green only (per-class
  thresholds tuned on a held-out part of the training set), next to each class's
  prevalence (the F1 of random guessing at the prior rate);
- threshold_gain: macro-F1 at a 0.5 threshold vs ThresholdOptimizer for a quick linear
  model (logistic regression on 8x8-downsampled pixels) and for HPAClassifier (SeedCNN);
- resampling_quality: macro-F1 without resampling, with MLROS, MLRUS and a label-powerset
  RandomOverSampler (linear model), and with MLROS vs balanced batch sampling inside
  HPAClassifier (SeedCNN). Thresholds are tuned the same way in every row.
"""

import warnings

import numpy as np
from _common import save
from imblearn.over_sampling import RandomOverSampler
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skhpa import HPAClassifier, ThresholdOptimizer
from skhpa.datasets import CLASS_NAMES, make_hpa_like
from skhpa.model_selection import multilabel_train_test_split
from skhpa.nn import SeedCNN
from skhpa.preprocessing import ChannelSelector
from skhpa.resampling import MLROS, MLRUS, LabelPowersetSampler

SIZE, N_TRAIN, N_TEST, EPOCHS = 48, 2400, 1200, 8


def downsample(X):
    n, c, h, w = X.shape
    return X.reshape(n, c, 8, h // 8, 8, w // 8).mean(axis=(3, 5)).reshape(n, -1)


def linear():
    return make_pipeline(
        FunctionTransformer(downsample),
        StandardScaler(),
        OneVsRestClassifier(LogisticRegression(C=0.05, max_iter=500)),
    )


def cnn(**kw):
    """SeedCNN as every table here trains it; ``kw`` adds or overrides parameters."""
    params = dict(
        max_epochs=EPOCHS,
        batch_size=64,
        lr=2e-3,
        train_split=None,
        device="cpu",
        random_state=0,
    )
    return HPAClassifier(SeedCNN, **{**params, **kw})


def fit_tuned(est, X, Y, sampler=None):
    """Fit on 80 %, thresholds on the other 20 % (held out, multilabel-stratified)."""
    idx = np.arange(len(Y))
    tr, va = multilabel_train_test_split(idx, test_size=0.2, random_state=0, stratify=Y)
    Xtr, Ytr = X[tr], Y[tr]
    if sampler is not None:
        Xtr, Ytr = sampler.fit_resample(Xtr, Ytr)
    est.fit(Xtr, Ytr)
    opt = ThresholdOptimizer(FrozenEstimator(est)).fit(X[va], Y[va])
    return est, opt


def macro(Y, P):
    return float(f1_score(Y, P, average="macro", zero_division=0))


def main():
    warnings.filterwarnings("ignore")
    X, Y = make_hpa_like(N_TRAIN + N_TEST, image_size=SIZE, random_state=0)
    Xtr, Ytr, Xte, Yte = X[:N_TRAIN], Y[:N_TRAIN], X[N_TRAIN:], Y[N_TRAIN:]
    present = Yte.sum(0) > 0

    # learnability and the CNN's threshold gain
    net4, opt4 = fit_tuned(cnn(), Xtr, Ytr)
    green = make_pipeline(ChannelSelector(("green",)), cnn())
    netg, optg = fit_tuned(green, Xtr, Ytr)
    f4 = f1_score(Yte, opt4.predict(Xte), average=None, zero_division=0)
    fg = f1_score(Yte, optg.predict(Xte), average=None, zero_division=0)
    prev = Yte.mean(0)
    rows = [
        {
            "class": f"{k} {CLASS_NAMES[k]}",
            "test_positives": int(Yte[:, k].sum()),
            "chance_f1": float(prev[k]),
            "f1_4ch": float(f4[k]),
            "f1_green": float(fg[k]),
        }
        for k in range(28)
    ]
    rows.append(
        {
            "class": "macro (all 28)",
            "f1_4ch": float(f4.mean()),
            "f1_green": float(fg.mean()),
            "chance_f1": float(prev.mean()),
        }
    )
    rows.append(
        {
            "class": f"macro ({present.sum()} classes present in test)",
            "f1_4ch": float(f4[present].mean()),
            "f1_green": float(fg[present].mean()),
        }
    )
    save(
        "learnability", rows, f"SeedCNN {EPOCHS} epochs, {N_TRAIN} train / {N_TEST} test, {SIZE} px"
    )

    lin, lin_opt = fit_tuned(linear(), Xtr, Ytr)
    gain = [
        {
            "model": "logistic regression (8x8 pixels)",
            "macro_f1_at_0.5": macro(Yte, lin.predict(Xte)),
            "macro_f1_tuned": macro(Yte, lin_opt.predict(Xte)),
        },
        {
            "model": "HPAClassifier SeedCNN, 4 channels",
            "macro_f1_at_0.5": macro(Yte, net4.predict(Xte)),
            "macro_f1_tuned": macro(Yte, opt4.predict(Xte)),
        },
        {
            "model": "HPAClassifier SeedCNN, green only",
            "macro_f1_at_0.5": macro(Yte, netg.predict(Xte)),
            "macro_f1_tuned": macro(Yte, optg.predict(Xte)),
        },
    ]
    for g in gain:
        g["gain"] = g["macro_f1_tuned"] - g["macro_f1_at_0.5"]
    save("threshold_gain", gain, "same data; thresholds per class on a 20 % held-out part")

    res = [{"model": "linear", "resampling": "none", "macro_f1": macro(Yte, lin_opt.predict(Xte))}]
    for name, sampler in (
        ("MLROS(0.25)", MLROS(sampling_ratio=0.25, random_state=0)),
        ("MLRUS(0.25)", MLRUS(sampling_ratio=0.25, random_state=0)),
        (
            "LabelPowerset(RandomOverSampler)",
            LabelPowersetSampler(RandomOverSampler(random_state=0)),
        ),
    ):
        _, opt = fit_tuned(linear(), Xtr, Ytr, sampler=sampler)
        res.append(
            {"model": "linear", "resampling": name, "macro_f1": macro(Yte, opt.predict(Xte))}
        )
    res.append(
        {"model": "SeedCNN", "resampling": "none", "macro_f1": macro(Yte, opt4.predict(Xte))}
    )
    _, opt = fit_tuned(cnn(), Xtr, Ytr, sampler=MLROS(sampling_ratio=0.25, random_state=0))
    res.append(
        {"model": "SeedCNN", "resampling": "MLROS(0.25)", "macro_f1": macro(Yte, opt.predict(Xte))}
    )
    _, opt = fit_tuned(cnn(balanced_sampling=True), Xtr, Ytr)
    res.append(
        {
            "model": "SeedCNN",
            "resampling": "balanced batches",
            "macro_f1": macro(Yte, opt.predict(Xte)),
        }
    )
    return save("resampling_quality", res, "same data, seeds and threshold tuning in every row")


if __name__ == "__main__":
    main()
