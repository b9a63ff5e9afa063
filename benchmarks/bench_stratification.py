"""Multilabel-stratified 5-fold split of the real HPA label matrix vs iterative-stratification.

Targets: <= 0.1 s, label-frequency deviation no worse than iterative-stratification's.
Also: the grouped splitter on the HPA v18 external labels with antibody-plate groups.
"""

import numpy as np
from _common import best_of, save
from sklearn.model_selection import KFold

from skhpa.datasets import hpa_label_matrix
from skhpa.model_selection import (
    MultilabelStratifiedGroupKFold,
    MultilabelStratifiedKFold,
    stratification_scores,
)


def main():
    Y = hpa_label_matrix(random_state=0)
    X = np.zeros(len(Y))
    rows = []

    def run(cv, *args):
        return list(cv.split(X, Y, *args))

    t, splits = best_of(lambda: run(MultilabelStratifiedKFold(5, shuffle=True, random_state=0)))
    ours = {
        "splitter": "skhpa MultilabelStratifiedKFold",
        "seconds": t,
        **stratification_scores(Y, splits),
    }
    rows.append(ours)
    try:
        from iterstrat.ml_stratifiers import MultilabelStratifiedKFold as IterStrat

        t2, splits2 = best_of(lambda: run(IterStrat(n_splits=5, shuffle=True, random_state=0)))
        rows.append(
            {
                "splitter": "iterstrat MultilabelStratifiedKFold",
                "seconds": t2,
                **stratification_scores(Y, splits2),
            }
        )
        ours["speedup_vs_iterstrat"] = t2 / t
    except ImportError:
        print("  iterative-stratification is not installed (pip install iterative-stratification)")
    t3, splits3 = best_of(lambda: run(KFold(5, shuffle=True, random_state=0)))
    rows.append(
        {"splitter": "sklearn KFold(shuffle)", "seconds": t3, **stratification_scores(Y, splits3)}
    )

    # grouped splitter on the HPA v18 external labels (groups = antibody-plate prefix)
    from pathlib import Path

    ext = np.load(Path(__file__).parent / "data" / "hpav18_groups_compact.npz")
    Ye, groups = ext["sets"][ext["index"]], ext["groups"]
    Xe = np.zeros(len(Ye))
    tg, sg = best_of(
        lambda: list(
            MultilabelStratifiedGroupKFold(5, shuffle=True, random_state=0).split(Xe, Ye, groups)
        ),
        repeat=1,
    )
    leak = sum(len(set(groups[a]) & set(groups[b])) for a, b in sg)
    rows.append(
        {
            "splitter": "skhpa MultilabelStratifiedGroupKFold (HPAv18, antibody groups)",
            "seconds": tg,
            "groups_split": leak,
            **stratification_scores(Ye, sg),
        }
    )
    tu, su = best_of(
        lambda: list(MultilabelStratifiedKFold(5, shuffle=True, random_state=0).split(Xe, Ye)),
        repeat=1,
    )
    leak_u = sum(len(set(groups[a]) & set(groups[b])) for a, b in su)
    rows.append(
        {
            "splitter": "skhpa MultilabelStratifiedKFold (HPAv18, ignores groups)",
            "seconds": tu,
            "groups_split": leak_u,
            **stratification_scores(Ye, su),
        }
    )
    return save(
        "stratification", rows, "real HPA 2018 label matrix 31,072 x 28; HPA v18 74,606 x 28"
    )


if __name__ == "__main__":
    main()
