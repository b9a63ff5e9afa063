"""HPAClassifier.fit vs a hand-written PyTorch loop: same model, data, epochs, batches.

Target: HPAClassifier's training throughput >= 0.95x the hand-written loop on CPU.
Both train SeedCNN (4 input channels) on 64 px uint8 images with AdamW and BCE,
without augmentation, validation or learning-rate schedule; runs alternate, best of 3.
"""

import torch
from _common import best_of, save

from skhpa import HPAClassifier
from skhpa.datasets import make_hpa_like
from skhpa.nn import SeedCNN


def hand_written(X, Y, epochs, batch_size, mean, std, seed=0):
    torch.manual_seed(seed)
    model = SeedCNN(n_classes=Y.shape[1], in_chans=X.shape[1], mean=mean, std=std)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y).float()
    g = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(Xt), generator=g)
        for start in range(0, len(Xt), batch_size):
            idx = perm[start : start + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(Xt[idx]), Yt[idx])
            loss.backward()
            opt.step()
    return model


def main(n=1000, epochs=3, batch_size=64):
    X, Y = make_hpa_like(n, image_size=64, random_state=0)
    mean = X.mean(axis=(0, 2, 3))
    std = X.std(axis=(0, 2, 3))

    def skhpa_fit():
        return HPAClassifier(
            SeedCNN,
            max_epochs=epochs,
            batch_size=batch_size,
            augment=False,
            train_split=None,
            lr_schedule=None,
            device="cpu",
            random_state=0,
        ).fit(X, Y)

    times_ours, times_hand = [], []
    for _ in range(3):  # alternate to share any drift in machine load
        times_ours.append(best_of(skhpa_fit, repeat=1)[0])
        times_hand.append(
            best_of(lambda: hand_written(X, Y, epochs, batch_size, mean, std), repeat=1)[0]
        )
    t_ours, t_hand = min(times_ours), min(times_hand)
    imgs = n * epochs
    rows = [
        {"loop": "hand-written PyTorch", "images_per_s": imgs / t_hand},
        {"loop": "HPAClassifier.fit", "images_per_s": imgs / t_ours, "ratio": t_hand / t_ours},
    ]
    return save(
        "fit_overhead",
        rows,
        f"{n} images 64 px, {epochs} epochs, batch {batch_size}, CPU, "
        f"torch threads {torch.get_num_threads()}",
    )


if __name__ == "__main__":
    main()
