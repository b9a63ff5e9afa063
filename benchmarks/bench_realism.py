"""Realism: can simple per-channel statistics tell real HPA fields from synthetic ones?

Reads the real files under ``/work/shared/data`` (or ``$SKHPA_REAL_DATA``; the CI machine has
them; the package and the tests never read them):

- ``hpa_samples/train/*_{colour}.png``: real Kaggle HPA 2018 channel files (512 px, 8-bit,
  one channel per Id, 12 per colour);
- ``hpa_fields/*_{colour}.jpg``: two whole real 4-channel fields (HPA website layout,
  CC BY-SA 3.0, Human Protein Atlas, proteinatlas.org), resized to 512 px.

For each channel, :func:`skhpa.datasets._realism.channel_statistics` (mean; median, 90th,
99th, 99.9th percentile, all log1p; fraction of pixels above 20; autocorrelation at 1, 4 and
16 px) of the real files and of ``N_SYNTH`` default synthetic 512 px fields; a logistic
regression on those statistics tells them apart with a cross-validated AUC (stratified
5-fold, repeated 10 times, balanced class weights). Also: nucleus count and size from the
blue channel, cell coverage from red and yellow, and the co-localization of green with each
reference in the two whole fields (real) and in synthetic fields.

Writes ``results/realism.json``, two figures (``docs/_static/realism_histograms.png`` and
``docs/_static/realism_fields.png``) and the real files' per-channel range of each statistic,
``tests/data/real_channel_statistics.json`` (the generator's tests check default fields
against it without reading the real files).
"""

import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
from _common import save
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skhpa.datasets import CHANNELS, GENERATOR_VERSION, make_hpa_like
from skhpa.datasets._realism import (
    STATISTICS,
    cell_coverage,
    colocalization,
    nuclei,
    statistics_table,
)

SHARED = Path(os.environ.get("SKHPA_REAL_DATA", "/work/shared/data"))
N_SYNTH, SIZE, SEED = 240, 512, 0
ROOT = Path(__file__).resolve().parent.parent
FIGS = ROOT / "docs" / "_static"
RANGE_TABLE = ROOT / "tests" / "data" / "real_channel_statistics.json"
# The two whole fields: which RGB component holds each colour (yellow = red + green).
_COMPONENT = {"red": (0,), "green": (1,), "blue": (2,), "yellow": (0, 1)}


def real_channel_images(colour, folder=None):
    """The real Kaggle channel files of one colour (list of 512x512 uint8 arrays)."""
    from PIL import Image

    folder = Path(folder or SHARED / "hpa_samples" / "train")
    files = sorted(folder.glob(f"*_{colour}.png"))
    if not files:
        raise FileNotFoundError(f"no real *_{colour}.png under {folder}")
    return [np.array(Image.open(p)) for p in files]


def real_whole_fields(folder=None, size=SIZE):
    """The whole real 4-channel fields, each as a (4, size, size) uint8 array (RGBY)."""
    from PIL import Image

    folder = Path(folder or SHARED / "hpa_fields")
    out = {}
    for blue in sorted(folder.glob("*_blue.jpg")):
        fid = blue.name[: -len("_blue.jpg")]
        planes = []
        for c in CHANNELS:
            rgb = np.array(Image.open(folder / f"{fid}_{c}.jpg").convert("RGB"), np.float32)
            plane = rgb[..., list(_COMPONENT[c])].mean(-1)
            img = Image.fromarray(np.clip(plane + 0.5, 0, 255).astype(np.uint8))
            planes.append(np.array(img.resize((size, size), Image.BILINEAR)))
        out[fid] = np.stack(planes)
    return out


def realism_auc(real, synth, *, n_repeats=10, random_state=0):
    """Cross-validated AUC of a logistic regression telling real (1) from synthetic (0) rows.

    Stratified 5-fold (fewer if there are fewer real rows), repeated ``n_repeats`` times;
    the AUC of the out-of-fold scores of each repetition, averaged.
    """
    X = np.vstack([real, synth])
    y = np.r_[np.ones(len(real)), np.zeros(len(synth))]
    cv = RepeatedStratifiedKFold(
        n_splits=min(5, len(real)), n_repeats=n_repeats, random_state=random_state
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced"))
    scores = np.zeros((n_repeats, len(y)))
    for i, (tr, te) in enumerate(cv.split(X, y)):
        scores[i // cv.cvargs["n_splits"], te] = model.fit(X[tr], y[tr]).decision_function(X[te])
    return float(np.mean([roc_auc_score(y, s) for s in scores]))


def synthetic_fields(n=N_SYNTH, size=SIZE, random_state=SEED):
    X, _ = make_hpa_like(n, image_size=size, random_state=random_state)
    return X


def compare(X, real=None):
    """Per-channel statistics of real files and synthetic fields X, and the AUCs."""
    real = real or {c: statistics_table(real_channel_images(c)) for c in CHANNELS}
    out = {}
    for i, c in enumerate(CHANNELS):
        syn = statistics_table(X[:, i])
        out[c] = {"real": real[c], "synth": syn, "auc": realism_auc(real[c], syn)}
    return out


def _field_measures(fields):
    """Nucleus count/size, cell coverage and co-localization for (n, 4, H, W) fields."""
    r, g, b, y = (CHANNELS.index(c) for c in ("red", "green", "blue", "yellow"))
    rows = []
    for F in fields:
        n_nuc, area = nuclei(F[b])
        rows.append(
            [
                n_nuc,
                area,
                cell_coverage(F[r]),
                cell_coverage(F[y]),
                colocalization(F[g], F[r]),
                colocalization(F[g], F[b]),
                colocalization(F[g], F[y]),
                colocalization(F[r], F[y]),
            ]
        )
    return np.array(rows, float)


FIELD_MEASURES = (
    "nuclei_per_field",
    "nucleus_area_px",
    "cell_coverage_red",
    "cell_coverage_yellow",
    "coloc_green_red",
    "coloc_green_blue",
    "coloc_green_yellow",
    "coloc_red_yellow",
)


def write_range_table(real, path=RANGE_TABLE):
    """Per channel and statistic, the min and max over the real files (a small JSON table)."""
    table = {
        "source": "benchmarks/bench_realism.py: channel_statistics of the real HPA 2018 Kaggle "
        "train channel files in hpa_samples/train of the project's shared data",
        "n_files": {c: len(real[c]) for c in CHANNELS},
        "statistics": list(STATISTICS),
        "range": {
            c: {
                n: [round(float(real[c][:, j].min()), 4), round(float(real[c][:, j].max()), 4)]
                for j, n in enumerate(STATISTICS)
            }
            for c in CHANNELS
        },
    }
    path.write_text(json.dumps(table, indent=1) + "\n")
    return path


def labelled_fields(label, n, size=SIZE):
    """``n`` synthetic fields whose only label is ``label`` (seeds 0..n-1)."""
    from skhpa.datasets._synthetic import render_sample

    return np.stack(
        [render_sample(np.random.default_rng(i), [label], size, CHANNELS) for i in range(n)]
    )


def figures(res, X, whole, example):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    FIGS.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.2))
    for i, (c, ax) in enumerate(zip(CHANNELS, axes)):
        bins = np.arange(257)
        real = np.concatenate([im.ravel() for im in real_channel_images(c)])
        syn = X[:, i].ravel()
        ax.hist(real, bins, density=True, histtype="step", color="k", label="real (Kaggle)")
        ax.hist(syn, bins, density=True, histtype="step", color="C1", label="synthetic")
        ax.set_yscale("log")
        ax.set_title(f"{c}: AUC {res[c]['auc']:.2f}")
        ax.set_xlabel("8-bit intensity")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(FIGS / "realism_histograms.png", dpi=80)
    plt.close(fig)

    fid, real4 = next(iter(whole.items()))
    fig, axes = plt.subplots(2, 4, figsize=(12, 6.6))
    for row, (F, name) in enumerate(((real4, f"real {fid}"), (example, "synthetic, cytosol"))):
        for i, c in enumerate(CHANNELS):
            ax = axes[row, i]
            ax.imshow(F[i], cmap="gray", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{name}: {c}", fontsize=9)
    fig.text(
        0.5,
        0.005,
        f"Real field {fid}: Human Protein Atlas, proteinatlas.org (CC BY-SA 3.0), "
        "resized to 512 px",
        ha="center",
        fontsize=8,
    )
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    fig.savefig(FIGS / "realism_fields.png", dpi=80)
    plt.close(fig)


def main():
    warnings.filterwarnings("ignore")
    t = time.perf_counter()
    X = synthetic_fields()
    gen_s = time.perf_counter() - t
    res = compare(X)
    write_range_table({c: res[c]["real"] for c in CHANNELS})
    rows = []
    for c in CHANNELS:
        real, syn = res[c]["real"], res[c]["synth"]
        for j, name in enumerate(STATISTICS):
            rows.append(
                {
                    "channel": c,
                    "statistic": name,
                    "real_median": float(np.median(real[:, j])),
                    "real_min": float(real[:, j].min()),
                    "real_max": float(real[:, j].max()),
                    "synth_median": float(np.median(syn[:, j])),
                    "synth_p10": float(np.percentile(syn[:, j], 10)),
                    "synth_p90": float(np.percentile(syn[:, j], 90)),
                }
            )
        rows.append(
            {
                "channel": c,
                "statistic": "AUC real vs synthetic",
                "real_median": f"{len(real)} real files",
                "synth_median": f"{len(syn)} synthetic fields",
                "auc": res[c]["auc"],
                "target_met": res[c]["auc"] <= 0.75,
            }
        )
    whole = real_whole_fields()
    wm = _field_measures(list(whole.values()))
    sm = _field_measures(X[:60])
    blue_real = np.array([nuclei(im) for im in real_channel_images("blue")], float)
    red_cov = [cell_coverage(im) for im in real_channel_images("red")]
    yel_cov = [cell_coverage(im) for im in real_channel_images("yellow")]
    kaggle = {
        "nuclei_per_field": blue_real[:, 0],
        "nucleus_area_px": blue_real[:, 1],
        "cell_coverage_red": red_cov,
        "cell_coverage_yellow": yel_cov,
    }
    for j, name in enumerate(FIELD_MEASURES):
        row = {"channel": "field", "statistic": name}
        if name in kaggle:
            row["real_median"] = float(np.median(kaggle[name]))
            row["real_min"] = float(np.min(kaggle[name]))
            row["real_max"] = float(np.max(kaggle[name]))
        row["real_whole_fields"] = " / ".join(f"{v:.3g}" for v in wm[:, j])
        row["synth_median"] = float(np.median(sm[:, j]))
        row["synth_p10"] = float(np.percentile(sm[:, j], 10))
        row["synth_p90"] = float(np.percentile(sm[:, j], 90))
        rows.append(row)
    # the whole real fields are predicted cytosol (800_A6_1) and ER (89_B5_1): compare them
    # with synthetic fields of that one class
    by_class = {25: labelled_fields(25, 20), 6: labelled_fields(6, 20)}
    for label, fid in ((25, "800_A6_1"), (6, "89_B5_1")):
        m = _field_measures(by_class[label])
        j = list(whole).index(fid) if fid in whole else None
        for k, name in enumerate(FIELD_MEASURES):
            if name.startswith("coloc"):
                rows.append(
                    {
                        "channel": f"field, class {label} only",
                        "statistic": name,
                        "real_whole_fields": "" if j is None else f"{wm[j, k]:.3g} ({fid})",
                        "synth_median": float(np.median(m[:, k])),
                        "synth_p10": float(np.percentile(m[:, k], 10)),
                        "synth_p90": float(np.percentile(m[:, k], 90)),
                    }
                )
    figures(res, X, whole, by_class[25][0])
    aucs = ", ".join(f"{c} {res[c]['auc']:.2f}" for c in CHANNELS)
    return save(
        "realism",
        rows,
        f"generator {GENERATOR_VERSION}; {N_SYNTH} default synthetic {SIZE} px fields "
        f"(random_state={SEED}, {gen_s:.0f} s) vs the real Kaggle files and 2 whole fields "
        f"of /work/shared/data; logistic regression on the 9 statistics, 5-fold x 10; "
        f"AUC {aucs}",
    )


if __name__ == "__main__":
    main()
