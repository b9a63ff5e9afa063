"""Fold ensemble vs one model refit on all images, as the training set grows.

Opt-in: ``python benchmarks/run_all.py fold_ensemble_scale`` (41 minutes on the 2 cores,
other jobs running). The threshold study (``threshold_generalization``) compares a K-fold
ensemble with one model refit on all images at one training-set size, where the ensemble
loses. Its members each see (K - 1) / K of the images; where the learning curve is steep,
that loss can outweigh what averaging K models gains. This benchmark measures the comparison
at two points of the learning curve: the same model
(:func:`~skhpa.recipes.features_recipe`'s network head on the localization features, the one
network cheap enough here to train on 10,800 images) at 3,600 and 10,800 training images, on
**held-out data seeds** (drawn from the date, as the ablation's held-out seeds).

Per size and seed, K = 5 multilabel-stratified folds; the refit model trains 60 epochs (the
recipe's default) on all images, with the out-of-fold thresholds of 5 fold models of 15
epochs (``refit=True``; that path costs 5 x 15 x 0.8 + 60 = 120 full-data epochs). The fold
ensembles (``refit=False``: the mean of the members' probabilities, thresholds from their
out-of-fold probabilities) have members of

- 15 epochs: 60 full-data epochs, **equal to the refit model's own training**;
- 30 epochs: 120 full-data epochs, **equal to the refit path's** (fold models included);
- 60 epochs: 240, members as long as the refit model (2x the refit path).

Thresholds: ``per_class`` with ``max_label_ratio=1.25`` (the recipes' default) and
``label_ratio``, ``min_labels=1``. Reported: test macro-F1 (2,000 test images), macro average
precision (threshold-free: how well the model ranks), labels per image, and one 60-epoch
member alone.
"""

import time
import warnings

import numpy as np
from _common import save
from bench_ablation import heldout_seeds
from bench_threshold_generalization import ENSEMBLE_STRATEGIES, _macro_ap, thresholds_for
from sklearn.metrics import f1_score

from skhpa.datasets import make_hpa_like
from skhpa.model_selection import MultilabelStratifiedKFold
from skhpa.recipes import features_recipe
from skhpa.thresholding import apply_thresholds

SIZE = 48
SIZES = (3600, 10800)
N_TEST = 2000
K = 5
FOLD_EPOCHS = 15  # the refit path's fold models (their out-of-fold thresholds)
REFIT_EPOCHS = (K - 1) * FOLD_EPOCHS  # 60: the recipe's default
MEMBER_EPOCHS = (FOLD_EPOCHS, 2 * FOLD_EPOCHS, REFIT_EPOCHS)


def _model(seed, epochs):
    return features_recipe(max_epochs=epochs, device="cpu", random_state=seed)


def _folds(X, Y, Xte, seed, epochs):
    oof, tests, fit_s = np.full(Y.shape, np.nan), [], 0.0
    for train, test in MultilabelStratifiedKFold(K, shuffle=True, random_state=seed).split(X, Y):
        model = _model(seed, epochs)
        t = time.perf_counter()
        model.fit(X[train], Y[train])
        fit_s += time.perf_counter() - t
        oof[test] = model.predict_proba(X[test])
        tests.append(model.predict_proba(Xte))
    return oof, np.stack(tests), fit_s


def run(n_train, seed):
    X, Y = make_hpa_like(n_train + N_TEST, image_size=SIZE, random_state=seed)
    X, Y, Xte, Yte = X[:n_train], Y[:n_train], X[n_train:], Y[n_train:]
    prior = Y.mean(0)
    folds = {e: _folds(X, Y, Xte, seed, e) for e in MEMBER_EPOCHS}
    refit = _model(seed, REFIT_EPOCHS)
    t = time.perf_counter()
    refit.fit(X, Y)
    refit_s = time.perf_counter() - t
    oof, _, folds_s = folds[FOLD_EPOCHS]
    models = {"refit": (oof, refit.predict_proba(Xte), folds_s + refit_s)}
    for e, (oof_e, members, fit_s) in folds.items():
        models[f"ensemble_{e}"] = (oof_e, members.mean(0), fit_s)
    oof_long, members_long, long_s = folds[REFIT_EPOCHS]
    models["member_long"] = (oof_long, members_long, long_s / K)
    out = {}
    for name, (P_tune, P_test, fit_s) in models.items():
        row = {"fit_s": fit_s}
        tests = P_test if P_test.ndim == 3 else P_test[None]
        row["macro_ap"] = float(np.mean([_macro_ap(Yte, P) for P in tests]))
        for strategy in ENSEMBLE_STRATEGIES:
            thr = thresholds_for(strategy, P_tune, Y, prior)
            preds = [apply_thresholds(P, thr, min_labels=1) for P in tests]
            row[f"f1_{strategy}"] = float(
                np.mean([f1_score(Yte, p, average="macro", zero_division=0) for p in preds])
            )
            row[f"labels_{strategy}"] = float(np.mean([p.sum(1).mean() for p in preds]))
        out[name] = row
    print(
        f"  n_train={n_train} seed={seed}: "
        + ", ".join(f"{k} {v['f1_capped_1.25']:.3f}" for k, v in out.items()),
        flush=True,
    )
    return out


LABELS = {
    "refit": f"one model refit on all, {REFIT_EPOCHS} epochs (+ {K} fold models for thresholds)",
    f"ensemble_{FOLD_EPOCHS}": f"{K}-fold ensemble, {FOLD_EPOCHS}-epoch members (= refit model)",
    f"ensemble_{2 * FOLD_EPOCHS}": (
        f"{K}-fold ensemble, {2 * FOLD_EPOCHS}-epoch members (= refit path)"
    ),
    f"ensemble_{REFIT_EPOCHS}": f"{K}-fold ensemble, {REFIT_EPOCHS}-epoch members (2x refit path)",
    "member_long": f"one fold model of {REFIT_EPOCHS} epochs alone (mean of the {K})",
}


def main():
    warnings.filterwarnings("ignore")
    seeds = heldout_seeds()
    rows = []
    for n_train in SIZES:
        results = [run(n_train, s) for s in seeds]
        for name, label in LABELS.items():
            row = {"n_train": n_train, "model": label}
            for key in results[0][name]:
                values = np.array([r[name][key] for r in results])
                row[key] = float(values.mean())
                if key.startswith("f1_") or key == "macro_ap":
                    row[f"{key}_std"] = float(values.std(ddof=1))
                if key == "f1_capped_1.25":
                    row["per_seed_capped_1.25"] = " / ".join(f"{v:.3f}" for v in values)
            rows.append(row)
    notes = (
        f"features_recipe (network head) on synthetic HPA-like {SIZE} px, real 2018 label "
        f"distribution, held-out data seeds {', '.join(map(str, seeds))}; {N_TEST} test images; "
        f"K={K}; thresholds from out-of-fold probabilities, min_labels=1"
    )
    return save("fold_ensemble_scale", rows, notes)


if __name__ == "__main__":
    main()
