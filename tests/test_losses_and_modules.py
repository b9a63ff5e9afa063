import math

import pytest
import torch

from skhpa.losses import CombinedLoss, FocalLoss, SoftF1Loss
from skhpa.nn import (
    ChannelCorrelations,
    MLPNet,
    PretrainedWeightsError,
    SeedCNN,
    TimmNet,
    augment_batch,
    d4_transform,
)


def _sig(x):
    return 1 / (1 + math.exp(-x))


def test_focal_loss_by_hand():
    logits = torch.tensor([[2.0, -1.0]])
    target = torch.tensor([[1.0, 0.0]])
    # sample 0 class 0: p=sig(2), p_t=p; class 1: p=sig(-1), p_t=1-p
    p0, p1 = _sig(2.0), _sig(-1.0)
    expected = ((1 - p0) ** 2 * -math.log(p0) + p1**2 * -math.log(1 - p1)) / 2
    assert FocalLoss(gamma=2.0)(logits, target).item() == pytest.approx(expected, rel=1e-5)
    alpha = 0.25
    expected_a = (
        alpha * (1 - p0) ** 2 * -math.log(p0) + (1 - alpha) * p1**2 * -math.log(1 - p1)
    ) / 2
    assert FocalLoss(gamma=2.0, alpha=alpha)(logits, target).item() == pytest.approx(
        expected_a, rel=1e-5
    )
    # gamma = 0 is binary cross-entropy
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
    assert FocalLoss(gamma=0.0)(logits, target).item() == pytest.approx(bce.item(), rel=1e-6)
    assert FocalLoss(reduction="none")(logits, target).shape == (1, 2)
    with pytest.raises(ValueError, match="reduction"):
        FocalLoss(reduction="avg")(logits, target)


def test_soft_f1_by_hand():
    logits = torch.tensor([[0.0, 1.0], [2.0, -2.0], [-1.0, 0.5]])
    target = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    p = [[_sig(v) for v in row] for row in logits.tolist()]
    f1s = []
    for k in range(2):
        tp = sum(p[i][k] * target[i, k].item() for i in range(3))
        fp = sum(p[i][k] * (1 - target[i, k].item()) for i in range(3))
        fn = sum((1 - p[i][k]) * target[i, k].item() for i in range(3))
        f1s.append(2 * tp / (2 * tp + fp + fn + 1e-7))
    assert SoftF1Loss()(logits, target).item() == pytest.approx(1 - sum(f1s) / 2, rel=1e-5)
    # perfect confident predictions give a loss near 0
    assert SoftF1Loss()(torch.tensor([[30.0, -30.0]]), torch.tensor([[1.0, 0.0]])).item() < 0.51


def test_combined_loss_is_weighted_sum():
    torch.manual_seed(0)
    x, y = torch.randn(6, 4), (torch.rand(6, 4) > 0.5).float()
    bce = torch.nn.functional.binary_cross_entropy_with_logits(x, y)
    total = CombinedLoss(bce_weight=0.3, focal_weight=0.5, soft_f1_weight=2.0, gamma=1.0)(x, y)
    expected = 0.3 * bce + 0.5 * FocalLoss(1.0)(x, y) + 2.0 * SoftF1Loss()(x, y)
    assert total.item() == pytest.approx(expected.item(), rel=1e-6)
    # gradients flow
    x.requires_grad_(True)
    CombinedLoss()(x, y).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_modules_normalize_inside():
    mean, std = torch.tensor([10.0, 20.0]), torch.tensor([2.0, 4.0])
    net = MLPNet(n_classes=3, in_chans=2, mean=mean, std=std)
    x = torch.tensor([[10.0, 20.0], [12.0, 24.0]])
    assert torch.allclose(net.normalize(x), torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
    img = SeedCNN(n_classes=5, in_chans=2, mean=mean, std=std)
    u8 = torch.full((1, 2, 8, 8), 12, dtype=torch.uint8)
    assert torch.allclose(img.normalize(u8)[0, 0], torch.ones(8, 8))
    with pytest.raises(ValueError, match="one value per channel"):
        SeedCNN(in_chans=3, mean=[1.0, 2.0])
    with pytest.raises(ValueError, match="std must be positive"):
        MLPNet(in_chans=2, std=[1.0, 0.0])


def test_timm_backbones_and_head():
    for name in ("resnet18", "densenet121", "efficientnet_b0"):
        net = TimmNet(name, n_classes=28, in_chans=4)
        assert net(torch.zeros(2, 4, 64, 64, dtype=torch.uint8)).shape == (2, 28)
    with pytest.raises(ValueError, match="unknown timm backbone"):
        TimmNet("resnet_does_not_exist")


def test_channel_correlations_equal_pearson_per_image_and_scale():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 4, 16, 16, generator=g)
    x[:, 1] = 2 * x[:, 0] + 5  # an affine copy: correlation 1 at every scale
    x[:, 2] = -x[:, 0]
    out = ChannelCorrelations(4, scales=(1, 4))(x)
    assert out.shape == (3, 12)
    pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    for n in range(3):
        pooled = torch.nn.functional.avg_pool2d(x[n : n + 1], 4)[0]
        for k, (i, j) in enumerate(pairs):
            for s, img in enumerate((x[n], pooled)):
                want = torch.corrcoef(torch.stack([img[i].ravel(), img[j].ravel()]))[0, 1]
                assert torch.isclose(out[n, 6 * s + k], want, atol=1e-5)
    assert torch.allclose(out[:, [0, 6]], torch.ones(3, 2), atol=1e-5)
    assert torch.allclose(out[:, [1, 7]], -torch.ones(3, 2), atol=1e-5)
    # constant channels give 0, not NaN
    assert torch.equal(ChannelCorrelations(2, (1,))(torch.ones(1, 2, 4, 4)), torch.zeros(1, 1))
    with pytest.raises(ValueError, match="scales must be positive"):
        ChannelCorrelations(4, scales=(0,))


def test_timm_net_with_channel_correlations():
    torch.manual_seed(0)
    net = TimmNet("resnet18", n_classes=5, in_chans=4, correlation_scales=(1, 2)).eval()
    assert net.correlations.n_features == 12
    assert net.head.fc.in_features == 2 * net.backbone.num_features + 12
    x = torch.randint(0, 255, (2, 4, 32, 32), dtype=torch.uint8)
    assert net(x).shape == (2, 5)
    # shifting blue against the others changes the correlations the head receives
    shifted = x.clone()
    shifted[:, 2] = torch.roll(x[:, 2], shifts=7, dims=2)
    assert not torch.allclose(net.correlations(x.float()), net.correlations(shifted.float()))
    # one channel: nothing to correlate, the plain head
    assert TimmNet("resnet18", in_chans=1, correlation_scales=(1,)).correlations is None


def test_pretrained_offline_fails_clearly(monkeypatch):
    import huggingface_hub.constants
    from huggingface_hub.utils import logging as hub_logging

    # offline: read from the environment when huggingface_hub is first imported (timm does)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    before = hub_logging.get_verbosity()
    with pytest.raises(
        PretrainedWeightsError,
        match=r"could not load ImageNet weights for 'resnet18'.*module__weights=",
    ):
        TimmNet("resnet18", in_chans=4, pretrained=True)
    assert hub_logging.get_verbosity() == before  # its retry messages: silenced in the try only


def test_a_weights_file_of_another_network_or_of_nothing_is_an_error(tmp_path):
    import timm
    from safetensors.torch import save_file

    junk = tmp_path / "junk.safetensors"
    save_file({"foo": torch.zeros(3)}, junk)
    with pytest.raises(
        PretrainedWeightsError, match=r"120 of the 120 tensors of 'resnet18' missing"
    ):
        TimmNet("resnet18", in_chans=4, weights=junk)
    other = tmp_path / "resnet34.pth"  # holds every resnet18 tensor, and more
    torch.save(timm.create_model("resnet34", pretrained=False).state_dict(), other)
    with pytest.raises(
        PretrainedWeightsError, match=r"tensors that 'resnet18' does not have \(e\.g\. layer1\.2"
    ):
        TimmNet("resnet18", in_chans=4, weights=other)
    text = tmp_path / "labels.csv"
    text.write_text("Id,Target\n")
    with pytest.raises(
        PretrainedWeightsError,
        match=r"labels\.csv: not a state dict .*\(neither a torch\.save archive nor a pickle\)$",
    ):
        TimmNet("resnet18", in_chans=4, weights=text)
    # a pickle that is no state dict: torch's reason, without its paragraph of advice
    import pickle

    text.write_bytes(pickle.dumps({"a": 1}, protocol=4))  # "\x80\x04": a pickle all the same
    with pytest.raises(PretrainedWeightsError, match=r"\(UnpicklingError: [^.]*\)$"):
        TimmNet("resnet18", in_chans=4, weights=text)
    text.write_bytes(pickle.dumps(print, protocol=2))
    with pytest.raises(
        PretrainedWeightsError, match=r"UnpicklingError: .*print was not an allowed global[^.]*\)$"
    ) as e:
        TimmNet("resnet18", in_chans=4, weights=text)
    assert "weights_only" not in str(e.value) and len(str(e.value)) < 400


def test_local_weights_file_is_loaded_and_stem_adapted(tmp_path):
    import timm

    ref = timm.create_model("resnet18", pretrained=False, num_classes=1000)
    path = tmp_path / "resnet18.pth"
    torch.save(ref.state_dict(), path)
    from skhpa.nn._modules import _check_weights_file_version

    net = TimmNet("resnet18", n_classes=28, in_chans=4, weights=path)
    hits = _check_weights_file_version.cache_info().hits
    TimmNet("resnet18", n_classes=28, in_chans=4, weights=path)  # as each fold's network
    assert _check_weights_file_version.cache_info().hits == hits + 1  # checked once
    assert torch.equal(net.backbone.layer1[0].conv1.weight, ref.layer1[0].conv1.weight)
    stem = net.backbone.conv1.weight
    assert stem.shape[1] == 4
    # timm builds the 4-channel stem from the RGB filters (repeated, rescaled by 3/4)
    assert torch.allclose(stem[:, :3], ref.conv1.weight * 3 / 4, atol=1e-6)
    with pytest.raises(PretrainedWeightsError, match="weights file not found"):
        TimmNet("resnet18", weights=tmp_path / "missing.pth")


def test_d4_and_augmentation():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    outs = {tuple(d4_transform(x, k).flatten().tolist()) for k in range(8)}
    assert len(outs) == 8  # 8 distinct elements of the dihedral group
    assert torch.equal(d4_transform(x, 0), x)
    g = torch.Generator().manual_seed(0)
    batch = torch.randint(0, 255, (6, 4, 16, 16), dtype=torch.uint8)
    a = augment_batch(batch, g)
    assert a.dtype == torch.float32 and a.shape == batch.shape and (a >= 0).all()
    b = augment_batch(batch, torch.Generator().manual_seed(0))
    assert torch.equal(a, b)
    plain = augment_batch(batch, g, d4=True, crop=0, jitter=0)
    # without shift and jitter, each sample is a dihedral image of its input (same pixel multiset)
    assert torch.equal(plain.flatten(1).sort(1).values, batch.float().flatten(1).sort(1).values)
