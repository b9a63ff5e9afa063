"""Whole-batch reads for the DataLoader: one fancy index per batch instead of one per sample.

PyTorch's default path reads every sample of a batch on its own and then stacks them with
``torch.stack``: for a batch of 32 4-channel 512 px images that is 32 MB copied twice, and
the stack alone took two thirds of a cached pass (``benchmarks/bench_kaggle_scale.py``).
:class:`BatchedDataset` answers ``__getitems__`` (which the DataLoader calls with the whole
batch's indices) with one ``X[indices]``: an ndarray is gathered by numpy, and the lazy array
of :class:`~skhpa.preprocessing.ImageLoader` decodes or reads each sample straight into its
row of one output array. :func:`collate_batch` then wraps the arrays as tensors without a copy.
In a DataLoader worker the batch is read straight into shared memory, as PyTorch's own
collate does, so it crosses back to the main process as a handle, not as a copy.
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


def _shared_uint8(shape):
    """A uint8 tensor in shared memory, as PyTorch's own collate allocates in a worker.

    A tensor a worker returns crosses to the main process as a shared-memory handle; one
    built from a private array is first copied into shared memory (32 MB per 512 px
    batch of 32), which cost more than reading the batch from the cache.
    """
    n = int(np.prod(shape))
    storage = torch.empty(0, dtype=torch.uint8)._typed_storage()._new_shared(n)
    return torch.empty(0, dtype=torch.uint8).new(storage).view(shape)


class BatchedDataset(Dataset):
    """A skorch Dataset that also reads a whole batch at once (``__getitems__``)."""

    def __getitems__(self, indices):
        idx = np.asarray(indices, dtype=np.int64)
        X = self.X
        in_worker = torch.utils.data.get_worker_info() is not None
        if in_worker and getattr(X, "dtype", None) == np.uint8 and hasattr(X, "shape"):
            # a worker reads the batch straight into shared memory
            out = _shared_uint8((len(idx),) + tuple(X.shape[1:]))
            if isinstance(X, np.ndarray):
                np.take(X, idx, axis=0, out=out.numpy())
            elif hasattr(X, "take"):
                X.take(idx, out=out.numpy())
            else:
                out.numpy()[...] = X[idx]
            Xb = out
        else:
            Xb = np.ascontiguousarray(X[idx])
        if self.y is None:  # skorch's placeholder target, one per sample
            y = np.zeros((len(idx), 1), dtype=np.float32)
        else:
            y = np.asarray(self.y[idx])
        return Batch(Xb, y)


def collate_batch(data):
    """Tensors of a :class:`Batch` (no copy); anything else by PyTorch's default collate."""
    if isinstance(data, Batch):
        X = data.X if isinstance(data.X, torch.Tensor) else torch.from_numpy(data.X)
        return X, torch.from_numpy(data.y)
    return default_collate(data)
