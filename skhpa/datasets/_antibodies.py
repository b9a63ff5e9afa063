"""Antibody groups from HPA v18 external Ids (images of one antibody share their labels)."""

import os
import re

import numpy as np

from ..utils import first_seen_labels

# {antibody}_{plate}_{well}_{field}[_{suffix}]: 10580_1610_C1_1, 63683_si35_H1_11,
# 11651_1732_F3_13_cr580610dc203b9 (all 74,606 Ids of the v18 external list match)
_V18_ID = re.compile(r"(\d+)_[0-9A-Za-z]+_[A-Z]+\d+_\d+(?:_[0-9A-Za-z]+)?")


def antibody_groups(ids):
    """Group labels under which the HPA v18 images of one antibody share a group.

    HPA v18 external Ids start with the antibody's number
    (``{antibody}_{plate}_{well}_{field}``, e.g. ``10580_1610_C1_1``), and the
    images of one antibody (its plates, wells, fields and cell lines) mostly
    share their labels: a split that puts some of them on each side leaks.
    Any other Id (a Kaggle 2018 Id, which names no antibody) gets a group of
    its own. Pass the labels as ``groups`` to
    :class:`~skhpa.model_selection.MultilabelStratifiedGroupKFold`,
    :func:`~skhpa.recipes.fit_with_thresholds` or ``ThresholdOptimizer.fit``;
    :func:`~skhpa.model_selection.merge_groups` combines them with
    :func:`~skhpa.model_selection.duplicate_groups`, which finds the Kaggle
    fields that are copies of v18 ones.

    Parameters
    ----------
    ids : sequence of str
        Sample Ids or path stems (``load_hpa(...).ids`` or ``.stems``; only the
        last path component is read).

    Returns
    -------
    groups : ndarray of shape (n_samples,), dtype int64
        Labels 0, 1, ... in order of first appearance.

    Examples
    --------
    >>> from skhpa.datasets import antibody_groups
    >>> antibody_groups(["10580_1610_C1_1", "10580_1756_B1_2", "10581_1610_D2_1",
    ...                  "000a6c98-bb9b-11e8-b2b9-ac1f6b6435d0"]).tolist()
    [0, 0, 1, 2]
    """
    if isinstance(ids, (str, bytes, os.PathLike)):
        raise TypeError(f"ids must be a sequence of Ids, got one {type(ids).__name__}: {ids!r}")
    keys = []
    for i, sample in enumerate(ids):
        if not isinstance(sample, (str, os.PathLike)):
            raise TypeError(f"ids[{i}] must be a str Id, got {type(sample).__name__}: {sample!r}")
        name = os.path.basename(os.fspath(sample))
        match = _V18_ID.fullmatch(name)
        # a tag keeps an antibody number from meeting an Id that happens to be that number
        keys.append("antibody " + match.group(1) if match else "id " + name)
    if not keys:
        return np.zeros(0, np.int64)
    return first_seen_labels(np.array(keys))
