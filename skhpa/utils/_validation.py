"""Input validation shared by estimators, samplers and splitters."""

import numpy as np

from ._sklearn_compat import num_samples


def check_channels_first(shape, name="X"):
    """Raise a clear error for images that look channels-last, ``(n, H, W, C)``.

    Images are ``(n_samples, n_channels, height, width)``. A square image with at most 4
    values on the last axis and more than 4 on axis 1 is a ``(n, H, W, C)`` array (as
    Pillow, matplotlib and TensorFlow give them), which would otherwise fail deep inside a
    network, or be resized or standardized along the wrong axes, without a word.

    Parameters
    ----------
    shape : tuple of int
        The array's shape.
    name : str, default="X"
        Name used in the error message.

    Examples
    --------
    >>> from skhpa.utils import check_channels_first
    >>> check_channels_first((10, 4, 64, 64))
    >>> check_channels_first((10, 64, 64, 4))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: X has shape (10, 64, 64, 4), channels last; ... X.transpose(0, 3, 1, 2)
    """
    shape = tuple(int(d) for d in shape)
    if len(shape) == 4 and shape[3] <= 4 < shape[1] and shape[1] == shape[2]:
        raise ValueError(
            f"{name} has shape {shape}, channels last; skhpa takes images as (n_samples, "
            f"n_channels, height, width): pass {name}.transpose(0, 3, 1, 2)"
        )


def check_multilabel_target(Y, *, name="Y", n_classes=None, allow_single_column=True):
    """Validate a multilabel indicator matrix and return it as an ndarray.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_classes)
        0/1 indicator matrix (any integer, boolean or float dtype holding only
        0 and 1).
    name : str, default="Y"
        Name used in error messages.
    n_classes : int, optional
        Required number of columns.
    allow_single_column : bool, default=True
        Whether a single column is accepted.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_classes)
        The input as an array, dtype unchanged.

    Raises
    ------
    ValueError
        If ``Y`` is not 2-D, is empty, has the wrong width, or holds a value
        other than 0 and 1 (the message names the first offending row).
    """
    hint = (
        "; for lists of class numbers per sample use "
        "sklearn.preprocessing.MultiLabelBinarizer(classes=range(28)), for Kaggle "
        "Target strings ('16 0') skhpa.datasets.parse_targets"
    )
    if hasattr(Y, "toarray"):
        Y = Y.toarray()
    try:
        Y = np.asarray(Y)
    except ValueError:  # ragged: a list of label lists of different lengths
        raise ValueError(
            f"{name} must be a 2-D multilabel indicator matrix (n_samples, n_classes){hint}"
        ) from None
    if Y.dtype == object or Y.dtype.kind in "US":
        if Y.ndim == 1 and len(Y) and isinstance(Y.flat[0], (str, list, tuple, set)):
            raise ValueError(
                f"{name} must be a 2-D multilabel indicator matrix (n_samples, n_classes), "
                f"got a {'str' if Y.dtype.kind in 'US' else type(Y.flat[0]).__name__} per "
                f"sample{hint}"
            )
    if Y.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D multilabel indicator matrix (n_samples, n_classes), "
            f"got an array of shape {Y.shape}"
        )
    if Y.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 samples)")
    if n_classes is not None and Y.shape[1] != n_classes:
        raise ValueError(f"{name} has {Y.shape[1]} columns, expected {n_classes}")
    if not allow_single_column and Y.shape[1] < 2:
        raise ValueError(f"{name} must have at least 2 label columns, got {Y.shape[1]}")
    if Y.dtype == object or not (
        np.issubdtype(Y.dtype, np.number) or np.issubdtype(Y.dtype, np.bool_)
    ):
        raise ValueError(f"{name} must be numeric 0/1, got dtype {Y.dtype}")
    bad = ~((Y == 0) | (Y == 1))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        value = Y[r, c].item()
        raise ValueError(
            f"{name} must be a binary (0/1) indicator matrix; row {r}, column {c} holds "
            f"{value!r}" + (hint if isinstance(value, (int, float)) and value > 1 else "")
        )
    return Y


def check_n_samples(X, y, *, y_name="y", x_name="X"):
    """Check that ``X`` and the target ``y`` have the same number of samples; return it.

    Parameters
    ----------
    X : array-like, lazy array or indexable
        The samples (anything with a ``shape`` or a length).
    y : array-like
        The targets, one row per sample.
    y_name : str, default="y"
        Name of the target in the error message.
    x_name : str, default="X"
        Name of the samples in the error message.

    Returns
    -------
    n_samples : int

    Raises
    ------
    ValueError
        ``"X has n samples but y has m rows"`` when they differ.

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.utils import check_n_samples
    >>> check_n_samples(np.zeros((3, 2)), [[0], [1], [1]])
    3
    """
    n = num_samples(X)
    m = num_samples(y)
    if n != m:
        raise ValueError(f"{x_name} has {n} samples but {y_name} has {m} rows")
    return n


def as_sample_array(X, name="X"):
    """``np.asarray(X)``, with an error naming the first sample of another shape.

    A list of images of different sizes (a 512 px and a 2048 px field, say) would
    otherwise fail with numpy's "inhomogeneous shape" error, which names no sample.

    Parameters
    ----------
    X : array-like
        The samples (an array, or a sequence of arrays of one shape).
    name : str, default="X"
        Name used in the error message.

    Returns
    -------
    X : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.utils import as_sample_array
    >>> as_sample_array([np.zeros((4, 8, 8)), np.zeros((4, 8, 8))]).shape
    (2, 4, 8, 8)
    >>> as_sample_array([np.zeros((4, 8, 8)), np.zeros((4, 6, 6))])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: X's samples differ in shape: sample 1 has shape (4, 6, 6), sample 0 ...
    """
    if isinstance(X, (list, tuple)) and len(X) > 1:
        shapes = [np.shape(x) for x in X]
        for i, shape in enumerate(shapes):
            if shape != shapes[0]:
                raise ValueError(
                    f"{name}'s samples differ in shape: sample {i} has shape {shape}, "
                    f"sample 0 has {shapes[0]}; resize them to one size first (e.g. "
                    "skhpa.preprocessing.ImageLoader(image_size=...) reads and resizes image "
                    "files)"
                )
    return np.asarray(X)


def other_intensity_scale(fitted_top, X, n_first=16):
    """How the first images of ``X`` differ in intensity scale from the training images.

    A model fitted on uint8 images (0-255) given images scaled to [0, 1], 16-bit images
    given to a model fitted on 8-bit ones, or 0-255 images given to a model fitted on
    [0, 1], computes without an error and wrongly.

    Parameters
    ----------
    fitted_top : float
        A high intensity of the training images (a channel mean's maximum, or their
        maximum): above 2 means they were on the 0-255 scale.
    X : array of shape (n_samples, ...)
        The new images; only the first ``n_first`` are read.
    n_first : int, default=16

    Returns
    -------
    seen, fitted : (str, str) or None
        Descriptions of the two scales (``"in [0, 1]"``, ``"in [0, 255]"``), or None
        when they match (or ``X`` is empty or all 0).

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.utils import other_intensity_scale
    >>> other_intensity_scale(120.0, np.full((2, 4, 8, 8), 0.5))
    ('in [0, 1]', 'in [0, 255]')
    >>> other_intensity_scale(120.0, np.full((2, 4, 8, 8), 200)) is None
    True
    """
    first = np.asarray(X[: min(len(X), n_first)])
    top = float(first.max()) if first.size else 0.0
    fitted_255 = fitted_top > 2.0
    if fitted_255 and 0.0 < top <= 1.0:
        return "in [0, 1]", "in [0, 255]"
    if fitted_255 and fitted_top <= 255 and top > 1000:  # 16-bit into 8-bit
        return f"up to {top:g}", "in [0, 255]"
    if not fitted_255 and top > 2.0:
        return f"up to {top:g}", "in [0, 1]"
    return None
