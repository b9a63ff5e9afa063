"""Kaggle Target parsing and formatting on the real train.csv size (31,072 rows).

Baseline: a straightforward per-row Python loop (split, int, set the bits).
"""

import numpy as np
from _common import best_of, save

from skhpa.datasets import format_targets, hpa_label_matrix, parse_targets


def naive_parse(targets):
    Y = np.zeros((len(targets), 28), np.uint8)
    for i, t in enumerate(targets):
        for tok in t.split():
            Y[i, int(tok)] = 1
    return Y


def main():
    Y = hpa_label_matrix(random_state=0)
    targets = format_targets(Y)
    t_parse, Y2 = best_of(lambda: parse_targets(targets))
    t_naive, Y3 = best_of(lambda: naive_parse(targets))
    t_format, _ = best_of(lambda: format_targets(Y))
    assert np.array_equal(Y2, Y) and np.array_equal(Y3, Y)
    return save(
        "labels",
        [
            {
                "what": "parse_targets (validating)",
                "seconds": t_parse,
                "baseline_s": t_naive,
                "speedup": t_naive / t_parse,
            },
            {"what": "format_targets", "seconds": t_format},
        ],
        "31,072 rows; baseline = unvalidated per-row Python loop",
    )


if __name__ == "__main__":
    main()
