"""GPU benchmark: one run, well under 8 minutes on one CUDA machine.

    python benchmarks/gpu.py [--quick] [--out results/gpu.json]

1. Environment check (torch, CUDA, device name, bf16 support).
2. Training and prediction images/s of HPAClassifier vs a hand-written PyTorch loop
   (same model, data, batch size) for resnet18 and densenet121 (and resnet34 unless
   --quick) at 256 and 512 px, AMP (bf16 autocast) on and off, channels-last on CUDA;
   peak GPU memory of each run.
3. The input pipeline (the real-use issue): 1,024 samples of 4 real 512 px PNGs (hard links
   to tests/data) read lazily, from the PNGs and from a filled cache, with
   ``num_workers="auto"``, into resnet18 at 512 px (bf16): images/s of one training epoch,
   next to the same network on the same images already in memory. A ratio near 1 means the
   input pipeline keeps the GPU fed.
4. The winning recipe at GPU size (the quality issue): ``blend_recipe`` (the skhpa network +
   the localization-feature model) at 256 px with GPU-sized settings (3,000 training / 1,000
   test images of a held-out data seed, 20 epochs, batch 64, lr 3e-3, D4 TTA), next to the
   feature model alone on the same images; macro-F1, labels per image, fit time.
Results go to benchmarks/results/gpu.json and stdout.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

DEVICE = "cuda"  # the input-pipeline smoke test sets "cpu"


def env():
    info = {"torch": torch.__version__, "cuda_available": torch.cuda.is_available()}
    if torch.cuda.is_available():
        info.update(
            device=torch.cuda.get_device_name(0),
            capability=".".join(map(str, torch.cuda.get_device_capability(0))),
            bf16=torch.cuda.is_bf16_supported(),
            memory_gb=round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1),
        )
    return info


def hand_loop(backbone, X, Y, batch_size, amp, steps):
    from skhpa.nn import TimmNet

    dev = "cuda"
    model = TimmNet(backbone, n_classes=Y.shape[1], in_chans=X.shape[1]).to(dev)
    model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    Xt = torch.from_numpy(X).pin_memory()
    Yt = torch.from_numpy(Y).float().pin_memory()
    model.train()
    torch.cuda.synchronize()
    t = time.perf_counter()
    n = 0
    for step in range(steps):
        s = (step * batch_size) % (len(X) - batch_size)
        xb = (
            Xt[s : s + batch_size]
            .to(dev, non_blocking=True)
            .contiguous(memory_format=torch.channels_last)
        )
        yb = Yt[s : s + batch_size].to(dev, non_blocking=True)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            out = model(xb)
        loss = loss_fn(out.float(), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        n += len(xb)
    torch.cuda.synchronize()
    return n / (time.perf_counter() - t)


def skhpa_fit(backbone, X, Y, batch_size, amp, epochs):
    from skhpa import HPAClassifier

    clf = HPAClassifier(
        backbone,
        max_epochs=epochs,
        batch_size=batch_size,
        augment=False,
        train_split=None,
        lr_schedule=None,
        amp=amp,
        device="cuda",
        random_state=0,
        num_workers=2,
    )
    torch.cuda.reset_peak_memory_stats()
    torch.cuda.synchronize()
    t = time.perf_counter()
    clf.fit(X, Y)
    torch.cuda.synchronize()
    fit_ips = len(X) * epochs / (time.perf_counter() - t)
    peak = torch.cuda.max_memory_allocated() / 2**30
    t = time.perf_counter()
    clf.predict_proba(X)
    torch.cuda.synchronize()
    return fit_ips, len(X) / (time.perf_counter() - t), peak


def input_pipeline(n=1024, batch_size=64):
    """Training images/s at 512 px: lazy PNG, lazy cached, in memory (num_workers='auto')."""
    import shutil
    import tempfile

    import numpy as np

    from skhpa import HPAClassifier
    from skhpa.preprocessing import ImageLoader

    src_dir = Path(__file__).resolve().parents[1] / "tests" / "data" / "hpa_samples" / "train"
    src = {p.stem.rsplit("_", 1)[1]: p for p in src_dir.glob("*.png")}
    work = Path(tempfile.mkdtemp(prefix="skhpa_gpu_input_"))
    stems = np.array([str(work / f"s{i:05d}") for i in range(n)])
    for stem in stems:
        for c in ("red", "green", "blue", "yellow"):
            os.link(src[c], f"{stem}_{c}.png")
    Y = (np.random.RandomState(0).rand(n, 28) < 0.1).astype(np.uint8)
    cores = os.cpu_count()
    out = {"cores": cores, "samples": n, "size": 512}

    def epoch_ips(X):
        clf = HPAClassifier(
            "resnet18", max_epochs=1, batch_size=batch_size, augment=False, train_split=None,
            lr_schedule=None, device=DEVICE, num_workers="auto", random_state=0,
        )  # fmt: skip
        clf.fit(X[: 2 * batch_size], Y[: 2 * batch_size])  # warm-up (cuDNN autotune, workers)
        torch.cuda.synchronize()
        t = time.perf_counter()
        clf.partial_fit(X, Y)
        torch.cuda.synchronize()
        return n / (time.perf_counter() - t), clf._num_workers_for(clf.get_dataset(X, Y))

    try:
        loader = ImageLoader(lazy=True).fit(stems)
        out["png_ips"], out["workers"] = epoch_ips(loader.transform(stems))
        cache = work / "cache"
        t = time.perf_counter()
        ImageLoader(cache=cache, n_jobs=-1).fit_transform(stems)
        out["cache_fill_samples_per_s"] = n / (time.perf_counter() - t)
        out["cached_ips"], _ = epoch_ips(ImageLoader(cache=cache, lazy=True).fit_transform(stems))
        out["memory_ips"], _ = epoch_ips(ImageLoader(cache=cache).fit_transform(stems))
        out["png_vs_memory"] = out["png_ips"] / out["memory_ips"]
        out["cached_vs_memory"] = out["cached_ips"] / out["memory_ips"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out), flush=True)
    return out


# the recipe at GPU size: what docs/benchmarks.rst ("Quality") suggests for a GPU budget
GPU_RECIPE = dict(image_size=256, n_train=3000, n_test=1000, max_epochs=20, batch_size=64, lr=3e-3)


def end_to_end():
    """The blend recipe at 256 px on a held-out data seed, next to the feature model alone."""
    from bench_ablation import heldout_seeds
    from sklearn.metrics import f1_score

    from skhpa.datasets import make_hpa_like
    from skhpa.recipes import blend_recipe, features_recipe, fit_with_thresholds

    cfg = GPU_RECIPE
    seed = heldout_seeds()[0]
    X, Y = make_hpa_like(
        cfg["n_train"] + cfg["n_test"], image_size=cfg["image_size"], random_state=seed
    )
    X, Y, Xt, Yt = (
        X[: cfg["n_train"]],
        Y[: cfg["n_train"]],
        X[cfg["n_train"] :],
        Y[cfg["n_train"] :],
    )
    out = dict(cfg, data_seed=seed)
    for name, est in (
        ("features", features_recipe()),
        (
            "blend",
            blend_recipe(
                max_epochs=cfg["max_epochs"],
                batch_size=cfg["batch_size"],
                lr=cfg["lr"],
                device=DEVICE,
                random_state=0,
            ),
        ),
    ):
        t = time.perf_counter()
        model = fit_with_thresholds(est, X, Y)
        P = model.predict(Xt)
        out[name] = dict(
            fit_seconds=time.perf_counter() - t,
            macro_f1=f1_score(Yt, P, average="macro", zero_division=0),
            labels_per_image=float(P.sum(1).mean()),
        )
        print(name, json.dumps(out[name]), flush=True)
    out["true_labels_per_image"] = float(Yt.sum(1).mean())
    out["blend_vs_features"] = out["blend"]["macro_f1"] / out["features"]["macro_f1"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "gpu.json"))
    args = ap.parse_args()
    info = env()
    print(json.dumps(info))
    if not info["cuda_available"]:
        print("no CUDA device: nothing to measure")
        return 1
    from skhpa.datasets import make_hpa_like

    rows = []
    backbones = ["resnet18", "densenet121"] + ([] if args.quick else ["resnet34"])
    for size, n, bs in ((256, 512, 64), (512, 256, 32)):
        X, Y = make_hpa_like(n, image_size=size, random_state=0)
        for backbone in backbones:
            for amp in (True, False):
                hand = hand_loop(backbone, X, Y, bs, amp, steps=max(4, n // bs))
                fit_ips, pred_ips, peak = skhpa_fit(backbone, X, Y, bs, amp, epochs=1)
                row = dict(
                    backbone=backbone,
                    size=size,
                    amp=amp,
                    batch=bs,
                    hand_train_ips=hand,
                    skhpa_train_ips=fit_ips,
                    ratio=fit_ips / hand,
                    predict_ips=pred_ips,
                    peak_gb=peak,
                )
                rows.append(row)
                print(json.dumps(row), flush=True)
    pipeline = input_pipeline()
    e2e = end_to_end()
    print(json.dumps(e2e))
    Path(args.out).parent.mkdir(exist_ok=True)
    Path(args.out).write_text(
        json.dumps(
            {"env": info, "rows": rows, "input_pipeline": pipeline, "end_to_end": e2e}, indent=1
        )
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
