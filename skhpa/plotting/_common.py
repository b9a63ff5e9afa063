"""Helpers shared by the figures: the lazy pyplot import and the class names of a plot."""

import numpy as np

from ..utils import CLASS_NAMES


def pyplot():
    """``matplotlib.pyplot``, imported on first use (``import skhpa`` stays light)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("skhpa.plotting needs matplotlib: pip install 'skhpa[plots]'") from exc
    return plt


def class_names(target_names, n_classes):
    """The display name of each of ``n_classes`` classes.

    None gives the 28 HPA names when there are 28 classes and the class
    indices otherwise; a sequence must hold one name per class.
    """
    if target_names is None:
        if n_classes == len(CLASS_NAMES):
            return list(CLASS_NAMES)
        return [str(k) for k in range(n_classes)]
    names = [str(name) for name in target_names]
    if len(names) != n_classes:
        raise ValueError(
            f"target_names has {len(names)} names but the data have {n_classes} classes"
        )
    return names


def check_classes(classes, n_classes):
    """Class indices to show: all of them when None; each must lie in [0, n_classes)."""
    if classes is None:
        return np.arange(n_classes)
    classes = np.atleast_1d(np.asarray(classes))
    if classes.size == 0:
        raise ValueError("classes is empty: pass at least one class index")
    if not np.issubdtype(classes.dtype, np.integer):
        raise ValueError(f"classes must be integer class indices, got {classes.tolist()!r}")
    bad = classes[(classes < 0) | (classes >= n_classes)]
    if bad.size:
        raise ValueError(
            f"class index {int(bad[0])} is out of range: there are {n_classes} classes"
        )
    return classes
