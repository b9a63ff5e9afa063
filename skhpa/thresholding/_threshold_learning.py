"""How ThresholdOptimizer turns tuning labels and probabilities into thresholds.

The per-class, global and label-ratio strategies, shrinkage and the label-ratio cap, run on
the out-of-fold probabilities with the optimizer's parameters (``scoring``, ``beta``,
``thresholds``, ``strategy``, ``shrinkage``, ``max_label_ratio``, ``prior``); the searches
themselves are in ``_search.py``.
"""

import numbers

import numpy as np
from sklearn.metrics import fbeta_score

from ._search import (
    fbeta_at,
    fbeta_curve,
    global_threshold,
    grid_curve,
    pick,
    ratio_threshold,
    shrink_thresholds,
    sort_columns,
)


class ThresholdLearningMixin:
    """The threshold learning of :class:`ThresholdOptimizer` (sets ``thresholds_`` and the rest).

    Reads the optimizer's parameters; ``_learn_thresholds(Y, P, frequencies)`` (the
    tuning rows, and each class's frequency in all training rows) sets
    ``global_threshold_``, ``thresholds_``, ``best_scores_``, ``fallback_`` and
    ``cv_results_``.
    """

    def _beta(self):
        return 1.0 if self.scoring == "f1" else float(self.beta)

    def _learn_thresholds(self, Y, P, frequencies):
        q = Y.shape[1]
        beta = self._beta()
        presorted = sort_columns(Y, P)  # each column sorted once, shared below
        grid = None if isinstance(self.thresholds, str) else self._grid(P.ravel())
        self.global_threshold_, _, _ = global_threshold(
            Y, P, beta, presorted=presorted, candidates=grid
        )
        g = self.global_threshold_
        thr = np.full(q, g)
        best = np.zeros(q)
        fallback = np.zeros(q, dtype=bool)
        cand_list, score_list = [], []
        rates = self._rates(frequencies)
        for k in range(q):
            y, p = Y[:, k], P[:, k]
            cand, scores = self._curve(y, p, beta, presorted[k])
            cand_list.append(cand)
            score_list.append(scores)
            if self.strategy == "per_class":
                if y.sum() == 0:
                    fallback[k] = True
                    best[k] = self._score_threshold(y, p, g, beta, presorted[k])
                    continue
                thr[k], best[k], fallback[k] = pick(cand, scores, g)
                if not fallback[k] and thr[k] <= p.min() and not y.all():
                    # its best cut predicts every tuning sample: the ranking finds the
                    # positives only as "always" does, which is no choice to learn
                    fallback[k] = True
                    thr[k] = g
                    best[k] = self._score_threshold(y, p, g, beta, presorted[k])
            elif self.strategy == "global":
                best[k] = self._score_threshold(y, p, g, beta, presorted[k])
            else:  # label_ratio
                thr[k] = ratio_threshold(p, rates[k])
                best[k] = self._score_threshold(y, p, thr[k], beta, presorted[k])
        adjusted = False
        if self.strategy == "per_class" and self.shrinkage > 0:
            thr = shrink_thresholds(thr, Y.sum(axis=0), g, self.shrinkage)
            adjusted = True
        if self.max_label_ratio is not None:
            # at most ceil(max_label_ratio * rate * n) positives per class on the tuning data
            n = len(Y)
            most = np.ceil(self.max_label_ratio * rates * n - 1e-9) / n
            cap = np.array([ratio_threshold(P[:, k], most[k]) for k in range(q)])
            thr = np.maximum(thr, cap)
            adjusted = True
        if adjusted:
            best = np.array(
                [
                    self._score_threshold(Y[:, k], P[:, k], thr[k], beta, presorted[k])
                    for k in range(q)
                ]
            )
        self.thresholds_ = thr
        self.best_scores_ = best
        self.fallback_ = fallback
        self.cv_results_ = {"thresholds": cand_list, "scores": score_list}

    def _rates(self, frequencies):
        """Target positive rate of each class: ``prior``, or the training ``frequencies``."""
        if self.prior is None:
            return frequencies
        prior = np.asarray(self.prior, dtype=float)
        if prior.shape != frequencies.shape:
            raise ValueError(f"prior has shape {prior.shape}; expected {frequencies.shape}")
        bad = ~np.isfinite(prior) | (prior < 0) | (prior > 1)
        if bad.any():
            c = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"prior must hold class frequencies in [0, 1]; class {c} has {prior[c]!r}"
            )
        return prior

    def _curve(self, y, p, beta, sorted_k):
        if callable(self.scoring):
            if isinstance(self.thresholds, str):
                cand = np.unique(p)
                if len(cand) > 200:
                    cand = np.unique(np.quantile(p, np.linspace(0, 1, 200)))
            else:
                cand = self._grid(p)
            return grid_curve(y, p, self.scoring, cand)
        if isinstance(self.thresholds, str):
            return fbeta_curve(y, p, beta, presorted=sorted_k)

        def score(yt, yp):
            return fbeta_score(yt, yp, beta=beta, zero_division=0.0)

        return grid_curve(y, p, score, self._grid(p))

    def _score_threshold(self, y, p, t, beta, sorted_k):
        if callable(self.scoring):
            return float(self.scoring(y, (p >= t).astype(np.int64)))
        return fbeta_at(sorted_k, t, beta)

    def _grid(self, p):
        if isinstance(self.thresholds, numbers.Integral):
            return np.linspace(p.min(), p.max(), self.thresholds)
        return np.asarray(self.thresholds, dtype=float)
