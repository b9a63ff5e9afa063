"""Iterative stratification (Sechidis, Tsoumakas and Vlahavas, 2011), label-set grouped.

The paper's greedy algorithm takes the label with the fewest remaining positives,
and hands each sample carrying it, in random order, to the fold that still
"wants" that label the most (ties: the fold that wants the most samples, then at
random). Samples with an identical label set are interchangeable for every
quantity the algorithm looks at, so this implementation hands out a whole group
of identical samples at once, split in proportion to the folds' remaining demand
for the label (what the random one-by-one order does on average). The real HPA
label matrix (31,072 x 28) has only 577 distinct label sets, so the work is a
few hundred small vector operations instead of one Python step per sample.

The group variant (no group split across folds) runs the same greedy over the
groups, each carrying its per-label positive counts and its size.
"""

import numpy as np

from ..utils import unique_label_sets


def _share_out(demand, tie, k, rng):
    """Split ``k`` identical items over folds in proportion to their remaining demand.

    Handing the items out one by one in a random order, each to the fold with
    the largest remaining demand, splits them in proportion to that demand; this
    computes the same split in one step. The remainder after rounding down goes
    to the largest fractional shares (ties: larger ``tie``, then random), so a
    single item goes to the fold with the largest demand, exactly as in the
    one-by-one greedy.
    """
    n = len(demand)
    w = np.maximum(demand, 0.0)
    if w.sum() <= 0:
        w = np.maximum(tie, 0.0)
        if w.sum() <= 0:
            w = np.ones(n)
    share = k * w / w.sum()
    alloc = np.floor(share).astype(np.int64)
    left = k - int(alloc.sum())
    if left > 0:
        order = np.lexsort((rng.random(n), -tie, -(share - alloc)))
        alloc[order[:left]] += 1
    return alloc


def _rarest_label(remaining_pos):
    """The label with the fewest positives still to hand out (lowest index on ties), or None."""
    active = remaining_pos > 0
    if not active.any():
        return None
    return int(np.flatnonzero(active)[np.argmin(remaining_pos[active])])


def iterative_assign(Y, ratios, rng, *, shuffle):
    """Assign each row of the indicator matrix ``Y`` to a fold.

    Parameters
    ----------
    Y : ndarray (n_samples, n_labels) of 0/1
    ratios : ndarray (n_folds,)
        Share of the samples each fold should receive (sums to 1).
    rng : numpy Generator
        Source of random tie-breaks and of the processing order.
    shuffle : bool
        Randomize the order in which samples of one label set are assigned.

    Returns
    -------
    folds : ndarray (n_samples,) of fold indices
    """
    n, q = Y.shape
    ratios = np.asarray(ratios, dtype=float)
    sets, inverse, sizes = unique_label_sets(Y)
    # Members of each label set, in sample order (randomized if shuffle).
    order = rng.permutation(n) if shuffle else np.arange(n)
    by_set = np.argsort(inverse[order], kind="stable")
    members = np.split(order[by_set], np.cumsum(sizes)[:-1])
    sets = sets.astype(np.int64)

    demand_label = np.outer(sets.T @ sizes, ratios)  # (q, n_folds)
    demand_size = n * ratios
    remaining_pos = (sets * sizes[:, None]).sum(0).astype(np.int64)
    unassigned = np.ones(len(sets), dtype=bool)
    folds = np.empty(n, dtype=np.int64)
    # Label sets in order of first appearance (random when shuffle).
    first_seen = np.full(len(sets), n)
    np.minimum.at(first_seen, inverse[order], np.arange(n))
    set_order = np.argsort(first_seen, kind="stable")

    def assign(s):
        alloc = _share_out(demand_label[label], demand_size, sizes[s], rng)
        folds[members[s]] = np.repeat(np.arange(len(ratios)), alloc)
        demand_label[:] -= np.outer(sets[s], alloc)
        demand_size[:] -= alloc
        remaining_pos[:] -= sets[s] * sizes[s]
        unassigned[s] = False

    while (label := _rarest_label(remaining_pos)) is not None:
        for s in set_order:
            if unassigned[s] and sets[s, label]:
                assign(s)
    # Samples without any label: balance the fold sizes only.
    for s in set_order:
        if unassigned[s]:
            alloc = _share_out(demand_size, demand_size, sizes[s], rng)
            folds[members[s]] = np.repeat(np.arange(len(ratios)), alloc)
            demand_size -= alloc
            unassigned[s] = False
    return folds


def iterative_assign_groups(Y, groups, ratios, rng, *, shuffle):
    """Like :func:`iterative_assign`, but every group goes to one fold as a whole."""
    n, q = Y.shape
    ratios = np.asarray(ratios, dtype=float)
    uniq, g_index = np.unique(groups, return_inverse=True)
    g_index = g_index.ravel()
    n_groups = len(uniq)
    counts = np.zeros((n_groups, q), dtype=np.int64)
    np.add.at(counts, g_index, Y.astype(np.int64))
    gsize = np.bincount(g_index, minlength=n_groups)
    demand_label = np.outer(counts.sum(0), ratios)
    demand_size = n * ratios
    remaining_pos = counts.sum(0)
    unassigned = np.ones(n_groups, dtype=bool)
    gfold = np.empty(n_groups, dtype=np.int64)
    n_folds = len(ratios)
    tiebreak = rng.random(n_groups) if shuffle else np.arange(n_groups) / n_groups

    def place(g, key):
        # the fold that wants this label most; ties: most samples wanted, then random
        jit = rng.random(n_folds) if shuffle else -np.arange(n_folds)
        j = int(np.lexsort((jit, demand_size, key))[-1])
        gfold[g] = j
        demand_label[:, j] -= counts[g]
        demand_size[j] -= gsize[g]
        remaining_pos[:] -= counts[g]
        unassigned[g] = False

    while (label := _rarest_label(remaining_pos)) is not None:
        cand = np.flatnonzero(unassigned & (counts[:, label] > 0))
        # Large groups first (they are the hardest to balance), random among equals.
        cand = cand[np.lexsort((tiebreak[cand], -gsize[cand]))]
        for g in cand:
            place(g, demand_label[label])
    rest = np.flatnonzero(unassigned)
    rest = rest[np.lexsort((tiebreak[rest], -gsize[rest]))]
    for g in rest:
        place(g, demand_size)
    return gfold[g_index]


def fix_part_sizes(Y, folds, targets, rng):
    """Move the fewest, least harmful samples so that part ``j`` holds ``targets[j]``.

    The stratification meets the requested sizes only to within a few samples
    on small data; a shuffle split must return the exact sizes. Samples are
    moved out of an oversized part in order of how over-represented their
    labels are there (ties at random), which keeps the label balance.
    """
    folds = folds.copy()
    Y = np.asarray(Y, dtype=np.int64)
    targets = np.asarray(targets)
    n_parts = len(targets)
    freq = Y.mean(0)
    for _ in range(n_parts * 2):
        sizes = np.bincount(folds, minlength=n_parts)
        diff = sizes - targets
        if not diff.any():
            break
        src, dst = int(np.argmax(diff)), int(np.argmin(diff))
        count = int(min(diff[src], -diff[dst]))
        members = np.flatnonzero(folds == src)
        excess = Y[members].sum(0) - freq * targets[src]
        score = Y[members] @ excess
        order = np.lexsort((rng.random(len(members)), -score))
        folds[members[order[:count]]] = dst
    return folds
