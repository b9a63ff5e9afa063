"""MontageDisplay: many HPA composites with their labels, laid out so no text overlaps."""

import numpy as np

from ..utils import CHANNELS, check_multilabel_target
from ._common import class_names, pyplot
from ._images import (
    _LINE_SPACING,
    _PAD_PT,
    _RIGHT,
    _WRAP_SLACK,
    _WRONG,
    _draw_panel,
    _panel_lines,
    _wrap,
    _wrapped,
)


class MontageDisplay:
    """A grid of HPA composites with true and predicted labels; titles never overlap.

    Above each image: ``"true: ..."`` (the true labels), then the
    prediction, split so that no name is listed twice: ``"pred: ..."`` the
    right predictions (green), ``"pred, wrong: ..."`` the false positives
    (red), ``"missed: ..."`` the true labels not predicted (red); without true
    labels, ``"pred: ..."`` lists the prediction. The image frame is green
    when the whole prediction is right, red otherwise. Long
    lines are wrapped to the panel width (measured with the font), and each
    row of the grid is as tall as its longest text, so no text overlaps
    another panel. The figure title names the model (e.g. the recipe).

    Build it with :meth:`from_predictions` or :meth:`from_estimator`.

    Parameters
    ----------
    images : array-like of shape (n_images, n_channels, H, W)
        The images.
    y_true : array-like of shape (n_images, n_classes), default=None
        True 0/1 indicator matrix.
    y_pred : array-like of shape (n_images, n_classes), default=None
        Predicted 0/1 indicator matrix.
    titles : sequence of str, default=None
        A first text line for each panel (e.g. the class drawn).
    title : str, default=None
        Figure title, e.g. the recipe that predicted.
    channels : sequence of str, default=CHANNELS
        Channel names of the images.
    target_names : sequence of str, default=None
        Class names; the 28 HPA names when None and there are 28 classes.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes of shape (n_images,)
        The axes of each image.
    texts_ : list of list of matplotlib Text
        The text lines of each panel, top to bottom.
    suptitle_ : matplotlib Text or None
        The figure title.
    key_ : matplotlib Text or None
        The color key below the title (when true and predicted labels are shown).
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skhpa.datasets import make_hpa_like
    >>> from skhpa.plotting import MontageDisplay
    >>> X, Y = make_hpa_like(4, image_size=32, random_state=0)
    >>> pred = Y.copy(); pred[0] = 0; pred[0, 25] = 1
    >>> disp = MontageDisplay.from_predictions(X, Y, pred, title="a model", n_cols=2)
    >>> [t.get_text() for t in disp.texts_[0]]  # doctest: +ELLIPSIS
    ['true: ...', 'pred, wrong: Cytosol', 'missed: ...']
    """

    def __init__(
        self,
        images,
        y_true=None,
        y_pred=None,
        *,
        titles=None,
        title=None,
        channels=CHANNELS,
        target_names=None,
    ):
        self.images = images
        self.y_true = y_true
        self.y_pred = y_pred
        self.titles = titles
        self.title = title
        self.channels = channels
        self.target_names = target_names

    @classmethod
    def from_predictions(
        cls,
        images,
        y_true=None,
        y_pred=None,
        *,
        titles=None,
        title=None,
        channels=CHANNELS,
        target_names=None,
        ax=None,
        n_cols=6,
        panel_size=2.2,
        fontsize=7,
    ):
        """Show images with their true and/or predicted labels.

        Parameters
        ----------
        images : array-like of shape (n_images, n_channels, H, W)
            The images.
        y_true : array-like of shape (n_images, n_classes), default=None
            True 0/1 indicator matrix.
        y_pred : array-like of shape (n_images, n_classes), default=None
            Predicted 0/1 indicator matrix.
        titles : sequence of str, default=None
            A first text line for each panel.
        title : str, default=None
            Figure title, e.g. the recipe that predicted.
        channels : sequence of str, default=CHANNELS
            Channel names of the images.
        target_names : sequence of str, default=None
            Class names; the 28 HPA names when None and there are 28 classes.
        ax : array-like of matplotlib Axes, default=None
            One Axes per image shown; a new figure when None (see :meth:`plot`).
        n_cols : int, default=6
            Images per row.
        panel_size : float, default=2.2
            Width of each panel, in inches.
        fontsize : float, default=7
            Font size of the panel texts.

        Returns
        -------
        display : MontageDisplay
        """
        disp = cls(
            images,
            y_true,
            y_pred,
            titles=titles,
            title=title,
            channels=channels,
            target_names=target_names,
        )
        return disp.plot(ax, n_cols=n_cols, panel_size=panel_size, fontsize=fontsize)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        images=None,
        n_images=12,
        title=None,
        channels=CHANNELS,
        target_names=None,
        ax=None,
        n_cols=6,
        panel_size=2.2,
        fontsize=7,
    ):
        """Predict the first ``n_images`` samples of ``X`` and show them.

        Parameters
        ----------
        estimator : estimator
            Fitted multilabel classifier with ``predict``.
        X : array-like or indexable
            What the estimator predicts on: images, or the Ids or path stems
            that its ImageLoader reads (a Pipeline that starts with one).
        y : array-like of shape (n_samples, n_classes), default=None
            True 0/1 indicator matrix of ``X``.
        images : array-like of shape (n_shown, n_channels, H, W), default=None
            The pixels of (at least) the samples shown, in the order of ``X``.
            When None: ``X`` itself if it is an image array, else the images the
            estimator's fitted ImageLoader reads (at the size the model sees).
        n_images : int, default=12
            Number of samples shown (the first ones).
        title : str, default=None
            Figure title; the estimator's class name when None.
        channels : sequence of str, default=CHANNELS
            Channel names of the images.
        target_names : sequence of str, default=None
            Class names; the 28 HPA names when None and there are 28 classes.
        ax : array-like of matplotlib Axes, default=None
            One Axes per image shown; a new figure when None (see :meth:`plot`).
        n_cols : int, default=6
            Images per row.
        panel_size : float, default=2.2
            Width of each panel, in inches.
        fontsize : float, default=7
            Font size of the panel texts.

        Returns
        -------
        display : MontageDisplay
        """
        from sklearn.utils import _safe_indexing

        from ..preprocessing import image_loader_of

        shown = np.arange(min(n_images, len(X)))
        if images is None and np.ndim(X) != 4:
            loader = image_loader_of(estimator)
            if loader is None or not hasattr(loader, "channels_"):
                raise ValueError(
                    f"X is not an image array (n_samples, n_channels, H, W) but has shape "
                    f"{np.shape(X)} and the estimator has no fitted ImageLoader to read it; "
                    "pass its pixels as images="
                )
            # the estimator's own loader: the images as the model sees them
            images = loader.transform(_safe_indexing(X, shown))
        elif images is None:
            images = X
        if len(images) < len(shown):
            raise ValueError(
                f"images holds {len(images)} images; the first {len(shown)} samples are shown"
            )
        y_pred = estimator.predict(_safe_indexing(X, shown))
        return cls.from_predictions(
            np.asarray(images[: len(shown)]),
            None if y is None else np.asarray(y)[shown],
            y_pred,
            title=type(estimator).__name__ if title is None else title,
            channels=channels,
            target_names=target_names,
            ax=ax,
            n_cols=n_cols,
            panel_size=panel_size,
            fontsize=fontsize,
        )

    def _label_sets(self, n):
        sets = {}
        q = None
        for what in ("y_true", "y_pred"):
            Y = getattr(self, what)
            if Y is None:
                sets[what] = [None] * n
                continue
            Y = check_multilabel_target(Y, name=what)
            if len(Y) != n:
                raise ValueError(f"{what} has {len(Y)} rows but there are {n} images")
            if q is not None and Y.shape[1] != q:
                raise ValueError(f"y_true has {q} columns but y_pred has {Y.shape[1]}")
            q = Y.shape[1]
            sets[what] = [[int(k) for k in np.flatnonzero(row)] for row in Y]
        return sets["y_true"], sets["y_pred"], q

    def plot(self, ax=None, *, n_cols=6, panel_size=2.2, fontsize=7):
        """Draw the montage in a new figure sized so that no text overlaps, or on ``ax``.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            None: a new figure laid out for the texts. Otherwise one Axes per image
            (at least as many as images; the others are hidden), each text wrapped
            to its Axes' width; the figure title goes above the figure, the colour
            key is left out, and ``n_cols`` and ``panel_size`` are not used.
        n_cols : int, default=6
            Images per row.
        panel_size : float, default=2.2
            Width of each panel, in inches (the images are square in it).
        fontsize : float, default=7
            Font size of the panel texts.

        Returns
        -------
        display : MontageDisplay
            With ``figure_``, ``axes_``, ``texts_``, ``suptitle_`` and ``key_`` set.
        """
        plt = pyplot()
        n = len(self.images)
        if n == 0:
            raise ValueError("images is empty")
        if self.titles is not None and len(self.titles) != n:
            raise ValueError(f"titles has {len(self.titles)} entries for {n} images")
        true, pred, q = self._label_sets(n)
        names = class_names(self.target_names, q if q is not None else 28)
        if ax is not None:
            return self._plot_on(ax, true, pred, names, fontsize)
        n_cols = max(1, min(n_cols, n))
        n_rows = int(np.ceil(n / n_cols))

        margin = 0.08 * panel_size  # inches between panels, and around the grid
        image_in = panel_size - margin
        line_in = _LINE_SPACING * fontsize / 72
        panels = []
        for i in range(n):
            lines = self._lines(i, names, true, pred)
            panels.append(_wrapped(lines, _WRAP_SLACK * image_in * 72, fontsize))
        text_in = [  # height of the text block of each row
            max(len(p) for p in panels[r * n_cols : (r + 1) * n_cols]) * line_in + _PAD_PT / 72
            for r in range(n_rows)
        ]
        width = n_cols * panel_size + margin
        title_size = fontsize + 3
        title_lines = _wrap(self.title, _WRAP_SLACK * width * 72, title_size) if self.title else []
        key_lines = []
        if self.y_true is not None and self.y_pred is not None:
            key = (
                "true: the true labels \u00b7 pred: the right predictions (green) \u00b7 "
                "pred, wrong: false positives (red) \u00b7 missed: true labels not predicted "
                "(red) \u00b7 frame: green when the whole prediction is right"
            )
            key_lines = _wrap(key, _WRAP_SLACK * width * 72, fontsize)
        # a Text of n lines is n * linespacing * fontsize tall; a gap between title and key
        title_in = len(title_lines) * _LINE_SPACING * title_size / 72
        if title_lines and key_lines:
            title_in += 0.4 * fontsize / 72
        key_in = len(key_lines) * line_in
        head_in = title_in + key_in + (margin if title_lines or key_lines else 0)
        height = head_in + margin + sum(t + image_in + margin for t in text_in)

        fig = plt.figure(figsize=(width, height))
        axes = []
        top = height - head_in - margin  # top of the current row, in inches from the bottom
        for r in range(n_rows):
            bottom = top - text_in[r] - image_in
            for c in range(n_cols):
                i = r * n_cols + c
                if i >= n:
                    break
                left = margin + c * panel_size
                axes.append(
                    fig.add_axes(
                        [left / width, bottom / height, image_in / width, image_in / height]
                    )
                )
            top = bottom - margin
        self._draw_panels(axes, panels, true, pred, fontsize)
        self.suptitle_ = self.key_ = None
        top = 1 - (margin / 2) / height
        if title_lines:
            self.suptitle_ = fig.suptitle(
                "\n".join(title_lines),
                y=top,
                va="top",
                fontsize=title_size,
                linespacing=_LINE_SPACING,
            )
        if key_lines:
            self.key_ = fig.text(
                0.5,
                top - title_in / height,
                "\n".join(key_lines),
                ha="center",
                va="top",
                fontsize=fontsize,
                linespacing=_LINE_SPACING,
            )
        self.axes_ = np.array(axes, dtype=object)
        self.figure_ = fig
        return self

    def _lines(self, i, names, true, pred):
        return _panel_lines(
            names, true[i], pred[i], None if self.titles is None else self.titles[i]
        )

    def _draw_panels(self, axes, panels, true, pred, fontsize):
        self.texts_ = []
        for i, ax in enumerate(axes):
            frame = None
            if true[i] is not None and pred[i] is not None:
                frame = _RIGHT if true[i] == pred[i] else _WRONG
            self.texts_.append(
                _draw_panel(ax, self.images[i], panels[i], self.channels, fontsize, frame)
            )

    def _plot_on(self, ax, true, pred, names, fontsize):
        """Draw each image on the given Axes (``plot(ax=...)``)."""
        n = len(self.images)
        given = list(np.ravel(np.asarray(ax, dtype=object)))
        if len(given) < n:
            raise ValueError(f"ax has {len(given)} Axes for {n} images; pass one per image")
        fig = given[0].figure
        panels = []
        for i in range(n):
            width_in = given[i].get_position().width * fig.get_figwidth()
            lines = self._lines(i, names, true, pred)
            panels.append(_wrapped(lines, _WRAP_SLACK * width_in * 72, fontsize))
        self._draw_panels(given[:n], panels, true, pred, fontsize)
        for extra in given[n:]:
            extra.set_visible(False)
        self.key_ = None
        self.suptitle_ = fig.suptitle(self.title, fontsize=fontsize + 3) if self.title else None
        self.axes_ = np.array(given[:n], dtype=object)
        self.figure_ = fig
        return self


def plot_montage(
    images,
    labels=None,
    *,
    predicted=None,
    channels=CHANNELS,
    n_cols=6,
    target_names=None,
    titles=None,
    title=None,
):
    """A grid of composites with their labels: :class:`MontageDisplay`'s figure.

    Parameters
    ----------
    images : array-like of shape (n_images, n_channels, H, W)
        The images.
    labels : array-like of shape (n_images, n_classes), default=None
        True 0/1 indicator matrix.
    predicted : array-like of shape (n_images, n_classes), default=None
        Predicted 0/1 indicator matrix.
    channels : sequence of str, default=CHANNELS
        Channel names of the images.
    n_cols : int, default=6
        Images per row.
    target_names : sequence of str, default=None
        Class names (the HPA names when None and there are 28 classes).
    titles : sequence of str, default=None
        A first text line for each panel.
    title : str, default=None
        Figure title.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skhpa.datasets import make_hpa_like
    >>> from skhpa.plotting import plot_montage
    >>> X, Y = make_hpa_like(4, image_size=32, random_state=0)
    >>> fig = plot_montage(X, Y, n_cols=2)
    >>> len(fig.axes)
    4
    """
    return MontageDisplay.from_predictions(
        images,
        labels,
        predicted,
        titles=titles,
        title=title,
        channels=channels,
        target_names=target_names,
        n_cols=n_cols,
    ).figure_
