"""Group labels renumbered 0, 1, ... in order of first appearance."""

import numpy as np


def first_seen_labels(values):
    """Labels 0, 1, ... for the distinct ``values``, numbered in order of first appearance.

    The one numbering of every grouping skhpa returns (antibodies, near-duplicate
    components, merged groupings).
    """
    _, first_seen, inverse = np.unique(values, return_index=True, return_inverse=True)
    rank = np.empty(len(first_seen), np.int64)
    rank[np.argsort(first_seen)] = np.arange(len(first_seen))
    return rank[inverse.reshape(-1)]
