"""Train AcceleratedHPAClassifier data-parallel; run under ``accelerate launch`` (or alone).

    accelerate launch --cpu --num_processes 2 --num_machines 1 --mixed_precision no \
        --dynamo_backend no benchmarks/ddp_train.py --out ddp.json

Every process builds the same synthetic data (same seed) and trains SeedCNN; the main process
writes per-epoch times, the number of training batches each process ran per epoch, the final
training loss curve and a hash of every process's weights (identical under DDP) to ``--out``,
and with ``--save`` the model, as a model file (``skhpa.save_model``).
"""

import argparse
import hashlib
import json
import os
import time
import warnings

import torch
from accelerate import Accelerator
from skorch.callbacks import Callback

from skhpa import save_model
from skhpa.datasets import make_hpa_like
from skhpa.neural_net import AcceleratedHPAClassifier
from skhpa.nn import SeedCNN


class BatchCount(Callback):
    def on_epoch_begin(self, net, **kwargs):
        self.n = 0
        self.t = time.perf_counter()

    def on_batch_end(self, net, training=False, **kwargs):
        self.n += int(training)

    def on_epoch_end(self, net, **kwargs):
        net.history.record("train_batches_here", self.n)
        net.history.record("epoch_s", time.perf_counter() - self.t)


def main():
    warnings.filterwarnings("ignore")
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--samples", type=int, default=256)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--save", help="also save the model here (main process), with save_model")
    args = p.parse_args()
    acc = Accelerator(cpu=True)
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // acc.num_processes))
    X, Y = make_hpa_like(args.samples, image_size=args.size, random_state=0)
    net = AcceleratedHPAClassifier(
        SeedCNN,
        accelerator=acc,
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        train_split=None,
        random_state=0,
        callbacks=[BatchCount()],
    )
    net.fit(X, Y)
    weights = b"".join(
        v.detach().cpu().numpy().tobytes() for v in net.module_.state_dict().values()
    )
    digest = hashlib.sha256(weights).hexdigest()[:16]
    digests = acc.gather_for_metrics([digest], use_gather_object=True)
    if acc.is_main_process:
        rec = {
            "processes": acc.num_processes,
            "threads_per_process": torch.get_num_threads(),
            "epoch_s": net.history[:, "epoch_s"],
            "train_batches_per_process": net.history[:, "train_batches_here"],
            "train_loss": net.history[:, "train_loss"],
            "weight_digests": list(digests),
            "proba_shape": list(net.predict_proba(X[:8]).shape),
        }
        if args.save:
            net.set_params(callbacks=[])  # BatchCount is this script's, not the model's
            save_model(net, args.save)
            rec["saved_proba"] = net.predict_proba(X[:8]).tolist()
        with open(args.out, "w") as fh:
            json.dump(rec, fh)


if __name__ == "__main__":
    main()
