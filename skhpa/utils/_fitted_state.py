"""Fitted attributes by scikit-learn's naming convention (what persistence stores by default)."""


def _is_fitted_name(name):
    return name.endswith("_") and not name.startswith("_") and not name.endswith("__")


def fitted_attributes(estimator):
    """The public fitted attributes of ``estimator``: ``name_`` entries of its ``__dict__``.

    The scikit-learn convention: fitted attributes end with one underscore;
    parameters do not; private state starts with one. This is the fitted state
    :func:`skhpa.save_model` stores for an estimator that does not define the
    ``__skhpa_getstate__`` hook (see :mod:`skhpa.persistence`).

    Parameters
    ----------
    estimator : object

    Returns
    -------
    dict
        Attribute name -> value.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skhpa.utils import fitted_attributes
    >>> sorted(fitted_attributes(StandardScaler().fit([[0.0], [2.0]])))
    ['mean_', 'n_features_in_', 'n_samples_seen_', 'scale_', 'var_']
    """
    return {k: v for k, v in vars(estimator).items() if _is_fitted_name(k)}


def set_fitted_attributes(estimator, state, *, private=()):
    """Set the fitted attributes in ``state`` on ``estimator`` (the inverse of the above).

    Parameters
    ----------
    estimator : object
    state : dict
        Attribute name -> value.
    private : sequence of str, default=()
        Private attribute names the estimator also accepts.

    Raises
    ------
    ValueError
        If ``state`` names anything else than a public fitted attribute or one
        of ``private`` (a model file cannot set arbitrary attributes).

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skhpa.utils import set_fitted_attributes
    >>> set_fitted_attributes(StandardScaler(), {"mean_": 1.0}).mean_
    1.0
    """
    for name in state:
        if not (_is_fitted_name(name) or name in private):
            raise ValueError(f"{name!r} is not a fitted attribute of {type(estimator).__name__}")
    for name, value in state.items():
        setattr(estimator, name, value)
    return estimator
