"""Network modules: the seed's baseline, timm backbones with the winners' head, a small MLP."""

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
