"""Why 4 channels do not beat green only on the synthetic data: one table of input variants.

The learnability protocol of ``bench_synthetic_quality`` (SeedCNN, 8 epochs, 2,400 train /
1,200 test at 48 px, per-class thresholds tuned on a held-out 20 %), on the same data with
the input changed:

- ``4 channels`` and ``green only``: the learnability comparison itself;
- ``green + zero references``: 4 input channels, the references set to 0 (a sanity check:
  must match green only);
- ``green + shuffled references``: the references of another image (what the network gets
  from reference *structure* without any alignment to the green pattern);
- ``green + red`` / ``+ blue`` / ``+ yellow``: one reference at a time;
- ``anti-aliased``: the images rendered at 192 px and box-downsampled to 48 px, as a 512 px
  field shrunk by ImageLoader would be (thin filaments become smooth cell-shaped intensity
  instead of aliased speckle), 4 channels and green only.

Also reported for 4 channels and green: macro-F1 on the training images and the last epoch's
training loss (is the gap overfitting or underfitting?).

Probes of the training and of the input form, same protocol:

- ``batch 16``: 4x the optimizer steps in about the same time (green and 4 channels; and
  4 channels at lr 1e-3); ``lr 6e-3``: a larger step at batch 64;
- green plus green-times-marker maps as input channels: per-image standardized products
  (``g / mean(g) * m / mean(m) * 16``) or geometric means ``sqrt(g * m)``; and 4 channels plus
  the geometric means.
"""

import warnings

import numpy as np
from _common import save
from bench_synthetic_quality import N_TEST, N_TRAIN, SIZE, cnn, fit_tuned, macro

from skhpa.datasets import make_hpa_like

RED, GREEN, BLUE, YELLOW = range(4)


def _variants(X, rng):
    zeros = np.zeros_like(X)
    zeros[:, GREEN] = X[:, GREEN]
    shuffled = X[rng.permutation(len(X))].copy()
    shuffled[:, GREEN] = X[:, GREEN]
    return [
        ("4 channels", X),
        ("green only", X[:, [GREEN]]),
        ("green + zero references", zeros),
        ("green + shuffled references", shuffled),
        ("green + red", X[:, [RED, GREEN]]),
        ("green + blue", X[:, [GREEN, BLUE]]),
        ("green + yellow", X[:, [GREEN, YELLOW]]),
    ]


def _geometric_means(X):
    """sqrt(green * marker) for red, blue, yellow: (n, 3, H, W) uint8."""
    g = X[:, GREEN].astype(np.float32)
    return (
        np.stack([np.sqrt(g * X[:, m].astype(np.float32)) for m in (RED, BLUE, YELLOW)], axis=1)
        .round()
        .astype(np.uint8)
    )


def _standardized_products(X):
    """green, then green / mean * marker / mean (x16, clipped) per marker: (n, 4, H, W) uint8."""
    Xf = X.astype(np.float32)

    def rel(c):
        return Xf[:, c] / (Xf[:, c].mean(axis=(1, 2), keepdims=True) + 1)

    prods = [np.clip(rel(GREEN) * rel(m) * 16, 0, 255).round() for m in (RED, BLUE, YELLOW)]
    return np.stack([Xf[:, GREEN]] + prods, axis=1).astype(np.uint8)


def main():
    warnings.filterwarnings("ignore")
    n = N_TRAIN + N_TEST
    X, Y = make_hpa_like(n, image_size=SIZE, random_state=0)
    big, _ = make_hpa_like(n, image_size=4 * SIZE, random_state=0)
    smooth = big.reshape(n, 4, SIZE, 4, SIZE, 4).mean(axis=(3, 5)).round().astype(np.uint8)
    del big
    cases = _variants(X, np.random.default_rng(0))
    cases += [
        ("anti-aliased, 4 channels", smooth),
        ("anti-aliased, green only", smooth[:, [GREEN]]),
    ]
    cases = [(name, V, {}) for name, V in cases]
    gm = _geometric_means(X)
    cases += [
        ("green only, batch 16", X[:, [GREEN]], {"batch_size": 16}),
        ("4 channels, batch 16", X, {"batch_size": 16}),
        ("4 channels, batch 16, lr 1e-3", X, {"batch_size": 16, "lr": 1e-3}),
        ("4 channels, lr 6e-3", X, {"lr": 6e-3}),
        ("green + standardized products", _standardized_products(X), {}),
        ("green + geometric means", np.concatenate([X[:, [GREEN]], gm], axis=1), {}),
        ("4 channels + geometric means", np.concatenate([X, gm], axis=1), {}),
    ]
    rows = []
    for name, V, kw in cases:
        est, opt = fit_tuned(cnn(**kw), V[:N_TRAIN], Y[:N_TRAIN])
        row = {"input": name, "test_macro_f1": macro(Y[N_TRAIN:], opt.predict(V[N_TRAIN:]))}
        if name in ("4 channels", "green only"):
            row["train_macro_f1"] = macro(Y[:N_TRAIN], opt.predict(V[:N_TRAIN]))
            row["last_train_loss"] = float(est.history[-1, "train_loss"])
        rows.append(row)
        print(row, flush=True)
    return save(
        "channel_diagnostics",
        rows,
        f"SeedCNN 8 epochs (batch 64, lr 2e-3 unless named), {N_TRAIN} train / {N_TEST} test, "
        f"{SIZE} px, data seed 0",
    )


if __name__ == "__main__":
    main()
