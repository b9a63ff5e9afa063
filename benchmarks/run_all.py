"""Run every benchmark (or those named on the command line) and write docs/benchmark_results.rst.

python benchmarks/run_all.py                 # all
python benchmarks/run_all.py thresholds      # by name
"""

import importlib
import json
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

BENCHMARKS = [
    "labels",
    "generator",
    "stratification",
    "thresholds",
    "resampling",
    "loader",
    "fit_overhead",
    "synthetic_quality",
    "learnability_features",
    "realism",
    "fuzz_decode",
    "resize",
]
# opt-in benchmarks: run only when named
OPTIONAL = [
    "learnability_resnet",
    "channel_diagnostics",
    "reliability",
    "ablation",
    "scaling",
    "kaggle_scale",
    "duplicates",
    "threshold_generalization",
    "generator_versions",
    "residual_cnn",
    "fold_ensemble_scale",
]
# result files written by each benchmark (most write one named like the benchmark)
RESULT_NAMES = {
    "synthetic_quality": ["learnability", "threshold_gain", "resampling_quality"],
    "reliability": ["fit_predict_cycles", "predict_memory"],
    "scaling": ["dask_grid_search", "ddp_epoch_time"],
    "threshold_generalization": [
        "threshold_generalization",
        "fold_ensemble",
        "threshold_generalization_per_class",
    ],
}


def render():
    """docs/benchmark_results.rst from the saved results (every benchmark that has run)."""
    lines = []
    names = [r for b in BENCHMARKS + OPTIONAL for r in RESULT_NAMES.get(b, [b])]
    for name in names:
        path = HERE / "results" / f"{name}.json"
        if not path.exists():
            continue
        rec = json.loads(path.read_text())
        lines += [name.replace("_", " ").capitalize(), "-" * len(name), ""]
        gen = rec.get("generator_version")
        lines += [
            f"``python benchmarks/run_all.py {_bench_of(name)}`` ({rec['notes']}; "
            + (f"synthetic data generator version {gen}; " if gen is not None else "")
            + f"run {rec['machine']['date']}, {rec['machine']['cpus']} CPUs, "
            f"torch {rec['machine']['torch']})",
            "",
        ]
        keys = list(dict.fromkeys(k for r in rec["rows"] for k in r))
        table = [[_cell(r.get(k, "")) for k in keys] for r in rec["rows"]]
        widths = [max(len(k), *(len(row[j]) for row in table)) for j, k in enumerate(keys)]
        sep = "  ".join("=" * w for w in widths)
        lines += [sep, "  ".join(k.ljust(w) for k, w in zip(keys, widths)), sep]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in table]
        lines += [sep, ""]
    out = HERE.parent / "docs" / "benchmark_results.rst"
    out.write_text("\n".join(lines) + "\n")
    return out


def _bench_of(result):
    return next((b for b, rs in RESULT_NAMES.items() if result in rs), result)


def _cell(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def main(names):
    failed = []
    for name in names or BENCHMARKS:
        t = time.perf_counter()
        print(f"== {name}", flush=True)
        try:
            importlib.import_module(f"bench_{name}").main()
        except Exception:  # report, and go on with the other benchmarks
            traceback.print_exc()
            failed.append(name)
        print(f"   ({time.perf_counter() - t:.0f} s)", flush=True)
    print(f"wrote {render()}")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
