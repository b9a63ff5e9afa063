"""The skorch-based multilabel CNN estimator and its helpers."""

from ._classifier import HPAClassifier
from ._device import describe_device, move_to_device, resolve_device
from ._valid_split import MultilabelHoldout

__all__ = [
    "AcceleratedHPAClassifier",
    "HPAClassifier",
    "MultilabelHoldout",
    "describe_device",
    "move_to_device",
    "resolve_device",
]


def __getattr__(name):
    # imported on first use: accelerate is optional and slow to import
    if name == "AcceleratedHPAClassifier":
        from ._accelerate import AcceleratedHPAClassifier

        return AcceleratedHPAClassifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
