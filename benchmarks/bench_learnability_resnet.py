"""Do 4 channels beat green only with a stronger model? resnet18 on the synthetic data.

Opt-in (about 10 minutes on 2 CPU cores, not part of ``run_all.py``'s default list):

    python benchmarks/run_all.py learnability_resnet

Same protocol as the learnability table of bench_synthetic_quality.py (thresholds per class
on a 20 % held-out part), with resnet18 at 64 px, 2,400 train / 1,200 test, 8 epochs; a third
row gives the 4-channel network the channels' pairwise correlations in its head
(``module__correlation_scales=(1, 2, 4)``, as in skhpa_recipe).
"""

import warnings

from _common import save
from bench_synthetic_quality import fit_tuned
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline

from skhpa import HPAClassifier
from skhpa.datasets import make_hpa_like
from skhpa.preprocessing import ChannelSelector


def net(**kw):
    return HPAClassifier(
        "resnet18",
        max_epochs=8,
        batch_size=64,
        lr=2e-3,
        train_split=None,
        device="cpu",
        random_state=0,
        **kw,
    )


def main():
    warnings.filterwarnings("ignore")
    X, Y = make_hpa_like(3600, image_size=64, random_state=0)
    Xtr, Ytr, Xte, Yte = X[:2400], Y[:2400], X[2400:], Y[2400:]
    rows = []
    for name, est in (
        ("4 channels", net()),
        ("green only", make_pipeline(ChannelSelector(("green",)), net())),
        ("4 channels + channel correlations", net(module__correlation_scales=(1, 2, 4))),
    ):
        _, opt = fit_tuned(est, Xtr, Ytr)
        rows.append(
            {
                "input": name,
                "macro_f1": float(
                    f1_score(Yte, opt.predict(Xte), average="macro", zero_division=0)
                ),
            }
        )
    return save("learnability_resnet", rows, "resnet18, 8 epochs, 2400 train / 1200 test, 64 px")


if __name__ == "__main__":
    main()
