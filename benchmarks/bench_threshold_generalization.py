"""Which thresholds hold up on new images, and what a fold ensemble is worth.

Synthetic HPA-like data (real HPA 2018 label distribution, 48 px), 3 data seeds not used by the
other benchmarks (``make_hpa_like(random_state=2000 + seed)``); the test images are never used
for tuning. Three recipes:

- ``features``: :func:`skhpa.recipes.features_recipe` (LocalizationFeatures + logistic
  regression, C=0.1: the recipe's head until session 12), 3,600 training / 2,000 test
  images, K = 5 folds;
- ``features_net``: the same features with :func:`~skhpa.recipes.features_recipe`'s network
  head (its default since session 12), the same images, K = 5 folds of 15 epochs, refit 60
  epochs (the head's default), holdout 75, the members as long as the refit 60;
- ``cnn``: :func:`skhpa.recipes.skhpa_recipe` with a :class:`~skhpa.nn.SeedCNN` backbone
  (focal + soft-F1 loss, balanced batches, cosine schedule; no TTA to save time), 1,800
  training / 1,000 test images (the first ones of the same draws), K = 3 folds of 3 epochs;
- ``cnn_long``: the same CNN with K = 3 folds of 10 epochs (holdout 25, refit 20): fold
  models that are not starved of training, where an ensemble has something to average.

Models fitted per recipe and seed (their probabilities are cached, see below):

- ``holdout``: one model on a multilabel-stratified 80 %, its probabilities on the other 20 %
  (the tuning data of protocol (a)) and on the test set. The CNN trains 8 epochs on 80 % of the
  images: 6.4 full-data epochs, a little more than the fold ensemble's 6 (about equal wall time);
- ``folds``: K models, one per multilabel-stratified fold, their out-of-fold probabilities (the
  tuning data of protocol (b), K times more than (a) has at K = 5) and their test
  probabilities; the fold ensemble predicts their mean (``ThresholdOptimizer(cv=K,
  refit=False)``);
- ``refit``: one model on all training images (``ThresholdOptimizer(cv=K, refit=True)``; its
  thresholds are those learned on the folds' out-of-fold probabilities). The CNN trains
  (K - 1) x 3 = 6 epochs on all images: the same image-passes, so the same total training and
  about the same wall time as the fold ensemble (each fold model's 3 epochs over (K - 1) / K
  of the images count as (K - 1) full-data epochs). That compares the models alone: the refit
  path also trains the K fold models, whose out-of-fold probabilities give its thresholds;
- ``equal folds`` (the CNN recipes): the fold ensemble at the refit *path's* cost, K members
  each trained as many epochs as the refit model (K x 6 epochs over (K - 1) / K of the
  images = 12 full-data epochs = the refit path's 6 for its folds + 6 for the refit), with
  their own out-of-fold thresholds: what ``ThresholdOptimizer(cv=K, refit=False)`` buys for
  what ``refit=True`` costs.

Threshold strategies (all with ``min_labels=1``, as the recipes use): 0.5; ``global``;
``per_class``; ``per_class`` with ``shrinkage`` 3, 10 and 30; ``label_ratio`` (each class's
predicted rate on the tuning data = its frequency in all training images); ``per_class`` with
``max_label_ratio`` 1.25 and 1.5 (``capped_*``: no class predicted more often than that many
times its training frequency), alone and with ``shrinkage=10``. Each is learned
(a) on the held-out 20 % and applied to the holdout model, and (b) on the out-of-fold matrix
and applied to the fold ensemble and to the refit model.

The fold-ensemble table also has the members' majority vote (each thresholded on the scale its
out-of-fold thresholds were learned on). Reported: test macro-F1 (28 classes), per-label
accuracy, the fold-ensemble table's macro average precision (threshold-free: does averaging
rank the test images better?), predicted and true labels per image, and per class the gap
between its F1 on the tuning data and on the test data (mean over all classes and over the
classes with fewer than 10 positives in the held-out 20 %). Results:
``results/threshold_generalization.json`` (strategies), ``fold_ensemble.json`` (the ensemble
comparison) and ``threshold_generalization_per_class.json`` (the CNN's per-class gaps).

Each fitted model's probabilities are cached in ``results/threshold_generalization_runs/``
(uint16-quantized, 1.5e-5 resolution; one file per recipe, seed and ``GENERATOR_VERSION``), so
a rerun only recomputes the tables; delete the folder to refit. Generator 1's tables are kept
beside the new ones (``*_generator1.json``). From scratch about 30 minutes on 2 CPU cores
(``python benchmarks/run_all.py threshold_generalization``).
"""

import os
import time
import warnings

import numpy as np
from _common import RESULTS, save
from sklearn.base import BaseEstimator
from sklearn.metrics import average_precision_score, f1_score
from sklearn.utils import _safe_indexing

from skhpa import ThresholdOptimizer
from skhpa.datasets import CLASS_NAMES, GENERATOR_VERSION, make_hpa_like
from skhpa.model_selection import MultilabelStratifiedKFold, multilabel_train_test_split
from skhpa.nn import SeedCNN
from skhpa.recipes import features_recipe, skhpa_recipe
from skhpa.thresholding import apply_thresholds

SIZE = 48
SEEDS = (0, 1, 2)
N_TRAIN, N_TEST = 3600, 2000
CNN_TRAIN, CNN_TEST = 1800, 1000
VALID = 0.2
FOLD_EPOCHS = 3
LONG_FOLD_EPOCHS = 10
NET_FOLD_EPOCHS = 15  # features_net: 4 x 15 = 60 full-data epochs, its default
RARE = 10  # "rare": fewer positives than this in the held-out 20 %
SHRINKAGES = (3, 10, 30)
CAPS = (1.25, 1.5)
RUNS = RESULTS / "threshold_generalization_runs"


def _cnn(fold_epochs, K=3):
    """The CNN recipe's entry: K fold models of ``fold_epochs`` epochs, the others matched."""
    return (
        lambda s, e: skhpa_recipe(
            backbone=SeedCNN, max_epochs=e, tta=None, device="cpu", random_state=s
        ),
        CNN_TRAIN,
        CNN_TEST,
        K,
        # 80 % of the images x this many epochs ~ the fold ensemble's (K - 1) x fold_epochs
        # full-data epochs
        int(round((K - 1) * fold_epochs / (1 - VALID))),
        (K - 1) * fold_epochs,
        fold_epochs,
    )


RECIPES = {
    # name: (factory(seed, epochs), n_train, n_test, K, epochs of holdout, refit, folds)
    # the logistic head at features_recipe's defaults until session 12 (the recorded runs)
    "features": (
        lambda s, e: features_recipe(head="logistic", C=0.1, max_iter=2000),
        N_TRAIN,
        N_TEST,
        5,
        None,
        None,
        None,
    ),
    # session 12: features_recipe's network head (its default); K = 5 folds of 15 epochs,
    # refit 60 (its default), holdout 75, members as long as the refit 60
    "features_net": (
        lambda s, e: features_recipe(max_epochs=e, device="cpu", random_state=s),
        N_TRAIN,
        N_TEST,
        5,
        int(round(4 * NET_FOLD_EPOCHS / (1 - VALID))),
        4 * NET_FOLD_EPOCHS,
        NET_FOLD_EPOCHS,
    ),
    "cnn": _cnn(FOLD_EPOCHS),
    # the same at a budget where each fold model is closer to trained: does the ensemble
    # win once its members are not starved?
    "cnn_long": _cnn(LONG_FOLD_EPOCHS),
}

# strategy name -> ThresholdOptimizer parameters (None: the constant 0.5)
STRATEGIES = {
    "0.5": None,
    "global": {"strategy": "global"},
    "per_class": {"strategy": "per_class"},
    **{f"shrunk_{m}": {"strategy": "per_class", "shrinkage": m} for m in SHRINKAGES},
    "label_ratio": {"strategy": "label_ratio"},
    **{f"capped_{c}": {"strategy": "per_class", "max_label_ratio": c} for c in CAPS},
    "shrunk_10_capped_1.25": {"strategy": "per_class", "shrinkage": 10, "max_label_ratio": 1.25},
}
# the strategies of the fold-ensemble table
ENSEMBLE_STRATEGIES = ("capped_1.25", "label_ratio")
PROTOCOLS = {
    "holdout": "(a) held-out 20 %, one model on 80 %",
    "oof_ensemble": "(b) out-of-fold, fold ensemble",
    "oof_refit": "(b) out-of-fold, one model refit on all",
}


class _GivenProba(BaseEstimator):
    """A fitted stand-in whose predict_proba returns its input (a probability matrix)."""

    def fit(self, X, y=None):
        self.fitted_ = True
        return self

    def predict_proba(self, X):
        return np.asarray(X, dtype=float)


def _quantize(P):
    return np.round(np.asarray(P) * 65535).astype(np.uint16)


def _dequantize(Q):
    return Q.astype(np.float64) / 65535


def dataset(seed, n_train, n_test):
    X, Y = make_hpa_like(N_TRAIN + N_TEST, image_size=SIZE, random_state=2000 + seed)
    return X[:n_train], Y[:n_train], X[N_TRAIN : N_TRAIN + n_test], Y[N_TRAIN : N_TRAIN + n_test]


def _timed_fit(model, X, Y):
    t = time.perf_counter()
    model.fit(X, Y)
    return time.perf_counter() - t


def fit_models(recipe, seed):
    """Fit (or load from the cache) the holdout, fold and refit models of one recipe and seed."""
    # one file per generator version: a new generator never reuses an older one's probabilities
    path = RUNS / f"{recipe}-seed{seed}-gen{GENERATOR_VERSION}.npz"
    if path.exists():
        return _load(path)
    factory, n_train, n_test, K, ep_holdout, ep_refit, ep_fold = RECIPES[recipe]
    X, Y, Xte, Yte = dataset(seed, n_train, n_test)
    out = {"Y": Y, "Yte": Yte}
    idx = np.arange(len(Y))
    fit, valid = multilabel_train_test_split(idx, test_size=VALID, random_state=seed, stratify=Y)
    model = factory(seed, ep_holdout)
    out["holdout_fit_s"] = _timed_fit(model, X[fit], Y[fit])
    out["valid_idx"] = valid
    out["holdout_valid"] = model.predict_proba(X[valid])
    out["holdout_test"] = model.predict_proba(Xte)
    print(f"  {recipe} seed {seed} holdout: {out['holdout_fit_s']:.0f} s", flush=True)
    out.update(_fit_folds(factory, seed, K, ep_fold, X, Y, Xte))
    print(f"  {recipe} seed {seed} {K} folds: {out['folds_fit_s'].sum():.0f} s", flush=True)
    model = factory(seed, ep_refit)
    out["refit_fit_s"] = _timed_fit(model, X, Y)
    out["refit_test"] = model.predict_proba(Xte)
    print(f"  {recipe} seed {seed} refit: {out['refit_fit_s']:.0f} s", flush=True)
    _save(path, out)
    return fit_models(recipe, seed)  # the cached (quantized) values, as a rerun sees them


def _fit_folds(factory, seed, K, epochs, X, Y, Xte):
    """K models of ``epochs`` epochs, one per multilabel-stratified fold."""
    oof = np.full(Y.shape, np.nan)
    fold_tests, fold_s = [], []
    cv = MultilabelStratifiedKFold(K, shuffle=True, random_state=seed)
    for train, test in cv.split(X, Y):
        model = factory(seed, epochs)
        fold_s.append(_timed_fit(model, _safe_indexing(X, train), Y[train]))
        oof[test] = model.predict_proba(X[test])
        fold_tests.append(model.predict_proba(Xte))
    return {"oof": oof, "fold_test": np.stack(fold_tests), "folds_fit_s": np.array(fold_s)}


def fit_equal_folds(recipe, seed):
    """The fold ensemble at the refit path's cost (cached): K members of ``ep_refit`` epochs.

    The refit path trains K fold models (their out-of-fold probabilities give its thresholds)
    and then one model on all images; the fold ensemble trains only the K fold models. At
    equal total training, each member trains as many epochs as the refit model: K x ep_refit
    epochs over (K - 1) / K of the images = (K - 1) x ep_refit full-data epochs, which is the
    refit path's (K - 1) x ep_fold + ep_refit with ep_refit = (K - 1) x ep_fold.
    """
    factory, n_train, n_test, K, _, ep_refit, _ = RECIPES[recipe]
    path = RUNS / f"{recipe}-seed{seed}-gen{GENERATOR_VERSION}-folds{ep_refit}.npz"
    if not path.exists():
        X, Y, Xte, _ = dataset(seed, n_train, n_test)
        out = _fit_folds(factory, seed, K, ep_refit, X, Y, Xte)
        total = out["folds_fit_s"].sum()
        print(f"  {recipe} seed {seed} {K} folds of {ep_refit} epochs: {total:.0f} s", flush=True)
        _save(path, out)
    return _load(path)


def _load(path):
    """A cached run's arrays, probabilities dequantized."""
    z = np.load(path)
    return {k: (_dequantize(v) if v.dtype == np.uint16 else v) for k, v in z.items()}


def _save(path, out):
    RUNS.mkdir(parents=True, exist_ok=True)
    arrays = {
        k: (
            _quantize(v)
            if k in ("holdout_valid", "holdout_test", "oof", "fold_test", "refit_test")
            else np.asarray(v)
        )
        for k, v in out.items()
    }
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def thresholds_for(strategy, P_tune, Y_tune, prior):
    """Thresholds of one strategy learned on (P_tune, Y_tune)."""
    params = STRATEGIES[strategy]
    if params is None:
        return np.full(P_tune.shape[1], 0.5)
    # prior: the class frequencies of all training images (label_ratio and max_label_ratio)
    opt = ThresholdOptimizer(
        _GivenProba().fit(P_tune), cv="prefit", min_labels=1, prior=prior, **params
    ).fit(P_tune, Y_tune)
    return opt.thresholds_


def _per_class_f1(Y, P, thr):
    return f1_score(Y, apply_thresholds(P, thr, min_labels=1), average=None, zero_division=0.0)


def score(P_tune, Y_tune, P_test, Y_test, thr, rare):
    pred = apply_thresholds(P_test, thr, min_labels=1)
    f1_test = f1_score(Y_test, pred, average=None, zero_division=0.0)
    gap = _per_class_f1(Y_tune, P_tune, thr) - f1_test
    return {
        "macro_f1": float(f1_test.mean()),
        "label_accuracy": float((pred == Y_test).mean()),
        "labels_per_image": float(pred.sum(1).mean()),
        "true_labels_per_image": float(Y_test.sum(1).mean()),
        "gap": float(gap.mean()),
        "gap_rare": float(gap[rare].mean()) if rare.any() else float("nan"),
        "gap_per_class": gap.tolist(),
        "f1_per_class": f1_test.tolist(),
    }


def evaluate(recipe, seed):
    r = fit_models(recipe, seed)
    Y, Yte = r["Y"], r["Yte"]
    valid = r["valid_idx"]
    prior = Y.mean(0)
    rare = Y[valid].sum(0) < RARE
    # the fold sets: name -> (out-of-fold probabilities, the members' test probabilities)
    fold_sets = {"oof_ensemble": (r["oof"], r["fold_test"])}
    times = {
        "holdout": float(r["holdout_fit_s"]),
        "oof_ensemble": float(np.sum(r["folds_fit_s"])),
        "oof_refit": float(r["refit_fit_s"]),
    }
    if RECIPES[recipe][5]:  # recipes trained in epochs: the ensemble at the refit path's cost
        e = fit_equal_folds(recipe, seed)
        fold_sets["oof_ensemble_equal"] = (e["oof"], e["fold_test"])
        times["oof_ensemble_equal"] = float(np.sum(e["folds_fit_s"]))
    tuning = {
        "holdout": (r["holdout_valid"], Y[valid], r["holdout_test"]),
        **{name: (oof, Y, tests.mean(0)) for name, (oof, tests) in fold_sets.items()},
        "oof_refit": (r["oof"], Y, r["refit_test"]),
    }
    rows = {}
    for protocol, (P_tune, Y_tune, P_test) in tuning.items():
        for strategy in STRATEGIES:
            thr = thresholds_for(strategy, P_tune, Y_tune, prior)
            rows[protocol, strategy] = score(P_tune, Y_tune, P_test, Yte, thr, rare)
    # threshold-free: how well each model ranks the test images (macro average precision)
    ranking = {protocol: _macro_ap(Yte, P_test) for protocol, (_, _, P_test) in tuning.items()}
    # the fold models one by one (each with the out-of-fold thresholds), for the spread, and
    # their majority vote (each member thresholded on the scale its thresholds were learned on)
    members = {}
    for name, (oof, tests) in fold_sets.items():
        singles, votes = {}, {}
        for strategy in ENSEMBLE_STRATEGIES:
            thr = thresholds_for(strategy, oof, Y, prior)
            singles[strategy] = float(
                np.mean(
                    [
                        f1_score(Yte, apply_thresholds(P, thr, 1), average="macro", zero_division=0)
                        for P in tests
                    ]
                )
            )
            votes[strategy] = f1_score(
                Yte, _majority_vote(tests, thr), average="macro", zero_division=0
            )
        single_ap = float(np.mean([_macro_ap(Yte, P) for P in tests]))
        members[name] = {"singles": singles, "votes": votes, "single_ap": single_ap}
    return {"rows": rows, "times": times, "rare": rare, "ranking": ranking, "members": members}


def _majority_vote(fold_probas, thr):
    """Labels that most fold models predict at ``thr``; at least one (the highest mean ratio)."""
    pred = (np.mean([P >= thr for P in fold_probas], axis=0) > 0.5).astype(int)
    empty = pred.sum(1) == 0
    ratio = np.mean(fold_probas, axis=0) / thr
    pred[empty, ratio[empty].argmax(1)] = 1
    return pred


def _macro_ap(Y, P):
    """Macro average precision over the classes with test positives."""
    keep = Y.sum(0) > 0
    return float(average_precision_score(Y[:, keep], P[:, keep], average="macro"))


def _mean_std(values):
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else float("nan")


def tables():
    warnings.filterwarnings("ignore")
    study, ensemble, per_class = [], [], []
    for recipe, (_, _, _, K, ep_holdout, ep_refit, ep_fold) in RECIPES.items():
        results = [evaluate(recipe, seed) for seed in SEEDS]
        for protocol, label in PROTOCOLS.items():
            for strategy in STRATEGIES:
                runs = [res["rows"][protocol, strategy] for res in results]
                f1, f1_std = _mean_std([x["macro_f1"] for x in runs])
                study.append(
                    {
                        "recipe": recipe,
                        "tuned_on": label,
                        "strategy": strategy,
                        "macro_f1": f1,
                        "macro_f1_std": f1_std,
                        "per_seed": " / ".join(f"{x['macro_f1']:.3f}" for x in runs),
                        "label_accuracy": float(np.mean([x["label_accuracy"] for x in runs])),
                        "labels_per_image": float(np.mean([x["labels_per_image"] for x in runs])),
                        "true_labels": float(np.mean([x["true_labels_per_image"] for x in runs])),
                        "f1_gap": float(np.mean([x["gap"] for x in runs])),
                        "f1_gap_rare": float(np.nanmean([x["gap_rare"] for x in runs])),
                    }
                )
        ensemble.extend(_ensemble_rows(recipe, results, K, ep_holdout, ep_refit, ep_fold))
        if recipe == "cnn":  # the per-class gaps of the 3-epoch CNN (as on generator 1)
            rare_any = np.mean([res["rare"] for res in results], axis=0)
            for k, name in enumerate(CLASS_NAMES):
                row = {"class": name, "rare_share": float(rare_any[k])}
                for protocol in ("holdout", "oof_ensemble"):
                    for strategy in ("per_class", "shrunk_10", "label_ratio", "capped_1.25"):
                        gaps = [
                            res["rows"][protocol, strategy]["gap_per_class"][k] for res in results
                        ]
                        row[f"{protocol}_{strategy}"] = float(np.mean(gaps))
                per_class.append(row)
    return study, ensemble, per_class


def _ensemble_rows(recipe, results, K, ep_holdout, ep_refit, ep_fold):
    """The fold-ensemble table's rows of one recipe.

    ``epochs`` and ``full_data_epochs`` are the model's own training; ``path_*`` the whole
    path's: the refit path also trains the K fold models whose out-of-fold probabilities give
    its thresholds.
    """
    # protocol -> (label, epochs, share of the images each epoch sees)
    models = {
        "holdout": ("one model on 80 %, thresholds on 20 %", ep_holdout, 1 - VALID),
        "oof_ensemble": (
            f"{K}-fold ensemble (refit=False), out-of-fold thresholds",
            ep_fold and K * ep_fold,
            (K - 1) / K,
        ),
        "oof_refit": (
            "one model refit on all (refit=True), out-of-fold thresholds",
            ep_refit,
            1.0,
        ),
    }
    if "oof_ensemble_equal" in results[0]["times"]:
        models["oof_ensemble_equal"] = (
            f"{K}-fold ensemble, members as long as the refit model (the refit path's cost)",
            K * ep_refit,
            (K - 1) / K,
        )
    rows = []

    def add_f1(row, values):  # values: strategy -> one macro-F1 per seed
        for strategy in ENSEMBLE_STRATEGIES:
            runs = values(strategy)
            row[f"f1_{strategy}"], row[f"std_{strategy}"] = _mean_std(runs)
            row[f"per_seed_{strategy}"] = " / ".join(f"{x:.3f}" for x in runs)

    for protocol, (label, epochs, share) in models.items():
        row = {"recipe": recipe, "model": label}
        fit_s = float(np.mean([res["times"][protocol] for res in results]))
        path_s = fit_s
        if protocol == "oof_refit":
            path_s += float(np.mean([res["times"]["oof_ensemble"] for res in results]))
        if epochs:
            row["epochs"] = epochs
            row["full_data_epochs"] = epochs * share
            extra = K * ep_fold * (K - 1) / K if protocol == "oof_refit" else 0.0
            row["path_full_data_epochs"] = epochs * share + extra
        row["fit_s"], row["path_fit_s"] = fit_s, path_s
        row["macro_ap"], row["macro_ap_std"] = _mean_std(
            [res["ranking"][protocol] for res in results]
        )
        add_f1(row, lambda st, p=protocol: [res["rows"][p, st]["macro_f1"] for res in results])
        row["labels_per_image"] = float(
            np.mean([res["rows"][protocol, "capped_1.25"]["labels_per_image"] for res in results])
        )
        rows.append(row)
    for name in results[0]["members"]:
        which = "" if name == "oof_ensemble" else " (members as long as the refit model)"
        row = {
            "recipe": recipe,
            "model": f"fold models' majority vote{which}, out-of-fold thresholds",
        }
        add_f1(row, lambda st, n=name: [res["members"][n]["votes"][st] for res in results])
        rows.append(row)
        row = {"recipe": recipe, "model": f"one fold model alone{which} (mean of the K)"}
        row["macro_ap"], row["macro_ap_std"] = _mean_std(
            [res["members"][name]["single_ap"] for res in results]
        )
        add_f1(row, lambda st, n=name: [res["members"][n]["singles"][st] for res in results])
        rows.append(row)
    return rows


def main():
    study, ensemble, per_class = tables()
    load = os.getloadavg()[0]
    common = (
        f"synthetic HPA-like {SIZE} px, real 2018 label distribution, data seeds "
        f"{', '.join(str(2000 + s) for s in SEEDS)}; features (logistic, C=0.1) and "
        f"features_net (network head): {N_TRAIN} train / {N_TEST} test, K=5 (features_net: "
        f"folds of {NET_FOLD_EPOCHS} epochs, refit {4 * NET_FOLD_EPOCHS}); "
        f"cnn: skhpa_recipe(SeedCNN, no TTA) {CNN_TRAIN} train / {CNN_TEST} test, K=3 "
        f"folds of {FOLD_EPOCHS} epochs (cnn_long: {LONG_FOLD_EPOCHS}); "
        f"min_labels=1; load average {load:.1f} at the end"
    )
    save("fold_ensemble", ensemble, common + "; f1_* = test macro-F1 with that strategy")
    save(
        "threshold_generalization_per_class",
        per_class,
        common + "; cnn, per class: tuning F1 - test F1 (mean of 3 seeds); rare_share = share "
        f"of seeds where the class has < {RARE} positives in the held-out 20 %",
    )
    return save("threshold_generalization", study, common)


if __name__ == "__main__":
    main()
