"""check_multilabel_cv: turn a ``cv`` parameter into a multilabel-stratified splitter."""

import numbers

from ._split import MultilabelStratifiedGroupKFold, MultilabelStratifiedKFold


def check_multilabel_cv(cv=5, random_state=None, *, grouped=False):
    """Like :func:`sklearn.model_selection.check_cv`, stratified for multilabel targets.

    An int becomes a :class:`MultilabelStratifiedKFold` (scikit-learn's own
    ``check_cv`` would silently give an unstratified ``KFold`` for a multilabel
    target), shuffled with ``random_state`` when one is given and, like
    scikit-learn's, the same folds at every call without one; splitters and
    iterables pass through.

    Parameters
    ----------
    cv : int, cross-validation generator, iterable or None, default=5
        None means 5 folds.
    random_state : int, RandomState instance or None, default=None
        Seed of the fold shuffling when ``cv`` is an int; None: no shuffling.
    grouped : bool, default=False
        An int becomes a :class:`MultilabelStratifiedGroupKFold` (the ``groups``
        passed to ``split`` never straddle folds), shuffled the same way.

    Returns
    -------
    splitter : cross-validation generator
        Something with ``split(X, y, groups)`` and ``get_n_splits``.

    Examples
    --------
    >>> from skhpa.model_selection import check_multilabel_cv
    >>> check_multilabel_cv(3, random_state=0)
    MultilabelStratifiedKFold(n_splits=3, random_state=0, shuffle=True)
    """
    from sklearn.model_selection import check_cv

    if cv is None:
        cv = 5
    if isinstance(cv, numbers.Integral):
        splitter = MultilabelStratifiedGroupKFold if grouped else MultilabelStratifiedKFold
        if random_state is None:  # as scikit-learn's int cv: the same folds at every call
            return splitter(cv)
        return splitter(cv, shuffle=True, random_state=random_state)
    return check_cv(cv)
