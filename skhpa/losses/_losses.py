"""Losses for multilabel logits: focal, differentiable macro-F1, and their weighted sum."""

import torch
import torch.nn.functional as F
from torch import nn


class FocalLoss(nn.Module):
    """Binary focal loss on logits (Lin et al., 2017), averaged over samples and classes.

    ``loss = -alpha_t * (1 - p_t) ** gamma * log(p_t)`` with ``p_t`` the
    probability of the true value; easy examples are down-weighted, so the
    many easy negatives of rare classes stop dominating the gradient.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter; 0 gives binary cross-entropy.
    alpha : float, optional
        Weight of the positive term (``1 - alpha`` for negatives); None weighs
        both equally.
    reduction : {"mean", "sum", "none"}, default="mean"

    Examples
    --------
    >>> import torch
    >>> from skhpa.losses import FocalLoss
    >>> FocalLoss(gamma=0.0)(torch.zeros(1, 2), torch.tensor([[1.0, 0.0]])).item()  # = log(2)
    0.6931...
    """

    def __init__(self, gamma=2.0, alpha=None, reduction="mean"):
        super().__init__()
        self.gamma = gamma
        self.alpha = alpha
        self.reduction = reduction

    def forward(self, logits, target):
        """Focal loss of a batch.

        Parameters
        ----------
        logits : torch.Tensor of shape (n_samples, n_classes)
            Raw network outputs (before the sigmoid).
        target : torch.Tensor of shape (n_samples, n_classes)
            0/1 indicator matrix (any dtype; converted to that of ``logits``).

        Returns
        -------
        loss : torch.Tensor
            A scalar (0-d) tensor with ``reduction="mean"`` or ``"sum"``; the
            per-element losses, of shape (n_samples, n_classes), with
            ``"none"``.
        """
        target = target.to(logits.dtype)
        bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        p = torch.sigmoid(logits)
        p_t = p * target + (1 - p) * (1 - target)
        loss = (1 - p_t) ** self.gamma * bce
        if self.alpha is not None:
            loss = (self.alpha * target + (1 - self.alpha) * (1 - target)) * loss
        return _reduce(loss, self.reduction)


class SoftF1Loss(nn.Module):
    """``1 - soft macro-F1``: F1 per class from probabilities instead of 0/1 predictions.

    True positives, false positives and false negatives are summed over the
    batch as ``sum(p * y)``, ``sum(p * (1 - y))`` and ``sum((1 - p) * y)``;
    each class's soft F1 is ``2 tp / (2 tp + fp + fn + eps)`` and the loss is
    one minus their mean. This optimizes (a smooth version of) the competition
    metric directly, as the seed report proposed. It is batch-level, so larger
    batches give a less noisy estimate for rare classes.

    Parameters
    ----------
    eps : float, default=1e-7

    Examples
    --------
    >>> import torch
    >>> from skhpa.losses import SoftF1Loss
    >>> y = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> round(SoftF1Loss()(torch.full((2, 2), 20.0), y).item(), 4)  # predicts all positive
    0.3333
    """

    def __init__(self, eps=1e-7):
        super().__init__()
        self.eps = eps

    def forward(self, logits, target):
        """``1 -`` the soft macro-F1 of a batch.

        Parameters
        ----------
        logits : torch.Tensor of shape (n_samples, n_classes)
            Raw network outputs (before the sigmoid).
        target : torch.Tensor of shape (n_samples, n_classes)
            0/1 indicator matrix (any dtype; converted to that of ``logits``).

        Returns
        -------
        loss : torch.Tensor
            A scalar (0-d) tensor in [0, 1].
        """
        target = target.to(logits.dtype)
        p = torch.sigmoid(logits)
        tp = (p * target).sum(0)
        fp = (p * (1 - target)).sum(0)
        fn = ((1 - p) * target).sum(0)
        f1 = 2 * tp / (2 * tp + fp + fn + self.eps)
        return 1 - f1.mean()


class CombinedLoss(nn.Module):
    """``bce_weight * BCE + focal_weight * focal + soft_f1_weight * (1 - soft F1)``.

    Every weight is a plain parameter, so ``criterion__focal_weight`` and the
    others can be searched in a grid.

    Parameters
    ----------
    bce_weight, focal_weight, soft_f1_weight : float
        Defaults 0.0, 1.0, 1.0 (focal + soft-F1).
    gamma : float, default=2.0
        The focal loss's gamma.

    Examples
    --------
    >>> import torch
    >>> from skhpa.losses import CombinedLoss, FocalLoss, SoftF1Loss
    >>> x, y = torch.randn(8, 3), (torch.rand(8, 3) > 0.5).float()
    >>> total = CombinedLoss(bce_weight=0, focal_weight=0.5, soft_f1_weight=2)(x, y)
    >>> bool(torch.isclose(total, 0.5 * FocalLoss()(x, y) + 2 * SoftF1Loss()(x, y)))
    True
    """

    def __init__(self, bce_weight=0.0, focal_weight=1.0, soft_f1_weight=1.0, gamma=2.0):
        super().__init__()
        self.bce_weight = bce_weight
        self.focal_weight = focal_weight
        self.soft_f1_weight = soft_f1_weight
        self.gamma = gamma

    def forward(self, logits, target):
        """The weighted sum of the losses on a batch (terms of weight 0 are skipped).

        Parameters
        ----------
        logits : torch.Tensor of shape (n_samples, n_classes)
            Raw network outputs (before the sigmoid).
        target : torch.Tensor of shape (n_samples, n_classes)
            0/1 indicator matrix (any dtype; converted to that of ``logits``).

        Returns
        -------
        loss : torch.Tensor
            A scalar (0-d) tensor (0 when every weight is 0).
        """
        target = target.to(logits.dtype)
        total = logits.new_zeros(())
        if self.bce_weight:
            total = total + self.bce_weight * F.binary_cross_entropy_with_logits(logits, target)
        if self.focal_weight:
            total = total + self.focal_weight * FocalLoss(self.gamma)(logits, target)
        if self.soft_f1_weight:
            total = total + self.soft_f1_weight * SoftF1Loss()(logits, target)
        return total


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
