"""Deprecation warnings that point at the caller's line."""

import functools
import warnings


def deprecated(replacement):
    """Decorate a function so that calling it warns once per call site (FutureWarning).

    Unlike :func:`sklearn.utils.deprecated`, the warning names the caller's line, not
    the decorator's, and says the function's name once.

    Parameters
    ----------
    replacement : str
        What to use instead, e.g. ``"PerClassF1Display.from_predictions"``.

    Examples
    --------
    >>> import warnings
    >>> from skhpa.utils._deprecation import deprecated
    >>> @deprecated("new_f")
    ... def old_f():
    ...     return 1
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     old_f()
    1
    >>> str(w[0].message)
    'old_f is deprecated and will be removed in a future release; use new_f'
    """

    def decorate(func):
        message = (
            f"{func.__name__} is deprecated and will be removed in a future release; "
            f"use {replacement}"
        )

        @functools.wraps(func)
        def wrapped(*args, **kwargs):
            warnings.warn(message, FutureWarning, stacklevel=2)
            return func(*args, **kwargs)

        return wrapped

    return decorate
