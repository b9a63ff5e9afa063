"""TrainingCurveDisplay: losses and validation macro-F1 per epoch, from a skorch history."""

import numpy as np

from ..utils import deprecated
from ._common import pyplot

# What HPAClassifier records each epoch (see its ``get_default_callbacks``); the validation
# entries are absent with ``train_split=None`` and no ``X_val``.
_LABELS = {
    "train_loss": "training loss",
    "valid_loss": "validation loss",
    "valid_f1": "validation macro-F1 (at the net's threshold)",
    "valid_f1_tuned": "validation macro-F1 (each class's best threshold)",
}
# The score HPAClassifier's early stopping monitors first (it restores that epoch's weights).
_MONITORS = ("valid_f1_tuned", "valid_f1", "valid_loss")


def _fitted_histories(estimator, path=""):
    """The training histories of the fitted networks that ``estimator`` predicts with.

    Yields ``(path, history)`` pairs, ``path`` the attribute and index access that
    reaches the network from ``estimator`` (e.g. ``".estimator_[1]"``). Follows
    Pipeline steps and a meta-estimator's fitted models (``estimators_``,
    ``estimator_``, ``best_estimator_``), and its ``estimator`` only when it has
    none of those (a FrozenEstimator): unlike :func:`skhpa.utils.iter_estimators`,
    it skips the unfitted template a meta-estimator clones, which may have been
    fitted elsewhere.
    """
    history = getattr(estimator, "history_", None)
    if history is not None:
        yield path, history
        return
    steps = getattr(estimator, "steps", None)
    if steps:
        for i, (_, step) in enumerate(steps):
            yield from _fitted_histories(step, f"{path}[{i}]")
        return
    fitted = [
        (f"{path}.estimators_[{i}]", est)
        for i, est in enumerate(getattr(estimator, "estimators_", None) or [])
    ]
    fitted += [
        (f"{path}.{a}", getattr(estimator, a, None)) for a in ("estimator_", "best_estimator_")
    ]
    fitted = [(p, est) for p, est in fitted if est is not None and not isinstance(est, str)]
    if not fitted and getattr(estimator, "estimator", None) is not None:
        fitted = [(f"{path}.estimator", estimator.estimator)]
    for p, est in fitted:
        yield from _fitted_histories(est, p)


def _lower_is_better(key):
    return key.endswith("loss")


class TrainingCurveDisplay:
    """Training and validation loss and validation macro-F1 per epoch, best epoch marked.

    Build it with :meth:`from_estimator` (a fitted
    :class:`~skhpa.HPAClassifier`, or a Pipeline, ThresholdOptimizer or search
    holding one) or :meth:`from_history` (a skorch ``net.history``). Losses are
    on the left axis, macro-F1 on the right one (0 to 1).

    The best epoch is the epoch with the best value of ``monitor``: by
    default ``valid_f1_tuned`` (highest), the score that HPAClassifier's early
    stopping monitors and whose epoch's weights it restores; ``valid_f1``
    (highest) or ``valid_loss`` (lowest) when the history lacks it; none
    without validation data (``train_split=None`` and no ``X_val`` passed to
    ``fit``; :func:`skhpa.recipes.fit_with_thresholds` passes its held-out
    part). Ties go to the first such epoch, as in early stopping.

    Parameters
    ----------
    epochs : array-like of shape (n_epochs,)
        Epoch numbers.
    values : dict of str to array-like of shape (n_epochs,)
        The recorded values per history key (NaN where an epoch lacks one).
        Keys ending in ``"loss"`` go on the loss axis, the others on the
        score axis.
    monitor : str, default=None
        Key the best epoch was chosen on.
    best_epoch : int, default=None
        Epoch to mark.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The loss axes.
    score_ax_ : matplotlib Axes or None
        The twin axes of the scores (None when there is no score).
    lines_ : dict of str to matplotlib Line2D
        The curve of each key.
    best_line_ : matplotlib Line2D or None
        The vertical line at the best epoch.
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skhpa.plotting import TrainingCurveDisplay
    >>> history = [
    ...     {"epoch": 1, "train_loss": 0.6, "valid_loss": 0.5, "valid_f1_tuned": 0.2},
    ...     {"epoch": 2, "train_loss": 0.4, "valid_loss": 0.45, "valid_f1_tuned": 0.4},
    ...     {"epoch": 3, "train_loss": 0.3, "valid_loss": 0.47, "valid_f1_tuned": 0.35},
    ... ]
    >>> disp = TrainingCurveDisplay.from_history(history)
    >>> disp.monitor, disp.best_epoch
    ('valid_f1_tuned', 2)
    >>> disp.ax_.get_xlabel(), disp.score_ax_.get_ylabel()
    ('epoch', 'validation macro-F1')
    """

    def __init__(self, epochs, values, *, monitor=None, best_epoch=None):
        self.epochs = np.asarray(epochs)
        self.values = {key: np.asarray(v, dtype=float) for key, v in values.items()}
        self.monitor = monitor
        self.best_epoch = best_epoch

    @classmethod
    def from_history(cls, history, *, keys=None, monitor="auto", ax=None):
        """Read the curves from a skorch history and plot them.

        Parameters
        ----------
        history : skorch History or list of dict
            One dict per epoch (``net.history``), with an ``"epoch"`` entry.
        keys : sequence of str, default=None
            Entries to draw; when None, those of ``train_loss``,
            ``valid_loss``, ``valid_f1`` and ``valid_f1_tuned`` that the
            history holds.
        monitor : str or None, default="auto"
            Entry that defines the best epoch (highest for a score, lowest for
            a key ending in ``"loss"``); ``"auto"``: the first of
            ``valid_f1_tuned``, ``valid_f1``, ``valid_loss`` present; None:
            no best epoch.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.

        Returns
        -------
        display : TrainingCurveDisplay
        """
        rows = list(history)
        if not rows:
            raise ValueError("the history is empty: fit the network first")
        for i, row in enumerate(rows):
            if not isinstance(row, dict) or "epoch" not in row:
                raise ValueError(f"history row {i} is not a dict with an 'epoch' entry: {row!r}")
        present = {key for row in rows for key, v in row.items() if v is not None}
        if keys is None:
            keys = [key for key in _LABELS if key in present]
            if not keys:
                raise ValueError(
                    f"the history holds none of {sorted(_LABELS)}; pass keys= (it holds "
                    f"{sorted(present)})"
                )
        else:
            missing = [key for key in keys if key not in present]
            if missing:
                raise ValueError(f"the history has no {missing[0]!r} (it holds {sorted(present)})")
        epochs = np.array([row["epoch"] for row in rows])
        values = {
            key: np.array([np.nan if row.get(key) is None else row[key] for row in rows], float)
            for key in keys
        }
        if monitor == "auto":
            monitor = next((key for key in _MONITORS if key in present), None)
        best = None
        if monitor is not None:
            if monitor not in present:
                raise ValueError(f"monitor {monitor!r} is not in the history")
            curve = np.array(
                [np.nan if row.get(monitor) is None else row[monitor] for row in rows], float
            )
            if np.isnan(curve).all():
                raise ValueError(f"monitor {monitor!r} has no value in the history")
            j = np.nanargmin(curve) if _lower_is_better(monitor) else np.nanargmax(curve)
            best = int(epochs[j])
            values.setdefault(monitor, curve)
        return cls(epochs, values, monitor=monitor, best_epoch=best).plot(ax=ax)

    @classmethod
    def from_estimator(cls, estimator, *, keys=None, monitor="auto", ax=None):
        """Plot the history of the fitted network inside ``estimator``.

        Parameters
        ----------
        estimator : estimator
            A fitted skorch net (:class:`~skhpa.HPAClassifier`), or a Pipeline,
            :class:`~skhpa.ThresholdOptimizer`, FrozenEstimator or search
            holding exactly one.
        keys : sequence of str, default=None
            Entries to draw (see :meth:`from_history`).
        monitor : str or None, default="auto"
            Entry that defines the best epoch (see :meth:`from_history`).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.

        Returns
        -------
        display : TrainingCurveDisplay
        """
        nets, paths = [], []
        for path, history in _fitted_histories(estimator):
            if len(history) and all(h is not history for h in nets):
                nets.append(history)
                paths.append(path)
        if not nets:
            raise ValueError(
                f"{type(estimator).__name__} holds no fitted network with a training history"
            )
        if len(nets) > 1:
            shown = ", ".join(f"estimator{p}" for p in paths[:4])
            more = f" (and {len(paths) - 4} more)" if len(paths) > 4 else ""
            raise ValueError(
                f"{type(estimator).__name__} holds {len(nets)} fitted networks (a fold "
                f"ensemble, a blend?); pass one of them: {shown}{more}"
            )
        return cls.from_history(nets[0], keys=keys, monitor=monitor, ax=ax)

    def plot(self, ax=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes for the losses (the scores go on its twin); a new figure
            when None.

        Returns
        -------
        display : TrainingCurveDisplay
            With ``ax_``, ``score_ax_``, ``figure_``, ``lines_`` and
            ``best_line_`` set.
        """
        plt = pyplot()
        from matplotlib.ticker import MaxNLocator

        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
        loss_keys = [key for key in self.values if _lower_is_better(key)]
        score_keys = [key for key in self.values if not _lower_is_better(key)]
        score_ax = ax.twinx() if score_keys else None
        self.lines_ = {}
        for i, key in enumerate(loss_keys + score_keys):
            target = ax if key in loss_keys else score_ax
            (self.lines_[key],) = target.plot(
                self.epochs,
                self.values[key],
                marker="o",
                ms=3,
                color=f"C{i}",
                ls="-" if key in loss_keys else "--",
                label=_LABELS.get(key, key),
            )
        self.best_line_ = None
        if self.best_epoch is not None:
            j = int(np.flatnonzero(self.epochs == self.best_epoch)[0])
            value = self.values[self.monitor][j] if self.monitor in self.values else np.nan
            self.best_line_ = ax.axvline(
                self.best_epoch,
                color="0.3",
                lw=1,
                ls=":",
                label=f"best epoch {self.best_epoch} ({self.monitor} {value:.3f})",
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        handles = ax.get_legend_handles_labels()
        if score_ax is not None:
            score_ax.set_ylabel("validation macro-F1")
            score_ax.set_ylim(0, 1)
            more = score_ax.get_legend_handles_labels()
            handles = (handles[0] + more[0], handles[1] + more[1])
        validated = any(key.startswith("valid") for key in self.values)
        ax.set_title(
            "Training curves" + ("" if validated else " (no validation split)"), fontsize=10
        )
        (score_ax or ax).legend(
            *handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2
        )
        self.ax_ = ax
        self.score_ax_ = score_ax
        self.figure_ = ax.figure
        return self


@deprecated("TrainingCurveDisplay.from_history")
def plot_training_curves(history, *, keys=None, ax=None):
    """Training curves from a skorch history (``net.history``).

    Parameters
    ----------
    history : skorch History or list of dict
        One dict per epoch.
    keys : sequence of str, default=None
        Entries to draw (see :meth:`TrainingCurveDisplay.from_history`).
    ax : matplotlib Axes, default=None
        Axes to draw on.

    Returns
    -------
    ax : matplotlib Axes
    """
    return TrainingCurveDisplay.from_history(history, keys=keys, ax=ax).ax_
