"""ThresholdCurveDisplay: each class's score against its decision threshold."""

import numpy as np
from sklearn.base import BaseEstimator

from ..utils import deprecated
from ._common import check_classes, class_names, pyplot


class _GivenProba(BaseEstimator):
    """A 'fitted' estimator whose ``predict_proba`` returns given probabilities.

    Lets :meth:`ThresholdCurveDisplay.from_predictions` run a prefit
    :class:`~skhpa.ThresholdOptimizer` on them, so that the curves and the chosen
    thresholds come from the optimizer's own search (one place for that logic).
    """

    def __init__(self, proba):
        self.proba = proba

    def fit(self, X, y=None):  # pragma: no cover - never refit (cv="prefit")
        return self

    def predict_proba(self, X):
        return self.proba

    def __sklearn_is_fitted__(self):
        return True


def _score_name(scoring, beta):
    if callable(scoring):
        return getattr(scoring, "__name__", "score").replace("_", " ")
    if scoring == "fbeta":
        return f"F-beta (beta={beta:g})"
    return "F1"


def _chosen_label(threshold):
    if threshold > 1:  # above every probability (ThresholdOptimizer's "no positive" cut)
        return "chosen: never predicted"
    return f"chosen threshold {threshold:.2f}"


def _is_threshold_optimizer(estimator):
    from ..thresholding import ThresholdOptimizer

    return isinstance(estimator, ThresholdOptimizer)


class ThresholdCurveDisplay:
    """Each class's score (F1 by default) against its decision threshold.

    The curve of class ``k`` is the score of ``proba[:, k] >= t`` for each
    candidate threshold ``t``, as :class:`~skhpa.ThresholdOptimizer` computes
    it; a vertical line marks the chosen threshold and a dotted one the
    default 0.5, both named in the legend (a threshold above 1 means that the
    class is never predicted; the legend says so). The threshold axis spans the
    candidate thresholds, the chosen ones and 0.5: a weak model's
    probabilities can all lie within a few hundredths of 0.5.

    Build it with :meth:`from_estimator` (a fitted ThresholdOptimizer: its own
    curves, or curves on new data with its thresholds) or
    :meth:`from_predictions` (true labels and probabilities).

    Parameters
    ----------
    thresholds : list of ndarray
        Candidate thresholds of each class shown (thresholds above 1, meaning
        "never predict the class", are not drawn).
    scores : list of ndarray
        The score at each candidate threshold.
    chosen_thresholds : array-like of shape (n_classes_shown,), default=None
        The threshold chosen for each class shown.
    classes : array-like of int, default=None
        Index of each class shown (``0, 1, ...`` when None).
    target_names : sequence of str, default=None
        Names of *all* classes; the 28 HPA names when None and there are 28
        classes, the indices otherwise.
    n_classes : int, default=None
        Number of classes of the model (``len(thresholds)`` when None).
    score_name : str, default="F1"
        Label of the y axis.
    reference_threshold : float, default=0.5
        The threshold drawn for comparison.
    data_name : str, default=None
        What the curves were computed on (shown in the figure title).

    Attributes
    ----------
    ax_ : matplotlib Axes or ndarray of Axes
        The axes drawn on: the one passed, or the grid created.
    axes_ : ndarray of Axes of shape (n_classes_shown,)
        The axes of each class's curve.
    lines_ : list of matplotlib Line2D
        Each class's curve.
    chosen_lines_ : list of matplotlib Line2D
        Each class's chosen threshold (empty without ``chosen_thresholds``).
    reference_lines_ : list of matplotlib Line2D
        The 0.5 lines.
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from skhpa import ThresholdOptimizer
    >>> from skhpa.plotting import ThresholdCurveDisplay
    >>> X = np.random.RandomState(0).normal(size=(100, 3))
    >>> Y = (X[:, :2] > 0).astype(int)
    >>> opt = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=2).fit(X, Y)
    >>> disp = ThresholdCurveDisplay.from_estimator(opt, target_names=["a", "b"])
    >>> bool(np.allclose(disp.chosen_thresholds, opt.thresholds_))
    True
    >>> disp.axes_[0].get_xlabel(), disp.axes_[0].get_ylabel()
    ('threshold', 'F1')
    """

    def __init__(
        self,
        thresholds,
        scores,
        *,
        chosen_thresholds=None,
        classes=None,
        target_names=None,
        n_classes=None,
        score_name="F1",
        reference_threshold=0.5,
        data_name=None,
    ):
        self.thresholds = [np.asarray(t, dtype=float) for t in thresholds]
        self.scores = [np.asarray(s, dtype=float) for s in scores]
        self.chosen_thresholds = (
            None if chosen_thresholds is None else np.asarray(chosen_thresholds, dtype=float)
        )
        self.classes = np.arange(len(self.thresholds)) if classes is None else np.asarray(classes)
        self.target_names = target_names
        self.n_classes = n_classes
        self.score_name = score_name
        self.reference_threshold = reference_threshold
        self.data_name = data_name

    @classmethod
    def _from_optimizer(cls, optimizer, classes, target_names, chosen=None, data_name=None):
        q = len(optimizer.thresholds_)
        classes = check_classes(classes, q)
        res = optimizer.cv_results_
        return cls(
            [res["thresholds"][k] for k in classes],
            [res["scores"][k] for k in classes],
            chosen_thresholds=(optimizer.thresholds_ if chosen is None else chosen)[classes],
            classes=classes,
            target_names=target_names,
            n_classes=q,
            score_name=_score_name(optimizer.scoring, optimizer.beta),
            data_name=data_name,
        )

    @staticmethod
    def _optimizer_on(y_true, y_proba, **params):
        from ..thresholding import ThresholdOptimizer

        y_proba = np.asarray(y_proba)
        index = np.arange(len(y_proba))
        return ThresholdOptimizer(_GivenProba(y_proba), cv="prefit", **params).fit(index, y_true)

    @classmethod
    def from_estimator(
        cls, estimator, X=None, y=None, *, classes=None, target_names=None, ax=None, n_cols=7
    ):
        """Curves of a fitted ThresholdOptimizer, or of any estimator on ``(X, y)``.

        Parameters
        ----------
        estimator : estimator
            A fitted :class:`~skhpa.ThresholdOptimizer`: without ``X`` the
            curves it chose its thresholds on (out-of-fold probabilities of the
            training data, ``cv_results_``); with ``X`` and ``y`` the curves on
            that data, with the optimizer's ``thresholds_`` marked (how the
            chosen thresholds fare on new data). Any other fitted multilabel
            estimator with ``predict_proba`` needs ``X`` and ``y``; the
            thresholds marked are those a ThresholdOptimizer would choose on them.
        X : array-like or indexable of length n_samples, default=None
            Data to compute the curves on.
        y : array-like of shape (n_samples, n_classes), default=None
            True 0/1 indicator matrix of ``X``.
        classes : array-like of int, default=None
            Indices of the classes to show (all when None).
        target_names : sequence of str, default=None
            Names of all classes (see the class docstring).
        ax : matplotlib Axes or array-like of Axes, default=None
            See :meth:`plot`.
        n_cols : int, default=7
            Columns of the grid created when ``ax`` is None.

        Returns
        -------
        display : ThresholdCurveDisplay
        """
        is_optimizer = _is_threshold_optimizer(estimator)
        if (X is None) != (y is None):
            raise ValueError("pass both X and y, or neither")
        if X is None:
            if not is_optimizer:
                raise ValueError(
                    f"{type(estimator).__name__} is not a ThresholdOptimizer: pass X and y to "
                    "compute its curves"
                )
            from sklearn.utils.validation import check_is_fitted

            check_is_fitted(estimator, "thresholds_")
            disp = cls._from_optimizer(
                estimator, classes, target_names, data_name="the optimizer's tuning data"
            )
            return disp.plot(ax=ax, n_cols=n_cols)
        from ..thresholding import multilabel_proba

        params = {}
        if is_optimizer:
            params = {
                "scoring": estimator.scoring,
                "beta": estimator.beta,
                "thresholds": estimator.thresholds,
            }
        opt = cls._optimizer_on(y, multilabel_proba(estimator, X), **params)
        if is_optimizer and len(estimator.thresholds_) != len(opt.thresholds_):
            raise ValueError(
                f"y has {len(opt.thresholds_)} columns but the estimator has "
                f"{len(estimator.thresholds_)} classes"
            )
        chosen = estimator.thresholds_ if is_optimizer else None
        disp = cls._from_optimizer(opt, classes, target_names, chosen=chosen)
        return disp.plot(ax=ax, n_cols=n_cols)

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_proba,
        *,
        scoring="f1",
        beta=1.0,
        classes=None,
        target_names=None,
        ax=None,
        n_cols=7,
    ):
        """Curves of true labels and predicted probabilities.

        The curves and the marked thresholds are those of a
        :class:`~skhpa.ThresholdOptimizer` with the same ``scoring`` and
        ``beta`` tuned on these probabilities (``cv="prefit"``): for each
        class the best threshold (the global one for a class without positives).

        Parameters
        ----------
        y_true : array-like of shape (n_samples, n_classes)
            True 0/1 indicator matrix.
        y_proba : array-like of shape (n_samples, n_classes)
            Predicted probabilities.
        scoring : {"f1", "fbeta"} or callable, default="f1"
            Per-class score (see :class:`~skhpa.ThresholdOptimizer`).
        beta : float, default=1.0
            Beta of ``scoring="fbeta"``.
        classes : array-like of int, default=None
            Indices of the classes to show (all when None).
        target_names : sequence of str, default=None
            Names of all classes (see the class docstring).
        ax : matplotlib Axes or array-like of Axes, default=None
            See :meth:`plot`.
        n_cols : int, default=7
            Columns of the grid created when ``ax`` is None.

        Returns
        -------
        display : ThresholdCurveDisplay
        """
        opt = cls._optimizer_on(y_true, y_proba, scoring=scoring, beta=beta)
        disp = cls._from_optimizer(opt, classes, target_names)
        return disp.plot(ax=ax, n_cols=n_cols)

    def _threshold_range(self):
        """x range of the plot: every curve, chosen threshold (but "never") and the reference.

        A weak model's probabilities can all lie within a few hundredths of each
        other; the range follows them rather than always spanning [0, 1].
        """
        values = [t[t <= 1] for t in self.thresholds] + [np.array([self.reference_threshold])]
        if self.chosen_thresholds is not None:
            values.append(self.chosen_thresholds[self.chosen_thresholds <= 1])
        values = np.concatenate(values)
        low, high = float(values.min()), float(values.max())
        pad = 0.04 * (high - low) + 1e-3
        return low - pad, high + pad

    def plot(self, ax=None, *, n_cols=7):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            None: a new figure with a grid of one panel per class. One Axes:
            every class's curve on it (one color per class). Several Axes (at
            least one per class shown): one class on each.
        n_cols : int, default=7
            Columns of the grid created when ``ax`` is None.

        Returns
        -------
        display : ThresholdCurveDisplay
            With ``ax_``, ``axes_``, ``figure_``, ``lines_``, ``chosen_lines_``
            and ``reference_lines_`` set.
        """
        plt = pyplot()
        n_shown = len(self.thresholds)
        if len(self.scores) != n_shown or len(self.classes) != n_shown:
            raise ValueError(
                f"thresholds, scores and classes must have one entry per class shown; got "
                f"{n_shown}, {len(self.scores)} and {len(self.classes)}"
            )
        if self.chosen_thresholds is not None and len(self.chosen_thresholds) != n_shown:
            raise ValueError(
                f"chosen_thresholds has {len(self.chosen_thresholds)} entries for {n_shown} classes"
            )
        q = self.n_classes if self.n_classes is not None else int(self.classes.max()) + 1
        names = class_names(self.target_names, q)
        grid = ax is None
        if grid:
            n_cols = max(1, min(n_cols, n_shown))
            n_rows = int(np.ceil(n_shown / n_cols))
            fig, ax = plt.subplots(
                n_rows,
                n_cols,
                figsize=(2.3 * n_cols, 2.1 * n_rows + 0.4),
                squeeze=False,
                sharex=True,
                sharey=True,
                layout="constrained",
            )
            for extra in ax.ravel()[n_shown:]:
                extra.set_visible(False)
        single = not grid and not np.iterable(ax)
        if single:
            axes = np.array([ax] * n_shown, dtype=object)
        else:
            axes = np.asarray(ax, dtype=object).ravel()
            if len(axes) < n_shown:
                raise ValueError(f"ax holds {len(axes)} Axes for {n_shown} classes")
            axes = axes[:n_shown]
        self.lines_, self.chosen_lines_, self.reference_lines_ = [], [], []
        for i, (k, t, s) in enumerate(zip(self.classes, self.thresholds, self.scores)):
            a = axes[i]
            keep = t <= 1
            color = f"C{i % 10}" if single else "C0"
            label = f"{k} {names[k]}" if single else None
            (line,) = a.plot(t[keep], s[keep], lw=1.2, color=color, label=label)
            self.lines_.append(line)
            if self.chosen_thresholds is not None:
                c = self.chosen_thresholds[i]
                self.chosen_lines_.append(
                    a.axvline(
                        c,
                        color=color if single else "C3",
                        lw=1.2,
                        ls="--",
                        label=(f"{names[k]}: " if single else "") + _chosen_label(c),
                    )
                )
            if not single or i == 0:
                r = self.reference_threshold
                self.reference_lines_.append(
                    a.axvline(r, color="0.4", lw=1, ls=":", label=f"threshold {r:g}")
                )
            if not single:
                a.set_title(f"{k} {names[k]}", fontsize=8)
                a.legend(fontsize=6, loc="best", handlelength=1.5)
        used = [axes[0]] if single else list(axes)
        low, high = self._threshold_range()
        for a in used:
            a.set_xlim(low, high)
            a.set_ylim(0, 1.02)
            a.tick_params(labelsize=7)
        if grid:
            for a in ax.ravel()[n_shown - n_cols : n_shown]:  # bottom panel of each column
                a.set_xlabel("threshold", fontsize=8)
                a.xaxis.set_tick_params(labelbottom=True)
            for a in ax[:, 0]:
                a.set_ylabel(self.score_name, fontsize=8)
            on = "" if self.data_name is None else f" on {self.data_name}"
            ax.ravel()[0].figure.suptitle(
                f"{self.score_name} against the decision threshold, per class{on}", fontsize=10
            )
        else:
            for a in used:
                a.set_xlabel("threshold")
                a.set_ylabel(self.score_name)
            if single:
                axes[0].legend(fontsize=7, loc="best")
        self.ax_ = ax
        self.axes_ = axes
        self.figure_ = axes[0].figure
        return self


@deprecated("ThresholdCurveDisplay.from_estimator")
def plot_threshold_curves(optimizer, *, classes=None, target_names=None, n_cols=7):
    """Per-class score-versus-threshold curves of a fitted ThresholdOptimizer.

    Parameters
    ----------
    optimizer : ThresholdOptimizer
        Fitted.
    classes : array-like of int, default=None
        Classes to show (all when None).
    target_names : sequence of str, default=None
        Class names (the HPA names when None and there are 28 classes).
    n_cols : int, default=7
        Columns of the grid.

    Returns
    -------
    fig : matplotlib Figure
    """
    return ThresholdCurveDisplay.from_estimator(
        optimizer, classes=classes, target_names=target_names, n_cols=n_cols
    ).figure_
