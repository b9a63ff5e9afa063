"""Images: the HPA composite, one sample, and the MontageDisplay of many with their labels."""

import numpy as np

from ..datasets import CHANNELS
from ..utils import check_multilabel_target
from ._common import class_names, pyplot

_RIGHT = "tab:green"
_WRONG = "tab:red"
_LINE_SPACING = 1.3  # line height, in font sizes
_PAD_PT = 2.0  # gap between an image and its first text line, in points
# Text is wrapped to this share of the room it has: rendered (hinted) text can come out a few
# per cent wider than the font outlines it is measured with.
_WRAP_SLACK = 0.94


def composite(image, channels=CHANNELS):
    """HPA-style RGB composite of a (C, H, W) image: red, green, blue; yellow as red + green.

    Parameters
    ----------
    image : array-like of shape (n_channels, H, W)
        One image, 0-255 or 0-1.
    channels : sequence of str, default=CHANNELS
        Name of each channel of ``image``.

    Returns
    -------
    rgb : ndarray of shape (H, W, 3), float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.plotting import composite
    >>> composite(np.full((4, 2, 2), 255)).shape
    (2, 2, 3)
    """
    image = np.asarray(image, dtype=float)
    if image.ndim != 3 or image.shape[0] != len(channels):
        raise ValueError(f"image must be (n_channels={len(channels)}, H, W), got {image.shape}")
    scale = 255.0 if image.max() > 1 else 1.0
    rgb = np.zeros(image.shape[1:] + (3,))
    for plane, name in zip(image / scale, channels):
        if name == "red":
            rgb[..., 0] += plane
        elif name == "green":
            rgb[..., 1] += plane
        elif name == "blue":
            rgb[..., 2] += plane
        elif name == "yellow":
            rgb[..., 0] += 0.5 * plane
            rgb[..., 1] += 0.5 * plane
    return np.clip(rgb, 0, 1)


def _indices(labels, n_classes, what):
    """Class indices of an indicator vector or of a list of class indices."""
    labels = np.asarray(labels)
    if labels.ndim == 1 and len(labels) == n_classes and np.isin(labels, (0, 1)).all():
        return [int(k) for k in np.flatnonzero(labels)]
    idx = [int(k) for k in np.atleast_1d(labels)]
    bad = [k for k in idx if not 0 <= k < n_classes]
    if bad:
        raise ValueError(f"{what}: class index {bad[0]} is out of range ({n_classes} classes)")
    return idx


def _panel_lines(names, true=None, pred=None, title=None):
    """The text lines of one panel, as (text, color) pairs, top to bottom.

    ``true`` and ``pred`` are lists of class indices (or None). With both, the
    prediction is split, so that no name is listed twice: ``"pred: "`` the
    right predictions (green), ``"pred, wrong: "`` the false positives (red),
    and ``"missed: "`` the true labels not predicted (red).
    """

    def listed(idx):
        return ", ".join(names[k] for k in idx) if idx else "(none)"

    lines = []
    if title is not None:
        lines.append((str(title), "black"))
    if true is not None:
        lines.append(("true: " + listed(true), "black"))
    if pred is not None:
        if true is None:
            lines.append(("pred: " + listed(pred), "black"))
        else:
            right = [k for k in pred if k in true]
            wrong = [k for k in pred if k not in true]
            missed = [k for k in true if k not in pred]
            if right or not wrong:
                lines.append(("pred: " + listed(right), _RIGHT if right else _WRONG))
            if wrong:
                lines.append(("pred, wrong: " + listed(wrong), _WRONG))
            if missed:
                lines.append(("missed: " + listed(missed), _WRONG))
    return lines


def _wrap(text, width_pt, fontsize):
    """Split ``text`` at spaces into lines at most ``width_pt`` wide (measured, not guessed).

    A single word wider than the line is cut into pieces that fit.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    prop = FontProperties(size=fontsize)

    def width(s):
        return text_to_path.get_text_width_height_descent(s, prop, ismath=False)[0]

    lines, current = [], ""
    for word in text.split(" "):
        candidate = word if not current else current + " " + word
        if width(candidate) <= width_pt:
            current = candidate
            continue
        if current:
            lines.append(current)
        while width(word) > width_pt and len(word) > 1:  # cut an over-long word
            cut = len(word) - 1
            while cut > 1 and width(word[:cut]) > width_pt:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    lines.append(current)
    return lines


def _wrapped(lines, width_pt, fontsize):
    return [(part, color) for text, color in lines for part in _wrap(text, width_pt, fontsize)]


def _draw_panel(ax, image, lines, channels, fontsize, frame=None):
    """Show the composite on ``ax`` with ``lines`` stacked above it; returns the Text objects."""
    ax.imshow(composite(image, channels))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(frame is not None)
        if frame is not None:
            spine.set_color(frame)
            spine.set_linewidth(2)
    step = _LINE_SPACING * fontsize
    texts = []
    for i, (text, color) in enumerate(lines):
        texts.append(
            ax.annotate(
                text,
                xy=(0.5, 1.0),
                xycoords="axes fraction",
                xytext=(0, _PAD_PT + (len(lines) - 1 - i) * step),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=fontsize,
                color=color,
                annotation_clip=False,
            )
        )
    return texts


def plot_sample(
    image,
    labels=None,
    *,
    predicted=None,
    channels=CHANNELS,
    target_names=None,
    ax=None,
    fontsize=7,
):
    """Show one sample as the HPA composite, with its labels above it.

    Parameters
    ----------
    image : array-like of shape (n_channels, H, W)
        The image.
    labels : indicator vector or list of class indices, default=None
        True labels, shown as ``"true: ..."``.
    predicted : indicator vector or list of class indices, default=None
        Predicted labels, shown as ``"pred: ..."``; with ``labels``, split as
        in :class:`MontageDisplay` (right predictions in green, false positives
        and missed labels in red).
    channels : sequence of str, default=CHANNELS
        Channel names of ``image``.
    target_names : sequence of str, default=None
        Class names; the 28 HPA names when None.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.
    fontsize : float, default=7
        Font size of the labels (wrapped to the width of ``ax``).

    Returns
    -------
    ax : matplotlib Axes

    See Also
    --------
    MontageDisplay : Many samples, laid out so that no text overlaps.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skhpa.datasets import make_hpa_like
    >>> from skhpa.plotting import plot_sample
    >>> X, Y = make_hpa_like(1, image_size=64, random_state=0)
    >>> ax = plot_sample(X[0], Y[0])
    >>> ax.texts[0].get_text().startswith("true: ")
    True
    """
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(3, 3.4), layout="constrained")
    n_classes = len(target_names) if target_names is not None else 28
    names = class_names(target_names, n_classes)
    true = None if labels is None else _indices(labels, n_classes, "labels")
    pred = None if predicted is None else _indices(predicted, n_classes, "predicted")
    width_pt = _WRAP_SLACK * ax.get_position().width * ax.figure.get_figwidth() * 72
    lines = _wrapped(_panel_lines(names, true, pred), width_pt, fontsize)
    frame = None if true is None or pred is None else (_RIGHT if true == pred else _WRONG)
    _draw_panel(ax, image, lines, channels, fontsize, frame)
    return ax


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
        return disp.plot(n_cols=n_cols, panel_size=panel_size, fontsize=fontsize)

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
            What the estimator predicts on: images, or path stems for a
            Pipeline that starts with an ImageLoader (then pass ``images``).
        y : array-like of shape (n_samples, n_classes), default=None
            True 0/1 indicator matrix of ``X``.
        images : array-like of shape (n_shown, n_channels, H, W), default=None
            The pixels of (at least) the samples shown, in the order of ``X``;
            ``X`` itself when None, which must then be an image array.
        n_images : int, default=12
            Number of samples shown (the first ones).
        title : str, default=None
            Figure title; the estimator's class name when None.
        channels : sequence of str, default=CHANNELS
            Channel names of the images.
        target_names : sequence of str, default=None
            Class names; the 28 HPA names when None and there are 28 classes.
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

        shown = np.arange(min(n_images, len(X)))
        if images is None:
            if np.ndim(X) != 4:
                raise ValueError(
                    f"X is not an image array (n_samples, n_channels, H, W) but has shape "
                    f"{np.shape(X)}; pass its pixels as images="
                )
            images = X
        if len(images) < len(shown):
            raise ValueError(
                f"images holds {len(images)} images; the first {len(shown)} samples are shown"
            )
        y_pred = estimator.predict(_safe_indexing(X, shown))
        return cls.from_predictions(
            np.asarray(images)[shown],
            None if y is None else np.asarray(y)[shown],
            y_pred,
            title=type(estimator).__name__ if title is None else title,
            channels=channels,
            target_names=target_names,
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

    def plot(self, *, n_cols=6, panel_size=2.2, fontsize=7):
        """Draw the montage in a new figure, sized so that no text overlaps.

        Parameters
        ----------
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
        n_cols = max(1, min(n_cols, n))
        n_rows = int(np.ceil(n / n_cols))

        margin = 0.08 * panel_size  # inches between panels, and around the grid
        image_in = panel_size - margin
        line_in = _LINE_SPACING * fontsize / 72
        panels = []
        for i in range(n):
            lines = _panel_lines(
                names, true[i], pred[i], None if self.titles is None else self.titles[i]
            )
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
        self.texts_ = []
        for i, ax in enumerate(axes):
            frame = None
            if true[i] is not None and pred[i] is not None:
                frame = _RIGHT if true[i] == pred[i] else _WRONG
            self.texts_.append(
                _draw_panel(ax, self.images[i], panels[i], self.channels, fontsize, frame)
            )
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
