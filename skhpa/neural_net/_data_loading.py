"""HPAClassifier's data path: datasets, the validation split, DataLoaders and their sampler."""

import numbers
import os

import numpy as np
import torch
from skorch.dataset import Dataset
from skorch.utils import is_dataset
from torch.utils.data import Subset, WeightedRandomSampler

from ._batches import BatchedDataset, collate_batch
from ._valid_split import MultilabelHoldout


def _y_of(dataset):
    """The targets of a skorch Dataset or a Subset of one, as numpy."""
    if isinstance(dataset, Subset):
        return _y_of(dataset.dataset)[np.asarray(dataset.indices)]
    y = dataset.y
    return y.cpu().numpy() if torch.is_tensor(y) else np.asarray(y)


def balanced_sample_weights(Y):
    """Each sample's weight: the inverse frequency of its rarest label.

    A sample without labels gets the smallest weight of a labelled one; a
    class without positives is ignored.
    """
    Y = np.asarray(Y).astype(bool)
    freq = Y.mean(0)
    inv = np.where(freq > 0, 1.0 / np.maximum(freq, 1e-12), 0.0)
    unlabelled = inv[inv > 0].min() if (inv > 0).any() else 1.0
    return np.where(Y.any(1), (Y * inv).max(1), unlabelled)


class DataLoadingMixin:
    """skorch's dataset, split and iterator hooks, for image arrays and lazy loaders."""

    def get_dataset(self, X, y=None):
        """skorch's Dataset, reading whole batches at once (see ``_batches.py``).

        Override of :meth:`skorch.NeuralNet.get_dataset`: with skorch's default
        ``dataset`` and ``X`` not already a Dataset, the result is a
        ``BatchedDataset``, a :class:`skorch.dataset.Dataset` that also reads a
        whole batch with one indexing call (into shared memory in DataLoader
        workers); otherwise skorch's behaviour.

        Parameters
        ----------
        X : array-like, lazy image array or torch Dataset
            Images of shape (n_samples, n_channels, height, width).
        y : array-like of shape (n_samples, n_classes), default=None
            The 0/1 indicator matrix; None at prediction.

        Returns
        -------
        dataset : torch.utils.data.Dataset
            The dataset of ``(X[i], y[i])`` pairs.
        """
        if self.dataset is Dataset and not is_dataset(X):
            return BatchedDataset(X, y)
        return super().get_dataset(X, y)

    def get_split_datasets(self, X, y=None, **fit_params):
        """Split the training data (override of skorch's ``get_split_datasets``).

        ``train_split`` is read as skhpa's: ``"auto"`` (a 20 % hold-out) or a
        float uses :class:`~skhpa.neural_net.MultilabelHoldout` (multilabel
        stratified, grouped when ``groups`` was passed to ``fit``); None
        trains on everything; a callable is called as skorch does, with
        ``groups=`` added when ``fit`` received groups. Validation data passed
        to ``fit`` (``X_val``, ``y_val``) replaces the split: all of ``X``
        trains.

        Parameters
        ----------
        X : array-like, lazy image array or torch Dataset
            Training images of shape (n_samples, n_channels, height, width).
        y : array-like of shape (n_samples, n_classes), default=None
            The 0/1 indicator matrix.
        **fit_params
            Passed to a callable ``train_split``.

        Returns
        -------
        dataset_train : torch.utils.data.Dataset
            The training part (a :class:`~torch.utils.data.Subset` with a
            hold-out).
        dataset_valid : torch.utils.data.Dataset or None
            The validation part (``X_val`` when given); None when
            ``train_split`` is None and no ``X_val`` was given.
        """
        dataset = self.get_dataset(X, y)
        validation = getattr(self, "_validation", None)
        if validation is not None:  # fit(..., X_val=, y_val=): all of X trains
            return dataset, self.get_dataset(*validation)
        split = self.train_split
        if split is None:
            return dataset, None
        groups = getattr(self, "_groups", None)  # set by fit; absent in a loaded network
        if split == "auto" or isinstance(split, numbers.Real):
            size = 0.2 if split == "auto" else float(split)
            return MultilabelHoldout(size, random_state=self._seed)(dataset, y, groups=groups)
        if groups is not None:
            fit_params = {**fit_params, "groups": groups}
        return split(dataset, y, **fit_params)

    def get_iterator(self, dataset, training=False):
        """The DataLoader of a dataset (override of :meth:`skorch.NeuralNet.get_iterator`).

        As skorch's (``iterator_train__*`` / ``iterator_valid__*`` arguments,
        ``batch_size``), with skhpa's defaults for arguments not set there:
        ``num_workers`` from the ``num_workers`` parameter, a collate function
        that keeps whole batches without copying, pinned memory on CUDA and,
        for training, shuffling, or the class-balanced
        :class:`~torch.utils.data.WeightedRandomSampler` when
        ``balanced_sampling`` is on, and ``drop_last`` when the last batch
        would hold a single image and the network has batch normalization
        (which cannot train on one value per channel, as in a ``BatchNorm1d``
        head).

        Parameters
        ----------
        dataset : torch.utils.data.Dataset
            The dataset to iterate over.
        training : bool, default=False
            Whether the iterator is for training (``iterator_train``) or for
            validation and prediction (``iterator_valid``).

        Returns
        -------
        iterator : torch.utils.data.DataLoader
            The ``iterator_train`` or ``iterator_valid`` instance (a
            DataLoader by default) yielding ``(X, y)`` batches.
        """
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(prefix)
        kwargs.setdefault("batch_size", self.batch_size)
        kwargs.setdefault("num_workers", self._num_workers_for(dataset))
        kwargs.setdefault("collate_fn", collate_batch)
        if self._on_cuda():
            kwargs.setdefault("pin_memory", True)
        if training and "sampler" not in kwargs:
            if self.balanced_sampling:
                kwargs["sampler"] = self._balanced_sampler(dataset)
                kwargs.pop("shuffle", None)
            else:
                kwargs.setdefault("shuffle", True)
        if training and "drop_last" not in kwargs:
            kwargs["drop_last"] = self._last_batch_breaks_batch_norm(dataset, kwargs["batch_size"])
        iterator = self.iterator_train if training else self.iterator_valid
        return iterator(dataset, **kwargs)

    def _last_batch_breaks_batch_norm(self, dataset, batch_size):
        """Whether the last training batch holds one image and the network has batch norm.

        Batch normalization over a single value per channel cannot train (PyTorch
        raises "Expected more than 1 value per channel"): a ``BatchNorm1d`` on one
        image, as in the timm networks' head, or a ``BatchNorm2d`` whose feature map
        has shrunk to one pixel. Such a batch is dropped whenever the network has
        batch norm (it costs one image per epoch, a different one each epoch when the
        batches are shuffled), without working out whether this network would fail.
        """
        n = len(dataset)
        if batch_size is None or batch_size < 2 or n <= batch_size or n % batch_size != 1:
            return False
        module = getattr(self, "module_", None)
        return module is not None and any(
            isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in module.modules()
        )

    def _num_workers_for(self, dataset):
        if self.num_workers != "auto":
            return int(self.num_workers)
        X = getattr(dataset, "X", getattr(getattr(dataset, "dataset", None), "X", None))
        decoded_on_the_fly = X is not None and not isinstance(X, (np.ndarray, torch.Tensor))
        if not (self._on_cuda() and decoded_on_the_fly):
            return 0
        return int(min(16, max(1, (os.cpu_count() or 1) - 1)))

    def _balanced_sampler(self, dataset):
        weights = balanced_sample_weights(_y_of(dataset))
        return WeightedRandomSampler(
            torch.as_tensor(weights, dtype=torch.double), len(weights), replacement=True
        )
