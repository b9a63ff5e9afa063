"""PerClassF1Display: per-class F1 bars with each class's number of test positives."""

import warnings

import numpy as np

from ..utils import check_multilabel_target, deprecated
from ._common import class_names, pyplot


class PerClassF1Display:
    """Per-class F1 of one or several models, with each class's positives and macro-F1.

    Build it with :meth:`from_predictions` or :meth:`from_estimator`. Each bar
    is a class's F1 (``sklearn.metrics.f1_score(average=None,
    zero_division=0)``); the class's number of positives in ``y_true`` follows
    its name on the x axis; a dashed line per model is its macro-F1, the mean
    over all classes. A class without positives in ``y_true`` has F1 0 (there
    is nothing to find) and still counts in macro-F1, as on the Kaggle
    leaderboard: such classes get a hatched background.

    Parameters
    ----------
    f1 : array-like of shape (n_models, n_classes) or (n_classes,)
        Per-class F1 of each model.
    support : array-like of shape (n_classes,)
        Positives of each class in the true labels.
    model_names : list of str, default=None
        One name per model (``"model 0"``, ... when None).
    target_names : sequence of str, default=None
        Class names; the 28 HPA names when None and there are 28 classes, the
        class indices otherwise.
    n_samples : int, default=None
        Number of images scored (shown in the title).

    Attributes
    ----------
    macro_f1 : ndarray of shape (n_models,)
        Mean of each model's per-class F1 over all classes.
    bars_ : list of matplotlib BarContainer
        The bars of each model.
    macro_lines_ : list of matplotlib Line2D
        The macro-F1 line of each model.
    no_positive_spans_ : list of matplotlib patches
        The hatched background of each class without positives.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    See Also
    --------
    skhpa.metrics.per_class_report : The same numbers as a table.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skhpa.plotting import PerClassF1Display
    >>> Y = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0]])
    >>> P = np.array([[1, 0, 0], [0, 1, 0], [0, 1, 1]])
    >>> disp = PerClassF1Display.from_predictions(Y, P, name="model",
    ...                                           target_names=["a", "b", "c"])
    >>> disp.f1.round(3).tolist(), disp.support.tolist(), disp.macro_f1.round(3).tolist()
    ([[0.667, 1.0, 0.0]], [2, 2, 0], [0.556])
    """

    def __init__(self, f1, support, *, model_names=None, target_names=None, n_samples=None):
        self.f1 = np.atleast_2d(np.asarray(f1, dtype=float))
        self.support = np.asarray(support)
        self.model_names = (
            [f"model {j}" for j in range(len(self.f1))] if model_names is None else model_names
        )
        self.target_names = target_names
        self.n_samples = n_samples

    @property
    def macro_f1(self):
        """Mean of each model's per-class F1 over all classes, ndarray of shape (n_models,)."""
        return self.f1.mean(axis=1)

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_pred,
        *,
        name=None,
        target_names=None,
        ax=None,
        order=None,
        model_name="deprecated",
    ):
        """Score predicted label matrices against the truth and plot them.

        Parameters
        ----------
        y_true : array-like of shape (n_samples, n_classes)
            True 0/1 indicator matrix.
        y_pred : array-like of shape (n_samples, n_classes) or dict of str to such arrays
            Predicted 0/1 indicator matrix, or several models' as ``{name: matrix}``.
        name : str, default=None
            Name of the model when ``y_pred`` is one matrix (as in
            :meth:`from_estimator`).
        target_names : sequence of str, default=None
            Class names (see the class docstring).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        order : array-like of int, default=None
            Order of the classes along the x axis (all of them).
        model_name : str
            Deprecated: use ``name``.

        Returns
        -------
        display : PerClassF1Display
        """
        from sklearn.metrics import f1_score

        if model_name != "deprecated":
            warnings.warn(
                "model_name is deprecated and will be removed in a future release; use name",
                FutureWarning,
                stacklevel=2,
            )
            name = model_name
        Y = check_multilabel_target(y_true, name="y_true")
        if not isinstance(y_pred, dict):
            y_pred = {"model" if name is None else name: y_pred}
        elif name is not None:
            raise ValueError("name applies to a single y_pred; a dict names its models")
        if not y_pred:
            raise ValueError("y_pred is an empty dict: pass at least one model's predictions")
        f1 = []
        for model, pred in y_pred.items():
            pred = check_multilabel_target(pred, name=f"y_pred[{model!r}]")
            if pred.shape != Y.shape:
                raise ValueError(
                    f"y_pred[{model!r}] has shape {pred.shape} but y_true has shape {Y.shape}"
                )
            f1.append(f1_score(Y, pred, average=None, zero_division=0.0))
        disp = cls(
            np.array(f1),
            Y.sum(axis=0),
            model_names=[str(model) for model in y_pred],
            target_names=target_names,
            n_samples=len(Y),
        )
        return disp.plot(ax=ax, order=order)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, name=None, target_names=None, ax=None, order=None):
        """Predict ``X`` with one or several fitted estimators and plot their per-class F1.

        Parameters
        ----------
        estimator : estimator or dict of str to estimators
            Fitted multilabel classifier(s) with ``predict``.
        X : array-like or indexable of length n_samples
            What the estimators predict on (images, or path stems for a
            Pipeline that starts with an ImageLoader).
        y : array-like of shape (n_samples, n_classes)
            True 0/1 indicator matrix.
        name : str, default=None
            Name of a single estimator (its class name when None).
        target_names : sequence of str, default=None
            Class names (see the class docstring).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        order : array-like of int, default=None
            Order of the classes along the x axis.

        Returns
        -------
        display : PerClassF1Display
        """
        if not isinstance(estimator, dict):
            estimator = {type(estimator).__name__ if name is None else name: estimator}
        elif name is not None:
            raise ValueError("name applies to a single estimator; a dict names its estimators")
        preds = {key: est.predict(X) for key, est in estimator.items()}
        return cls.from_predictions(y, preds, target_names=target_names, ax=ax, order=order)

    def plot(self, ax=None, *, order=None):
        """Draw the bars, the macro-F1 lines and the marks of classes without positives.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        order : array-like of int, default=None
            Order of the classes along the x axis (a permutation of the class
            indices, e.g. ``np.argsort(disp.f1[0])``).

        Returns
        -------
        display : PerClassF1Display
            With ``ax_``, ``figure_``, ``bars_``, ``macro_lines_`` and
            ``no_positive_spans_`` set.
        """
        plt = pyplot()
        n_models, q = self.f1.shape
        if len(self.support) != q or len(self.model_names) != n_models:
            raise ValueError(
                f"f1 has shape {self.f1.shape} but support has {len(self.support)} entries and "
                f"model_names {len(self.model_names)}"
            )
        names = class_names(self.target_names, q)
        if order is None:
            order = np.arange(q)
        else:
            order = np.asarray(order)
            if sorted(order.tolist()) != list(range(q)):
                raise ValueError(f"order must be a permutation of the {q} class indices")
        if ax is None:
            _, ax = plt.subplots(figsize=(max(8.0, 0.42 * q + 3.0), 5.0), layout="constrained")
        x = np.arange(q)
        width = 0.8 / n_models
        self.bars_, self.macro_lines_, self.no_positive_spans_ = [], [], []
        for j, (model, f1) in enumerate(zip(self.model_names, self.f1)):
            color = f"C{j}"
            offset = (j - (n_models - 1) / 2) * width
            self.bars_.append(ax.bar(x + offset, f1[order], width, color=color, label=model))
            self.macro_lines_.append(
                ax.axhline(
                    self.macro_f1[j],
                    color=color,
                    ls="--",
                    lw=1.2,
                    label=f"{model}: macro-F1 {self.macro_f1[j]:.3f}",
                )
            )
        for pos in np.flatnonzero(self.support[order] == 0):
            span = ax.axvspan(
                pos - 0.5, pos + 0.5, facecolor="0.92", edgecolor="0.6", hatch="///", lw=0, zorder=0
            )
            if not self.no_positive_spans_:
                span.set_label("no positives: F1 0, still counted in macro-F1")
            self.no_positive_spans_.append(span)
        ax.set_xticks(x)
        ax.set_xticklabels(
            [f"{names[k]} ({self.support[k]})" for k in order], rotation=90, fontsize=7
        )
        for label, k in zip(ax.get_xticklabels(), order):
            if self.support[k] == 0:
                label.set_color("0.45")
        ax.set_xlim(-0.6, q - 0.4)
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("class (number of positives)")
        ax.set_ylabel("F1")
        scored = "" if self.n_samples is None else f" on {self.n_samples} images"
        ax.set_title(
            f"Per-class F1{scored}; macro-F1 is the mean over all {q} classes", fontsize=10
        )
        handles = [h for pair in zip(self.bars_, self.macro_lines_) for h in pair]
        ax.legend(
            handles=handles + self.no_positive_spans_[:1],
            fontsize=8,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            borderaxespad=0,
        )
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


@deprecated("PerClassF1Display.from_predictions")
def plot_per_class_f1(Y_true, predictions, *, target_names=None, ax=None):
    """Bar chart of per-class F1 for several models.

    Parameters
    ----------
    Y_true : array-like of shape (n_samples, n_classes)
        True 0/1 indicator matrix.
    predictions : dict of str to array-like of shape (n_samples, n_classes)
        Predicted indicator matrices.
    target_names : sequence of str, default=None
        Class names (the HPA names when None and there are 28 classes).
    ax : matplotlib Axes, default=None
        Axes to draw on.

    Returns
    -------
    ax : matplotlib Axes
    """
    return PerClassF1Display.from_predictions(
        Y_true, predictions, target_names=target_names, ax=ax
    ).ax_
