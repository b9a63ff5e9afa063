"""Does a CNN add anything to the features' network head? A CNN trained on its residual.

Opt-in (about 9 minutes per data seed on 2 CPU cores)::

    python benchmarks/run_all.py residual_cnn                      # development seeds 0, 1, 2
    SKHPA_RESIDUAL_SEEDS="2026-12-02 session 13" python benchmarks/run_all.py residual_cnn

The second form draws held-out seeds from that string (``bench_ablation.heldout_seeds``).

The ablation's protocol and data (``bench_ablation.dataset``: 64 px, 3,200 images to fit, 800
to tune the thresholds, 2,000 test images). Stage 1 fits :func:`~skhpa.recipes.features_recipe`
(the network head, the default) on the fit part, and five more on 4/5 of it each, whose logits
on their left-out fifth give every fit image an out-of-fold feature logit. Stage 2 trains the
ablation's CNN (:class:`~skhpa.nn.TimmNet`: resnet18 with channel correlations, 12 epochs,
batch 64, AdamW, lr 2e-3 cosine, :func:`~skhpa.nn.augment_batch`, focal + soft-F1 loss) on
``feature logit + CNN logit``, its last layer initialized to zero: it starts at the features'
prediction and can only learn what they miss. Predictions: the full head's logits plus the
CNN's (D4 TTA). Thresholds: the recipe's, on the tuning part. A plain training loop, because
:class:`~skhpa.HPAClassifier` takes no per-sample offsets (an experiment, not a recipe).

Rows per seed: the features' head alone, head + residual CNN, and head + the residual scaled by
the factor in {0, 0.25, 0.5, 0.75, 1} with the best macro average precision on the tuning part.
"""

import os
import time
import warnings

import numpy as np
import torch
from _common import save
from bench_ablation import RECIPE_EPOCHS, SEEDS, blend_scores, dataset, heldout_seeds
from sklearn.metrics import average_precision_score

from skhpa.losses import CombinedLoss
from skhpa.model_selection import MultilabelStratifiedKFold
from skhpa.nn import TimmNet, augment_batch, d4_transform
from skhpa.recipes import features_recipe

BATCH = 64
SCALES = (0.0, 0.25, 0.5, 0.75, 1.0)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _head_logits(model, X):
    """The logits of a fitted features_recipe() (its network head's output, before the sigmoid)."""
    F = model[:-1].transform(X)
    with torch.no_grad():
        return model[-1].module_(torch.as_tensor(F, dtype=torch.float32)).numpy()


def feature_logits(seed, Xfit, Yfit, Xva, Xte):
    """Out-of-fold logits on the fit part; the full head's logits on the tuning and test parts."""
    full = features_recipe(device="cpu", random_state=seed).fit(Xfit, Yfit)
    oof = np.zeros((len(Xfit), Yfit.shape[1]), np.float32)
    folds = MultilabelStratifiedKFold(5, shuffle=True, random_state=seed)
    for train, held in folds.split(Xfit, Yfit):
        part = features_recipe(device="cpu", random_state=seed).fit(Xfit[train], Yfit[train])
        oof[held] = _head_logits(part, Xfit[held])
    return oof, _head_logits(full, Xva), _head_logits(full, Xte)


def train_residual_cnn(seed, Xfit, Yfit, offsets, epochs):
    """The ablation's CNN trained on ``offsets + its logits``, starting from a zero last layer."""
    torch.manual_seed(seed)
    X = torch.as_tensor(Xfit)
    Y = torch.as_tensor(Yfit, dtype=torch.float32)
    off = torch.as_tensor(offsets)
    Xf = X.float()
    net = TimmNet(
        "resnet18",
        n_classes=Y.shape[1],
        in_chans=X.shape[1],
        mean=Xf.mean(dim=(0, 2, 3)),
        std=Xf.std(dim=(0, 2, 3)),
        correlation_scales=(1, 2, 4),
    )
    del Xf
    torch.nn.init.zeros_(net.head.fc.weight)
    torch.nn.init.zeros_(net.head.fc.bias)
    criterion = CombinedLoss()
    optimizer = torch.optim.AdamW(net.parameters(), lr=2e-3)
    steps = epochs * int(np.ceil(len(X) / BATCH))
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    generator = torch.Generator().manual_seed(seed)
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator)
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            loss = criterion(net(augment_batch(X[idx], generator)) + off[idx], Y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    return net.eval()


def cnn_logits(net, X):
    """The CNN's logits, averaged over the 8 D4 transforms (the recipe's TTA)."""
    out = []
    with torch.no_grad():
        for start in range(0, len(X), 256):
            xb = torch.as_tensor(X[start : start + 256])
            out.append(torch.stack([net(d4_transform(xb, k)) for k in range(8)]).mean(0).numpy())
    return np.concatenate(out)


def recipe_scores(P_va, P_te, Y_va, Y_te, prior):
    """Test scores after the recipe's thresholds, learned on the tuning part's probabilities."""
    # bench_ablation's blend with all the weight on one side: the same thresholds, one place
    got = blend_scores((P_va, P_te), (P_va, P_te), Y_va, Y_te, prior, weights=(1.0,))
    return {k: v for k, v in got.items() if k not in ("weight_of_first", "tuning_macro_f1")}


def run_seed(seed, epochs=RECIPE_EPOCHS):
    Xfit, Yfit, Xva, Yva, Xte, Yte = dataset(seed)
    prior = np.concatenate([Yfit, Yva]).mean(axis=0)
    t = time.perf_counter()
    oof, f_va, f_te = feature_logits(seed, Xfit, Yfit, Xva, Xte)
    features_s = time.perf_counter() - t
    t = time.perf_counter()
    net = train_residual_cnn(seed, Xfit, Yfit, oof, epochs)
    c_va, c_te = cnn_logits(net, Xva), cnn_logits(net, Xte)
    cnn_s = time.perf_counter() - t
    ap = {
        a: average_precision_score(Yva, _sigmoid(f_va + a * c_va), average="macro") for a in SCALES
    }
    best = max(SCALES, key=lambda a: (ap[a], -a))  # ties: the smaller residual
    rows = []
    for label, scale in (
        ("features' network head alone", 0.0),
        ("head + residual CNN", 1.0),
        ("head + residual CNN, scaled by tuning AP", best),
    ):
        got = recipe_scores(
            _sigmoid(f_va + scale * c_va), _sigmoid(f_te + scale * c_te), Yva, Yte, prior
        )
        rows.append(
            {"seed": seed, "row": label, "scale": scale, **got,
             "features_s": features_s, "cnn_s": cnn_s}
        )  # fmt: skip
        print(rows[-1], flush=True)
    return rows


def main():
    # rare classes: folds and the tuning part without positives (scored as the ablation does)
    warnings.filterwarnings("ignore", category=UserWarning)
    which = os.environ.get("SKHPA_RESIDUAL_SEEDS")
    seeds = SEEDS if which is None else heldout_seeds(which)
    kind = "development seeds" if which is None else f"held-out seeds of {which!r}"
    rows = [row for seed in seeds for row in run_seed(seed)]
    for label in dict.fromkeys(r["row"] for r in rows):
        f1 = np.array([r["macro_f1"] for r in rows if r["row"] == label])
        rows.append(
            {"seed": "mean", "row": label, "macro_f1": float(f1.mean()),
             "macro_f1_std": float(f1.std(ddof=1)) if len(f1) > 1 else float("nan")}
        )  # fmt: skip
    return save(
        "residual_cnn",
        rows,
        f"{kind}; the ablation's data (64 px, 3,200 fit / 800 tuning / 2,000 test); "
        f"resnet18 + channel correlations, {RECIPE_EPOCHS} epochs, on the out-of-fold logits of "
        "features_recipe(); recipe thresholds",
    )


if __name__ == "__main__":
    main()
