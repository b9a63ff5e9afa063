"""Resampling the real 31,072 x 28 HPA label matrix; target <= 0.5 s."""

import numpy as np
from _common import best_of, save
from imblearn.over_sampling import RandomOverSampler

from skhpa.datasets import hpa_label_matrix
from skhpa.resampling import MLROS, MLRUS, LabelPowersetSampler, imbalance_report


def main():
    Y = hpa_label_matrix(random_state=0)
    ids = np.arange(len(Y))
    base = imbalance_report(Y)
    rows = [
        {
            "sampler": "(input)",
            "seconds": 0.0,
            "n_out": len(Y),
            "MeanIR": base["MeanIR"],
            "MaxIR": base["MaxIR"],
        }
    ]
    for name, sampler in (
        ("MLROS(0.1)", MLROS(sampling_ratio=0.1, random_state=0)),
        ("MLRUS(0.1)", MLRUS(sampling_ratio=0.1, random_state=0)),
        (
            "LabelPowersetSampler(RandomOverSampler)",
            LabelPowersetSampler(RandomOverSampler(random_state=0)),
        ),
    ):
        t, (_, Y_res) = best_of(lambda s=sampler: s.fit_resample(ids, Y))
        r = imbalance_report(Y_res)
        rows.append(
            {
                "sampler": name,
                "seconds": t,
                "n_out": len(Y_res),
                "MeanIR": r["MeanIR"],
                "MaxIR": r["MaxIR"],
            }
        )
    return save("resampling", rows, "real HPA 2018 label matrix; X = Ids")


if __name__ == "__main__":
    main()
