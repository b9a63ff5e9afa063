"""Walking a composite estimator: Pipelines, meta-estimators and fold ensembles."""


def iter_estimators(estimator):
    """Yield ``estimator`` and every estimator nested in it, each once, depth first.

    Follows Pipeline ``steps``, the fitted and unfitted inner estimators of
    meta-estimators (``estimator_``, ``best_estimator_``, ``estimator``) and
    the members of ensembles (``estimators_``, and the ``(name, estimator)`` pairs of
    ``estimators``). Networks are leaves.

    Parameters
    ----------
    estimator : object

    Yields
    ------
    object

    Examples
    --------
    >>> from sklearn.pipeline import Pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skhpa.utils import iter_estimators
    >>> pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    >>> [type(e).__name__ for e in iter_estimators(pipe)]
    ['Pipeline', 'StandardScaler', 'LogisticRegression']
    """
    seen = set()
    stack = [estimator]
    while stack:
        est = stack.pop()
        if est is None or id(est) in seen or isinstance(est, (str, bytes)):
            continue
        seen.add(id(est))
        yield est
        children = [step for _, step in getattr(est, "steps", None) or []]
        for attr in ("estimator_", "best_estimator_", "estimator"):
            children.append(getattr(est, attr, None))
        fold_models = getattr(est, "estimators_", None)
        if isinstance(fold_models, (list, tuple)):
            children.extend(fold_models)
        members = getattr(est, "estimators", None)
        if isinstance(members, (list, tuple)):
            children.extend(m[1] for m in members if isinstance(m, (list, tuple)) and len(m) == 2)
        stack.extend(reversed(children))


def fit_was_interrupted(estimator):
    """Whether a network inside ``estimator`` stopped its last fit on a Ctrl-C.

    :class:`~skhpa.HPAClassifier` returns from an interrupted ``fit`` (with
    ``interrupted_`` set), as skorch does; a meta-estimator that fits several
    models in a row asks this to stop rather than train the next ones.

    Parameters
    ----------
    estimator : object

    Returns
    -------
    bool

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skhpa.utils import fit_was_interrupted
    >>> fit_was_interrupted(LogisticRegression())
    False
    """
    return any(getattr(e, "interrupted_", False) is True for e in iter_estimators(estimator))
