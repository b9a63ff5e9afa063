"""How well a set of splits preserves the label distribution."""

import numpy as np

from ..utils import check_multilabel_target


def stratification_scores(Y, splits):
    """Measure how well test folds preserve the label distribution of ``Y``.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_labels)
        Multilabel indicator matrix.
    splits : iterable of (train, test) index arrays
        E.g. ``cv.split(X, Y)``.

    Returns
    -------
    scores : dict
        - ``"label_freq_dev"``: mean over folds and labels of the absolute
          difference between a label's frequency in the test fold and in ``Y``;
        - ``"LD"``: the label-distribution measure of Sechidis et al. (2011),
          mean over labels and folds of ``|p_ij / (m_j - p_ij) - p_i / (m - p_i)|``;
        - ``"ED"``: the examples-distribution measure, mean absolute deviation of
          the test fold sizes from their mean;
        - ``"missing"``: number of (fold, label) pairs where a label with at
          least ``n_folds`` positives has none in the test fold;
        - ``"n_folds"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import KFold
    >>> from skhpa.datasets import hpa_label_matrix
    >>> from skhpa.model_selection import MultilabelStratifiedKFold, stratification_scores
    >>> Y = hpa_label_matrix(random_state=0)
    >>> X = np.zeros(len(Y))
    >>> ml = stratification_scores(Y, MultilabelStratifiedKFold(5).split(X, Y))
    >>> kf = stratification_scores(Y, KFold(5, shuffle=True, random_state=0).split(X, Y))
    >>> ml["label_freq_dev"] < kf["label_freq_dev"], ml["missing"]
    (True, 0)
    """
    Y = check_multilabel_target(Y).astype(np.int64)
    m, _ = Y.shape
    p = Y.sum(0)
    tests = [np.asarray(test) for _, test in splits]
    k = len(tests)
    freq = p / m
    dev, ld, sizes, missing = [], [], [], 0
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.where(m - p > 0, p / (m - p), 0.0)
        for test in tests:
            pj = Y[test].sum(0)
            mj = len(test)
            sizes.append(mj)
            dev.append(np.abs(pj / max(mj, 1) - freq))
            ratio = np.where(mj - pj > 0, pj / (mj - pj), 0.0)
            ld.append(np.abs(ratio - base))
            missing += int(((p >= k) & (pj == 0)).sum())
    sizes = np.array(sizes, dtype=float)
    return {
        "label_freq_dev": float(np.mean(dev)),
        "LD": float(np.mean(ld)),
        "ED": float(np.mean(np.abs(sizes - sizes.mean()))),
        "missing": missing,
        "n_folds": k,
    }
