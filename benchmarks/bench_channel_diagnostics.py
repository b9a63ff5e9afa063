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
    rows = []
    for name, V in cases:
        est, opt = fit_tuned(cnn(), V[:N_TRAIN], Y[:N_TRAIN])
        row = {"input": name, "test_macro_f1": macro(Y[N_TRAIN:], opt.predict(V[N_TRAIN:]))}
        if name in ("4 channels", "green only"):
            row["train_macro_f1"] = macro(Y[:N_TRAIN], opt.predict(V[:N_TRAIN]))
            row["last_train_loss"] = float(est.history[-1, "train_loss"])
        rows.append(row)
        print(row, flush=True)
    return save(
        "channel_diagnostics",
        rows,
        f"SeedCNN 8 epochs, {N_TRAIN} train / {N_TEST} test, {SIZE} px, data seed 0",
    )


if __name__ == "__main__":
    main()
