"""The quality benchmark: an ablation from the seed recipe to the full skhpa recipe.

Fixed spec (synthetic HPA-like data with the real HPA 2018 label distribution, 64 px):
4,000 training images (3,200 to fit the network, a multilabel-stratified 800 to tune the
thresholds) and 2,000 test images, for each of 3 seeds (the seed draws the dataset, the
split and the network's initialisation). Eight steps, each adding one thing:

1. seed recipe: green only, SeedCNN, BCE, no augmentation, threshold 0.5;
2. + ThresholdOptimizer (per-class thresholds on the 800 held-out images);
3. + all 4 channels;
4. + timm backbone (resnet18, random init) trained the skhpa way (on-device flips/shifts,
   cosine schedule);
5. + focal + soft-F1 loss (CombinedLoss);
6. + class-balanced batches;
7. + channel correlations in the head (:class:`skhpa.nn.ChannelCorrelations`, scales 1, 2, 4);
8. + D4 test-time augmentation (mean of 8 views).

The "full recipe" row is the recipe as :func:`skhpa.recipes.skhpa_recipe` and
:func:`~skhpa.recipes.fit_with_thresholds` build it: step 8 with at least one label per image.
Reference rows, not steps of the recipe: the network of step 6 with TTA and at least one label
(the full recipe without the channel correlations); each recipe at its own budget (the full
recipe at :func:`~skhpa.recipes.skhpa_recipe`'s default 12 epochs, under 10 minutes here, and
the seed recipe trained 30 epochs, about as long); and two models that fit no network at all
(LocalizationFeatures + logistic regression on 4 channels and on green only, thresholds tuned
the same way). Rows from one network share its training (steps 1-2; step 6 and the recipe
without correlations; steps 7-8 and the full recipe), so eight networks train per seed.

**Development and held-out data seeds.** The seeds 0, 1 and 2 are the development seeds: the
recipe was designed looking at them, so their numbers flatter it. Held-out seeds are drawn
fresh for each report from the date of the run (``heldout_seeds``: a hash of the date, far
outside any range that code or configuration names), so nobody can have tuned on them;
``SKHPA_ABLATION_SEEDS=heldout`` runs them (``dev`` is the default, ``all`` both), and
``SKHPA_ABLATION_NETWORKS=green_seedcnn,features_4ch,...`` restricts a run to some networks
(the headline rows) when time is short. The table reports the two kinds of seed separately.

Every finished network's scores are appended to ``results/ablation_runs_gen{V}.json`` at once
(one file per generator version ``V``, keyed by seed, network and step id), so an interrupted
run resumes where it stopped, a new step trains only its own networks (``python
benchmarks/run_all.py ablation``), and a new generator starts a table of its own instead of
mixing its rows with the old generator's. The table of the current generator is saved as
``ablation``, each older generator's as ``ablation_generator{V}``. Takes about an hour and
three quarters on 2 CPU cores from scratch.

**Blends.** Each network's tuning-part and test probabilities are cached in
``results/ablation_probs/`` (not tracked, one file per seed, network and generator); the
blended rows (``BLENDS``: the feature model and the 12-epoch network recipe, as
:func:`skhpa.recipes.blend_recipe` joins them, with learned, F1-chosen or equal weights) are
computed from them without training anything. The rows of
the recipes (``recipe_default``, ``recipe_unbalanced``, ``features_recipe_thresholds`` and the
blends) use the
recipe's own thresholds (per class, capped at 1.25x the training frequency, at least one
label); the ablation's steps keep plain per-class thresholds.
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
from skhpa.datasets import GENERATOR_VERSION, make_hpa_like
from skhpa.ensemble import best_blend_weights
from skhpa.losses import CombinedLoss
from skhpa.model_selection import multilabel_train_test_split
from skhpa.recipes import (
    DEFAULT_MAX_LABEL_RATIO,
    DEFAULT_STRATEGY,
    features_recipe,
    seed_recipe,
    skhpa_recipe,
)
from skhpa.thresholding import apply_thresholds

SIZE, N_POOL, N_TEST = 64, 4000, 2000
SEEDS = (0, 1, 2)  # development seeds
N_HELDOUT = 3
CNN_EPOCHS, TIMM_EPOCHS = 10, 8
CORRELATION_SCALES = (1, 2, 4)
# the recipes at their own budgets: skhpa_recipe's default epochs (under 10 minutes here), and
# the seed recipe given about the same fit time
RECIPE_EPOCHS, SEED_LONG_EPOCHS = 12, 30


def runs_file(version=GENERATOR_VERSION):
    return RESULTS / f"ablation_runs_gen{version}.json"


# the tuning-part and test probabilities of each network's last tuned step (a cache, not
# tracked): the blended rows are computed from them without training anything again
PROBS = RESULTS / "ablation_probs"
# threshold settings: "plain" per-class F1-optimal cuts (the ablation's steps), or "recipe":
# what fit_with_thresholds learns by default (per class, capped at 1.25x each class's training
# frequency)
RECIPE_THRESHOLDS = {"strategy": DEFAULT_STRATEGY, "max_label_ratio": DEFAULT_MAX_LABEL_RATIO}
# blends of two networks' probabilities, derived rows: name -> (network a, network b, how the
# weight of a is chosen on the tuning part): "ap" is blend_recipe as shipped (the weights with
# the best macro average precision, skhpa.ensemble.best_blend_weights); a tuple: the weight
# with the best macro-F1 after the recipe's thresholds, of those given. "blend_recipe" and its
# two references blend the balanced-batch network (the default until session 11);
# "blend_unbalanced" was blend_recipe until session 12; "blend_features_net" is it now
_PAIR = ("features_4ch", "skhpa_recipe_default_epochs")
BLENDS = {
    "blend_recipe": (*_PAIR, "ap"),
    "blend": (*_PAIR, tuple(np.round(np.linspace(0, 1, 11), 2))),
    "blend_equal": (*_PAIR, (0.5,)),
    "blend_unbalanced": ("features_4ch", "skhpa_recipe_unbalanced", "ap"),
    # session 12: blend_recipe as shipped now (the feature model's network head)
    "blend_features_net": ("features_net", "skhpa_recipe_unbalanced", "ap"),
    "blend_features_net_equal": ("features_net", "skhpa_recipe_unbalanced", (0.5,)),
}

# step id -> row label, in table order
STEPS = {
    "seed": "1 seed recipe (green, SeedCNN, BCE, 0.5)",
    "thresholds": "2 + ThresholdOptimizer",
    "4ch": "3 + all 4 channels",
    "resnet18": "4 + timm resnet18 (augmented, cosine)",
    "focal": "5 + focal + soft-F1 loss",
    "balanced": "6 + balanced batches",
    "correlations": "7 + channel correlations in the head",
    "tta": "8 + D4 TTA",
    "full": "full recipe (8 + at least one label)",
    "no_corr_full": "ref: full recipe without channel correlations",
    "recipe_default": f"ref: full recipe, {RECIPE_EPOCHS} epochs, balanced batches (until s. 11)",
    "recipe_unbalanced": f"skhpa_recipe: {RECIPE_EPOCHS} epochs, no balanced batches (default)",
    "seed_long": f"ref: seed recipe trained {SEED_LONG_EPOCHS} epochs (as long as that one)",
    "seed_long_thresholds": f"ref: the same + ThresholdOptimizer ({SEED_LONG_EPOCHS} epochs)",
    "features_4ch": "ref: no network, LocalizationFeatures + logistic regression, 4 channels",
    "features_green": "ref: no network, LocalizationFeatures + logistic regression, green only",
    "features_recipe_thresholds": "ref: the same 4-channel features, the recipe's thresholds",
    "blend_recipe": "ref: features + the balanced-batch network, weights by avg. precision",
    "blend": "ref: the same blend, weight by macro-F1 after thresholds",
    "blend_equal": "ref: the same blend, equal weights",
    "blend_unbalanced": "ref: features (logistic, C=0.1) + skhpa_recipe, by avg. precision",
    "features_logistic_c10": "ref: the same features, logistic head at C=10 (recipe thresholds)",
    "features_net": "features_recipe: the features' network head (recipe thresholds)",
    "blend_features_net": "blend_recipe: features' network head + skhpa_recipe, by AP",
    "blend_features_net_equal": "ref: the same blend, equal weights",
}


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


# network name -> (factory, [(step id, tta, min_labels, tuned)]); tuned: False (the network's own
# 0.5), True (plain per-class thresholds) or "recipe" (fit_with_thresholds' defaults)
NETWORKS = {
    "green_seedcnn": (
        lambda s: seed_recipe(max_epochs=CNN_EPOCHS, device="cpu", random_state=s),
        [("seed", None, 0, False), ("thresholds", None, 0, True)],
    ),
    "seedcnn_4ch": (seed_cnn_4ch, [("4ch", None, 0, True)]),
    "resnet18_bce": (lambda s: timm_net(s), [("resnet18", None, 0, True)]),
    "resnet18_focal_f1": (
        lambda s: timm_net(s, criterion=CombinedLoss),
        [("focal", None, 0, True)],
    ),
    "resnet18_focal_f1_balanced": (
        lambda s: timm_net(s, criterion=CombinedLoss, balanced_sampling=True),
        [("balanced", None, 0, True), ("no_corr_full", "d4", 1, True)],
    ),
    "resnet18_focal_f1_balanced_corr": (
        lambda s: timm_net(
            s,
            criterion=CombinedLoss,
            balanced_sampling=True,
            module__correlation_scales=CORRELATION_SCALES,
        ),
        [("correlations", None, 0, True), ("tta", "d4", 0, True), ("full", "d4", 1, True)],
    ),
    # the recipe with balanced batches: skhpa_recipe's default until session 11 (the key and
    # the step id "recipe_default" are kept for the recorded runs)
    "skhpa_recipe_default_epochs": (
        lambda s: skhpa_recipe(
            max_epochs=RECIPE_EPOCHS, balanced_sampling=True, device="cpu", random_state=s
        ),
        [("recipe_default", "d4", 1, "recipe")],
    ),
    "skhpa_recipe_unbalanced": (
        lambda s: skhpa_recipe(
            max_epochs=RECIPE_EPOCHS, balanced_sampling=False, device="cpu", random_state=s
        ),
        [("recipe_unbalanced", "d4", 1, "recipe")],
    ),
    "green_seedcnn_long": (
        lambda s: seed_recipe(max_epochs=SEED_LONG_EPOCHS, device="cpu", random_state=s),
        [("seed_long", None, 0, False), ("seed_long_thresholds", None, 0, True)],
    ),
    # the feature baseline: the logistic head at features_recipe's defaults until
    # session 12 (C=0.1), kept so that its rows stay comparable
    "features_4ch": (
        lambda s: features_recipe(head="logistic", C=0.1, max_iter=2000),
        [("features_4ch", None, 0, True), ("features_recipe_thresholds", None, 1, "recipe")],
    ),
    "features_green": (
        lambda s: features_recipe(head="logistic", green_only=True, C=0.1, max_iter=2000),
        [("features_green", None, 0, True)],
    ),
    # session 12: the logistic head at its new default C, and the network head (the default)
    "features_logistic_c10": (
        lambda s: features_recipe(head="logistic"),
        [("features_logistic_c10", None, 1, "recipe")],
    ),
    "features_net": (
        lambda s: features_recipe(device="cpu", random_state=s),
        [("features_net", None, 1, "recipe")],
    ),
}


def heldout_seeds(date=None, n=N_HELDOUT):
    """``n`` data seeds derived from a hash of ``date`` (today's, as YYYY-MM-DD, by default).

    They fall in [10**6, 2**31): no development seed, and no seed any code or config names.
    """
    import datetime
    import hashlib

    date = date or datetime.date.today().isoformat()
    digest = hashlib.sha256(f"skhpa held-out data seeds {date}".encode()).digest()
    return tuple(
        10**6 + int.from_bytes(digest[4 * i : 4 * i + 4], "little") % (2**31 - 10**6)
        for i in range(n)
    )


def seeds_to_run():
    which = os.environ.get("SKHPA_ABLATION_SEEDS", "dev")
    if which not in ("dev", "heldout", "all"):
        raise ValueError(f"SKHPA_ABLATION_SEEDS must be dev, heldout or all, got {which!r}")
    dev = [(s, "dev") for s in SEEDS]
    held = [(s, "heldout") for s in heldout_seeds()]
    return {"dev": dev, "heldout": held, "all": dev + held}[which]


def dataset(seed):
    X, Y = make_hpa_like(N_POOL + N_TEST, image_size=SIZE, random_state=1000 + seed)
    idx = np.arange(N_POOL)
    fit, valid = multilabel_train_test_split(idx, test_size=0.2, random_state=seed, stratify=Y[idx])
    return X[fit], Y[fit], X[valid], Y[valid], X[N_POOL:], Y[N_POOL:]


def _net_of(model):
    return model.steps[-1][1] if hasattr(model, "steps") else model


def scores(Yte, P):
    return {
        "macro_f1": float(f1_score(Yte, P, average="macro", zero_division=0)),
        "label_accuracy": float((P == Yte).mean()),
        "labels_per_image": float(P.sum(1).mean()),
    }


def thresholds(tuned, min_labels, prior):
    """The ThresholdOptimizer parameters of a tuned step."""
    if tuned == "recipe":
        return dict(RECIPE_THRESHOLDS, min_labels=min_labels, prior=prior)
    return {"min_labels": min_labels}


def evaluate(model, steps, Xva, Yva, Xte, Yte, prior):
    """Score each step; also return the tuning-part and test probabilities of the last tuned one."""
    out, probs = {}, None
    for step, tta, min_labels, tuned in steps:
        t = time.perf_counter()
        net = _net_of(model)
        if "tta" in net.get_params(deep=False):
            net.set_params(tta=tta)
        if tuned:
            opt = ThresholdOptimizer(FrozenEstimator(model), **thresholds(tuned, min_labels, prior))
            opt.fit(Xva, Yva)
            # each set predicted once (what opt.predict does, keeping the probabilities)
            P_te = opt.predict_proba(Xte)
            P = apply_thresholds(P_te, opt.thresholds_, opt.min_labels)
            probs = (opt.oof_proba_, P_te)
        else:
            P = model.predict(Xte)
        out[step] = scores(Yte, P)
        out[step]["tuning_and_predict_s"] = time.perf_counter() - t
    return out, probs


def blend_scores(Pa, Pb, Yva, Yte, prior, weights):
    """Blend two networks' probabilities, w * a + (1 - w) * b, with w chosen on the tuning part.

    The weight and then the thresholds (the recipe's defaults) are learned on the tuning part
    only; the test part is scored once, with the chosen weight.
    """
    from sklearn.base import BaseEstimator, ClassifierMixin

    n_va = len(Yva)
    A, B = np.concatenate(Pa), np.concatenate(Pb)  # rows: the tuning part, then the test part
    X_va, X_te = np.arange(n_va)[:, None], np.arange(n_va, len(A))[:, None]

    class Blend(ClassifierMixin, BaseEstimator):  # X holds row numbers into A and B
        def __init__(self, w=0.5):
            self.w = w

        def fit(self, X, Y):
            self.classes_ = [np.array([0, 1])] * Y.shape[1]
            return self

        def predict_proba(self, X):
            rows = np.asarray(X)[:, 0]
            return self.w * A[rows] + (1 - self.w) * B[rows]

    params = thresholds("recipe", 1, prior)
    if weights == "ap":  # what blend_recipe does: best_blend_weights on the tuning part
        weights = (float(best_blend_weights([Pa[0], Pb[0]], Yva)[0][0]),)
    best = None
    for w in weights:
        opt = ThresholdOptimizer(FrozenEstimator(Blend(w).fit(X_va, Yva)), **params)
        P = opt.fit(X_va, Yva).predict(X_va)
        f1 = f1_score(Yva, P, average="macro", zero_division=0)
        if best is None or f1 > best[0] + 1e-12:
            best = (f1, w, opt)
    out = scores(Yte, best[2].predict(X_te))
    out["weight_of_first"] = float(best[1])
    out["tuning_macro_f1"] = float(best[0])
    return out


def _load_runs(version=GENERATOR_VERSION):
    path = runs_file(version)
    return json.loads(path.read_text()) if path.exists() else {}


def _save_runs(runs):
    RESULTS.mkdir(exist_ok=True)
    path = runs_file()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(runs, indent=1))
    os.replace(tmp, path)


def _probs_file(seed, name):
    return PROBS / f"{seed}-{name}-gen{GENERATOR_VERSION}.npz"


def run(seeds=None):
    warnings.filterwarnings("ignore")
    seeds = seeds_to_run() if seeds is None else seeds
    only = os.environ.get("SKHPA_ABLATION_NETWORKS")
    networks = [n for n in NETWORKS if only is None or n in only.split(",")]
    runs = _load_runs()
    for seed, kind in seeds:
        todo = [
            n
            for n in networks
            if any(
                step not in runs.get(f"{seed}/{n}", {}).get("steps", {})
                for step, *_ in NETWORKS[n][1]
            )
        ]
        if not todo and all(f"{seed}/{b}" in runs for b in BLENDS):
            continue
        Xfit, Yfit, Xva, Yva, Xte, Yte = dataset(seed)
        Ytrain_rate = np.concatenate([Yfit, Yva]).mean(axis=0)
        for name in todo:
            factory, steps = NETWORKS[name]
            model = factory(seed)
            t = time.perf_counter()
            model.fit(Xfit, Yfit)
            fit_s = time.perf_counter() - t
            got, probs = evaluate(model, steps, Xva, Yva, Xte, Yte, prior=Ytrain_rate)
            if probs is not None:
                PROBS.mkdir(parents=True, exist_ok=True)
                np.savez_compressed(
                    _probs_file(seed, name),
                    valid=probs[0].astype(np.float32),
                    test=probs[1].astype(np.float32),
                )
            runs[f"{seed}/{name}"] = {
                "fit_s": fit_s,
                "steps": got,
                "seeds": kind,
                "generator_version": GENERATOR_VERSION,
            }
            _save_runs(runs)
            print(f"{kind} seed {seed} {name}: fit {fit_s:.0f} s", got, flush=True)
        add_blends(runs, seed, kind, Yva, Yte, Ytrain_rate)
    return runs


def add_blends(runs, seed, kind, Yva, Yte, prior):
    """The blended rows of ``seed`` whose two networks' probabilities are cached."""
    for name, (a, b, weights) in BLENDS.items():
        files = [_probs_file(seed, n) for n in (a, b)]
        if f"{seed}/{name}" in runs or not all(f.exists() for f in files):
            continue
        Pa, Pb = ((z["valid"], z["test"]) for z in map(np.load, files))
        got = blend_scores(Pa, Pb, Yva, Yte, prior, weights)
        runs[f"{seed}/{name}"] = {
            "fit_s": runs[f"{seed}/{a}"]["fit_s"] + runs[f"{seed}/{b}"]["fit_s"],
            "steps": {name: got},
            "seeds": kind,
            "generator_version": GENERATOR_VERSION,
            "blend_of": [a, b],
        }
        _save_runs(runs)
        print(f"{kind} seed {seed} {name}:", got, flush=True)


def table(runs):
    rows = []
    for kind in ("heldout", "dev"):
        per_step, fit_time = {}, {}
        for rec in runs.values():
            if rec.get("seeds", "dev") != kind:  # runs from before the split are dev runs
                continue
            for step, sc in rec["steps"].items():
                per_step.setdefault(step, []).append(sc)
                fit_time.setdefault(step, []).append(rec["fit_s"])
        if not per_step:
            continue
        seed_rows = per_step.get("seed", [{"macro_f1": np.nan}])
        base = np.mean([s["macro_f1"] for s in seed_rows])
        feats = np.mean(
            [s["macro_f1"] for s in per_step.get("features_4ch", [{"macro_f1": np.nan}])]
        )
        for step in [s for s in STEPS if s in per_step]:
            f1 = np.array([s["macro_f1"] for s in per_step[step]])
            acc = np.array([s["label_accuracy"] for s in per_step[step]])
            rows.append(
                {
                    "seeds": kind,
                    "step": STEPS[step],
                    "n_seeds": len(f1),
                    "macro_f1": float(f1.mean()),
                    "macro_f1_std": float(f1.std(ddof=1)) if len(f1) > 1 else float("nan"),
                    "per_seed": " / ".join(f"{v:.3f}" for v in f1),
                    "vs_seed_recipe": float(f1.mean() / base),
                    "vs_features": float(f1.mean() / feats),
                    "label_accuracy": float(acc.mean()),
                    "labels_per_image": float(
                        np.mean([s["labels_per_image"] for s in per_step[step]])
                    ),
                    "fit_min": float(np.mean(fit_time[step]) / 60),
                }
            )
    return rows


def _notes(runs):
    def seeds(kind):
        found = {k.split("/")[0] for k, r in runs.items() if r.get("seeds", "dev") == kind}
        return ", ".join(sorted(found)) or "none"

    return (
        f"{N_POOL} train ({N_POOL * 4 // 5} fit + {N_POOL // 5} thresholds) / {N_TEST} test at "
        f"{SIZE} px, real HPA 2018 label distribution; development seeds {seeds('dev')}; "
        f"held-out seeds {seeds('heldout')}; SeedCNN {CNN_EPOCHS} epochs, resnet18 "
        f"{TIMM_EPOCHS} epochs; mean, std and per-seed macro-F1 over all 28 classes"
    )


def main():
    runs = run()
    for path in sorted(RESULTS.glob("ablation_runs_gen*.json")):
        version = int(path.stem.rsplit("gen", 1)[1])
        if version != GENERATOR_VERSION:  # an older generator's table, kept beside the new one
            old = _load_runs(version)
            save(f"ablation_generator{version}", table(old), _notes(old), version)
    return save("ablation", table(runs), _notes(runs))


if __name__ == "__main__":
    main()
