"""Losses for multilabel logits (usable as ``criterion=`` of HPAClassifier).

Plain binary cross-entropy, with optional ``pos_weight``, is
:class:`torch.nn.BCEWithLogitsLoss` (HPAClassifier's default criterion).
"""

from torch.nn import BCEWithLogitsLoss

from ._losses import CombinedLoss, FocalLoss, SoftF1Loss

__all__ = ["BCEWithLogitsLoss", "CombinedLoss", "FocalLoss", "SoftF1Loss"]
