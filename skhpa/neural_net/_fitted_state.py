"""What :func:`skhpa.save_model` stores of a fitted HPAClassifier (the persistence hook).

The network implements the ``__skhpa_getstate__`` / ``__skhpa_setstate__`` protocol that
:mod:`skhpa.persistence` documents: the state is the fitted attributes that predictions
need, the module's weights and the training history; the optimizer state is not part of it
(checkpoint files are the way to resume a training).
"""

import json

import numpy as np
import torch

from ._checkpoint import history_to_json
from ._device import resolve_device

# fitted attributes restored as they were saved (besides the weights and the history)
_FITTED = (
    "n_classes_",
    "classes_",
    "n_features_in_",
    "input_shape_",
    "label_cardinality_",
    "channel_mean_",
    "channel_std_",
    "_y_dtype",
    "interrupted_",
)
_REQUIRED = (
    "n_classes_",
    "classes_",
    "n_features_in_",
    "channel_mean_",
    "channel_std_",
    "_y_dtype",
)
_MISSING = object()


class FittedStateMixin:
    """The persistence hook of HPAClassifier."""

    def __skhpa_getstate__(self):
        """Fitted state for :func:`skhpa.save_model` (empty for an unfitted network).

        Returns
        -------
        state : dict
            The fitted attributes, ``weights`` (the module's state dict, tensors
            on the CPU) and ``history`` (a JSON string).
        """
        if not getattr(self, "initialized_", False) or not hasattr(self, "n_classes_"):
            return {}
        state = {k: getattr(self, k) for k in _FITTED if hasattr(self, k)}
        if "input_shape_" in state:
            state["input_shape_"] = list(state["input_shape_"])
        if "_y_dtype" in state:
            state["_y_dtype"] = np.dtype(state["_y_dtype"])
        state["weights"] = {k: v.detach().cpu() for k, v in self.module_.state_dict().items()}
        state["history"] = history_to_json(self.history)
        return state

    def __skhpa_setstate__(self, state):
        """Restore what :meth:`__skhpa_getstate__` returned on a network built from its params.

        A ``device`` that resolves to CUDA on a machine without a GPU becomes
        ``"cpu"`` (as when unpickling). The module is built without downloading
        or reading pretrained weights: the weights come from ``state``.

        Raises
        ------
        ValueError
            If ``state`` names an unknown attribute, misses a required one, or
            its weights do not fit the network that the parameters build.
        """
        if str(resolve_device(self.device)).startswith("cuda") and not torch.cuda.is_available():
            self.device = "cpu"
        if not state:
            return self
        state = dict(state)
        unknown = set(state) - set(_FITTED) - {"weights", "history"}
        if unknown:
            raise ValueError(f"unknown fitted attribute(s) {sorted(unknown)}")
        missing = [k for k in _REQUIRED + ("weights", "history") if k not in state]
        if missing:
            raise ValueError(f"fitted state lacks {missing}")
        weights = state.pop("weights")
        history = state.pop("history")
        self.n_classes_ = int(state.pop("n_classes_"))
        self.n_features_in_ = int(state.pop("n_features_in_"))
        if state.get("input_shape_"):
            self.input_shape_ = tuple(int(d) for d in state["input_shape_"])
        state.pop("input_shape_", None)
        if state.get("label_cardinality_") is not None:
            self.label_cardinality_ = float(state["label_cardinality_"])
        state.pop("label_cardinality_", None)
        self.interrupted_ = bool(state.pop("interrupted_", False))  # older files lack it
        for k, v in state.items():
            setattr(self, k, v)
        self._initialize_without_pretrained_weights()
        try:
            self.module_.load_state_dict(weights, strict=True)
        except RuntimeError as exc:
            raise ValueError(f"the weights do not fit the network ({exc})") from exc
        self.module_.to(self.device)
        from skorch.history import History

        self.history_ = History(json.loads(history))
        return self

    def _initialize_without_pretrained_weights(self):
        """``initialize()`` with ``pretrained=False`` and no ``module__weights`` file."""
        pretrained = self.pretrained
        weights_file = self.__dict__.pop("module__weights", _MISSING)
        self.pretrained = False
        try:
            self.initialize()
        finally:
            self.pretrained = pretrained
            if weights_file is not _MISSING:
                self.module__weights = weights_file
