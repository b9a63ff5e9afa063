"""Images: the HPA composite, and one sample with its labels.

The label lines above an image (``true:``, ``pred:``, the errors), their wrapping to the
width available and their drawing live here, shared with :class:`MontageDisplay`
(``_montage.py``), which lays many panels out.
"""

import numpy as np

from ..utils import CHANNELS
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
