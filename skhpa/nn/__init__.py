"""PyTorch network modules (``torch.nn.Module``), not estimators.

The networks that :class:`skhpa.HPAClassifier` (the scikit-learn estimator, in
:mod:`skhpa.neural_net`) trains: the seed's baseline, timm backbones with the winners'
head, a small MLP; and the batch augmentations used in training and test-time
augmentation.
"""

from ._augment import TTA_TRANSFORMS, augment_batch, d4_transform
from ._modules import (
    AvgMaxHead,
    ChannelCorrelations,
    MLPNet,
    PretrainedWeightsError,
    SeedCNN,
    TimmNet,
    create_backbone,
)

__all__ = [
    "AvgMaxHead",
    "ChannelCorrelations",
    "MLPNet",
    "PretrainedWeightsError",
    "SeedCNN",
    "TTA_TRANSFORMS",
    "TimmNet",
    "augment_batch",
    "create_backbone",
    "d4_transform",
]
