"""Kaggle ``Target`` strings and the real HPA label-set tables."""

import csv
from functools import cache
from importlib import resources

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ..utils import CLASS_NAMES, N_CLASSES, check_multilabel_target, unique_label_sets

_LABEL_SET_FILES = {
    "hpa2018": "label_sets_hpa2018.csv",
    "hpav18": "label_sets_hpav18.csv",
}


def parse_targets(targets, n_classes=N_CLASSES, *, allow_empty=False, where=None):
    """Parse Kaggle ``Target`` strings into a multilabel indicator matrix.

    Parameters
    ----------
    targets : sequence of str
        One string per sample with space-separated class indices, e.g.
        ``"16 0"``. Token order does not matter.
    n_classes : int, default=28
        Number of classes; every index must lie in ``0 .. n_classes - 1``.
    allow_empty : bool, default=False
        Whether an empty string (no label) is accepted. Training labels always
        hold at least one label; a submission may predict none.
    where : sequence of str, optional
        How error messages name each row (e.g. ``"train.csv, line 6"``);
        by default ``"row i"`` (0-based).

    Returns
    -------
    Y : ndarray of shape (n_samples, n_classes), dtype uint8
        ``Y[i, k] == 1`` when class ``k`` is in ``targets[i]``.

    Raises
    ------
    ValueError
        For a non-integer token, an index outside ``0 .. n_classes - 1``, a
        duplicated index in one row, or an empty row when ``allow_empty`` is
        False. The message names the row and the token.

    See Also
    --------
    format_targets : The inverse operation.

    Examples
    --------
    >>> from skhpa.datasets import parse_targets
    >>> Y = parse_targets(["16 0", "7"])
    >>> Y.shape, Y[0, [0, 16]].tolist(), int(Y[1].sum())
    ((2, 28), [1, 1], 1)
    """
    if isinstance(targets, str):
        raise ValueError("targets must be a sequence of strings, got a single string")
    targets = list(targets)
    name = (lambda i: f"row {i}") if where is None else (lambda i: where[i])
    # Rows repeat a few hundred distinct strings: each distinct string is parsed and
    # checked once, and the rows index into that table.
    codes = {}
    row_code = np.empty(len(targets), dtype=np.int64)
    for i, t in enumerate(targets):
        if not isinstance(t, str):
            if t is None or (isinstance(t, float) and np.isnan(t)):
                t = ""
            else:
                raise ValueError(f"{name(i)}: target must be a string, got {t!r}")
        row_code[i] = codes.setdefault(t, len(codes))
    lookup = _token_table(n_classes)
    table = np.zeros((len(codes), n_classes), dtype=np.uint8)
    for text, code in codes.items():
        tokens = text.split()
        problem = None
        if not tokens and not allow_empty:
            problem = "empty target (every training sample needs a label)"
        for tok in tokens:
            k = lookup.get(tok, -1)
            if k < 0:
                if tok.isascii() and tok.isdecimal() and int(tok) < n_classes:
                    problem = (
                        f'token {tok!r} has a leading zero (write class {int(tok)} as "{int(tok)}")'
                    )
                elif tok.isascii() and tok.isdecimal():
                    problem = f"token {tok!r} is outside the class range 0..{n_classes - 1}"
                else:
                    problem = f"token {tok!r} is not a class index"
                    if any(c in text for c in ",;[]|"):
                        problem += ' (class indices are separated by spaces, e.g. "16 0")'
                break
            if table[code, k]:
                problem = f"token '{k}' is duplicated"
                break
            table[code, k] = 1
        if problem is not None:
            row = int(np.flatnonzero(row_code == code)[0])
            raise ValueError(f"{name(row)}: {problem}")
    return table[row_code]


@cache
def _token_table(n_classes):
    return {str(k): k for k in range(n_classes)}


def format_targets(Y):
    """Format an indicator matrix as Kaggle ``Target`` strings.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_classes)
        0/1 indicator matrix.

    Returns
    -------
    targets : list of str
        Space-separated class indices in ascending order; ``""`` for a row
        with no label.

    Examples
    --------
    >>> import numpy as np
    >>> from skhpa.datasets import format_targets, parse_targets
    >>> format_targets(parse_targets(["16 0", "7"]))
    ['0 16', '7']
    """
    Y = check_multilabel_target(Y)
    # Each distinct label set is formatted once (the real train.csv has 577 of them).
    sets, inverse, _ = unique_label_sets(Y)
    texts = np.array([" ".join(map(str, np.flatnonzero(s).tolist())) for s in sets], dtype=object)
    return texts[inverse].tolist()


@cache
def _read_label_sets(source):
    text = resources.files("skhpa.datasets").joinpath("data", _LABEL_SET_FILES[source])
    with text.open("r", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [(r["labels"], int(r["count"])) for r in reader]
    Y = parse_targets([r[0] for r in rows])
    counts = np.array([r[1] for r in rows], dtype=np.int64)
    return Y, counts


def hpa_label_sets(source="hpa2018"):
    """Return the real distribution of HPA label sets.

    The table ships with the package; it was derived from the HPA 2018 Kaggle
    ``train.csv`` (31,072 images, 577 distinct label sets) or from the labels
    of the HPA v18 external images (74,606 images, 501 label sets).

    Parameters
    ----------
    source : {"hpa2018", "hpav18"}, default="hpa2018"
        Which label table.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        - ``target``: ndarray (n_sets, 28) uint8, one row per distinct label set
          (most frequent first);
        - ``counts``: ndarray (n_sets,) int64, the number of images with that set;
        - ``frequencies``: ``counts / counts.sum()``;
        - ``target_names``: :data:`CLASS_NAMES`;
        - ``source``: the source name.

    Examples
    --------
    >>> from skhpa.datasets import hpa_label_sets
    >>> sets = hpa_label_sets()
    >>> sets.target.shape, int(sets.counts.sum())
    ((577, 28), 31072)
    """
    if source not in _LABEL_SET_FILES:
        raise ValueError(f"source must be one of {sorted(_LABEL_SET_FILES)}, got {source!r}")
    Y, counts = _read_label_sets(source)
    return Bunch(
        target=Y.copy(),
        counts=counts.copy(),
        frequencies=counts / counts.sum(),
        target_names=CLASS_NAMES,
        source=source,
    )


def hpa_label_matrix(source="hpa2018", *, shuffle=True, random_state=None):
    """Rebuild the full label matrix of a real HPA label table.

    Each label set is repeated as many times as it occurs, so the result has
    exactly the real per-class counts and co-occurrences (31,072 x 28 for
    ``"hpa2018"``). Useful to benchmark splitters, samplers and threshold
    searches on the real label structure without the images.

    Parameters
    ----------
    source : {"hpa2018", "hpav18"}, default="hpa2018"
        Which label table.
    shuffle : bool, default=True
        Shuffle the rows (otherwise they are grouped by label set).
    random_state : int, RandomState instance or None, default=None
        Seed for the shuffle.

    Returns
    -------
    Y : ndarray of shape (n_images, 28), dtype uint8

    Examples
    --------
    >>> from skhpa.datasets import hpa_label_matrix
    >>> Y = hpa_label_matrix(random_state=0)
    >>> Y.shape, int(Y[:, 27].sum())
    ((31072, 28), 11)
    """
    sets = hpa_label_sets(source)
    Y = np.repeat(sets.target, sets.counts, axis=0)
    if shuffle:
        Y = Y[check_random_state(random_state).permutation(len(Y))]
    return Y
