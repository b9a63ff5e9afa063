"""Generator speed, this checkout vs another commit (by default generator 1), side by side.

Opt-in (about 2 minutes):

    python benchmarks/bench_generator_versions.py [REV]

Absolute samples/s vary from host to host (the target of ``bench_generator.py`` is an absolute
200 samples/s at 128 px on one core), so a change of generator is judged against the old one on
the same host at the same time: ``REV`` (default: the commit before generator version 2) is
checked out in a temporary git worktree, and the two generators run alternately in fresh
processes, 3 rounds, each the best of 5 calls of ``make_hpa_like(200, image_size=128)`` on one
thread. Writes ``results/generator_versions.json`` (``generator_versions_vs_<commit>.json``
for another ``REV``).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import save

# the last commit with generator version 1 (5bb5318 introduced version 2)
GENERATOR_1 = "5bb5318^"
ROUNDS = 3
_MEASURE = r"""
import json, time
from threadpoolctl import threadpool_limits
import skhpa.datasets as d
with threadpool_limits(limits=1):
    d.make_hpa_like(40, image_size=128, random_state=1)  # warm the texture cache
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        d.make_hpa_like(200, image_size=128, random_state=0)
        best = min(best, time.perf_counter() - t)
print(json.dumps({"file": d.__file__, "samples_per_s": 200 / best}))
"""


def _speed(source):
    env = dict(os.environ, PYTHONPATH=str(source), OMP_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE], env=env, cwd=tempfile.gettempdir(),
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not result["file"].startswith(str(source)):  # an installed skhpa would shadow it
        raise RuntimeError(f"measured {result['file']}, not the code in {source}")
    return result["samples_per_s"]


def _short(rev):
    """The abbreviated commit of ``rev`` (a stable file name for a moving ref like HEAD)."""
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--short", rev],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


def main(rev=GENERATOR_1):
    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "add", "--detach", "-q", str(old), rev],
            check=True,
        )
        try:
            runs = {"old": [], "new": []}
            for _ in range(ROUNDS):
                runs["old"].append(_speed(old))
                runs["new"].append(_speed(repo))
        finally:
            subprocess.run(
                ["git", "-C", str(repo), "worktree", "remove", "--force", str(old)], check=True
            )
    rows = [
        {"generator": f"{name} ({_short(rev) if name == 'old' else 'this checkout'})",
         "samples_per_s_per_round": " / ".join(f"{v:.0f}" for v in values),
         "best": max(values)}
        for name, values in runs.items()
    ]  # fmt: skip
    ratio = max(runs["new"]) / max(runs["old"])
    rows.append({"generator": "ratio new / old (best)", "best": ratio})
    # the default comparison (generator 1 vs 2) keeps its file; any other REV gets its own
    name = "generator_versions" if rev == GENERATOR_1 else f"generator_versions_vs_{_short(rev)}"
    return save(
        name,
        rows,
        f"128 px, one thread, best of 5 per round, {ROUNDS} rounds alternating, fresh processes",
    )


if __name__ == "__main__":
    main(*sys.argv[1:2])
