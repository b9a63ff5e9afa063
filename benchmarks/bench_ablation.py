"""The quality benchmark: an ablation from the seed recipe to the full skhpa recipe.

Fixed spec (synthetic HPA-like data with the real HPA 2018 label distribution, 64 px):
4,000 training images (3,200 to fit the network, a multilabel-stratified 800 to tune the
thresholds) and 2,000 test images, for each of 3 seeds (the seed draws the dataset, the
split and the network's initialisation). Seven steps, each adding one thing:

1. seed recipe: green only, SeedCNN, BCE, no augmentation, threshold 0.5;
2. + ThresholdOptimizer (per-class thresholds on the 800 held-out images);
3. + all 4 channels;
4. + timm backbone (resnet18, random init) trained the skhpa way (on-device flips/shifts,
   cosine schedule);
5. + focal + soft-F1 loss (CombinedLoss);
6. + class-balanced batches;
7. + D4 test-time augmentation (mean of 8 views).

The "full recipe" row is the recipe as :func:`skhpa.recipes.skhpa_recipe` and
:func:`~skhpa.recipes.fit_with_thresholds` build it: step 7 with at least one label per image.
Two reference rows, not steps of the recipe, fit no network at all: LocalizationFeatures +
logistic regression on 4 channels and on green only, thresholds tuned the same way.
Steps 1-2, 6-7 and the full-recipe row share a trained network, so five networks train per seed.

Every finished network's scores are appended to ``results/ablation_runs.json`` at once, so an
interrupted run resumes where it stopped (``python benchmarks/run_all.py ablation``). Takes
about an hour on 2 CPU cores.
"""

import json
import os
import time
import warnings

import numpy as np
from _common import RESULTS, save
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import f1_score

from skhpa import HPAClassifier, ThresholdOptimizer
from skhpa.datasets import make_hpa_like
from skhpa.losses import CombinedLoss
from skhpa.model_selection import multilabel_train_test_split
from skhpa.recipes import features_recipe, seed_recipe

SIZE, N_POOL, N_TEST = 64, 4000, 2000
SEEDS = (0, 1, 2)
CNN_EPOCHS, TIMM_EPOCHS = 10, 8
RUNS = RESULTS / "ablation_runs.json"

STEPS = [
    "1 seed recipe (green, SeedCNN, BCE, 0.5)",
    "2 + ThresholdOptimizer",
    "3 + all 4 channels",
    "4 + timm resnet18 (augmented, cosine)",
    "5 + focal + soft-F1 loss",
    "6 + balanced batches",
    "7 + D4 TTA",
    "full recipe (7 + at least one label)",
    "ref: no network, LocalizationFeatures + logistic regression, 4 channels",
    "ref: no network, LocalizationFeatures + logistic regression, green only",
]


def timm_net(seed, **kw):
    return HPAClassifier(
        "resnet18",
        max_epochs=TIMM_EPOCHS,
        batch_size=64,
        lr=2e-3,
        train_split=None,
        device="cpu",
        random_state=seed,
        **kw,
    )


def seed_cnn_4ch(seed):
    # the seed recipe's network and training, on all 4 channels
    return seed_recipe(max_epochs=CNN_EPOCHS, device="cpu", random_state=seed).named_steps["net"]


# network name -> (factory, [(step, tta, min_labels, tuned)])
NETWORKS = {
    "green_seedcnn": (
        lambda s: seed_recipe(max_epochs=CNN_EPOCHS, device="cpu", random_state=s),
        [(0, None, 0, False), (1, None, 0, True)],
    ),
    "seedcnn_4ch": (seed_cnn_4ch, [(2, None, 0, True)]),
    "resnet18_bce": (lambda s: timm_net(s), [(3, None, 0, True)]),
    "resnet18_focal_f1": (lambda s: timm_net(s, criterion=CombinedLoss), [(4, None, 0, True)]),
    "resnet18_focal_f1_balanced": (
        lambda s: timm_net(s, criterion=CombinedLoss, balanced_sampling=True),
        [(5, None, 0, True), (6, "d4", 0, True), (7, "d4", 1, True)],
    ),
    "features_4ch": (lambda s: features_recipe(), [(8, None, 0, True)]),
    "features_green": (lambda s: features_recipe(green_only=True), [(9, None, 0, True)]),
}


def dataset(seed):
    X, Y = make_hpa_like(N_POOL + N_TEST, image_size=SIZE, random_state=1000 + seed)
    idx = np.arange(N_POOL)
    fit, valid = multilabel_train_test_split(idx, test_size=0.2, random_state=seed, stratify=Y[idx])
    return X[fit], Y[fit], X[valid], Y[valid], X[N_POOL:], Y[N_POOL:]


def _net_of(model):
    return model.steps[-1][1] if hasattr(model, "steps") else model


def evaluate(model, steps, Xva, Yva, Xte, Yte):
    out = {}
    for step, tta, min_labels, tuned in steps:
        t = time.perf_counter()
        net = _net_of(model)
        if "tta" in net.get_params(deep=False):
            net.set_params(tta=tta)
        if tuned:
            opt = ThresholdOptimizer(FrozenEstimator(model), min_labels=min_labels)
            P = opt.fit(Xva, Yva).predict(Xte)
        else:
            P = model.predict(Xte)
        out[str(step)] = {
            "macro_f1": float(f1_score(Yte, P, average="macro", zero_division=0)),
            "label_accuracy": float((P == Yte).mean()),
            "labels_per_image": float(P.sum(1).mean()),
        }
        out[str(step)]["tuning_and_predict_s"] = time.perf_counter() - t
    return out


def _load_runs():
    return json.loads(RUNS.read_text()) if RUNS.exists() else {}


def _save_runs(runs):
    RESULTS.mkdir(exist_ok=True)
    tmp = RUNS.with_suffix(".tmp")
    tmp.write_text(json.dumps(runs, indent=1))
    os.replace(tmp, RUNS)


def run(seeds=SEEDS):
    warnings.filterwarnings("ignore")
    runs = _load_runs()
    for seed in seeds:
        todo = [n for n in NETWORKS if f"{seed}/{n}" not in runs]
        if not todo:
            continue
        Xfit, Yfit, Xva, Yva, Xte, Yte = dataset(seed)
        for name in todo:
            factory, steps = NETWORKS[name]
            model = factory(seed)
            t = time.perf_counter()
            model.fit(Xfit, Yfit)
            fit_s = time.perf_counter() - t
            scores = evaluate(model, steps, Xva, Yva, Xte, Yte)
            runs[f"{seed}/{name}"] = {"fit_s": fit_s, "steps": scores}
            _save_runs(runs)
            print(f"seed {seed} {name}: fit {fit_s:.0f} s", scores, flush=True)
    return runs


def table(runs):
    per_step = {}
    fit_time = {}
    for key, rec in runs.items():
        seed, name = key.split("/")
        for step, sc in rec["steps"].items():
            per_step.setdefault(int(step), []).append(sc)
            fit_time.setdefault(int(step), []).append(rec["fit_s"])
    base = np.mean([s["macro_f1"] for s in per_step.get(0, [{"macro_f1": np.nan}])])
    rows = []
    for step in sorted(per_step):
        f1 = np.array([s["macro_f1"] for s in per_step[step]])
        acc = np.array([s["label_accuracy"] for s in per_step[step]])
        rows.append(
            {
                "step": STEPS[step],
                "seeds": len(f1),
                "macro_f1": float(f1.mean()),
                "macro_f1_std": float(f1.std(ddof=1)) if len(f1) > 1 else float("nan"),
                "per_seed": " / ".join(f"{v:.3f}" for v in f1),
                "vs_seed_recipe": float(f1.mean() / base),
                "label_accuracy": float(acc.mean()),
                "labels_per_image": float(np.mean([s["labels_per_image"] for s in per_step[step]])),
                "fit_min": float(np.mean(fit_time[step]) / 60),
            }
        )
    return rows


def main():
    runs = run()
    return save(
        "ablation",
        table(runs),
        f"{N_POOL} train ({N_POOL * 4 // 5} fit + {N_POOL // 5} thresholds) / {N_TEST} test at "
        f"{SIZE} px, real HPA 2018 label distribution, seeds {', '.join(map(str, SEEDS))}; "
        f"SeedCNN {CNN_EPOCHS} epochs, resnet18 {TIMM_EPOCHS} epochs; mean, std and per-seed "
        "macro-F1 over all 28 classes",
    )


if __name__ == "__main__":
    main()
