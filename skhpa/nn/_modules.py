"""Network modules: the seed's baseline CNN, timm backbones with the winners' head, a small MLP.

Every module takes raw inputs (uint8 or float, in the units of the data) and
normalizes them per channel inside ``forward`` with buffers ``mean`` and ``std``
(set from the training data by :class:`~skhpa.HPAClassifier`). Keeping
normalization in the module lets uint8 batches travel to the GPU: 4x less
host-to-device traffic than float32.
"""

import functools
import os
import re

import torch
import torch.nn.functional as F
from torch import nn


class _Normalized(nn.Module):
    """Base class: per-channel ``(x - mean) / std`` on axis 1 of a float copy of x."""

    def __init__(self, in_chans, mean=None, std=None):
        super().__init__()
        mean = torch.zeros(in_chans) if mean is None else torch.as_tensor(mean, dtype=torch.float32)
        std = torch.ones(in_chans) if std is None else torch.as_tensor(std, dtype=torch.float32)
        if mean.numel() != in_chans or std.numel() != in_chans:
            raise ValueError(
                f"mean and std must have one value per channel ({in_chans}), got "
                f"{mean.numel()} and {std.numel()}"
            )
        if (std <= 0).any():
            raise ValueError("std must be positive for every channel")
        self.register_buffer("mean", mean.reshape(-1).clone())
        self.register_buffer("std", std.reshape(-1).clone())

    def normalize(self, x):
        """Per-channel ``(x - mean) / std`` on axis 1, in float32.

        Parameters
        ----------
        x : torch.Tensor of shape (batch_size, in_chans, ...)
            Raw input in the data's units (uint8 or float): images of shape
            (batch_size, in_chans, height, width) or features of shape
            (batch_size, in_chans).

        Returns
        -------
        x_normalized : torch.Tensor
            A float32 tensor of the shape of ``x``.
        """
        shape = (1, -1) + (1,) * (x.dim() - 2)
        x = x.float()
        return (x - self.mean.reshape(shape)) / self.std.reshape(shape)


class SeedCNN(_Normalized):
    """The seed report's baseline: 4 convolution layers, 2 fully connected layers, ReLU.

    Each convolution block is conv 3x3 -> ReLU -> 2x2 max pooling (32, 64, 128
    and 128 filters); an adaptive average pooling to 4x4 makes the network
    accept any image size; then FC(256) -> ReLU -> FC(n_classes). The outputs
    are logits (the sigmoid is in the BCE loss and in ``predict_proba``).

    Parameters
    ----------
    n_classes : int, default=28
    in_chans : int, default=1
        The seed used the green channel only.
    mean, std : array-like of shape (in_chans,), optional
        Per-channel input statistics (input units).
    hidden : int, default=256
    dropout : float, default=0.0

    Examples
    --------
    >>> import torch
    >>> from skhpa.nn import SeedCNN
    >>> net = SeedCNN(n_classes=28, in_chans=1)
    >>> net(torch.zeros(2, 1, 64, 64, dtype=torch.uint8)).shape
    torch.Size([2, 28])
    """

    def __init__(self, n_classes=28, in_chans=1, mean=None, std=None, hidden=256, dropout=0.0):
        super().__init__(in_chans, mean, std)
        layers = []
        c = in_chans
        for out in (32, 64, 128, 128):
            layers += [nn.Conv2d(c, out, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            c = out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(4)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c * 16, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, x):
        """Logits of a batch of images.

        Parameters
        ----------
        x : torch.Tensor of shape (batch_size, in_chans, height, width)
            Raw images (uint8 or float, in input units); any size of at least
            16 x 16 pixels.

        Returns
        -------
        logits : torch.Tensor of shape (batch_size, n_classes)
            Logits (no sigmoid).
        """
        return self.classifier(self.pool(self.features(self.normalize(x))))


class AvgMaxHead(nn.Module):
    """Concatenated global average and max pooling, then BN -> dropout -> linear.

    The head the 2018 winners used (team 1: GAP + GMP -> BN -> dropout -> FC).
    ``n_extra`` more per-image features (e.g. :class:`ChannelCorrelations`)
    can be appended to the pooled ones; they share the batch normalization.

    Parameters
    ----------
    in_features : int
        Number of channels of the feature maps (``num_features`` of a timm
        backbone).
    n_classes : int
        Number of outputs.
    dropout : float, default=0.25
        Dropout probability before the linear layer.
    n_extra : int, default=0
        Number of extra per-image features passed to ``forward``.

    Examples
    --------
    >>> import torch
    >>> from skhpa.nn import AvgMaxHead
    >>> head = AvgMaxHead(8, n_classes=3, n_extra=2).eval()
    >>> head(torch.rand(4, 8, 5, 5), extra=torch.rand(4, 2)).shape
    torch.Size([4, 3])
    """

    def __init__(self, in_features, n_classes, dropout=0.25, n_extra=0):
        super().__init__()
        self.bn = nn.BatchNorm1d(2 * in_features + n_extra)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * in_features + n_extra, n_classes)

    def forward(self, feats, extra=None):
        """Logits from feature maps (and extra features).

        Parameters
        ----------
        feats : torch.Tensor of shape (batch_size, in_features, height, width)
            Feature maps of a backbone.
        extra : torch.Tensor of shape (batch_size, n_extra), default=None
            Extra per-image features, appended to the ``2 * in_features``
            pooled ones (cast to their dtype); None when ``n_extra=0``.

        Returns
        -------
        logits : torch.Tensor of shape (batch_size, n_classes)
        """
        pooled = [feats.mean(dim=(2, 3)), feats.amax(dim=(2, 3))]
        if extra is not None:
            pooled.append(extra.to(pooled[0].dtype))
        return self.fc(self.dropout(self.bn(torch.cat(pooled, dim=1))))


class ChannelCorrelations(nn.Module):
    """Per-image Pearson correlation between every pair of input channels, at several scales.

    How much of the protein signal lies where the nucleus, microtubule or ER
    marker lies is how a cell biologist reads localization (colocalization).
    A convolutional network trained from scratch on little data does not
    learn such pixel-wise products by itself (on skhpa's synthetic data it
    scores the same with the reference channels of another image); this
    module computes them directly: for each scale ``s`` the image is
    average-pooled by ``s``, each channel centred and scaled over the image,
    and the ``C * (C - 1) / 2`` correlations are returned, in float32.

    Parameters
    ----------
    in_chans : int
    scales : tuple of int, default=(1, 2, 4)
        Pooling factors; a correlation at scale 4 compares 4x4-pixel blocks
        (a protein next to, not on, a structure still correlates).

    Examples
    --------
    >>> import torch
    >>> from skhpa.nn import ChannelCorrelations
    >>> x = torch.rand(2, 1, 16, 16).repeat(1, 3, 1, 1)  # 3 identical channels
    >>> ChannelCorrelations(3, scales=(1,))(x).round()
    tensor([[1., 1., 1.],
            [1., 1., 1.]])
    """

    def __init__(self, in_chans, scales=(1, 2, 4)):
        super().__init__()
        scales = tuple(int(s) for s in scales)
        if not scales or min(scales) < 1:
            raise ValueError(f"scales must be positive integers, got {scales!r}")
        self.scales = scales
        i, j = torch.triu_indices(in_chans, in_chans, offset=1)
        self.register_buffer("pairs_i", i, persistent=False)
        self.register_buffer("pairs_j", j, persistent=False)

    @property
    def n_features(self):
        return len(self.scales) * self.pairs_i.numel()

    def forward(self, x):
        """The channel correlations of a batch of images.

        Parameters
        ----------
        x : torch.Tensor of shape (batch_size, in_chans, height, width)
            Images (any dtype; computed in float32). Height and width must be
            at least the largest scale.

        Returns
        -------
        correlations : torch.Tensor of shape (batch_size, n_features)
            Float32 correlations in [-1, 1], ``n_features = len(scales) *
            in_chans * (in_chans - 1) / 2``: for each scale in turn, the
            channel pairs ``(i, j)``, ``i < j``, in row-major order.
        """
        out = []
        x = x.float()
        for s in self.scales:
            xs = F.avg_pool2d(x, s) if s > 1 else x
            xs = xs.flatten(2)
            xs = xs - xs.mean(dim=2, keepdim=True)
            xs = xs / (xs.norm(dim=2, keepdim=True) + 1e-6)
            corr = xs[:, self.pairs_i] * xs[:, self.pairs_j]
            out.append(corr.sum(dim=2))
        return torch.cat(out, dim=1)


class PretrainedWeightsError(RuntimeError):
    """ImageNet weights could not be obtained (offline machine, missing file)."""


class TimmNet(_Normalized):
    """Any timm backbone with ``in_chans`` input channels and the average+max pooling head.

    timm (a dependency of skhpa) provides hundreds of maintained, tested
    backbones with one call and adapts the stem to any number of input
    channels, including when it loads ImageNet weights (the 4th channel's
    filters are built from the RGB ones). Writing and maintaining that
    ourselves would be worse.

    Parameters
    ----------
    backbone : str, default="resnet18"
        A timm model name: ``resnet18``, ``resnet34``, ``densenet121``,
        ``efficientnet_b0``, ...
    n_classes : int, default=28
    in_chans : int, default=4
    mean, std : array-like of shape (in_chans,), optional
        Per-channel input statistics (input units).
    pretrained : bool, default=False
        Load ImageNet weights. They come from ``weights`` when given, else
        from the Hugging Face hub (needs network access; a clear
        :class:`PretrainedWeightsError` is raised when offline).
    weights : str or path-like, optional
        A local weights file (``.pth``, ``.bin`` or ``.safetensors``) for the
        backbone, as published by timm; the stem is adapted to ``in_chans``.
    dropout : float, default=0.25
        Dropout in the head.
    correlation_scales : tuple of int, optional
        Append the input channels' pairwise correlations at these scales
        (:class:`ChannelCorrelations`) to the pooled backbone features before
        the head. None (default): the backbone alone.

    Examples
    --------
    >>> import torch
    >>> from skhpa.nn import TimmNet
    >>> net = TimmNet("resnet18", n_classes=28, in_chans=4)
    >>> net(torch.zeros(2, 4, 64, 64)).shape
    torch.Size([2, 28])
    """

    def __init__(
        self,
        backbone="resnet18",
        n_classes=28,
        in_chans=4,
        mean=None,
        std=None,
        pretrained=False,
        weights=None,
        dropout=0.25,
        correlation_scales=None,
    ):
        super().__init__(in_chans, mean, std)
        self.backbone = create_backbone(backbone, in_chans, pretrained=pretrained, weights=weights)
        self.correlations = (
            None
            if correlation_scales is None or in_chans < 2
            else ChannelCorrelations(in_chans, correlation_scales)
        )
        n_extra = 0 if self.correlations is None else self.correlations.n_features
        self.head = AvgMaxHead(self.backbone.num_features, n_classes, dropout, n_extra)

    def forward(self, x):
        """Logits of a batch of images.

        Parameters
        ----------
        x : torch.Tensor of shape (batch_size, in_chans, height, width)
            Raw images (uint8 or float, in input units).

        Returns
        -------
        logits : torch.Tensor of shape (batch_size, n_classes)
            Logits (no sigmoid).
        """
        x = self.normalize(x)
        extra = None if self.correlations is None else self.correlations(x)
        return self.head(self.backbone.forward_features(x), extra)


def create_backbone(name, in_chans, *, pretrained=False, weights=None):
    """Create a timm feature extractor, with clear errors for missing weights.

    Parameters
    ----------
    name : str
        A timm model name (``timm.list_models()``).
    in_chans : int
        Number of input channels.
    pretrained : bool, default=False
        Load timm's ImageNet weights (downloaded; a clear error when offline).
    weights : str or path-like, default=None
        A local weights file, used instead of a download.

    Returns
    -------
    backbone : torch.nn.Module
        The timm model without classifier and pooling (``num_classes=0``,
        ``global_pool=""``): it returns feature maps.

    Raises
    ------
    PretrainedWeightsError
        The weights file is missing or the download fails.
    """
    import timm

    if not isinstance(name, str) or not timm.is_model(name):
        raise ValueError(f"unknown timm backbone {name!r} (see timm.list_models())")
    kwargs = {"num_classes": 0, "global_pool": "", "in_chans": in_chans}
    if weights is not None:
        weights = os.fspath(weights)
        if not os.path.isfile(weights):
            raise PretrainedWeightsError(f"weights file not found: {weights}")
        _check_weights_file(name, weights)
        return timm.create_model(
            name, pretrained=True, pretrained_cfg_overlay={"file": weights}, **kwargs
        )
    if not pretrained:
        return timm.create_model(name, pretrained=False, **kwargs)
    from huggingface_hub.utils import logging as hub_logging  # a dependency of timm

    verbosity = hub_logging.get_verbosity()
    hub_logging.set_verbosity_error()  # offline, it says "Retrying in 8s" at each try
    try:
        return timm.create_model(name, pretrained=True, **kwargs)
    except Exception as exc:  # network errors come in many types (OSError, HTTP, hub errors)
        raise PretrainedWeightsError(
            f"could not load ImageNet weights for {name!r}: {type(exc).__name__}: {exc}. "
            "This machine may be offline. Download the weights elsewhere (e.g. "
            f"timm.create_model({name!r}, pretrained=True) and torch.save its state_dict) and "
            "pass the file as weights=... (HPAClassifier(module__weights=...) for a "
            "network in HPAClassifier), or use pretrained=False."
        ) from exc
    finally:
        hub_logging.set_verbosity(verbosity)


def _read_state_dict(path):
    """The tensors of a safetensors or ``torch.save`` file (no unpickling of code)."""
    try:
        if str(path).endswith(".safetensors"):
            from safetensors.torch import load_file

            state = load_file(path)
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise PretrainedWeightsError(
            f"weights file {path}: not a state dict saved by torch.save or safetensors "
            f"({_why_unreadable(path, exc)})"
        ) from None
    for key in ("state_dict_ema", "model_ema", "state_dict", "model"):  # timm's nestings
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise PretrainedWeightsError(
            f"weights file {path}: holds a {type(state).__name__}, not a state dict of tensors"
        )
    return {k.removeprefix("module."): v for k, v in state.items()}


def _why_unreadable(path, exc):
    """A weights file's load error in a few words (torch's runs to a paragraph)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as err:
        return err.strerror or type(err).__name__
    if not str(path).endswith(".safetensors") and not (head[:2] == b"PK" or head[:1] == b"\x80"):
        return "neither a torch.save archive nor a pickle"
    text = str(exc).strip()
    # torch's weights-only unpickler: the reason is after its advice to unpickle anyway
    found = re.search(r"WeightsUnpickler error:\s*(.+)", text)
    reason = (found.group(1) if found else text).splitlines()[0].strip() or type(exc).__name__
    reason = reason.split(". ")[0]  # its first sentence: the rest is advice
    if len(reason) > 120:
        reason = reason[:120].rsplit(" ", 1)[0] + " ..."
    return f"{type(exc).__name__}: {reason}"


def _check_weights_file(name, path):
    """``path`` holds the weights of ``name`` (3-channel, any classifier), or a clear error.

    timm loads a local file leniently: a file of another network, or of nothing, would leave
    the backbone at its random initialization after one log line. Checked once per file
    version and backbone in a process (every fold, clone and grid point builds the network).
    """
    stat = os.stat(path)
    _check_weights_file_version(name, os.path.abspath(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _check_weights_file_version(name, path, mtime_ns, size):
    import timm

    state = _read_state_dict(path)
    model = timm.create_model(name, pretrained=False, in_chans=3)
    reference = model.state_dict()
    classifier = model.pretrained_cfg.get("classifier", "fc")
    prefixes = (classifier,) if isinstance(classifier, str) else tuple(classifier)

    def backbone_key(k):
        return not any(k == p or k.startswith(p + ".") for p in prefixes)

    wanted = {k: v.shape for k, v in reference.items() if backbone_key(k)}
    given = {k: v.shape for k, v in state.items() if backbone_key(k)}
    missing = [k for k in wanted if k not in given]
    extra = [k for k in given if k not in wanted]
    shapes = [k for k in wanted if k in given and tuple(given[k]) != tuple(wanted[k])]
    if missing or extra or shapes:
        problems = [
            f"{what} (e.g. {keys[0]})"
            for what, keys in (
                (f"{len(missing)} of the {len(wanted)} tensors of {name!r} missing", missing),
                (f"{len(extra)} tensors that {name!r} does not have", extra),
                (f"{len(shapes)} tensors of another shape", shapes),
            )
            if keys
        ]
        raise PretrainedWeightsError(
            f"weights file {path} does not hold the weights of {name!r}: "
            f"{'; '.join(problems)}. Save them with torch.save(timm.create_model({name!r}, "
            "pretrained=True).state_dict(), FILE)"
        )


class MLPNet(_Normalized):
    """A small multilayer perceptron on 2-D feature input (tests, embeddings).

    Parameters
    ----------
    n_classes : int, default=28
    in_chans : int, default=16
        Number of input features.
    mean, std : array-like of shape (in_chans,), optional
    hidden : int, default=32
    dropout : float, default=0.0

    Examples
    --------
    >>> import torch
    >>> from skhpa.nn import MLPNet
    >>> MLPNet(n_classes=3, in_chans=5)(torch.zeros(4, 5)).shape
    torch.Size([4, 3])
    """

    def __init__(self, n_classes=28, in_chans=16, mean=None, std=None, hidden=32, dropout=0.0):
        super().__init__(in_chans, mean, std)
        self.net = nn.Sequential(
            nn.Linear(in_chans, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, x):
        """Logits of a batch of feature vectors.

        Parameters
        ----------
        x : torch.Tensor of shape (batch_size, in_chans)
            Raw features (in input units).

        Returns
        -------
        logits : torch.Tensor of shape (batch_size, n_classes)
            Logits (no sigmoid).
        """
        return self.net(self.normalize(x))
