"""Learnability with a quick, network-free model: do the 4 channels beat green only?

The learnability protocol of ``bench_synthetic_quality`` (2,400 train / 1,200 test at 48 px,
real HPA 2018 label distribution, per-class thresholds tuned on a held-out 20 % of the
training set), with :func:`skhpa.recipes.features_recipe` (LocalizationFeatures +
standardization + one-vs-rest logistic regression, C=0.1) instead of a CNN:

- ``4 channels``: the protein's own statistics and its overlap with red, blue and yellow;
- ``green only``: ChannelSelector(green) and the protein's own statistics (the same columns
  minus the overlap ones).

Per-class F1 for the data seed shared with the CNN table (0), and macro-F1 for data seeds
0, 1 and 2.
"""

import time
import warnings

import numpy as np
from _common import save
from bench_synthetic_quality import N_TEST, N_TRAIN, SIZE, fit_tuned
from sklearn.metrics import f1_score

from skhpa.datasets import CLASS_NAMES, make_hpa_like
from skhpa.recipes import features_recipe

SEEDS = (0, 1, 2)


def main():
    warnings.filterwarnings("ignore")
    rows, macro = [], {}
    for seed in SEEDS:
        X, Y = make_hpa_like(N_TRAIN + N_TEST, image_size=SIZE, random_state=seed)
        Yte = Y[N_TRAIN:]
        per_class = {}
        for name, four in (("4ch", True), ("green", False)):
            t = time.perf_counter()
            _, opt = fit_tuned(
                features_recipe(head="logistic", green_only=not four, C=0.1, max_iter=2000),
                X[:N_TRAIN],
                Y[:N_TRAIN],
            )
            f = f1_score(Yte, opt.predict(X[N_TRAIN:]), average=None, zero_division=0)
            per_class[name] = f
            macro[(seed, name)] = (float(f.mean()), time.perf_counter() - t)
        if seed == 0:
            prev = Yte.mean(0)
            rows += [
                {
                    "class": f"{k} {CLASS_NAMES[k]}",
                    "test_positives": int(Yte[:, k].sum()),
                    "chance_f1": float(prev[k]),
                    "f1_4ch": float(per_class["4ch"][k]),
                    "f1_green": float(per_class["green"][k]),
                }
                for k in range(28)
            ]
    for seed in SEEDS:
        rows.append(
            {
                "class": f"macro (all 28), data seed {seed}",
                "f1_4ch": macro[(seed, "4ch")][0],
                "f1_green": macro[(seed, "green")][0],
                "fit_and_tune_s_4ch": macro[(seed, "4ch")][1],
            }
        )
    m4 = np.array([macro[(s, "4ch")][0] for s in SEEDS])
    mg = np.array([macro[(s, "green")][0] for s in SEEDS])
    rows.append(
        {
            "class": f"macro mean +- sd over {len(SEEDS)} seeds",
            "f1_4ch": f"{m4.mean():.3f} +- {m4.std(ddof=1):.3f}",
            "f1_green": f"{mg.mean():.3f} +- {mg.std(ddof=1):.3f}",
            "target_met": bool((m4 > mg).all()),
        }
    )
    return save(
        "learnability_features",
        rows,
        f"LocalizationFeatures + logistic regression, {N_TRAIN} train / {N_TEST} test, {SIZE} px",
    )


if __name__ == "__main__":
    main()
