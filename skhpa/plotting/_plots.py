"""Figures (matplotlib, an optional dependency: ``pip install skhpa[plots]``)."""

import numpy as np

from ..utils import CHANNELS, CLASS_NAMES


def _plt():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("skhpa.plotting needs matplotlib: pip install 'skhpa[plots]'") from exc
    return plt


def composite(image, channels=CHANNELS):
    """HPA-style RGB composite of a (C, H, W) image: red, green, blue; yellow as red + green.

    Returns
    -------
    rgb : ndarray of shape (H, W, 3), float in [0, 1]
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


def _label_text(labels, target_names, max_names=3):
    if labels is None:
        return ""
    idx = (
        np.flatnonzero(np.asarray(labels))
        if np.ndim(labels) == 1 and len(labels) == len(target_names)
        else list(labels)
    )
    names = [target_names[int(k)] for k in idx]
    return ", ".join(names[:max_names]) + (" ..." if len(names) > max_names else "") or "(none)"


def plot_sample(
    image, labels=None, *, predicted=None, channels=CHANNELS, target_names=CLASS_NAMES, ax=None
):
    """Show one sample as the HPA composite, with its class names in the title.

    Parameters
    ----------
    image : array-like of shape (n_channels, H, W)
    labels : indicator vector or list of class indices, optional
    predicted : indicator vector or list of class indices, optional
        Shown on a second title line.
    channels : sequence of str
        Channel names of ``image``.
    ax : matplotlib Axes, optional

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skhpa.datasets import make_hpa_like
    >>> from skhpa.plotting import plot_sample
    >>> X, Y = make_hpa_like(1, image_size=64, random_state=0)
    >>> ax = plot_sample(X[0], Y[0])
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(3, 3))
    ax.imshow(composite(image, channels))
    title = _label_text(labels, target_names)
    if predicted is not None:
        title += "\npred: " + _label_text(predicted, target_names)
    ax.set_title(title, fontsize=7)
    ax.axis("off")
    return ax


def plot_montage(
    images,
    labels=None,
    *,
    predicted=None,
    channels=CHANNELS,
    n_cols=6,
    target_names=CLASS_NAMES,
    titles=None,
):
    """A grid of :func:`plot_sample` panels.

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
    """
    plt = _plt()
    n = len(images)
    n_rows = int(np.ceil(n / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.2 * n_cols, 2.4 * n_rows), squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k >= n:
            ax.axis("off")
            continue
        plot_sample(
            images[k],
            None if labels is None else labels[k],
            predicted=None if predicted is None else predicted[k],
            channels=channels,
            target_names=target_names,
            ax=ax,
        )
        if titles is not None:
            ax.set_title(titles[k], fontsize=7)
    fig.tight_layout()
    return fig


def plot_per_class_f1(Y_true, predictions, *, target_names=CLASS_NAMES, ax=None):
    """Bar chart of per-class F1 for several models.

    Parameters
    ----------
    Y_true : array-like of shape (n_samples, n_classes)
    predictions : dict of name -> array-like of shape (n_samples, n_classes)
        Predicted indicator matrices.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skhpa.plotting import plot_per_class_f1
    >>> Y = np.eye(28, dtype=int)
    >>> ax = plot_per_class_f1(Y, {"perfect": Y, "nothing": np.zeros_like(Y)})
    """
    from sklearn.metrics import f1_score

    plt = _plt()
    Y_true = np.asarray(Y_true)
    q = Y_true.shape[1]
    names = list(target_names) if len(target_names) == q else [str(k) for k in range(q)]
    if ax is None:
        _, ax = plt.subplots(figsize=(max(8, 0.4 * q), 4))
    width = 0.8 / max(len(predictions), 1)
    x = np.arange(q)
    for j, (label, Y_pred) in enumerate(predictions.items()):
        f1 = f1_score(Y_true, np.asarray(Y_pred), average=None, zero_division=0)
        ax.bar(x + j * width - 0.4 + width / 2, f1, width, label=f"{label} (macro {f1.mean():.3f})")
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=90, fontsize=7)
    ax.set_ylabel("F1")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax


def plot_threshold_curves(optimizer, *, classes=None, target_names=CLASS_NAMES, n_cols=7):
    """Per-class score-versus-threshold curves of a fitted ThresholdOptimizer.

    The chosen threshold of each class is marked; 0.5 is drawn for reference.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from skhpa import ThresholdOptimizer
    >>> from skhpa.plotting import plot_threshold_curves
    >>> X = np.random.RandomState(0).normal(size=(100, 3))
    >>> Y = (X[:, :2] > 0).astype(int)
    >>> opt = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=2).fit(X, Y)
    >>> fig = plot_threshold_curves(opt, target_names=["a", "b"])
    """
    plt = _plt()
    res = optimizer.cv_results_
    q = len(res["thresholds"])
    classes = list(range(q)) if classes is None else list(classes)
    names = list(target_names) if len(target_names) == q else [str(k) for k in range(q)]
    n_rows = int(np.ceil(len(classes) / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.2 * n_cols, 1.8 * n_rows), squeeze=False)
    for ax, k in zip(axes.ravel(), classes):
        t, s = res["thresholds"][k], res["scores"][k]
        keep = t <= 1
        ax.plot(t[keep], s[keep], lw=1)
        ax.axvline(optimizer.thresholds_[k], color="C3", lw=1)
        ax.axvline(0.5, color="0.6", lw=0.8, ls=":")
        ax.set_title(f"{k} {names[k]}"[:28], fontsize=7)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.tick_params(labelsize=6)
    for ax in axes.ravel()[len(classes) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_training_curves(
    history, *, keys=("train_loss", "valid_loss", "valid_f1", "valid_f1_tuned"), ax=None
):
    """Training curves from a skorch history (``net.history``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skhpa.plotting import plot_training_curves
    >>> history = [{"epoch": 1, "train_loss": 0.5}, {"epoch": 2, "train_loss": 0.3}]
    >>> ax = plot_training_curves(history)
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    epochs = [row["epoch"] for row in history]
    for key in keys:
        values = [row.get(key) for row in history]
        if all(v is not None for v in values):
            ax.plot(epochs, values, marker="o", ms=3, label=key)
    ax.set_xlabel("epoch")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax
