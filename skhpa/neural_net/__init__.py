"""The scikit-learn estimator that trains a network: :class:`HPAClassifier` (skorch-based).

``fit``/``predict``/``predict_proba`` on images, with devices, checkpoints and
validation splits. The PyTorch networks it trains (``torch.nn.Module`` classes) live in
:mod:`skhpa.nn`.
"""

from ._classifier import HPAClassifier
from ._device import check_device, describe_device, move_to_device, resolve_device
from ._valid_split import MultilabelHoldout

__all__ = [
    "AcceleratedHPAClassifier",
    "HPAClassifier",
    "MultilabelHoldout",
    "check_device",
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
