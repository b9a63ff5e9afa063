"""Threshold searches on one matrix of probabilities, and shrinkage (no estimator involved).

Conventions: a sample is predicted positive for class k when
``proba[:, k] >= thresholds[k]``. A threshold is placed halfway between the
probability that becomes the last positive and the next lower distinct
probability, so it generalizes to unseen values between them.
"""

import numpy as np

# Thresholds above every probability: "predict no positive".
_ABOVE = np.nextafter(1.0, 2.0)


def _cut_points(values_desc):
    """Thresholds that realize each cut of a descending array of distinct values."""
    low = values_desc[-1]
    # below the lowest value: halfway to 0 (0 itself for a lowest probability of 0, so that a
    # threshold stays in [0, 1]); one below it for negative scores
    nxt = np.append(values_desc[1:], low / 2.0 if low > 0 else (0.0 if low == 0 else low - 2.0))
    return (values_desc + nxt) / 2.0


def fbeta_from_counts(tp, n_pred, n_pos, beta=1.0):
    """F-beta from counts: true positives, predicted positives and actual positives.

    ``(1 + b2) tp / ((1 + b2) tp + b2 fn + fp)`` with ``b2 = beta ** 2``, 0 where
    the denominator is 0 (nothing predicted and nothing to find). Works on
    scalars and arrays of counts alike (every search below goes through it).

    Examples
    --------
    >>> from skhpa.thresholding._search import fbeta_from_counts
    >>> float(fbeta_from_counts(2, 4, 2)), float(fbeta_from_counts(0, 0, 3))
    (0.6666666666666666, 0.0)
    """
    tp = np.asarray(tp)
    b2 = beta * beta
    denom = (1 + b2) * tp + b2 * (n_pos - tp) + (np.asarray(n_pred) - tp)
    return np.where(denom > 0, (1 + b2) * tp / np.maximum(denom, 1), 0.0)


def best_fbeta_scores(Y, P, beta=1.0):
    """Each class's best F-beta over all its thresholds (what per-class thresholds reach).

    Measures how well ``P`` ranks each class, whatever its threshold: the score
    that :class:`~skhpa.ThresholdOptimizer` reaches on the data it tunes on.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_classes)
        0/1 indicator matrix.
    P : array-like of shape (n_samples, n_classes)
        Probabilities (or any scores ranking the samples).
    beta : float, default=1.0

    Returns
    -------
    scores : ndarray of shape (n_classes,)
        NaN for a class without positives in ``Y`` (no F-beta to reach).

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.thresholding import best_fbeta_scores
    >>> Y = np.array([[1, 0], [0, 0], [1, 0]])
    >>> P = np.array([[0.9, 0.1], [0.2, 0.7], [0.4, 0.3]])
    >>> best_fbeta_scores(Y, P).tolist()
    [1.0, nan]
    """
    Y = np.asarray(Y)
    P = np.asarray(P, dtype=float)
    scores = np.full(Y.shape[1], np.nan)
    for k in np.flatnonzero(Y.any(axis=0)):
        scores[k] = fbeta_curve(Y[:, k], P[:, k], beta)[1].max()
    return scores


def sort_columns(Y, P):
    """Per class: all probabilities sorted, and those of the positives sorted."""
    return [(np.sort(P[:, k]), np.sort(P[np.asarray(Y[:, k]) == 1, k])) for k in range(P.shape[1])]


def fbeta_curve(y, p, beta=1.0, *, presorted=None):
    """Exact F-beta for every distinct cut of one class's probabilities.

    Two sorts (all probabilities, and those of the positives) and binary
    searches give the number of predicted positives and of true positives of
    every cut: O(n log n), no per-threshold pass over the data.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        0/1 truth for one class.
    p : ndarray of shape (n_samples,)
        Probabilities for that class.
    beta : float, default=1.0
    presorted : tuple of ndarray, optional
        ``(np.sort(p), np.sort(p[y == 1]))`` when already computed.

    Returns
    -------
    thresholds : ndarray of shape (n_cuts + 1,)
        Descending; the first one is above every probability (no positive).
    scores : ndarray of shape (n_cuts + 1,)
        F-beta of ``p >= threshold`` for each threshold.
    """
    asc, pos = presorted if presorted is not None else (np.sort(p), np.sort(p[np.asarray(y) == 1]))
    keep = np.append(asc[1:] != asc[:-1], True)
    values = asc[keep][::-1]  # distinct, descending
    n_pred = len(asc) - np.searchsorted(asc, values, side="left")
    tp = len(pos) - np.searchsorted(pos, values, side="left")
    scores = fbeta_from_counts(tp, n_pred, len(pos), beta)
    return np.append(_ABOVE, _cut_points(values)), np.append(0.0, scores)


def grid_curve(y, p, scorer, candidates):
    """Score ``scorer(y, p >= t)`` at each candidate threshold (any metric)."""
    candidates = np.sort(np.unique(candidates))[::-1]
    scores = np.array([scorer(y, (p >= t).astype(np.int64)) for t in candidates], dtype=float)
    return candidates, scores


def pick(thresholds, scores, fallback):
    """The best threshold; among tied best scores, the one closest to ``fallback``.

    Returns ``(threshold, score, used_fallback)``. A class whose best score is 0
    (no cut finds a true positive) keeps ``fallback``.
    """
    best = np.nanmax(scores)
    if not np.isfinite(best) or best <= 0:
        return float(fallback), float(best if np.isfinite(best) else 0.0), True
    tied = np.flatnonzero(scores >= best - 1e-12)
    j = tied[np.argmin(np.abs(thresholds[tied] - fallback))]
    return float(thresholds[j]), float(best), False


def fbeta_at(presorted, t, beta=1.0):
    """F-beta of ``p >= t`` from the presorted arrays (no pass over the data)."""
    asc, pos = presorted
    n_pred = len(asc) - np.searchsorted(asc, t, side="left")
    tp = len(pos) - np.searchsorted(pos, t, side="left")
    return float(fbeta_from_counts(tp, n_pred, len(pos), beta))


def global_threshold(Y, P, beta=1.0, max_candidates=4000, *, presorted=None, candidates=None):
    """One threshold for all classes, maximizing macro F-beta.

    Candidates are ``candidates`` when given; otherwise the distinct pooled
    probabilities when there are at most ``max_candidates``, or else evenly
    spaced order statistics of each class's sorted probabilities (about
    ``max_candidates`` in all), plus 0.5.

    Returns
    -------
    threshold : float
    candidates : ndarray
    macro_scores : ndarray
        Macro F-beta (mean over classes with at least one positive) per candidate.
    """
    if presorted is None:
        presorted = sort_columns(Y, P)
    if candidates is not None:
        cand = np.unique(np.asarray(candidates, dtype=float))[::-1]
    else:
        if P.size <= max_candidates:
            pooled = np.unique(P)
        else:
            per_class = max(2, max_candidates // P.shape[1])
            ranks = np.linspace(0, len(P) - 1, per_class).astype(np.int64)
            pooled = np.unique(np.concatenate([asc[ranks] for asc, _ in presorted]))
        cand = np.unique(np.append(_cut_points(pooled[::-1]), 0.5))[::-1]
    has_pos = Y.sum(0) > 0
    macro = np.zeros(len(cand))
    n = len(Y)
    for k in np.flatnonzero(has_pos):
        asc, pos_asc = presorted[k]
        n_pred = n - np.searchsorted(asc, cand, side="left")
        tp = len(pos_asc) - np.searchsorted(pos_asc, cand, side="left")
        macro += fbeta_from_counts(tp, n_pred, len(pos_asc), beta)
    macro /= max(int(has_pos.sum()), 1)
    best = macro.max()
    tied = np.flatnonzero(macro >= best - 1e-12)
    j = tied[np.argmin(np.abs(cand[tied] - 0.5))]
    return float(cand[j]), cand, macro


def ratio_threshold(p, rate):
    """Threshold whose predicted-positive rate on ``p`` is ``rate`` (as close as ties allow)."""
    n = len(p)
    m = int(round(rate * n))
    if m <= 0:
        return float(_ABOVE)
    desc = np.sort(p)[::-1]
    if m >= n:
        return float(desc[-1] / 2.0 if desc[-1] > 0 else 0.0)
    return float((desc[m - 1] + desc[m]) / 2.0)


def shrink_thresholds(thresholds, n_positives, target, shrinkage):
    """Pull each class's threshold toward ``target`` with weight ``m / (m + n_positives)``.

    ``m = shrinkage`` acts as a pseudo-count of positives: a class with
    ``m`` positives in the tuning data ends halfway between its own threshold
    and ``target``; one with none gets ``target``; one with many keeps almost
    its own.

    Parameters
    ----------
    thresholds : array-like of shape (n_classes,)
        Each class's own tuned threshold.
    n_positives : array-like of shape (n_classes,)
        Each class's number of positives in the tuning data.
    target : float or array-like of shape (n_classes,)
        The threshold(s) to shrink toward (for example a global threshold).
    shrinkage : float
        The pseudo-count ``m`` (>= 0); 0 returns the thresholds unchanged.

    Returns
    -------
    shrunk : ndarray of shape (n_classes,)
        ``w * target + (1 - w) * thresholds`` with ``w = m / (m + n_positives)``
        (a copy of ``thresholds`` when ``shrinkage=0``).

    Examples
    --------
    >>> from skhpa.thresholding import shrink_thresholds
    >>> shrink_thresholds([0.2, 0.2, 0.2], [0, 10, 990], 0.4, shrinkage=10).round(3).tolist()
    [0.4, 0.3, 0.202]
    """
    thresholds = np.asarray(thresholds, dtype=float)
    n_positives = np.asarray(n_positives, dtype=float)
    if shrinkage == 0:
        return thresholds.copy()
    w = shrinkage / (shrinkage + n_positives)
    return w * target + (1 - w) * thresholds
