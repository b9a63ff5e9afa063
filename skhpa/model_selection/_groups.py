"""Group labels: connected components of pairs, and groupings merged into one."""

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..utils import first_seen_labels
from ._split import _n_group_labels


def _components(n, i, j):
    """Labels 0, 1, ... (in order of first appearance) of the connected components of pairs."""
    graph = coo_matrix((np.ones(np.size(i), np.int8), (i, j)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    return first_seen_labels(comp)


def merge_groups(*groupings):
    """One group label per sample from several groupings of the same samples.

    Two samples share a merged group when they share a group in any of the
    groupings, directly or through a chain of samples (the connected components
    of "same group somewhere"). Use it to keep together, in one split, both the
    images of one antibody (:func:`skhpa.datasets.antibody_groups`) and the
    near-duplicate copies of one field (:func:`duplicate_groups`).

    Parameters
    ----------
    *groupings : array-like of shape (n_samples,)
        Group labels (numbers or strings; one type per grouping), all for the
        same samples in the same order.

    Returns
    -------
    groups : ndarray of shape (n_samples,), dtype int64
        Labels 0, 1, ... in order of first appearance.

    Examples
    --------
    >>> from skhpa.model_selection import merge_groups
    >>> antibody = ["A", "A", "B", "C", "D"]
    >>> copies = [0, 1, 2, 2, 3]            # samples 2 and 3 are one field
    >>> merge_groups(antibody, copies).tolist()
    [0, 0, 1, 1, 2]
    """
    if not groupings:
        raise ValueError("merge_groups needs at least one grouping")
    arrays = [np.asarray(g) for g in groupings]
    n = len(arrays[0])
    i, j = [], []
    for k, g in enumerate(arrays):
        if g.ndim != 1:
            raise ValueError(f"grouping {k} must be 1-dimensional, got shape {g.shape}")
        if len(g) != n:
            raise ValueError(
                f"grouping {k} has {len(g)} labels but grouping 0 has {n}: every grouping "
                "must label the same samples, in the same order"
            )
        _n_group_labels(g, f"grouping {k}")  # names missing (None, NaN) and unsortable labels
        # every sample is joined to the first sample of its group
        _, first, inverse = np.unique(g, return_index=True, return_inverse=True)
        i.append(np.arange(n))
        j.append(first[inverse.reshape(-1)])
    return _components(n, np.concatenate(i), np.concatenate(j))
