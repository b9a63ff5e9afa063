"""The real input path at the size of the HPA 2018 task: 31,072 training and 11,702 test Ids.

A folder in the Kaggle layout is built from hard links to the 4 real 512x512 PNGs in
tests/data (one per colour), so every sample costs what a real sample costs to decode and
the disk holds 4 files. Labels follow the real HPA 2018 label table. Each stage runs in a
fresh process (its peak RSS is that process's ru_maxrss) and at two sizes, so that growth
can be read off:

1. ``load_hpa`` of train.csv + sample_submission.csv (all Ids; and a third of them);
2. a first decoding pass that fills the cache at 512 px (samples/s per core), next to a bare
   Pillow decode loop over the same files in the same process (the baseline: on one core,
   and on as many threads as the loader, per core); the same first pass resizing to 256 and
   128 px on the way; the cache's size on disk per sample at 512, 256 and 128 px, and for
   the full set;
3. a cached pass through the training DataLoader of ``HPAClassifier`` at 512 px with
   ``num_workers`` 0, 1 and 2 (samples/s); and the real first epoch's input: the same
   DataLoader over lazy inputs with an empty cache (decoding the PNGs and filling the cache
   in the loader's workers, keeping nothing), next to the same inputs without a cache;
4. one epoch of SeedCNN at 128 px on the CPU (from a 128 px cache);
5. ``predict_submission`` over the 11,702 test Ids (SeedCNN at 128 px, from the PNGs);
   and over a third of them.

Targets: decoding per core >= 0.9x the bare Pillow loop; a cached 512 px sample read
>= 1,500 samples/s per core; peak RSS independent of the number of Ids; no stage growing
faster than linearly. Opt-in (about 10 minutes on 2 cores):
``python benchmarks/run_all.py kaggle_scale``; the decoding stage alone (2-3 minutes,
``results/kaggle_scale_decode.json``): ``python benchmarks/bench_kaggle_scale.py --decode``.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import save

HERE = Path(__file__).resolve().parent
N_TRAIN, N_TEST = 31_072, 11_702
SUBSET = 3_000  # samples for the throughput stages (their rate does not depend on n)
FIRST_EPOCH_N = 1_000  # samples of each first-epoch (empty cache) DataLoader pass
EPOCH_N = 2_000  # samples of the timed SeedCNN epoch (the full epoch is extrapolated)
COLORS = ("red", "green", "blue", "yellow")
SRC = HERE.parent / "tests" / "data" / "hpa_samples" / "train"


def build_folder(root):
    import numpy as np

    from skhpa.datasets import format_targets, hpa_label_matrix

    src = {p.stem.rsplit("_", 1)[1]: p for p in SRC.glob("*.png")}
    Y = hpa_label_matrix(random_state=0)[:N_TRAIN]
    for split, n, prefix in (("train", N_TRAIN, "tr"), ("test", N_TEST, "te")):
        d = root / split
        d.mkdir(parents=True)
        for i in range(n):
            for c in COLORS:
                os.link(src[c], d / f"{prefix}{i:05d}_{c}.png")
    train_ids = [f"tr{i:05d}" for i in range(N_TRAIN)]
    with open(root / "train.csv", "w") as fh:
        fh.write("Id,Target\n")
        fh.writelines(f"{i},{t}\n" for i, t in zip(train_ids, format_targets(Y)))
    with open(root / "sample_submission.csv", "w") as fh:
        fh.write("Id,Predicted\n")
        fh.writelines(f"te{i:05d},0\n" for i in range(N_TEST))
    # a third of the Ids, for the growth of load_hpa
    for name in ("train.csv", "sample_submission.csv"):
        lines = (root / name).read_text().splitlines(keepends=True)
        (root / f"third_{name}").write_text("".join(lines[: 1 + (len(lines) - 1) // 3]))
    return np.asarray(Y)


# Each stage is a small script run in a fresh interpreter: json in argv, json on the last line.
PRELUDE = r"""
import json, os, resource, sys, time
import numpy as np
args = json.loads(sys.argv[1])
root = args["root"]
def done(**out):
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
"""

STAGES = {
    "load_hpa": r"""
from skhpa.datasets import load_hpa
t = time.perf_counter()
prefix = args["prefix"]
train = load_hpa(root, "train", labels_file=prefix + "train.csv")
test = load_hpa(root, "test", labels_file=prefix + "sample_submission.csv")
done(seconds=time.perf_counter() - t, ids=len(train.ids) + len(test.ids))
""",
    "decode": r"""
from concurrent.futures import ThreadPoolExecutor
from PIL import Image
from skhpa.datasets import load_hpa
from skhpa.preprocessing import ImageLoader
stems = load_hpa(root, "train").stems[: args["n"]]
colors = ("red", "green", "blue", "yellow")
jobs = args["jobs"]
k = min(500, len(stems))
warm = np.ones((k, 4, 512, 512), np.uint8)  # the first touch of fresh VM memory is not decoding
del warm
def bare_part(part):  # the issue's baseline: decode, stack, discard
    for s in part:
        np.stack([np.asarray(Image.open(f"{s}_{c}.png")) for c in colors])
def bare():  # on one core
    t = time.perf_counter()
    bare_part(stems[:k])
    return k / (time.perf_counter() - t)
def bare_threads():  # the same loop on as many threads as the loader (Pillow frees the GIL)
    t = time.perf_counter()
    with ThreadPoolExecutor(jobs) as ex:
        list(ex.map(bare_part, [stems[i:k:jobs] for i in range(jobs)]))
    return k / (time.perf_counter() - t) / jobs  # per core
def bare_into_array():  # the same loop keeping every sample, as transform does
    t = time.perf_counter()
    out = np.empty((k, 4, 512, 512), np.uint8)
    for i, s in enumerate(stems[:k]):
        out[i] = np.stack([np.asarray(Image.open(f"{s}_{c}.png")) for c in colors])
    return k / (time.perf_counter() - t)
def loader(cache, size=None):
    L = ImageLoader(image_size=size, cache=cache, n_jobs=jobs).fit(stems[:1])
    t = time.perf_counter()
    for start in range(0, len(stems), 500):  # chunks: memory does not grow with n
        L.transform(stems[start : start + 500])
    return len(stems) / (time.perf_counter() - t)
def baselines():
    return bare(), bare_into_array(), bare_threads()
# interleaved, so that a change of machine load hits the baseline and the loader alike
base = [baselines()]
nocache = loader(None)
base.append(baselines())
# the same pass with the cache in memory (tmpfs) first, then on the disk: what the writes to
# the disk cost. Each pass's writeback is flushed (untimed) before the next one starts, so
# that a pass pays for its own writes only.
fill_tmpfs = loader(args["cache_tmpfs"]) if args.get("cache_tmpfs") else None
fill = loader(args["cache"])
os.sync()
base.append(baselines())
fill_small = {}
for size in (256, 128):
    fill_small[size] = loader(args["cache"] + f"_{size}", size)
    os.sync()
base.append(baselines())
b, a, th = np.median(base, axis=0)
done(bare_per_core=float(b), bare_array_per_core=float(a), bare_threads_per_core=float(th),
     loader_decode=nocache, loader_samples_per_s=fill, jobs=jobs,
     fill_256=fill_small[256], fill_128=fill_small[128], fill_tmpfs=fill_tmpfs)
""",
    "write_probe": r"""
# what writing a 1 MiB cache entry costs: into new page-cache pages (a first pass) vs over
# pages the file already has (the same bytes, no allocation)
buf = np.random.default_rng(0).integers(0, 255, 2**20, dtype=np.uint8).tobytes()
folder, n = args["folder"], args["n"]
os.makedirs(folder, exist_ok=True)
def write(mode):
    t = time.perf_counter()
    for i in range(n):
        with open(os.path.join(folder, f"{i}.npy"), mode) as fh:
            fh.write(buf)
    return (time.perf_counter() - t) / n * 1e3
new = write("wb")
os.sync()
rewrite = write("r+b")
t = time.perf_counter()
for i in range(n):
    bytearray(buf)
done(new_ms=new, rewrite_ms=rewrite, copy_ms=(time.perf_counter() - t) / n * 1e3)
""",
    "cache_size": r"""
from skhpa.datasets import load_hpa
from skhpa.preprocessing import ImageLoader
stems = load_hpa(root, "train").stems[: args["n"]]
out = {}
for size in (512, 256, 128):
    cache = os.path.join(args["cache"], str(size))
    ImageLoader(image_size=size, cache=cache, n_jobs=2).transform(stems)
    files = [os.path.join(d, f) for d, _, fs in os.walk(cache) for f in fs]
    out[str(size)] = sum(os.path.getsize(f) for f in files) / len(files)
done(bytes_per_sample=out)
""",
    "dataloader": r"""
from skhpa import HPAClassifier
from skhpa.datasets import load_hpa
from skhpa.nn import SeedCNN
from skhpa.preprocessing import ImageLoader
data = load_hpa(root, "train")
stems, Y = data.stems[: args["n"]], data.target[: args["n"]]
X = ImageLoader(cache=args["cache"], lazy=True).fit_transform(stems)
net = HPAClassifier(SeedCNN, num_workers=args["workers"], batch_size=32, balanced_sampling=False)
it = net.get_iterator(net.get_dataset(X, Y), training=True)
t = time.perf_counter()
n = sum(len(xb) for xb, yb in it)
done(samples_per_s=n / (time.perf_counter() - t), workers=args["workers"])
""",
    "epoch": r"""
import torch
from skhpa import HPAClassifier
from skhpa.datasets import load_hpa
from skhpa.nn import SeedCNN
from skhpa.preprocessing import ImageLoader
data = load_hpa(root, "train")
stems, Y = data.stems[: args["n"]], data.target[: args["n"]]
X = ImageLoader(image_size=128, cache=args["cache"], lazy=True, n_jobs=2).fit_transform(stems)
for start in range(0, len(stems), 500):  # fill the 128 px cache first (not timed)
    X[start : start + 500]
net = HPAClassifier(SeedCNN, max_epochs=1, batch_size=64, train_split=None, device="cpu",
                    balanced_sampling=False, random_state=0)
t = time.perf_counter()
net.fit(X, Y)
done(seconds=time.perf_counter() - t, samples=len(stems), threads=torch.get_num_threads())
""",
    "predict": r"""
from sklearn.pipeline import Pipeline
from skhpa import HPAClassifier
from skhpa.datasets import load_hpa
from skhpa.submission import predict_submission
from skhpa.nn import SeedCNN
from skhpa.preprocessing import ImageLoader
train, test = load_hpa(root, "train"), load_hpa(root, "test")
model = Pipeline([("load", ImageLoader(image_size=128, lazy=True)),
                  ("net", HPAClassifier(SeedCNN, max_epochs=1, batch_size=64, train_split=None,
                                        device="cpu", random_state=0, threshold=0.3))])
model.fit(train.stems[:256], train.target[:256])
n = args["n"]
t = time.perf_counter()
path = predict_submission(model, test.ids[:n], os.path.join(args["out"], f"sub{n}.csv"),
                          X=test.stems[:n], chunk_size=512)
secs = time.perf_counter() - t
rows = sum(1 for _ in open(path)) - 1
done(seconds=secs, samples=n, rows=rows)
""",
}


def run_stage(name, **args):
    env = dict(os.environ, OMP_NUM_THREADS=str(os.cpu_count()))
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE + STAGES[name], json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"stage {name} failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = time.perf_counter() - t
    print(f"  {name} {args.get('n', '')}: {out}", flush=True)
    return out


def decode_rows(root, work, cores):
    """The first decoding pass (512, 256, 128 px) next to the bare Pillow loops.

    Returns the table rows and the one-core bare loop's samples/s (the later stages' baseline).
    """
    rows = []
    dec_small = run_stage("decode", root=root, n=SUBSET // 2, cache=str(work / "c1"),
                          jobs=cores)  # fmt: skip
    shm = Path("/dev/shm")
    tmpfs = Path(tempfile.mkdtemp(prefix="skhpa_cache_", dir=shm)) if shm.is_dir() else None
    try:
        dec = run_stage("decode", root=root, n=SUBSET, cache=str(work / "c512"), jobs=cores,
                        cache_tmpfs=str(tmpfs) if tmpfs else None)  # fmt: skip
    finally:
        if tmpfs is not None:
            shutil.rmtree(tmpfs, ignore_errors=True)
    per_core = dec["loader_samples_per_s"] / cores
    bare, bare_array = dec["bare_per_core"], dec["bare_array_per_core"]
    rows.append(
        {"stage": "bare Pillow decode loop, outputs discarded (1 core)", "n": 500,
         "samples_per_s": bare, "per_core": bare, "ratio": 1.0}
    )  # fmt: skip
    rows.append(
        {"stage": "bare Pillow decode loop into one output array (1 core)", "n": 500,
         "samples_per_s": bare_array, "per_core": bare_array, "ratio": bare_array / bare}
    )  # fmt: skip
    threads = dec["bare_threads_per_core"]
    rows.append(
        {"stage": f"bare Pillow decode loop on {cores} threads (per core)", "n": 500,
         "samples_per_s": threads * cores, "per_core": threads, "ratio": threads / bare}
    )  # fmt: skip
    rows.append(
        {"stage": f"ImageLoader decode, no cache (n_jobs={cores})", "n": SUBSET,
         "samples_per_s": dec["loader_decode"], "per_core": dec["loader_decode"] / cores,
         "ratio": dec["loader_decode"] / cores / bare}
    )  # fmt: skip
    rows.append(
        {"stage": f"first pass: decode + fill the 512 px cache (n_jobs={cores})",
         "n": SUBSET, "samples_per_s": dec["loader_samples_per_s"], "per_core": per_core,
         "ratio": per_core / bare, "peak_rss_mb": dec["peak_rss_mb"],
         "growth": f"RSS {dec['peak_rss_mb'] / dec_small['peak_rss_mb']:.2f}x for 2x n",
         "ratio_vs_threads": per_core / threads}
    )  # fmt: skip
    if dec["fill_tmpfs"] is not None:
        fill = dec["fill_tmpfs"] / cores
        rows.append(
            {"stage": f"first pass: decode + fill the 512 px cache in memory (tmpfs, "
                      f"n_jobs={cores})",
             "n": SUBSET, "samples_per_s": dec["fill_tmpfs"], "per_core": fill,
             "ratio": fill / bare, "ratio_vs_threads": fill / threads}
        )  # fmt: skip
    probe = run_stage("write_probe", root=root, n=300, folder=str(work / "probe"))
    shutil.rmtree(work / "probe", ignore_errors=True)
    rows.append(
        {"stage": "writing one 1 MiB cache entry: new pages / pages the file has / a memory "
                  "copy (ms)", "n": 300,
         "ms": [round(probe[k], 3) for k in ("new_ms", "rewrite_ms", "copy_ms")],
         "ms_per_sample_of_bare": 1e3 / bare}
    )  # fmt: skip
    for size in (256, 128):  # the same first pass, resized to a training size on the way
        fill = dec[f"fill_{size}"] / cores
        rows.append(
            {"stage": f"first pass: decode, resize + fill the {size} px cache "
                      f"(n_jobs={cores})",
             "n": SUBSET, "samples_per_s": dec[f"fill_{size}"], "per_core": fill,
             "ratio": fill / bare, "ratio_vs_threads": fill / threads}
        )  # fmt: skip
    return rows, bare


def main():
    cores = os.cpu_count()
    work = Path(tempfile.mkdtemp(prefix="skhpa_kaggle_scale_"))
    try:
        t = time.perf_counter()
        build_folder(work / "data")
        build_s = time.perf_counter() - t
        root = str(work / "data")
        rows = []

        small = run_stage("load_hpa", root=root, prefix="third_")
        full = run_stage("load_hpa", root=root, prefix="")
        rows.append(
            {"stage": "build the folder (171,096 hard links)", "n": N_TRAIN + N_TEST,
             "wall_s": build_s}
        )  # fmt: skip
        rows.append(
            {"stage": "load_hpa train + test", "n": full["ids"], "wall_s": full["seconds"],
             "peak_rss_mb": full["peak_rss_mb"],
             "growth": f"time {full['seconds'] / small['seconds']:.2f}x, RSS "
                       f"{full['peak_rss_mb'] / small['peak_rss_mb']:.2f}x for 3x n"}
        )  # fmt: skip

        decode, bare = decode_rows(root, work, cores)
        rows += decode

        sizes = run_stage("cache_size", root=root, n=200, cache=str(work / "sizes"))
        n_all = N_TRAIN + N_TEST
        for size, b in sizes["bytes_per_sample"].items():
            rows.append(
                {"stage": f"cache on disk at {size} px", "n": n_all,
                 "bytes_per_sample": b, "full_set_gib": b * n_all / 2**30}
            )  # fmt: skip

        for workers in (0, 1, 2):  # the real first epoch: an empty cache, filled by the loader
            r = run_stage("dataloader", root=root, n=FIRST_EPOCH_N,
                          cache=str(work / f"cold{workers}"), workers=workers)  # fmt: skip
            procs = max(workers, 1)
            rows.append(
                {"stage": f"first epoch, training DataLoader, empty 512 px cache, "
                          f"num_workers={workers}",
                 "n": FIRST_EPOCH_N, "samples_per_s": r["samples_per_s"],
                 "per_core": r["samples_per_s"] / procs,
                 "ratio": r["samples_per_s"] / procs / bare, "peak_rss_mb": r["peak_rss_mb"]}
            )  # fmt: skip
        r = run_stage("dataloader", root=root, n=FIRST_EPOCH_N, cache=None, workers=cores)
        rows.append(
            {"stage": f"training DataLoader, no cache (decode every epoch), num_workers={cores}",
             "n": FIRST_EPOCH_N, "samples_per_s": r["samples_per_s"],
             "per_core": r["samples_per_s"] / cores,
             "ratio": r["samples_per_s"] / cores / bare, "peak_rss_mb": r["peak_rss_mb"]}
        )  # fmt: skip

        for workers in (0, 1, 2):
            r = run_stage("dataloader", root=root, n=SUBSET, cache=str(work / "c512"),
                          workers=workers)  # fmt: skip
            procs = max(workers, 1)
            rows.append(
                {"stage": f"cached 512 px pass, training DataLoader, num_workers={workers}",
                 "n": SUBSET, "samples_per_s": r["samples_per_s"],
                 "per_core": r["samples_per_s"] / procs, "peak_rss_mb": r["peak_rss_mb"]}
            )  # fmt: skip

        e1 = run_stage("epoch", root=root, n=EPOCH_N // 2, cache=str(work / "c128"))
        e3 = run_stage("epoch", root=root, n=EPOCH_N, cache=str(work / "c128"))
        rows.append(
            {"stage": "one epoch SeedCNN 128 px, CPU", "n": EPOCH_N, "wall_s": e3["seconds"],
             "samples_per_s": EPOCH_N / e3["seconds"],
             "full_epoch_min": N_TRAIN / (EPOCH_N / e3["seconds"]) / 60,
             "peak_rss_mb": e3["peak_rss_mb"],
             "growth": f"time {e3['seconds'] / e1['seconds']:.2f}x, RSS "
                       f"{e3['peak_rss_mb'] / e1['peak_rss_mb']:.2f}x for 2x n"}
        )  # fmt: skip

        out = work / "out"
        out.mkdir()
        p1 = run_stage("predict", root=root, n=N_TEST // 3, out=str(out))
        p3 = run_stage("predict", root=root, n=N_TEST, out=str(out))
        assert p3["rows"] == N_TEST
        rows.append(
            {"stage": "predict_submission, 11,702 test Ids, SeedCNN 128 px from PNG",
             "n": N_TEST, "wall_s": p3["seconds"], "samples_per_s": N_TEST / p3["seconds"],
             "peak_rss_mb": p3["peak_rss_mb"],
             "growth": f"time {p3['seconds'] / p1['seconds']:.2f}x, RSS "
                       f"{p3['peak_rss_mb'] / p1['peak_rss_mb']:.2f}x for 3x n"}
        )  # fmt: skip
        load = os.getloadavg()[0]
        return save(
            "kaggle_scale",
            rows,
            f"Kaggle layout, 31,072 train + 11,702 test Ids x 4 real 512 px PNGs (hard links); "
            f"{cores} cores; load average at the end {load:.1f}",
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def decode_only():
    """Only the decoding stage (a minute or two): ``python bench_kaggle_scale.py --decode``."""
    work = Path(tempfile.mkdtemp(prefix="skhpa_kaggle_scale_"))
    try:
        build_folder(work / "data")
        rows, _ = decode_rows(str(work / "data"), work, os.cpu_count())
        load = os.getloadavg()[0]
        return save(
            "kaggle_scale_decode",
            rows,
            f"the decode stage of kaggle_scale alone; {os.cpu_count()} cores; load average at "
            f"the end {load:.1f}",
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    decode_only() if "--decode" in sys.argv[1:] else main()
