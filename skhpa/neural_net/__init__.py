"""The skorch-based multilabel CNN estimator and its helpers."""

from ._classifier import HPAClassifier
from ._device import move_to_device, resolve_device
from ._valid_split import MultilabelHoldout

__all__ = ["HPAClassifier", "MultilabelHoldout", "move_to_device", "resolve_device"]
