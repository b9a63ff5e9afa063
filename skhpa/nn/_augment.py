"""Batch augmentation on the device and test-time augmentation (TTA)."""

import torch
import torch.nn.functional as F


def d4_transform(x, k):
    """Element ``k`` (0-7) of the dihedral group on the last two axes: rotations, then a flip.

    Parameters
    ----------
    x : torch.Tensor of shape (..., H, W)
    k : int
        0-3: rotation by ``k`` quarter turns; 4-7: the same, then a left-right flip.

    Returns
    -------
    x_transformed : torch.Tensor
    """
    x = torch.rot90(x, k % 4, dims=(-2, -1))
    return torch.flip(x, dims=(-1,)) if k >= 4 else x


def augment_batch(x, generator, *, d4=True, crop=0.125, jitter=0.2):
    """Random augmentation of an image batch (B, C, H, W), done where the batch lives.

    Each sample gets a random element of the dihedral group (flips and 90
    degree rotations; square images), a random shift of up to ``crop`` of the
    size (zero padded, i.e. a random crop of a padded image), and a random
    brightness and contrast change of up to ``jitter`` per channel. Returns a
    float tensor in the input's units.

    Parameters
    ----------
    x : torch.Tensor of shape (batch_size, n_channels, height, width)
        The batch, uint8 or float, on any device. Input of another number of
        dimensions is returned as float, unchanged.
    generator : torch.Generator
        A CPU generator drawing the random transforms (the draws are then moved
        to ``x``'s device), so that the augmentation is reproducible.
    d4 : bool, default=True
        Apply a random element of the dihedral group (only to square images).
    crop : float, default=0.125
        Maximal shift, as a share of the height and width; 0 disables it.
    jitter : float, default=0.2
        Maximal relative change of brightness and of contrast (factors drawn
        uniformly in ``[1 - jitter, 1 + jitter]``); 0 disables it. Jittered
        values of a batch without negative values (intensities) are clipped
        at 0; a batch with negative values (standardized input) is not.

    Returns
    -------
    x_augmented : torch.Tensor of shape (batch_size, n_channels, height, width)
        The augmented batch, float32, on ``x``'s device.
    """
    x = x.float()
    if x.dim() != 4:
        return x
    B, C, H, W = x.shape
    dev = x.device

    def rand(*shape):
        return torch.rand(*shape, generator=generator).to(dev)

    if d4 and H == W:
        ks = torch.randint(0, 8, (B,), generator=generator)
        out = torch.empty_like(x)
        for k in range(8):
            idx = (ks == k).nonzero().flatten().to(dev)
            if idx.numel():
                out[idx] = d4_transform(x[idx], k)
        x = out
    if crop > 0:
        pad_h, pad_w = int(H * crop), int(W * crop)
        if pad_h or pad_w:
            xp = F.pad(x, (pad_w, pad_w, pad_h, pad_h))
            oy = torch.randint(0, 2 * pad_h + 1, (B,), generator=generator).to(dev)
            ox = torch.randint(0, 2 * pad_w + 1, (B,), generator=generator).to(dev)
            rows = (oy[:, None] + torch.arange(H, device=dev)[None])[:, :, None]
            cols = (ox[:, None] + torch.arange(W, device=dev)[None])[:, None, :]
            b = torch.arange(B, device=dev)[:, None, None]
            x = xp.permute(0, 2, 3, 1)[b, rows, cols].permute(0, 3, 1, 2).contiguous()
    if jitter > 0:
        intensities = x.amin() >= 0  # a tensor: no host sync on CUDA
        gain = 1 + (rand(B, C, 1, 1) * 2 - 1) * jitter
        mean = x.mean(dim=(2, 3), keepdim=True)
        contrast = 1 + (rand(B, C, 1, 1) * 2 - 1) * jitter
        x = ((x - mean) * contrast + mean) * gain
        x = torch.where(intensities, x.clamp_min(0), x)
    return x


TTA_TRANSFORMS = {None: (0,), "flip": (0, 4), "d4": tuple(range(8))}
