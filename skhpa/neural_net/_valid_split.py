"""The internal validation split of HPAClassifier: multilabel-stratified, group-aware."""

import numbers

import numpy as np
from torch.utils.data import Subset

from ..model_selection import held_out_split


class MultilabelHoldout:
    """Hold out a multilabel-stratified validation part (a skorch ``train_split``).

    skorch's default stratified split fails on multilabel targets (scikit-learn
    treats them as unstratifiable) and a random split loses the rare classes;
    this one uses iterative stratification, and keeps each group on one side
    when groups are given.

    Parameters
    ----------
    valid_size : float, default=0.2
        Share of the samples held out (with groups: ``1 / round(1 / valid_size)``
        of the groups' samples, one fold of a grouped K-fold).
    random_state : int or None, default=None

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> from skhpa.neural_net import MultilabelHoldout
    >>> X = np.zeros((10, 2)); Y = np.tile([[1, 0], [0, 1]], (5, 1))
    >>> train, valid = MultilabelHoldout(0.2, random_state=0)(Dataset(X, Y), Y)
    >>> len(train), len(valid), Y[valid.indices].sum(0).tolist()
    (8, 2, [1, 1])
    """

    def __init__(self, valid_size=0.2, random_state=None):
        self.valid_size = valid_size
        self.random_state = random_state

    def __call__(self, dataset, y=None, groups=None):
        if not isinstance(self.valid_size, numbers.Real) or not 0 < self.valid_size < 1:
            raise ValueError(f"valid_size must be in (0, 1), got {self.valid_size!r}")
        if y is None:
            raise ValueError("a multilabel holdout needs the targets y")
        Y = np.asarray(y)
        train, valid = held_out_split(Y, self.valid_size, self.random_state, groups)
        return Subset(dataset, train), Subset(dataset, valid)

    def __repr__(self):
        return f"MultilabelHoldout(valid_size={self.valid_size}, random_state={self.random_state})"
