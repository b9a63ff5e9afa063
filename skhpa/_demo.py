"""``python -m skhpa demo``: the whole library on the built-in synthetic HPA-like data."""

import json
import shlex
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from .datasets import CLASS_NAMES, load_hpa, read_labels_csv, write_hpa_like, write_submission
from .ensemble import tuned_scores_text
from .metrics import per_class_report
from .model_selection import MultilabelStratifiedKFold
from .persistence import load_model, save_model
from .preprocessing import ImageLoader
from .recipes import blend_recipe, fit_with_thresholds, seed_recipe, skhpa_recipe
from .utils import atomic_write, plural

# Sized so that the full demo takes about 7-10 minutes on 2 CPU cores (measured: SeedCNN
# trains about 150 images/s and resnet18 about 60 images/s at 64 px on such a machine).
SETTINGS = {
    "full": dict(
        n_train=2000,
        n_test=800,
        image_size=64,
        seed_epochs=6,
        skhpa_epochs=8,
        grid_n=400,
        grid_epochs=2,
    ),
    "small": dict(
        n_train=360,
        n_test=120,
        image_size=32,
        seed_epochs=2,
        skhpa_epochs=2,
        grid_n=120,
        grid_epochs=1,
    ),
}


def _say(msg):
    print(msg, flush=True)


def run_demo(out="skhpa_demo_output", *, small=False, device="auto", random_state=0):
    """Run the demo; returns a dict of the measured numbers (also saved as ``results.json``)."""
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    cfg = SETTINGS["small" if small else "full"]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()

    # 1. data in the Kaggle layout (reused between runs)
    root = out / f"data_{cfg['n_train']}_{cfg['n_test']}_{cfg['image_size']}px"
    _say(
        f"[1/5] synthetic HPA-like dataset: {cfg['n_train']} train + {cfg['n_test']} test images, "
        f"{cfg['image_size']} px, real HPA 2018 label distribution -> {root}"
    )
    write_hpa_like(
        root, cfg["n_train"], cfg["n_test"], image_size=cfg["image_size"], random_state=random_state
    )
    train, test = load_hpa(root), load_hpa(root, "test")
    _, Y_test = read_labels_csv(root / "test_labels.csv")
    # path stems carry their folder: one loader reads the train and the test folder
    loader = ImageLoader(cache=out / "cache", n_jobs=2).fit(train.stems)
    X_train = loader.transform(train.stems)
    X_test = loader.transform(test.stems)
    Y_train = train.target

    results = {"settings": cfg, "device": device}

    # 2. the seed recipe
    _say("[2/5] seed recipe: green channel only, SeedCNN, BCE, threshold 0.5")
    t = time.perf_counter()
    seed = seed_recipe(
        max_epochs=cfg["seed_epochs"], device=device, random_state=random_state, verbose=1
    )
    seed.fit(X_train, Y_train)
    seed_time = time.perf_counter() - t
    pred_seed = seed.predict(X_test)
    results["seed"] = _summary(Y_test, pred_seed, seed_time)

    # 3. the skhpa recipe, with a small grid search
    _say(
        "[3/5] skhpa recipe: 4 channels, resnet18 + channel correlations, focal + soft-F1 loss, "
        "D4 TTA, blended with a localization-feature model; per-class "
        "thresholds (capped at 1.25x the training frequency, min 1 label)"
    )
    rng = np.random.RandomState(random_state)
    sub = rng.choice(len(Y_train), size=min(cfg["grid_n"], len(Y_train)), replace=False)
    grid = GridSearchCV(
        skhpa_recipe(  # scored alone: the network owns min_labels here
            max_epochs=cfg["grid_epochs"],
            tta=None,
            min_labels=1,
            device=device,
            random_state=random_state,
        ),
        {"lr": [1e-3, 3e-3], "criterion__soft_f1_weight": [0.0, 1.0]},
        cv=MultilabelStratifiedKFold(2, shuffle=True, random_state=random_state),
        scoring="f1_macro",
        refit=False,
        error_score="raise",
    )
    t = time.perf_counter()
    with _quiet_metric_warnings():
        grid.fit(X_train[sub], Y_train[sub])
    _say(
        f"      grid search on {len(sub)} images ({len(grid.cv_results_['params'])} candidates x 2 "
        f"folds): best {grid.best_params_} (macro-F1 {grid.best_score_:.3f})"
    )
    net = skhpa_recipe(
        max_epochs=cfg["skhpa_epochs"], device=device, random_state=random_state, verbose=1
    )
    net.set_params(**grid.best_params_)
    model = fit_with_thresholds(
        blend_recipe(network=net), X_train, Y_train, random_state=random_state
    )
    skhpa_time = time.perf_counter() - t
    pred_skhpa = model.predict(X_test)
    results["skhpa"] = _summary(Y_test, pred_skhpa, skhpa_time)
    results["skhpa"]["grid_best_params"] = {k: float(v) for k, v in grid.best_params_.items()}
    blend = model.estimator_  # ThresholdOptimizer(ProbabilityBlend), cv=valid_size
    weights = dict(zip([name for name, _ in blend.estimators], blend.weights_.tolist()))
    results["skhpa"]["blend_weights"] = weights
    _say(
        "      blend weights, learned on the held-out 20 %: "
        + ", ".join(f"{name} {w:.2f}" for name, w in weights.items())
        + (
            " (the network adds nothing the features do not know here)"
            if weights["net"] == 0
            else ""
        )
    )
    _say(f"      {tuned_scores_text(blend)}")

    # 4. the table
    _say("[4/5] results on the held-out test images")
    _say(_table(results))
    _say("      per-class F1 (seed -> skhpa):")
    f_seed = f1_score(Y_test, pred_seed, average=None, zero_division=0)
    f_skhpa = f1_score(Y_test, pred_skhpa, average=None, zero_division=0)
    support = Y_test.sum(0)
    for k, name in enumerate(CLASS_NAMES):
        _say(
            f"      {k:2d} {name:<31} {f_seed[k]:.2f} -> {f_skhpa[k]:.2f}   "
            f"({plural(int(support[k]), 'test image')})"
        )

    # 5. persistence, submission and figures
    _say("[5/5] saving the model, a submission and figures")
    # the saved model reads image files itself (`skhpa predict` works on any folder with it);
    # no cache folder and no optimizer state go into the file
    deployable = Pipeline(
        [("load", ImageLoader(image_size=cfg["image_size"], lazy=True).fit(train.stems)),
         ("model", model)]
    )  # fmt: skip
    model_path = save_model(deployable, out / "skhpa_model.skhpa")
    back = load_model(model_path)
    same = bool(np.array_equal(back.predict(test.stems), pred_skhpa))
    results["reloaded_predictions_identical"] = same
    results["model_file_mb"] = model_path.stat().st_size / 2**20
    if not same:
        raise RuntimeError("the reloaded model predicts differently from the saved one")
    write_submission(test.ids, pred_skhpa, out / "submission.csv")
    figures = _figures(out, X_test, Y_test, pred_seed, pred_skhpa, model)
    results["figures"] = figures
    results["total_seconds"] = time.perf_counter() - t_start
    with atomic_write(out / "results.json") as fh:
        json.dump(results, fh, indent=1)
    _say(
        f"      model: {model_path} ({results['model_file_mb']:.1f} MB; reloaded, identical "
        f"predictions: {same}); predict a folder with: skhpa predict --model "
        f"{shlex.quote(str(model_path))} "
        "--data FOLDER"
    )
    _say(f"      submission: {out / 'submission.csv'}")
    _say(f"      figures: {', '.join(figures)}")
    _say(f"done in {results['total_seconds']:.0f} s. Everything is in {out.resolve()}")
    empty = 1 - float(np.mean(Y_test))
    _say(
        f"The seed's lesson, measured: predicting no label at all would score {empty:.3f} "
        f"per-label accuracy and 0 macro-F1 here. Seed recipe: "
        f"{results['seed']['per_label_accuracy']:.3f} per-label accuracy, "
        f"{results['seed']['macro_f1']:.3f} macro-F1. skhpa recipe: "
        f"{results['skhpa']['per_label_accuracy']:.3f} and {results['skhpa']['macro_f1']:.3f}. "
        "Accuracy rewards predicting the common classes only; macro-F1 counts each class equally."
    )
    return results


def _summary(Y_true, Y_pred, seconds):
    r = per_class_report(Y_true, Y_pred, output_dict=True)
    return {
        "macro_f1": r["macro"]["f1"],
        "micro_f1": r["micro"]["f1"],
        "per_label_accuracy": r["per_label_accuracy"],
        "labels_per_image": float(np.asarray(Y_pred).sum(axis=1).mean()),
        "true_labels_per_image": float(np.asarray(Y_true).sum(axis=1).mean()),
        "empty_prediction_error": float(np.asarray(Y_true).mean()),
        "fit_seconds": seconds,
        "per_class_f1": [r["per_class"][n]["f1"] for n in CLASS_NAMES],
    }


def _table(results):
    lines = [
        f"      {'recipe':<8} {'macro-F1':>9} {'micro-F1':>9} {'per-label acc':>14} "
        f"{'labels/image':>13} {'fit time':>9}"
    ]
    for name in ("seed", "skhpa"):
        r = results[name]
        lines.append(
            f"      {name:<8} {r['macro_f1']:9.3f} {r['micro_f1']:9.3f} "
            f"{r['per_label_accuracy']:14.3f} {r['labels_per_image']:13.2f} "
            f"{r['fit_seconds']:8.0f}s"
        )
    r = results["seed"]
    lines.append(
        f"      {'truth':<8} {'':>9} {'':>9} {1 - r['empty_prediction_error']:14.3f} "
        f"{r['true_labels_per_image']:13.2f}   (per-label accuracy of predicting nothing)"
    )
    return "\n".join(lines)


class _quiet_metric_warnings:
    """Silence the undefined-metric warnings of folds without some rare class."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.filterwarnings("ignore", message=".*ill-defined.*")
        warnings.filterwarnings("ignore", message=".*least populated label.*")
        return self

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def _figures(out, X_test, Y_test, pred_seed, pred_skhpa, model):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import (
        MontageDisplay,
        PerClassF1Display,
        ThresholdCurveDisplay,
        TrainingCurveDisplay,
    )

    names = []
    disp = PerClassF1Display.from_predictions(
        Y_test, {"seed recipe": pred_seed, "skhpa recipe": pred_skhpa}
    )
    names.append(_save(disp.figure_, out / "per_class_f1.png"))
    n = min(12, len(X_test))
    disp = MontageDisplay.from_predictions(
        X_test[:n],
        Y_test[:n],
        pred_skhpa[:n],
        title=f"skhpa recipe: predictions for the first {n} test images",
    )
    names.append(_save(disp.figure_, out / "test_montage.png"))
    disp = ThresholdCurveDisplay.from_estimator(model)  # the curves it chose its thresholds on
    names.append(_save(disp.figure_, out / "threshold_curves.png"))
    # the CNN's curves (the blend's feature model is a small network too)
    blend = model.estimator_  # ThresholdOptimizer(ProbabilityBlend), cv=valid_size
    disp = TrainingCurveDisplay.from_estimator(blend.named_estimators_["net"])
    names.append(_save(disp.figure_, out / "training_curves.png"))
    plt.close("all")
    return names


def _save(fig, path):
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=90)
    return path.name
