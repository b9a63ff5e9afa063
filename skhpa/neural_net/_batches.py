"""Whole-batch reads for the DataLoader: one fancy index per batch instead of one per sample.

PyTorch's default path reads every sample of a batch on its own and then stacks them with
``torch.stack``: for a batch of 32 4-channel 512 px images that is 32 MB copied twice, and
the stack alone took two thirds of a cached pass (``benchmarks/bench_kaggle_scale.py``).
:class:`BatchedDataset` answers ``__getitems__`` (which the DataLoader calls with the whole
batch's indices) with one ``X[indices]``: an ndarray is gathered by numpy, and the lazy array
of :class:`~skhpa.preprocessing.ImageLoader` decodes or reads each sample straight into its
row of one output array. :func:`collate_batch` then wraps the arrays as tensors without a copy.
"""

import numpy as np
import torch
from skorch.dataset import Dataset
from torch.utils.data import default_collate


class Batch:
    """The arrays of one batch (picklable, so DataLoader workers can return it)."""

    __slots__ = ("X", "y")

    def __init__(self, X, y):
        self.X = X
        self.y = y


class BatchedDataset(Dataset):
    """A skorch Dataset that also reads a whole batch at once (``__getitems__``)."""

    def __getitems__(self, indices):
        idx = np.asarray(indices, dtype=np.int64)
        X = np.ascontiguousarray(self.X[idx])
        if self.y is None:  # skorch's placeholder target, one per sample
            y = np.zeros((len(idx), 1), dtype=np.float32)
        else:
            y = np.asarray(self.y[idx])
        return Batch(X, y)


def collate_batch(data):
    """Tensors of a :class:`Batch` (no copy); anything else by PyTorch's default collate."""
    if isinstance(data, Batch):
        return torch.from_numpy(data.X), torch.from_numpy(data.y)
    return default_collate(data)
