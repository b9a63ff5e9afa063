"""HPAClassifier.fit vs a hand-written PyTorch loop: same model, data, epochs, batches.

Target: HPAClassifier's training throughput >= 0.95x the hand-written loop on CPU.
Two pairs, runs alternating, best of 3:

- SeedCNN (4 input channels) with AdamW and BCE, without augmentation, validation or
  learning-rate schedule: what the wrapper itself costs;
- the recipe's network (:func:`~skhpa.recipes.skhpa_recipe`: resnet18 with channel
  correlations, focal + soft-F1 loss, :func:`~skhpa.nn.augment_batch`, cosine schedule)
  against the same in a plain loop: what the recipe's training pays on top of its maths.

64 px uint8 images of the synthetic dataset.
"""

import functools

import torch
from _common import best_of, save

from skhpa import HPAClassifier
from skhpa.datasets import make_hpa_like
from skhpa.losses import CombinedLoss
from skhpa.nn import SeedCNN, TimmNet, augment_batch
from skhpa.recipes import skhpa_recipe


def hand_written(X, Y, epochs, batch_size, network="seed", seed=0):
    """A plain PyTorch training loop; ``network``: "seed" (SeedCNN, BCE) or "recipe"."""
    torch.manual_seed(seed)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y).float()
    mean, std = Xt.float().mean(dim=(0, 2, 3)), Xt.float().std(dim=(0, 2, 3))
    recipe = network == "recipe"
    if recipe:
        model = TimmNet(
            "resnet18", n_classes=Y.shape[1], in_chans=X.shape[1], mean=mean, std=std,
            correlation_scales=(1, 2, 4),
        )  # fmt: skip
        loss_fn, lr = CombinedLoss(), 2e-3
    else:
        model = SeedCNN(n_classes=Y.shape[1], in_chans=X.shape[1], mean=mean, std=std)
        loss_fn, lr = torch.nn.BCEWithLogitsLoss(), 1e-3
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    steps = epochs * -(-len(Xt) // batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps) if recipe else None
    g = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(Xt), generator=g)
        for start in range(0, len(Xt), batch_size):
            idx = perm[start : start + batch_size]
            xb = augment_batch(Xt[idx], g) if recipe else Xt[idx]
            opt.zero_grad()
            loss = loss_fn(model(xb), Yt[idx])
            loss.backward()
            opt.step()
            if schedule is not None:
                schedule.step()
    return model


def main(n=1000, epochs=3, batch_size=64):
    X, Y = make_hpa_like(n, image_size=64, random_state=0)
    ours = {
        "seed": lambda: HPAClassifier(
            SeedCNN,
            max_epochs=epochs,
            batch_size=batch_size,
            augment=False,
            train_split=None,
            lr_schedule=None,
            device="cpu",
            random_state=0,
        ).fit(X, Y),
        "recipe": lambda: skhpa_recipe(
            max_epochs=epochs, batch_size=batch_size, tta=None, device="cpu", random_state=0
        ).fit(X, Y),
    }
    names = {"seed": "SeedCNN, BCE", "recipe": "skhpa_recipe's resnet18 (+ augmentation)"}
    rows = []
    imgs = n * epochs
    for network, skhpa_fit in ours.items():
        times_ours, times_hand = [], []
        for _ in range(3):  # alternate to share any drift in machine load
            times_ours.append(best_of(skhpa_fit, repeat=1)[0])
            hand = functools.partial(hand_written, X, Y, epochs, batch_size, network)
            times_hand.append(best_of(hand, repeat=1)[0])
        t_ours, t_hand = min(times_ours), min(times_hand)
        rows += [
            {"network": names[network], "loop": "hand-written PyTorch",
             "images_per_s": imgs / t_hand},
            {"network": names[network], "loop": "HPAClassifier.fit",
             "images_per_s": imgs / t_ours, "ratio": t_hand / t_ours},
        ]  # fmt: skip
    return save(
        "fit_overhead",
        rows,
        f"{n} images 64 px, {epochs} epochs, batch {batch_size}, CPU, "
        f"torch threads {torch.get_num_threads()}",
    )


if __name__ == "__main__":
    main()
