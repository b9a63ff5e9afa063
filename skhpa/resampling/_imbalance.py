"""Imbalance measures of a multilabel indicator matrix (Charte et al., 2015).

IRLbl, MeanIR and SCUMBLE, and the minority / majority split of the labels that every
multilabel sampler in ``_samplers.py`` starts from.
"""

import numpy as np

from ..utils import check_multilabel_target


def imbalance_ratios(Y):
    """IRLbl per label: count of the most frequent label / count of this label (inf if absent).

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_labels)
        0/1 indicator matrix.

    Returns
    -------
    ir : ndarray of shape (n_labels,), float

    Examples
    --------
    >>> from skhpa.resampling import imbalance_ratios
    >>> imbalance_ratios([[1, 1, 0], [1, 0, 0]]).tolist()
    [1.0, 2.0, inf]
    """
    return _ratios(np.asarray(Y).sum(0))


def _ratios(counts):
    """IRLbl from per-label counts."""
    counts = np.asarray(counts, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(counts > 0, counts.max() / counts, np.inf)


def _minority_and_majority(counts):
    """MeanIR and the minority (IRLbl > MeanIR) and majority (IRLbl < MeanIR) label masks.

    Charte et al.'s split of the labels, from per-label counts; absent labels
    (IRLbl inf) are in neither. Every multilabel sampler here starts from it.
    """
    ir = _ratios(counts)
    finite = np.isfinite(ir)
    mean_ir = ir[finite].mean() if finite.any() else np.nan
    return mean_ir, finite & (ir > mean_ir), finite & (ir < mean_ir)


def imbalance_report(Y):
    """Imbalance measures of a multilabel indicator matrix (Charte et al., 2015).

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_labels)

    Returns
    -------
    report : dict
        - ``IRLbl``: per-label imbalance ratio (count of the most frequent
          label divided by the label's count; inf for an absent label);
        - ``MeanIR`` and ``MaxIR``: mean and max of the finite IRLbl;
        - ``SCUMBLE``: mean over samples of ``1 - geometric mean / arithmetic
          mean`` of the IRLbl of the sample's labels (how much rare labels
          co-occur with frequent ones; 0 for samples with fewer than 2 labels);
        - ``cardinality``: mean number of labels per sample;
        - ``density``: cardinality / n_labels.

    Examples
    --------
    >>> from skhpa.datasets import hpa_label_matrix
    >>> from skhpa.resampling import imbalance_report
    >>> r = imbalance_report(hpa_label_matrix(random_state=0))
    >>> round(r["MaxIR"]), round(r["cardinality"], 3)
    (1171, 1.634)
    """
    Y = check_multilabel_target(Y).astype(bool)
    ir = imbalance_ratios(Y)
    finite = np.isfinite(ir)
    log_ir = np.where(finite, np.log(np.where(finite, ir, 1.0)), 0.0)
    n_lab = Y.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        geo = np.exp((Y * log_ir).sum(1) / n_lab)
        ari = (Y * np.where(finite, ir, 0.0)).sum(1) / n_lab
        scumble_i = np.where(n_lab >= 2, 1 - geo / ari, 0.0)
    return {
        "IRLbl": ir,
        "MeanIR": float(ir[finite].mean()),
        "MaxIR": float(ir[finite].max()),
        "SCUMBLE": float(np.nan_to_num(scumble_i).mean()),
        "cardinality": float(n_lab.mean()),
        "density": float(n_lab.mean() / Y.shape[1]),
    }
